-- Vendor onboarding, the category tree, products with variants, and
-- listings (which vendor product shows in which brand).

ALTER TABLE vendors
    ADD COLUMN description TEXT NOT NULL DEFAULT '',
    ADD COLUMN regions_served TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN payout_reference TEXT,
    ADD COLUMN status_reason TEXT;

-- Every status change of a vendor, with who made it and why.
CREATE TABLE vendor_status_events (
    id UUID PRIMARY KEY,
    vendor_id UUID NOT NULL REFERENCES vendors (id) ON DELETE CASCADE,
    from_status TEXT,
    to_status TEXT NOT NULL,
    reason TEXT,
    -- The API key id that made the change, or `manifest`.
    actor TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX vendor_status_events_vendor_idx ON vendor_status_events (vendor_id, id);

-- A tree of any depth. `path` is the slugs from the root joined by `/`
-- (`electronics/phones`); products link by id, so a move or rename rewrites
-- paths without touching products.
CREATE TABLE categories (
    id UUID PRIMARY KEY,
    parent_id UUID REFERENCES categories (id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    depth INT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX categories_path_prefix_idx ON categories (path text_pattern_ops);
CREATE INDEX categories_parent_idx ON categories (parent_id);

CREATE TABLE products (
    id UUID PRIMARY KEY,
    vendor_id UUID NOT NULL REFERENCES vendors (id),
    category_id UUID REFERENCES categories (id),
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    attributes JSONB NOT NULL DEFAULT '{}',
    images TEXT[] NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'archived')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (vendor_id, slug)
);
CREATE INDEX products_vendor_idx ON products (vendor_id, id);
CREATE INDEX products_category_idx ON products (category_id);

CREATE TABLE variants (
    id UUID PRIMARY KEY,
    product_id UUID NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    vendor_id UUID NOT NULL REFERENCES vendors (id),
    sku TEXT NOT NULL,
    title TEXT NOT NULL,
    options JSONB NOT NULL DEFAULT '{}',
    price NUMERIC(19, 4) NOT NULL CHECK (price >= 0),
    currency CHAR(3) NOT NULL,
    compare_at_price NUMERIC(19, 4) CHECK (compare_at_price >= 0),
    weight_grams NUMERIC(12, 3) CHECK (weight_grams >= 0),
    tax_category TEXT NOT NULL DEFAULT 'general',
    age_restricted BOOLEAN NOT NULL DEFAULT false,
    position INT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (vendor_id, sku)
);
CREATE INDEX variants_product_idx ON variants (product_id, position, id);

-- A vendor product shown in a brand. The browse columns copy what the
-- storefront filters and sorts on, kept in step by the catalog's writes, so
-- each browse is one index range over this table.
CREATE TABLE listings (
    id UUID PRIMARY KEY,
    brand_id UUID NOT NULL REFERENCES brands (id),
    product_id UUID NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    price_override NUMERIC(19, 4) CHECK (price_override >= 0),
    active BOOLEAN NOT NULL DEFAULT true,
    vendor_id UUID NOT NULL,
    category_path TEXT,
    title TEXT NOT NULL,
    price NUMERIC(19, 4),
    -- Active listing of an active product of an approved vendor with at
    -- least one variant.
    visible BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (brand_id, product_id)
);
CREATE INDEX listings_newest_idx ON listings (brand_id, created_at DESC, id DESC) WHERE visible;
CREATE INDEX listings_price_idx ON listings (brand_id, price, id) WHERE visible;
CREATE INDEX listings_title_idx ON listings (brand_id, title, id) WHERE visible;
CREATE INDEX listings_category_idx ON listings (brand_id, category_path text_pattern_ops, id) WHERE visible;
CREATE INDEX listings_vendor_idx ON listings (brand_id, vendor_id, id) WHERE visible;
CREATE INDEX listings_product_idx ON listings (product_id);
