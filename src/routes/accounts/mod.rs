//! Accounts: signing in by email, a supplier's members, and owners' API tokens.

pub mod members;
pub mod sign_in;
pub mod tokens;
