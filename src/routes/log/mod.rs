//! The verifiable log: its head, and the public change feed.

pub mod changes;
pub mod head;
pub mod proofs;
pub mod tiles;
