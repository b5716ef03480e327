-- The Merkle tree stored as tiles (as C2SP tlog-tiles serves them): a row holds the
-- hashes of up to 16 consecutive complete subtrees of tree level 4 * level, from
-- subtree idx * 16 on, concatenated (32 bytes each); the subtrees of the three levels
-- above them are folded from the same row. A proof reads one row per four levels of
-- each path instead of one per subtree. Only the last row of each level grows.
-- The tree is rebuilt from the log when the service starts, as for a log written
-- before it.
DROP TABLE log_nodes;
CREATE TABLE log_tiles (
    level  SMALLINT NOT NULL,
    idx    BIGINT NOT NULL,
    hashes BLOB NOT NULL,
    PRIMARY KEY (level, idx)
);
