-- Evidence as it was: a snapshot of each document a check finds, stored again only when
-- its words change (the hash of its normalised text, or of its body where it has no
-- text), and pinned at each signature and reaffirmation so that "changed since signed"
-- compares against what the supplier signed with.
CREATE TABLE evidence_snapshots (
    id           BIGSERIAL PRIMARY KEY,
    evidence_id  TEXT NOT NULL REFERENCES evidence (id),
    supplier_id  TEXT NOT NULL,
    -- When a check first found these words, and when one last did.
    taken_at     TIMESTAMP NOT NULL,
    seen_at      TIMESTAMP NOT NULL,
    body_sha256  TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    -- SHA-256 of the normalised words; null for a document kept by its hash alone.
    text_sha256  TEXT,
    -- The normalised text, raw deflate; null when not kept (no text, or the supplier's
    -- share of storage is used up).
    text         BYTEA,
    stored_bytes BIGINT NOT NULL
);
CREATE INDEX evidence_snapshots_link ON evidence_snapshots (evidence_id, id);
CREATE INDEX evidence_snapshots_supplier ON evidence_snapshots (supplier_id);

CREATE TABLE snapshot_pins (
    id           BIGSERIAL PRIMARY KEY,
    evidence_id  TEXT NOT NULL REFERENCES evidence (id),
    snapshot_id  BIGINT NOT NULL REFERENCES evidence_snapshots (id),
    signature_id TEXT NOT NULL,
    -- signed or reaffirmed
    reason       TEXT NOT NULL,
    pinned_at    TIMESTAMP NOT NULL
);
CREATE INDEX snapshot_pins_link ON snapshot_pins (evidence_id, id);
CREATE INDEX snapshot_pins_snapshot ON snapshot_pins (snapshot_id);

-- Why the latest check that reached a link kept no snapshot ("not kept: larger than
-- 5 MiB"); null when it kept one.
ALTER TABLE evidence ADD COLUMN snapshot_note TEXT;
