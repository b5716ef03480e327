-- Concerns anyone may raise about a supplier's record, from the pages, for the operator
-- to look into. They are not public: what a person wrote, and their address, stay here.
CREATE TABLE concerns (
    id          TEXT PRIMARY KEY NOT NULL,
    -- The supplier the concern is about, when it was raised from its page.
    supplier_id TEXT REFERENCES suppliers (id),
    -- Who it is about, in the person's words (or the supplier's name).
    about       TEXT NOT NULL,
    details     TEXT NOT NULL,
    -- Where to answer, if the person gave an address.
    email       TEXT,
    created_at  TIMESTAMP NOT NULL,
    closed_at   TIMESTAMP,
    closed_by   TEXT,
    -- What the operator found and did.
    outcome     TEXT
);
CREATE INDEX concerns_by_time ON concerns (created_at);
