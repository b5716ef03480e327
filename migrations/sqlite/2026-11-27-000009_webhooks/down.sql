DROP TABLE webhook_deliveries;
DROP TABLE webhook_subscriptions;
ALTER TABLE tokens DROP COLUMN subscriber_id;
DROP TABLE subscribers;
