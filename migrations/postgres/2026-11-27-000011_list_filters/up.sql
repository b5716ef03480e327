-- The list filters by a supplier's evidence at a glance (all working, some failing, ...),
-- as its stored record says it: kept beside the record and written with it.
ALTER TABLE supplier_records ADD COLUMN evidence_summary TEXT NOT NULL DEFAULT 'none';
UPDATE supplier_records SET evidence_summary = CASE
    WHEN NOT EXISTS (SELECT 1 FROM evidence e
                     WHERE e.supplier_id = supplier_records.supplier_id AND e.retired_at IS NULL)
        THEN 'none'
    WHEN EXISTS (SELECT 1 FROM evidence e
                 WHERE e.supplier_id = supplier_records.supplier_id AND e.retired_at IS NULL
                   AND (e.health IN ('broken', 'unreachable', 'blocked') OR e.expires_on < CURRENT_DATE))
        THEN 'some_failing'
    WHEN EXISTS (SELECT 1 FROM evidence e
                 WHERE e.supplier_id = supplier_records.supplier_id AND e.retired_at IS NULL
                   AND e.health = 'pending')
        THEN 'pending'
    ELSE 'all_ok'
END;
CREATE INDEX supplier_records_evidence_summary ON supplier_records (evidence_summary);

-- Text search finds products too: the searched text is the name and then, on a line of
-- its own, the products (as stored), lower-cased.
UPDATE suppliers SET search_name = search_name || chr(10) || lower(products);
