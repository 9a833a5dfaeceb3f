-- Carts: one brand and one region each, priced live from the region packs.
-- A guest cart is reached with its token (only a hash is stored).

CREATE TABLE carts (
    id UUID PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    brand_id UUID NOT NULL REFERENCES brands (id),
    region TEXT NOT NULL,
    currency CHAR(3) NOT NULL,
    contact_email TEXT,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'checked_out')),
    last_activity_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- When the abandoned-cart event was written, so it is written once.
    abandoned_notified_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX carts_idle_idx ON carts (last_activity_at)
    WHERE status = 'open' AND contact_email IS NOT NULL AND abandoned_notified_at IS NULL;

CREATE TABLE cart_lines (
    id UUID PRIMARY KEY,
    cart_id UUID NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    variant_id UUID NOT NULL REFERENCES variants (id),
    quantity INT NOT NULL CHECK (quantity > 0 AND quantity <= 10000),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (cart_id, variant_id)
);
