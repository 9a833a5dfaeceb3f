-- The marketplace's cut of each sale, as a share of the vendor's goods
-- before tax: the tenant's rate (vendor_id NULL) and per-vendor rates that
-- override it.
CREATE TABLE commission_rates (
    id BIGSERIAL PRIMARY KEY,
    vendor_id UUID REFERENCES vendors (id),
    rate NUMERIC(7, 6) NOT NULL CHECK (rate >= 0 AND rate <= 1),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (vendor_id)
);

-- Where the money of paid orders goes, entry by entry, per account: a
-- vendor's (vendor_id) or the marketplace's own (vendor_id NULL). A sale
-- credits each vendor its part of the order; the commission moves from the
-- vendor to the marketplace; a loyalty discount is the marketplace's cost;
-- a refund debits the vendors it is shared among and gives back the
-- commission on it; a payout debits the vendor. So, always:
--   charges - refunds = sum(entries) + sum(payouts).
CREATE TABLE money_ledger (
    id BIGSERIAL PRIMARY KEY,
    vendor_id UUID REFERENCES vendors (id),
    order_id UUID REFERENCES orders (id),
    kind TEXT NOT NULL CHECK (kind IN ('sale', 'commission', 'discount', 'refund', 'commission_refund', 'payout')),
    amount NUMERIC(19, 4) NOT NULL,
    currency CHAR(3) NOT NULL,
    -- The refund or payout the entry records.
    reference UUID,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX money_ledger_vendor_idx ON money_ledger (vendor_id, currency);
CREATE INDEX money_ledger_order_idx ON money_ledger (order_id);

-- Money paid out to a vendor from its balance (a bank transfer the
-- operator makes; `reference` is its reference).
CREATE TABLE payouts (
    id UUID PRIMARY KEY,
    vendor_id UUID NOT NULL REFERENCES vendors (id),
    amount NUMERIC(19, 4) NOT NULL CHECK (amount > 0),
    currency CHAR(3) NOT NULL,
    reference TEXT,
    requested_by TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX payouts_vendor_idx ON payouts (vendor_id, created_at DESC);

-- A refund takes back the loyalty points its share of the order earned.
ALTER TABLE loyalty_entries DROP CONSTRAINT loyalty_entries_kind_check;
ALTER TABLE loyalty_entries ADD CONSTRAINT loyalty_entries_kind_check
    CHECK (kind IN ('earn', 'redeem', 'restore', 'expire', 'forfeit', 'reverse'));
