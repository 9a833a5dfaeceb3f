DROP TABLE payment_routes;
