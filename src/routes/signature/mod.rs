//! A supplier's signature: sign the current version, reaffirm, withdraw.

pub mod reaffirm;
pub mod sign;
pub mod withdraw;
