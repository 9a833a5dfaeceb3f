DELETE FROM loyalty_entries WHERE kind = 'reverse';
ALTER TABLE loyalty_entries DROP CONSTRAINT loyalty_entries_kind_check;
ALTER TABLE loyalty_entries ADD CONSTRAINT loyalty_entries_kind_check
    CHECK (kind IN ('earn', 'redeem', 'restore', 'expire', 'forfeit'));
DROP TABLE payouts;
DROP TABLE money_ledger;
DROP TABLE commission_rates;
