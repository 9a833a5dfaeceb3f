DROP TABLE subscription_renewals;
DROP TABLE subscription_lines;
DROP TABLE subscriptions;
DROP TABLE subscription_plans;
