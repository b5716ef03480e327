//! The API's handlers, one a file below; the route table is the wiring's
//! (`app::table`).

pub mod accounts;
pub mod admin;
pub mod common;
pub mod evidence;
pub mod export;
pub mod jwks;
pub mod log;
pub mod pledge;
pub mod problems;
pub mod registrations;
pub mod service;
pub mod signature;
pub mod suppliers;
pub mod webhooks;
