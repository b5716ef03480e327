-- The latest certification expiry already passed answers in one index step: it is
-- part of when the register was last modified (Last-Modified on reads).
CREATE INDEX evidence_expires_on ON evidence (expires_on);
