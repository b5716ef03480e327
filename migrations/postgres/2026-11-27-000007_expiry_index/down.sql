DROP INDEX evidence_expires_on;
