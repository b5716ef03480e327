UPDATE suppliers SET search_name = lower(name);
DROP INDEX supplier_records_evidence_summary;
ALTER TABLE supplier_records DROP COLUMN evidence_summary;
