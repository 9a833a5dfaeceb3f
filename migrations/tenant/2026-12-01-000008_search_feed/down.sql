DROP TRIGGER stock_search_update ON stock_levels;
DROP TRIGGER stock_search_insert ON stock_levels;
DROP TRIGGER variants_search ON variants;
DROP TRIGGER products_search ON products;
DROP TRIGGER listings_search ON listings;
DROP FUNCTION search_stock_changed();
DROP FUNCTION search_changed();
