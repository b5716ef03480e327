//! A subscriber's webhook subscriptions (its own token).

pub mod subscriptions;
