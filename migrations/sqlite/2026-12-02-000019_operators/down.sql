ALTER TABLE subscribers DROP COLUMN disabled_at;
DROP TABLE concern_replies;
ALTER TABLE tokens DROP COLUMN operator_id;
DROP TABLE operators;
