//! The public log in one room: the Merkle tree and its tiles (RFC 6962, C2SP
//! `tlog-tiles`), signed checkpoints, the JSON forms of proofs, signed attestations,
//! and the verifier a third party runs. Nothing here touches the database: the stored
//! tree is `db::models::log_tree`, which computes with these.

pub mod attestation;
pub mod checkpoint;
pub mod cosignature;
pub mod merkle;
pub mod proofs;
pub mod tile_api;
pub mod tiles;
pub mod verify;
