DELETE FROM commission_rates WHERE category_id IS NOT NULL;
ALTER TABLE commission_rates DROP CONSTRAINT commission_rates_one_target;
ALTER TABLE commission_rates DROP CONSTRAINT commission_rates_target_key;
ALTER TABLE commission_rates ADD CONSTRAINT commission_rates_vendor_id_key UNIQUE NULLS NOT DISTINCT (vendor_id);
ALTER TABLE commission_rates DROP COLUMN category_id;
