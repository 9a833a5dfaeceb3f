-- Customers: storefront accounts with sessions, single-use tokens, addresses,
-- age verification records, wishlists and a loyalty points ledger; carts and
-- orders gain the customer they belong to.
--
-- An account lives in a realm: its brand's id when the tenant keeps accounts
-- per brand (the default), or the nil uuid when the tenant shares accounts
-- across its brands. Emails are unique per realm, so switching the tenant's
-- mode rewrites realms and fails cleanly on the unique index when two brands
-- hold the same email.

CREATE TABLE customer_settings (
    id BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    -- 'brand': each brand has its own accounts; 'tenant': one login for all.
    account_scope TEXT NOT NULL DEFAULT 'brand' CHECK (account_scope IN ('brand', 'tenant')),
    -- Points earned per unit of currency of a paid order's goods (net of
    -- any points redeemed on it); 0 turns earning off.
    loyalty_points_per_unit NUMERIC(12, 4) NOT NULL DEFAULT 0 CHECK (loyalty_points_per_unit >= 0),
    -- What one point is worth at checkout, in the order's currency.
    loyalty_point_value NUMERIC(19, 4) NOT NULL DEFAULT 0.01 CHECK (loyalty_point_value > 0),
    -- Points expire this many days after they are earned; NULL: never.
    loyalty_expiry_days INT CHECK (loyalty_expiry_days > 0),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO customer_settings DEFAULT VALUES;

CREATE TABLE customers (
    id UUID PRIMARY KEY,
    realm UUID NOT NULL,
    -- The brand the account was opened in.
    brand_id UUID NOT NULL REFERENCES brands (id),
    -- NULL once the account is deleted (orders keep the anonymised row).
    email TEXT,
    password_hash TEXT,
    name TEXT,
    phone TEXT,
    date_of_birth DATE,
    email_verified_at TIMESTAMPTZ,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deleted')),
    loyalty_balance BIGINT NOT NULL DEFAULT 0 CHECK (loyalty_balance >= 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX customers_realm_email_key ON customers (realm, lower(email)) WHERE email IS NOT NULL;
CREATE INDEX customers_created_idx ON customers (created_at, id);

-- Sessions: the database keeps the record (so a restart or a cache flush
-- logs nobody out, and "log out everywhere" can find every session); the
-- cache keeps the hot copy each request reads.
CREATE TABLE customer_sessions (
    token_hash BYTEA PRIMARY KEY,
    customer_id UUID NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    brand_id UUID NOT NULL REFERENCES brands (id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX customer_sessions_customer_idx ON customer_sessions (customer_id);
CREATE INDEX customer_sessions_expires_idx ON customer_sessions (expires_at);

-- Email verification and password reset tokens: only a hash is kept, each
-- is used once and expires.
CREATE TABLE customer_tokens (
    token_hash BYTEA PRIMARY KEY,
    customer_id UUID NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX customer_tokens_customer_idx ON customer_tokens (customer_id, purpose);

CREATE TABLE customer_addresses (
    id UUID PRIMARY KEY,
    customer_id UUID NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    line1 TEXT NOT NULL,
    line2 TEXT,
    city TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    region TEXT NOT NULL,
    phone TEXT,
    default_shipping BOOLEAN NOT NULL DEFAULT false,
    default_billing BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX customer_addresses_customer_idx ON customer_addresses (customer_id, id);
CREATE UNIQUE INDEX customer_addresses_shipping_key ON customer_addresses (customer_id) WHERE default_shipping;
CREATE UNIQUE INDEX customer_addresses_billing_key ON customer_addresses (customer_id) WHERE default_billing;

-- Who verified a customer's age, how and when; a revoked record stays for
-- the audit trail. At most one record is in force per customer.
CREATE TABLE age_verifications (
    id UUID PRIMARY KEY,
    customer_id UUID NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    date_of_birth DATE NOT NULL,
    method TEXT NOT NULL,
    reference TEXT,
    verified_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    verified_by TEXT NOT NULL,
    revoked_at TIMESTAMPTZ,
    revoked_by TEXT
);
CREATE UNIQUE INDEX age_verifications_current_key ON age_verifications (customer_id) WHERE revoked_at IS NULL;

CREATE TABLE wishlists (
    id UUID PRIMARY KEY,
    customer_id UUID NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    brand_id UUID NOT NULL REFERENCES brands (id),
    name TEXT NOT NULL,
    -- Read-only link token; NULL while not shared.
    share_token TEXT UNIQUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX wishlists_customer_idx ON wishlists (customer_id, id);

CREATE TABLE wishlist_items (
    wishlist_id UUID NOT NULL REFERENCES wishlists (id) ON DELETE CASCADE,
    product_id UUID NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    added_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (wishlist_id, product_id)
);

-- The loyalty ledger: append-only; a customer's balance is the sum of its
-- entries (kept on the customer row in the same transaction, and checked).
CREATE TABLE loyalty_entries (
    id BIGSERIAL PRIMARY KEY,
    customer_id UUID NOT NULL REFERENCES customers (id),
    kind TEXT NOT NULL CHECK (kind IN ('earn', 'redeem', 'restore', 'expire', 'forfeit')),
    points BIGINT NOT NULL CHECK (points <> 0),
    order_id UUID,
    -- Earned and restored points: when they expire. Redeemed points: the
    -- latest expiry among the points spent (a restore gets it back).
    lot_expires_at TIMESTAMPTZ,
    note TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX loyalty_entries_customer_idx ON loyalty_entries (customer_id, id);
-- An order earns once, redeems once and is restored once.
CREATE UNIQUE INDEX loyalty_entries_order_key ON loyalty_entries (order_id, kind) WHERE order_id IS NOT NULL;

-- What is left of each earned (or restored) batch of points, spent oldest
-- expiry first, so expiry takes exactly the points not yet spent.
CREATE TABLE loyalty_lots (
    entry_id BIGINT PRIMARY KEY REFERENCES loyalty_entries (id),
    customer_id UUID NOT NULL REFERENCES customers (id),
    remaining BIGINT NOT NULL CHECK (remaining >= 0),
    expires_at TIMESTAMPTZ
);
CREATE INDEX loyalty_lots_customer_idx ON loyalty_lots (customer_id, expires_at) WHERE remaining > 0;
CREATE INDEX loyalty_lots_expiry_idx ON loyalty_lots (expires_at) WHERE remaining > 0;

ALTER TABLE carts
    ADD COLUMN customer_id UUID REFERENCES customers (id),
    -- A customer's saved cart carries a name; the working cart has none.
    ADD COLUMN saved_name TEXT,
    ADD COLUMN merged_into UUID;
ALTER TABLE carts DROP CONSTRAINT carts_status_check;
ALTER TABLE carts ADD CONSTRAINT carts_status_check CHECK (status IN ('open', 'checked_out', 'merged'));
CREATE INDEX carts_customer_idx ON carts (customer_id, last_activity_at DESC) WHERE customer_id IS NOT NULL;

ALTER TABLE orders
    ADD COLUMN customer_id UUID REFERENCES customers (id),
    -- Points redeemed on the order and what they took off its total.
    ADD COLUMN loyalty_points INT NOT NULL DEFAULT 0,
    ADD COLUMN discount_total NUMERIC(19, 4) NOT NULL DEFAULT 0;
CREATE INDEX orders_customer_idx ON orders (customer_id, created_at DESC, id DESC) WHERE customer_id IS NOT NULL;
