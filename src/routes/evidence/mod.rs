//! A supplier's evidence links: add, edit, check now, retire.

pub mod add;
pub mod check;
pub mod edit;
pub mod retire;
