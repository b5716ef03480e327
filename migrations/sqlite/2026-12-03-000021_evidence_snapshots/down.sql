ALTER TABLE evidence DROP COLUMN snapshot_note;
DROP TABLE snapshot_pins;
DROP TABLE evidence_snapshots;
