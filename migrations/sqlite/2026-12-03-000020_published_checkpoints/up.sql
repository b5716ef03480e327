-- Every checkpoint the registry has published: the tree's size and root, and the
-- signed note as it was served. The guard at start and before each new signature
-- checks the log and its tree against the newest (and against the copy each instance
-- keeps in its data folder), and a new checkpoint must extend it.
CREATE TABLE log_checkpoints (
    size         BIGINT PRIMARY KEY NOT NULL,
    root         BLOB NOT NULL,
    note         TEXT NOT NULL,
    published_at TIMESTAMP NOT NULL
);
-- Witnesses' cosignatures (C2SP tlog-cosignature): one signature line per witness
-- and checkpoint, with the time the witness signed it.
CREATE TABLE log_cosignatures (
    size        BIGINT NOT NULL,
    witness     TEXT NOT NULL,
    line        TEXT NOT NULL,
    cosigned_at TIMESTAMP NOT NULL,
    PRIMARY KEY (size, witness)
);
