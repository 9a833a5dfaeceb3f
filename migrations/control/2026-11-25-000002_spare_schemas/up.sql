-- Tenant schemas built ahead of time from the tenant template, so creating a
-- tenant renames one (constant time) instead of running the template's DDL.
CREATE TABLE spare_schemas (
    name TEXT PRIMARY KEY,
    -- SHA-256 of the tenant template the schema was built with; spares of
    -- an older template are dropped, never handed out.
    template_version TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
