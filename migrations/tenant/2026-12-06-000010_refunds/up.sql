-- Money given back from an order's charge. A refund is recorded pending
-- before the provider is asked (with the refund's id as its idempotency
-- key), so a crash or a timeout between the two leaves a row that the
-- sweep asks again: never lost, never made twice.
CREATE TABLE refunds (
    id UUID PRIMARY KEY,
    order_id UUID NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    amount NUMERIC(19, 4) NOT NULL CHECK (amount > 0),
    currency CHAR(3) NOT NULL,
    reason TEXT NOT NULL,
    -- Whether the refunded units go back on hand when it succeeds.
    restock BOOLEAN NOT NULL DEFAULT false,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    provider_refund_id TEXT,
    failure_code TEXT,
    attempts INT NOT NULL DEFAULT 0,
    -- The API key id (or `system` for a charge found on a cancelled order).
    requested_by TEXT NOT NULL,
    -- A digest of what was asked: the same Idempotency-Key with another
    -- request is refused, not replayed.
    request_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX refunds_order_idx ON refunds (order_id, created_at);
CREATE INDEX refunds_pending_idx ON refunds (updated_at) WHERE status = 'pending';

-- The units of each order line a refund gives back, and their share.
CREATE TABLE refund_lines (
    refund_id UUID NOT NULL REFERENCES refunds (id) ON DELETE CASCADE,
    order_line_id UUID NOT NULL REFERENCES order_lines (id) ON DELETE CASCADE,
    quantity INT NOT NULL CHECK (quantity > 0),
    amount NUMERIC(19, 4) NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (refund_id, order_line_id)
);
CREATE INDEX refund_lines_line_idx ON refund_lines (order_line_id);

-- Payments still unsettled: an order cancelled while its outcome was not
-- known keeps asking its provider until it learns whether it was charged.
CREATE INDEX payments_pending_idx ON payments (created_at) WHERE status = 'pending';
