//! The operator's routes (admin token).

pub mod audit;
pub mod checks;
pub mod concerns;
pub mod lifecycle;
pub mod owner;
pub mod preview;
pub mod publish;
pub mod subscribers;
pub mod tokens;
