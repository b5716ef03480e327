//! Webhooks: signing up (public, with a confirmed address) and a subscriber's
//! subscriptions (its own token).

pub mod sign_up;
pub mod subscriptions;
