-- Accounts and mail. A supplier has members, people known by their email address, who
-- sign in with one-time links; owners create named API tokens with a scope. Mail is
-- written to the outbox in the transaction of the change it reports and sent by a
-- claimed job.

CREATE TABLE members (
    id              TEXT PRIMARY KEY NOT NULL,
    supplier_id     TEXT NOT NULL REFERENCES suppliers (id),
    -- Lower-cased: one person, one address, however it is typed.
    email           TEXT NOT NULL,
    name            TEXT NOT NULL,
    -- owner | editor
    role            TEXT NOT NULL,
    added_by        TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    -- Set when the person first signs in: the address is theirs.
    confirmed_at    TIMESTAMP,
    -- Set when the person asked for no more reminders.
    reminders_off_at TIMESTAMP,
    -- The secret of the person's unsubscribe link.
    unsubscribe_key TEXT NOT NULL
);
CREATE UNIQUE INDEX members_supplier_email ON members (supplier_id, email);
CREATE INDEX members_email ON members (email);

-- Every supplier's contact is its first owner, to be confirmed.
INSERT INTO members (id, supplier_id, email, name, role, added_by, created_at, unsubscribe_key)
SELECT gen_random_uuid()::text, id, lower(contact_email), contact_name, 'owner', 'system', created_at,
       replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')
FROM suppliers;

-- One-time sign-in links. Only a hash of the secret is kept.
CREATE TABLE sign_in_links (
    secret_hash TEXT PRIMARY KEY NOT NULL,
    email       TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    -- Asked for on the sign-in page (counted by the per-address limit), not sent on
    -- registration.
    asked       BOOLEAN NOT NULL
);
CREATE INDEX sign_in_links_email ON sign_in_links (email, created_at);

-- What a token may do: read (private fields) or write; older tokens write. A token is a
-- member's sign-in session, an owner's named API token, or (neither) a registration or
-- operator token.
ALTER TABLE tokens ADD COLUMN scope TEXT;
ALTER TABLE tokens ADD COLUMN member_id TEXT;
ALTER TABLE tokens ADD COLUMN kind TEXT;
UPDATE tokens SET kind = 'registration' WHERE role = 'supplier' AND label = 'registration';
UPDATE tokens SET kind = 'operator' WHERE kind IS NULL;
UPDATE tokens SET scope = 'write';

CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    -- What the message reports, once: writing the same event twice adds nothing.
    message_key     TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    -- The List-Unsubscribe address, on reminders only.
    unsubscribe     TEXT,
    supplier_id     TEXT,
    created_at      TIMESTAMP NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_by      TEXT,
    claimed_until   TIMESTAMP,
    sent_at         TIMESTAMP,
    -- Set when the registry gave up on the message.
    failed_at       TIMESTAMP,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (sent_at, failed_at, next_attempt_at);

-- Reminders are written by one instance at a time.
INSERT INTO job_leases (name) VALUES ('reminders');
