//! Suppliers: the public list, one supplier, its history, and profile updates.

pub mod attestation;
pub mod filters;
pub mod history;
pub mod list;
pub mod read;
pub mod update;
