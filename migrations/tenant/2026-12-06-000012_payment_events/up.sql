-- Events payment providers sent about this tenant's charges and refunds,
-- once each by the provider's event id: a redelivered event is
-- acknowledged and not applied again.
CREATE TABLE payment_events (
    provider TEXT NOT NULL,
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload JSONB NOT NULL,
    -- What applying it did (`paid`, `ignored: ...`), for operators.
    outcome TEXT NOT NULL DEFAULT '',
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, event_id)
);
