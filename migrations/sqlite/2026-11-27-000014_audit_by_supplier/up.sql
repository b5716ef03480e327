-- An attestation cites the newest public entry about its supplier, and the operator's
-- audit view filters by supplier: both read the log by supplier, newest first.
CREATE INDEX audit_log_supplier ON audit_log (supplier_id, seq);
