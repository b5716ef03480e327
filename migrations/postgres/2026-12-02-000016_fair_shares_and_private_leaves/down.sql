ALTER TABLE sign_in_links DROP COLUMN member_id;
ALTER TABLE signing_keys DROP COLUMN compromised_at;
DROP INDEX audit_log_actor;
ALTER TABLE audit_log DROP COLUMN salt;
DROP INDEX webhook_deliveries_at;
ALTER TABLE webhook_subscriptions DROP COLUMN replay_until;
ALTER TABLE webhook_subscriptions DROP COLUMN replay_from;
ALTER TABLE webhook_subscriptions DROP COLUMN turn_at;
