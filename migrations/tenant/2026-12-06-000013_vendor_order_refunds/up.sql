-- Orders paid before the money ledger existed get their sales recorded as
-- a paid order's are (commission was not taken then: none is recorded),
-- and their loyalty discounts as the marketplace's cost, so vendor
-- balances and the ledger's invariant hold for old orders too. Orders the
-- ledger already has are left alone (running this twice changes nothing).
INSERT INTO money_ledger (vendor_id, order_id, kind, amount, currency, created_at)
SELECT vo.vendor_id, vo.order_id, 'sale', vo.total, o.currency, vo.created_at
FROM vendor_orders vo
JOIN orders o ON o.id = vo.order_id
WHERE NOT EXISTS (SELECT 1 FROM money_ledger m WHERE m.order_id = vo.order_id);

INSERT INTO money_ledger (vendor_id, order_id, kind, amount, currency, created_at)
SELECT NULL, o.id, 'discount', -o.discount_total, o.currency, o.created_at
FROM orders o
WHERE o.discount_total <> 0
  AND EXISTS (SELECT 1 FROM vendor_orders vo WHERE vo.order_id = o.id)
  AND NOT EXISTS (SELECT 1 FROM money_ledger m WHERE m.order_id = o.id AND m.kind = 'discount');

-- A refund of one vendor's part of an order: which part, and how much of
-- it was that part's shipping (so shipping is never given back twice, and
-- the ledger debits that vendor alone).
ALTER TABLE refunds ADD COLUMN vendor_order_id UUID REFERENCES vendor_orders (id);
ALTER TABLE refunds ADD COLUMN shipping NUMERIC(19, 4) NOT NULL DEFAULT 0 CHECK (shipping >= 0);
