-- Authorise at checkout, capture per vendor order as it ships.
--
-- A payment records when its money is taken (`capture`) and how much has
-- been taken so far (`captured`). An order paid `on_shipment` holds an
-- authorisation (`authorized`); each vendor order is captured when it
-- ships, recorded pending before the provider is asked (the capture's id
-- is the provider's idempotency key), so a crash or a timeout between the
-- two leaves a row the sweep asks again. The last capture releases the
-- rest of the hold; cancelling the order before anything shipped voids it
-- (`void_pending` until the provider confirms).
ALTER TABLE payments ADD COLUMN capture TEXT NOT NULL DEFAULT 'immediate'
    CHECK (capture IN ('immediate', 'on_shipment'));
ALTER TABLE payments ADD COLUMN captured NUMERIC(19, 4) NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN void_pending BOOLEAN NOT NULL DEFAULT false;
UPDATE payments SET captured = amount WHERE status = 'succeeded';
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('pending', 'authorized', 'succeeded', 'failed', 'voided'));
CREATE INDEX payments_void_pending_idx ON payments (updated_at) WHERE void_pending;

CREATE TABLE captures (
    id UUID PRIMARY KEY,
    order_id UUID NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    vendor_order_id UUID NOT NULL UNIQUE REFERENCES vendor_orders (id) ON DELETE CASCADE,
    -- The part's total less its share of the order's loyalty discount.
    amount NUMERIC(19, 4) NOT NULL CHECK (amount >= 0),
    discount NUMERIC(19, 4) NOT NULL DEFAULT 0 CHECK (discount >= 0),
    currency CHAR(3) NOT NULL,
    -- The last part to capture: the provider releases the rest of the hold.
    final_capture BOOLEAN NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    provider_capture_id TEXT,
    failure_code TEXT,
    attempts INT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX captures_order_idx ON captures (order_id);
CREATE INDEX captures_pending_idx ON captures (updated_at) WHERE status = 'pending';
