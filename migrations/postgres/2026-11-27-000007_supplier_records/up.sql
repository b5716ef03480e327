-- Each supplier's public record and list item, stored finished (JSON, as served) with
-- the record's ETag, rewritten in the transaction of every write that changes them.
-- `expires_next` is the earliest expiry date of its live certifications still to
-- come: the day time alone changes the record, which the expiry job acts on. The slug
-- is kept beside the record so that a read by slug is one index lookup.
CREATE TABLE supplier_records (
    supplier_id  TEXT PRIMARY KEY NOT NULL REFERENCES suppliers (id),
    slug         TEXT NOT NULL,
    record       TEXT NOT NULL,
    summary      TEXT NOT NULL,
    etag         TEXT NOT NULL,
    expires_next DATE,
    projected_at TIMESTAMP NOT NULL
);
CREATE INDEX supplier_records_slug ON supplier_records (slug);
CREATE INDEX supplier_records_expires_next ON supplier_records (expires_next);
