//! A supplier's evidence links: add, edit, check now, retire, and what changed in them.

pub mod add;
pub mod changes;
pub mod check;
pub mod edit;
pub mod retire;
