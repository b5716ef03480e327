//! A supplier's status changes as the API and the pages show them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::Status;

/// One change of a supplier's status.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusChange {
    /// What happened: signed, verified, suspended, reinstated, reaffirmed, withdrawn, lapsed,
    /// superseded, `statement_corrected` (the reason quotes the text it replaced).
    pub event: String,
    pub from_status: Option<Status>,
    pub to_status: Status,
    /// The reason given, where a person chose the change.
    pub reason: Option<String>,
    /// Who made the change: `supplier`, `operator` or `system`.
    pub actor: String,
    pub pledge_version: Option<String>,
    pub at: DateTime<Utc>,
}

/// The public name of an actor: which kind of party, never a token id.
pub fn public_actor(actor: &str) -> &'static str {
    match actor.split(':').next() {
        Some("admin") => "operator",
        Some("supplier") => "supplier",
        _ => "system",
    }
}
