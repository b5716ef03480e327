-- The evidence checker: claims with a lease (so one instance checks each link per
-- round), the latest check's explanation, and a bounded history of checks per link.

ALTER TABLE evidence ADD COLUMN claimed_by TEXT;
ALTER TABLE evidence ADD COLUMN claimed_until TIMESTAMP;
ALTER TABLE evidence ADD COLUMN check_detail TEXT;
CREATE INDEX evidence_checked_at ON evidence (checked_at);

CREATE TABLE evidence_checks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    evidence_id TEXT NOT NULL REFERENCES evidence (id),
    checked_at  TIMESTAMP NOT NULL,
    outcome     TEXT NOT NULL,
    http_status INTEGER,
    final_url   TEXT,
    detail      TEXT NOT NULL,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX evidence_checks_evidence ON evidence_checks (evidence_id, id);
