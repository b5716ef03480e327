ALTER TABLE outbox DROP COLUMN reply_to;
