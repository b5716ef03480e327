DROP TABLE evidence_checks;
DROP INDEX evidence_checked_at;
ALTER TABLE evidence DROP COLUMN check_detail;
ALTER TABLE evidence DROP COLUMN claimed_until;
ALTER TABLE evidence DROP COLUMN claimed_by;
