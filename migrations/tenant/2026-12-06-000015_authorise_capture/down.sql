DROP TABLE captures;
DROP INDEX payments_void_pending_idx;
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN ('pending', 'succeeded', 'failed'));
ALTER TABLE payments DROP COLUMN void_pending;
ALTER TABLE payments DROP COLUMN captured;
ALTER TABLE payments DROP COLUMN capture;
