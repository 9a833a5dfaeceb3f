-- A charge the provider cannot make until the shopper acts (a 3-D Secure
-- challenge, approving a wallet payment). The order stays
-- `pending_payment` with its stock held; the payment is
-- `requires_action` with what the storefront must do (`next_action`:
-- kind, url, client_secret) and the provider's id for the charge, so the
-- outcome can be asked for by id once the shopper is back, and the charge
-- cancelled at the provider if the hold runs out first.
ALTER TABLE payments ADD COLUMN next_action JSONB;
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('pending', 'requires_action', 'authorized', 'succeeded', 'failed', 'voided'));
