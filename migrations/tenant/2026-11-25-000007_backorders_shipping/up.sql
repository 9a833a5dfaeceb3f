-- Backorders (units sold beyond stock, up to each variant's limit, filled
-- from stock as it arrives), vendors' shipping rates per region with the
-- shipping charged on each order, and what a crashed checkout needs to be
-- resumed by a retry with the same Idempotency-Key.

-- The part of a line's quantity sold on backorder rather than from stock.
ALTER TABLE order_lines
    ADD COLUMN backordered INT NOT NULL DEFAULT 0 CHECK (backordered >= 0 AND backordered <= quantity);

-- `held` while the order awaits payment, `open` once paid (waiting for
-- stock), `filled` when stock arrived and was committed to it, `cancelled`
-- when the payment failed or the hold expired. Held and open backorders of
-- a variant never exceed its `backorder_limit`.
CREATE TABLE backorders (
    id UUID PRIMARY KEY,
    order_id UUID NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    variant_id UUID NOT NULL REFERENCES variants (id),
    quantity INT NOT NULL CHECK (quantity > 0),
    status TEXT NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'open', 'filled', 'cancelled')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    filled_at TIMESTAMPTZ
);
-- Outstanding backorders of a variant, oldest first (the fill order).
CREATE INDEX backorders_outstanding_idx ON backorders (variant_id, created_at, id) WHERE status IN ('held', 'open');
CREATE INDEX backorders_order_idx ON backorders (order_id);

-- A vendor's rate for shipping to a region (a pack code; a rate for `US`
-- covers `US-CA` unless the vendor has one for `US-CA` itself). The charge
-- for a vendor's part of an order is `flat + per_item * items`, free when
-- the part's goods reach `free_over`.
CREATE TABLE shipping_rates (
    vendor_id UUID NOT NULL REFERENCES vendors (id),
    region TEXT NOT NULL,
    currency CHAR(3) NOT NULL,
    flat NUMERIC(19, 4) NOT NULL CHECK (flat >= 0),
    per_item NUMERIC(19, 4) NOT NULL DEFAULT 0 CHECK (per_item >= 0),
    free_over NUMERIC(19, 4) CHECK (free_over > 0),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (vendor_id, region, currency)
);

-- Shipping charged per vendor on an order, taxed as the region's pack
-- taxes the `shipping` category.
CREATE TABLE order_shipping (
    order_id UUID NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    vendor_id UUID NOT NULL REFERENCES vendors (id),
    net NUMERIC(19, 4) NOT NULL,
    tax NUMERIC(19, 4) NOT NULL,
    gross NUMERIC(19, 4) NOT NULL,
    PRIMARY KEY (order_id, vendor_id)
);
ALTER TABLE vendor_orders ADD COLUMN shipping NUMERIC(19, 4) NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN shipping_tax NUMERIC(19, 4) NOT NULL DEFAULT 0;

-- The order a checkout placed under the key, and when the claim was last
-- taken: a claim older than the stale limit belongs to a process that
-- died, and the next request with the key resumes it.
ALTER TABLE idempotency_keys
    ADD COLUMN order_id UUID,
    ADD COLUMN locked_at TIMESTAMPTZ NOT NULL DEFAULT now();

-- Until when a pending order holds its stock and backorders; the expiry
-- job cancels pending orders past it (an order wholly on backorder has no
-- reservation to expire by).
ALTER TABLE orders ADD COLUMN hold_until TIMESTAMPTZ NOT NULL DEFAULT now();
CREATE INDEX orders_pending_hold_idx ON orders (hold_until) WHERE status = 'pending_payment';
UPDATE orders o SET hold_until = COALESCE(
    (SELECT max(r.expires_at) FROM reservations r WHERE r.order_id = o.id),
    o.created_at + interval '15 minutes')
WHERE o.status = 'pending_payment';
