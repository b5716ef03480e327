-- Webhooks. A subscriber (a procurement tool's account, issued by the operator) holds
-- subscriptions: an endpoint, filters and a signing secret. Each subscription has a
-- position in the change feed; a claimed job delivers the changes after it, in order,
-- and logs every attempt.

CREATE TABLE subscribers (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL,
    added_by    TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

-- A subscriber's token names it.
ALTER TABLE tokens ADD COLUMN subscriber_id TEXT;

CREATE TABLE webhook_subscriptions (
    id              TEXT PRIMARY KEY NOT NULL,
    subscriber_id   TEXT NOT NULL REFERENCES subscribers (id),
    url             TEXT NOT NULL,
    secret          TEXT NOT NULL,
    -- The secret before the last rotation, which also signs until previous_until.
    previous_secret TEXT,
    previous_until  TIMESTAMP,
    -- Filters, JSON arrays; an empty one lets everything through.
    event_types     TEXT NOT NULL,
    supplier_ids    TEXT NOT NULL,
    statuses        TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    paused_at       TIMESTAMP,
    disabled_at     TIMESTAMP,
    disabled_reason TEXT,
    -- The seq of the last change handled (delivered, or not one the filters let through).
    position        BIGINT NOT NULL,
    -- Failed attempts at the change after position, since the first of them.
    attempts        INTEGER NOT NULL DEFAULT 0,
    failing_since   TIMESTAMP,
    retry_at        TIMESTAMP,
    claimed_by      TEXT,
    claimed_until   TIMESTAMP
);
CREATE INDEX webhook_subscriptions_subscriber ON webhook_subscriptions (subscriber_id);

CREATE TABLE webhook_deliveries (
    id              BIGSERIAL PRIMARY KEY,
    subscription_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    message_id      TEXT NOT NULL,
    attempt         INTEGER NOT NULL,
    at              TIMESTAMP NOT NULL,
    status          INTEGER,
    latency_ms      INTEGER NOT NULL,
    response        TEXT NOT NULL,
    error           TEXT,
    -- Asked for again by the subscriber, outside the order.
    redelivery      BOOLEAN NOT NULL
);
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, id);
