-- A verifiable audit log: each entry carries its hash and the hash of the entry before
-- it (see docs/audit-log.md). public_json is the public view of the supplier after the
-- change, for the change feed; null for entries that are not public.
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
ALTER TABLE audit_log ADD COLUMN public_json TEXT;

-- Public keys that sign attestations and tokens, so every instance can publish and
-- check them, and retired keys stay published until what they signed has expired.
CREATE TABLE signing_keys (
    kid        TEXT PRIMARY KEY NOT NULL,
    public_x   TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    retired_at TIMESTAMP
);

-- Background jobs claim their turn here (lapsing), so one instance runs each.
CREATE TABLE job_leases (
    name       TEXT PRIMARY KEY NOT NULL,
    holder     TEXT,
    lease_until TIMESTAMP
);
INSERT INTO job_leases (name) VALUES ('lapse');
