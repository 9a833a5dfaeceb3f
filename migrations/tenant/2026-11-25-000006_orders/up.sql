-- Orders from checkout: lines priced and taxed as at checkout with the
-- region pack version, the per-vendor split, the order's event history,
-- stock reservations, payments, and Idempotency-Key records.

CREATE TABLE orders (
    id UUID PRIMARY KEY,
    cart_id UUID NOT NULL,
    brand_id UUID NOT NULL REFERENCES brands (id),
    region TEXT NOT NULL,
    region_version TEXT NOT NULL,
    currency CHAR(3) NOT NULL,
    contact_email TEXT,
    status TEXT NOT NULL,
    subtotal NUMERIC(19, 4) NOT NULL,
    tax_total NUMERIC(19, 4) NOT NULL,
    excise_total NUMERIC(19, 4) NOT NULL,
    shipping_total NUMERIC(19, 4) NOT NULL DEFAULT 0,
    total NUMERIC(19, 4) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE order_lines (
    id UUID PRIMARY KEY,
    order_id UUID NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    variant_id UUID NOT NULL REFERENCES variants (id),
    vendor_id UUID NOT NULL REFERENCES vendors (id),
    sku TEXT NOT NULL,
    title TEXT NOT NULL,
    tax_category TEXT NOT NULL,
    quantity INT NOT NULL CHECK (quantity > 0),
    unit_price NUMERIC(19, 4) NOT NULL,
    net NUMERIC(19, 4) NOT NULL,
    tax NUMERIC(19, 4) NOT NULL,
    excise NUMERIC(19, 4) NOT NULL,
    gross NUMERIC(19, 4) NOT NULL
);
CREATE INDEX order_lines_order_idx ON order_lines (order_id);

CREATE TABLE vendor_orders (
    id UUID PRIMARY KEY,
    order_id UUID NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    vendor_id UUID NOT NULL REFERENCES vendors (id),
    status TEXT NOT NULL,
    total NUMERIC(19, 4) NOT NULL,
    carrier TEXT,
    tracking_number TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (order_id, vendor_id)
);
-- The vendors' hot query: my orders in this status, newest first.
CREATE INDEX vendor_orders_vendor_status_idx ON vendor_orders (vendor_id, status, created_at DESC);

CREATE TABLE order_events (
    id BIGSERIAL PRIMARY KEY,
    order_id UUID NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX order_events_order_idx ON order_events (order_id, id);

CREATE TABLE reservations (
    id UUID PRIMARY KEY,
    order_id UUID NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    variant_id UUID NOT NULL,
    warehouse_id UUID NOT NULL,
    quantity INT NOT NULL CHECK (quantity > 0),
    status TEXT NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'committed', 'released')),
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX reservations_held_idx ON reservations (expires_at) WHERE status = 'held';
CREATE INDEX reservations_order_idx ON reservations (order_id);

CREATE TABLE payments (
    id UUID PRIMARY KEY,
    order_id UUID NOT NULL UNIQUE REFERENCES orders (id) ON DELETE CASCADE,
    gateway TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    amount NUMERIC(19, 4) NOT NULL,
    currency CHAR(3) NOT NULL,
    charge_id TEXT,
    failure_code TEXT,
    attempts INT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Stripe-style Idempotency-Key records, per calling key.
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('in_progress', 'done')),
    response_status INT,
    response_body JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
