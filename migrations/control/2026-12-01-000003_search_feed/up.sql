-- The search feed: one row per catalog change that search indexes must
-- pick up, written by triggers in every tenant schema, so each server node
-- follows one feed for the whole cluster rather than one per tenant.
--
-- `txid` is the writing transaction. A node reads the rows of transactions
-- older than the oldest one still running (`pg_snapshot_xmin`), so a row
-- whose transaction commits late is never skipped; its cursor is that
-- horizon, stored with its index.
CREATE TABLE search_changes (
    id BIGSERIAL PRIMARY KEY,
    -- The tenant schema the change happened in.
    schema_name TEXT NOT NULL,
    -- The product whose listings changed; NULL for every product of the
    -- schema (a tenant reindex).
    product_id UUID,
    txid BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX search_changes_txid_idx ON search_changes (txid);

-- Each node's place in the feed, reported by its follower: for operators,
-- and for `bazaar search reindex` to show progress until every live node
-- has caught up.
CREATE TABLE search_nodes (
    node_id TEXT PRIMARY KEY,
    -- Every change of a transaction older than this is in the node's index.
    cursor BIGINT NOT NULL,
    docs BIGINT NOT NULL DEFAULT 0,
    -- Listings written so far by a rebuild in progress, and how many.
    rebuild_done BIGINT,
    rebuild_total BIGINT,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
