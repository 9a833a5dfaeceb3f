-- Warehouses, stock per variant per warehouse, and the append-only ledger
-- every stock change is written to. `stock_levels` always equals the sum of
-- the ledger for its variant and warehouse.

CREATE TABLE warehouses (
    id UUID PRIMARY KEY,
    vendor_id UUID NOT NULL REFERENCES vendors (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    -- The region pack the warehouse ships under, e.g. US-CA.
    region TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (vendor_id, code)
);

CREATE TABLE stock_levels (
    variant_id UUID NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    warehouse_id UUID NOT NULL REFERENCES warehouses (id),
    on_hand INT NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved INT NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (variant_id, warehouse_id)
);
CREATE INDEX stock_levels_warehouse_idx ON stock_levels (warehouse_id);

CREATE TABLE inventory_movements (
    id UUID PRIMARY KEY,
    variant_id UUID NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    warehouse_id UUID NOT NULL REFERENCES warehouses (id),
    kind TEXT NOT NULL CHECK (kind IN ('receive', 'adjust', 'reserve', 'release', 'commit', 'return')),
    -- Change to on_hand and to reserved.
    on_hand_delta INT NOT NULL,
    reserved_delta INT NOT NULL DEFAULT 0,
    reference TEXT,
    -- The API key id (or job) that made the change.
    actor TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX inventory_movements_stock_idx ON inventory_movements (variant_id, warehouse_id, id);

-- Whether any variant of the listed product has stock available.
ALTER TABLE listings ADD COLUMN in_stock BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX listings_in_stock_idx ON listings (brand_id, created_at DESC, id DESC) WHERE visible AND in_stock;
