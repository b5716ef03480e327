-- The audit log as a Merkle tree (RFC 9162): the hash of every complete subtree, stored
-- as it completes. Level 0 holds the leaves (entry seq - 1 at idx); level k, idx i covers
-- the 2^k leaves from i * 2^k. Proofs and roots of any size are folded from these.
-- Entries already in the log are added when the service starts.
CREATE TABLE log_nodes (
    level SMALLINT NOT NULL,
    idx   BIGINT NOT NULL,
    -- Lower-case hex SHA-256.
    hash  TEXT NOT NULL,
    PRIMARY KEY (level, idx)
);
