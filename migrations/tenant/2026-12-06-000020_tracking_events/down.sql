DROP TABLE tracking_events;
