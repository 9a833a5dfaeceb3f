ALTER TABLE orders DROP COLUMN shipping_address;
ALTER TABLE carts DROP COLUMN shipping_address;
