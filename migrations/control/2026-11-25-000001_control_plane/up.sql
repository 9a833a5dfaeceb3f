-- The control plane: which tenants exist, where they live, and the API keys
-- that act on them. Tenant data itself lives in one schema per tenant.

CREATE TABLE tenants (
    id UUID PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- The PostgreSQL schema holding the tenant's data (`t_<slug>`).
    schema_name TEXT NOT NULL UNIQUE,
    -- Which database cluster holds the schema; `primary` is the cluster the
    -- control plane lives on. Lets a deployment outgrow one database.
    cluster TEXT NOT NULL DEFAULT 'primary',
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    status_reason TEXT,
    -- Region codes (regions/<CODE>.yaml) the tenant sells in.
    regions TEXT[] NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id UUID PRIMARY KEY,
    -- NULL only for platform keys.
    tenant_id UUID REFERENCES tenants (id) ON DELETE CASCADE,
    scope TEXT NOT NULL CHECK (scope IN ('platform', 'tenant_admin', 'vendor', 'storefront')),
    vendor_id UUID,
    brand_id UUID,
    name TEXT NOT NULL,
    -- The first characters of the secret, shown in listings so a person can
    -- tell keys apart; never enough to use.
    display_prefix TEXT NOT NULL,
    -- SHA-256 of the whole secret. Keys are 192 random bits, so a fast hash
    -- is safe; the secret itself is never stored.
    secret_hash BYTEA NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at TIMESTAMPTZ,
    CHECK ((scope = 'platform') = (tenant_id IS NULL)),
    CHECK ((scope = 'vendor') = (vendor_id IS NOT NULL)),
    CHECK ((scope = 'storefront') = (brand_id IS NOT NULL))
);

CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, id);
