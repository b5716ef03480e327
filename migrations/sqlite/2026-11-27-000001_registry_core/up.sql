-- The registry core: pledge versions, suppliers, signatures, evidence, history, audit, tokens.
-- Times are UTC, stored without zone; ids are UUIDs as text.

CREATE TABLE pledge_versions (
    version      TEXT PRIMARY KEY NOT NULL,
    position     INTEGER NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    summary      TEXT NOT NULL,
    source_url   TEXT NOT NULL,
    published_on DATE NOT NULL,
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE commitments (
    version     TEXT NOT NULL REFERENCES pledge_versions (version),
    code        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (version, code)
);

CREATE TABLE suppliers (
    id             TEXT PRIMARY KEY NOT NULL,
    slug           TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    search_name    TEXT NOT NULL,
    website        TEXT NOT NULL,
    company_number TEXT UNIQUE,
    description    TEXT NOT NULL,
    products       TEXT NOT NULL,
    contact_name   TEXT NOT NULL,
    contact_email  TEXT NOT NULL,
    verified_at    TIMESTAMP,
    status         TEXT NOT NULL,
    signed_version TEXT,
    revision       BIGINT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX suppliers_search_name ON suppliers (search_name);
CREATE INDEX suppliers_status ON suppliers (status, slug);
CREATE INDEX suppliers_updated_at ON suppliers (updated_at);

CREATE TABLE signatures (
    id                TEXT PRIMARY KEY NOT NULL,
    supplier_id       TEXT NOT NULL REFERENCES suppliers (id),
    pledge_version    TEXT NOT NULL REFERENCES pledge_versions (version),
    signatory_name    TEXT NOT NULL,
    signatory_role    TEXT NOT NULL,
    signed_at         TIMESTAMP NOT NULL,
    reaffirmed_at     TIMESTAMP,
    reaffirm_by       TIMESTAMP NOT NULL,
    status            TEXT NOT NULL,
    status_reason     TEXT,
    suspended_from    TEXT,
    status_changed_at TIMESTAMP NOT NULL,
    withdrawn_at      TIMESTAMP
);
-- At most one signature per supplier is not withdrawn.
CREATE UNIQUE INDEX signatures_one_open ON signatures (supplier_id) WHERE status <> 'withdrawn';
CREATE INDEX signatures_supplier ON signatures (supplier_id, signed_at);

CREATE TABLE statements (
    signature_id    TEXT NOT NULL REFERENCES signatures (id),
    commitment_code TEXT NOT NULL,
    position        INTEGER NOT NULL,
    body            TEXT NOT NULL,
    PRIMARY KEY (signature_id, commitment_code)
);

CREATE TABLE evidence (
    id                   TEXT PRIMARY KEY NOT NULL,
    supplier_id          TEXT NOT NULL REFERENCES suppliers (id),
    url                  TEXT NOT NULL,
    title                TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    scheme               TEXT,
    reference            TEXT,
    expires_on           DATE,
    health               TEXT NOT NULL,
    http_status          INTEGER,
    final_url            TEXT,
    checked_at           TIMESTAMP,
    last_ok_at           TIMESTAMP,
    consecutive_failures INTEGER NOT NULL,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    retired_at           TIMESTAMP
);
CREATE INDEX evidence_supplier ON evidence (supplier_id, created_at);

CREATE TABLE evidence_commitments (
    evidence_id     TEXT NOT NULL REFERENCES evidence (id),
    commitment_code TEXT NOT NULL,
    PRIMARY KEY (evidence_id, commitment_code)
);
CREATE INDEX evidence_commitments_code ON evidence_commitments (commitment_code);

CREATE TABLE status_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    supplier_id    TEXT NOT NULL REFERENCES suppliers (id),
    signature_id   TEXT REFERENCES signatures (id),
    pledge_version TEXT,
    event          TEXT NOT NULL,
    from_status    TEXT,
    to_status      TEXT NOT NULL,
    reason         TEXT,
    actor          TEXT NOT NULL,
    at             TIMESTAMP NOT NULL
);
CREATE INDEX status_events_supplier ON status_events (supplier_id, id);

CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TIMESTAMP NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    supplier_id TEXT,
    before_json TEXT,
    after_json  TEXT
);

CREATE TABLE tokens (
    jti         TEXT PRIMARY KEY NOT NULL,
    role        TEXT NOT NULL,
    supplier_id TEXT REFERENCES suppliers (id),
    label       TEXT,
    issued_at   TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    revoked_at  TIMESTAMP
);
