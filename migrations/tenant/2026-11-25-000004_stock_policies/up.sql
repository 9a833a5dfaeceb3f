-- Per-variant stock policies, ERP stock syncs (idempotent by the sender's
-- sync id), and the outbox that events leave through.

ALTER TABLE variants
    -- How many units may be sold beyond stock: 0 denies backorders.
    ADD COLUMN backorder_limit INT NOT NULL DEFAULT 0 CHECK (backorder_limit >= 0),
    -- When total available stock falls to or below this, a low-stock event
    -- is written to the outbox; NULL disables it.
    ADD COLUMN low_stock_threshold INT CHECK (low_stock_threshold >= 0);

CREATE TABLE stock_syncs (
    vendor_id UUID NOT NULL REFERENCES vendors (id),
    sync_id TEXT NOT NULL,
    -- SHA-256 of the request, to tell a replay from a reused id.
    request_hash TEXT NOT NULL,
    result JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (vendor_id, sync_id)
);

-- Written in the same transaction as the change it reports; delivered by
-- workers that claim rows with FOR UPDATE SKIP LOCKED.
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    topic TEXT NOT NULL,
    payload JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX outbox_topic_idx ON outbox (topic, id);
