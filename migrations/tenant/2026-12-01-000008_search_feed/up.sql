-- Feed catalog changes to the search indexes of every node: listings carry
-- what search shows (refreshed by every catalog write that changes title,
-- price, category, vendor or visibility), products carry the description
-- and attributes, and stock levels decide `in_stock` (fed only when a
-- warehouse's availability crosses zero, so checkouts rarely write here).
-- The functions run with the tenant's search path; `TG_TABLE_SCHEMA` names
-- the schema at run time, so a spare schema renamed into a tenant is right.

CREATE FUNCTION search_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO control.search_changes (schema_name, product_id)
    VALUES (TG_TABLE_SCHEMA, (to_jsonb(COALESCE(NEW, OLD)) ->> TG_ARGV[0])::uuid);
    RETURN NULL;
END;
$$;

CREATE FUNCTION search_stock_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO control.search_changes (schema_name, product_id)
    SELECT TG_TABLE_SCHEMA, v.product_id FROM variants v WHERE v.id = NEW.variant_id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER listings_search AFTER INSERT OR UPDATE OR DELETE ON listings
    FOR EACH ROW EXECUTE FUNCTION search_changed('product_id');
CREATE TRIGGER products_search AFTER UPDATE OF description, attributes, title, status ON products
    FOR EACH ROW EXECUTE FUNCTION search_changed('id');
CREATE TRIGGER variants_search AFTER INSERT OR UPDATE OF price, options OR DELETE ON variants
    FOR EACH ROW EXECUTE FUNCTION search_changed('product_id');
CREATE TRIGGER stock_search_insert AFTER INSERT ON stock_levels
    FOR EACH ROW WHEN (NEW.on_hand > NEW.reserved) EXECUTE FUNCTION search_stock_changed();
CREATE TRIGGER stock_search_update AFTER UPDATE ON stock_levels
    FOR EACH ROW WHEN ((OLD.on_hand > OLD.reserved) IS DISTINCT FROM (NEW.on_hand > NEW.reserved))
    EXECUTE FUNCTION search_stock_changed();
