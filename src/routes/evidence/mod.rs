//! A supplier's evidence links: add, edit, retire.

pub mod add;
pub mod edit;
pub mod retire;
