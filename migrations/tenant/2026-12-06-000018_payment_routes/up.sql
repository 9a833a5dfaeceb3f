-- Which payment providers charge a tenant's orders, and when the money is
-- taken: per region of the cart, or `*` for the tenant's default. A route
-- lists the deployment's providers by name in order of preference (the
-- first whose circuit breaker is closed is used; an order no attempt of
-- which reached its provider moves to the next). No row: the deployment's
-- own order and capture mode.
CREATE TABLE payment_routes (
    region TEXT PRIMARY KEY,
    providers TEXT[] NOT NULL CHECK (cardinality(providers) BETWEEN 1 AND 4),
    capture TEXT CHECK (capture IN ('immediate', 'on_shipment')),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
