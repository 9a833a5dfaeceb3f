-- Where a cart's order goes. The address decides the cart's region pack
-- (the most specific pack for its country and subdivision), so a shopper
-- cannot price a cart in a cheaper region than its destination; the order
-- keeps the address it was placed with.
--
-- Stored as a document ({name, line1, line2, city, postal_code, country,
-- subdivision, phone}): it is always read and written whole, validated in
-- the application, and copied, never queried by field.
ALTER TABLE carts ADD COLUMN shipping_address JSONB;
ALTER TABLE orders ADD COLUMN shipping_address JSONB;
