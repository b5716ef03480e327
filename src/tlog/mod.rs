//! The public, verifiable log: the audit log as a Merkle tree in the manner of
//! Certificate Transparency (RFC 9162), so that anyone can check that an entry is in
//! it and that it only ever grew.

pub mod merkle;
