-- The people who run the registry. They sign in by email, as suppliers' members do;
-- the audit log names them by id, never by address. A removed operator keeps their
-- row, so the entries that name them still say who it was.
CREATE TABLE operators (
    id          TEXT PRIMARY KEY NOT NULL,
    email       TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    added_at    TIMESTAMP NOT NULL,
    removed_at  TIMESTAMP
);

-- The operator a console session was given to.
ALTER TABLE tokens ADD COLUMN operator_id TEXT;

-- What the operator wrote back to the person who raised a concern, before closing it.
CREATE TABLE concern_replies (
    id          TEXT PRIMARY KEY NOT NULL,
    concern_id  TEXT NOT NULL REFERENCES concerns (id),
    body        TEXT NOT NULL,
    written_by  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX concern_replies_by_concern ON concern_replies (concern_id, created_at);

-- A webhook subscriber the operator switched off: its tokens end and its subscriptions
-- stop. Older instances leave it empty.
ALTER TABLE subscribers ADD COLUMN disabled_at TIMESTAMP;
