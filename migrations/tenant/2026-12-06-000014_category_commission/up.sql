-- A commission rate can be a category's (applying to its products and
-- those of the categories below it): a rate belongs to the tenant (both
-- NULL), one vendor, or one category. A vendor's own rate wins over a
-- category's, which wins over the tenant's.
ALTER TABLE commission_rates
    ADD COLUMN category_id UUID REFERENCES categories (id) ON DELETE CASCADE;
ALTER TABLE commission_rates DROP CONSTRAINT commission_rates_vendor_id_key;
ALTER TABLE commission_rates ADD CONSTRAINT commission_rates_target_key
    UNIQUE NULLS NOT DISTINCT (vendor_id, category_id);
ALTER TABLE commission_rates ADD CONSTRAINT commission_rates_one_target
    CHECK (vendor_id IS NULL OR category_id IS NULL);
