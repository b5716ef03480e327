DROP TABLE job_leases;
DROP TABLE signing_keys;
ALTER TABLE audit_log DROP COLUMN public_json;
ALTER TABLE audit_log DROP COLUMN hash;
ALTER TABLE audit_log DROP COLUMN prev_hash;
