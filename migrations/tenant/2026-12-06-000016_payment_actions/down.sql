UPDATE payments SET status = 'pending' WHERE status = 'requires_action';
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('pending', 'authorized', 'succeeded', 'failed', 'voided'));
ALTER TABLE payments DROP COLUMN next_action;
