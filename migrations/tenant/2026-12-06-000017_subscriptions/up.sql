-- Subscriptions (replenishment: a monthly box). A plan says how often; a
-- subscription is a customer's lines in a brand, renewed by housekeeping
-- through the same checkout as a shopper's order (stock, region and age
-- rules at renewal time), paid with the customer's saved payment token.
--
-- Each renewal is a row keyed by (subscription, period, attempt), written
-- before its checkout runs and naming the cart it checks out: its id is
-- the checkout's Idempotency-Key, so a node that dies mid-renewal leaves a
-- `pending` row that the next pass resumes (never a second order).
-- A failed or refused renewal is retried on a dunning schedule
-- (`failed_attempts` of the current period); too many and the
-- subscription is cancelled.
CREATE TABLE subscription_plans (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    interval_unit TEXT NOT NULL CHECK (interval_unit IN ('day', 'week', 'month')),
    interval_count INT NOT NULL CHECK (interval_count BETWEEN 1 AND 365),
    active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE subscriptions (
    id UUID PRIMARY KEY,
    brand_id UUID NOT NULL REFERENCES brands (id),
    customer_id UUID NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    plan_id UUID NOT NULL REFERENCES subscription_plans (id),
    region TEXT NOT NULL,
    payment_token TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'paused', 'past_due', 'cancelled')),
    -- When the next renewal is due (kept while paused; cleared when
    -- cancelled).
    next_renewal_at TIMESTAMPTZ,
    -- Renewals made so far: the period the next renewal is for.
    period INT NOT NULL DEFAULT 0,
    -- Failed attempts at the current period's renewal.
    failed_attempts INT NOT NULL DEFAULT 0,
    cancel_reason TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((status = 'cancelled') = (next_renewal_at IS NULL))
);
CREATE INDEX subscriptions_due_idx ON subscriptions (next_renewal_at)
    WHERE status IN ('active', 'past_due');
CREATE INDEX subscriptions_customer_idx ON subscriptions (customer_id, created_at);

CREATE TABLE subscription_lines (
    subscription_id UUID NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    variant_id UUID NOT NULL REFERENCES variants (id),
    quantity INT NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
    PRIMARY KEY (subscription_id, variant_id)
);

CREATE TABLE subscription_renewals (
    id UUID PRIMARY KEY,
    subscription_id UUID NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    period INT NOT NULL,
    attempt INT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'paid', 'failed', 'skipped')),
    cart_id UUID REFERENCES carts (id),
    order_id UUID REFERENCES orders (id),
    failure_code TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (subscription_id, period, attempt)
);
