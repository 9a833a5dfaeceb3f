-- Where a shipped vendor order is on its way: events reported by the
-- vendor (through the API) or, later, a carrier, each recorded once per
-- reporter's event id, in the order they happened. A `delivered` event
-- also marks the part delivered.
CREATE TABLE tracking_events (
    id UUID PRIMARY KEY,
    vendor_order_id UUID NOT NULL REFERENCES vendor_orders (id) ON DELETE CASCADE,
    source TEXT NOT NULL CHECK (source IN ('vendor', 'carrier')),
    -- The reporter's id for the event: a repeat is recorded once.
    external_id TEXT NOT NULL,
    kind TEXT NOT NULL
        CHECK (kind IN ('info', 'in_transit', 'out_for_delivery', 'delivered', 'exception')),
    description TEXT NOT NULL,
    location TEXT,
    occurred_at TIMESTAMPTZ NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (vendor_order_id, source, external_id)
);
CREATE INDEX tracking_events_part_idx ON tracking_events (vendor_order_id, occurred_at);
