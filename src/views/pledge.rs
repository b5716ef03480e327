//! A pledge version as the API and the pages show it.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::pledge::{CommitmentRow, PledgeVersionRow};

/// One commitment of a pledge version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Commitment {
    /// Stable code, e.g. `transparency`.
    pub code: String,
    pub title: String,
    pub description: String,
}

/// A published, immutable pledge version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PledgeVersion {
    /// Version label, e.g. `2025-09`.
    pub version: String,
    pub title: String,
    pub summary: String,
    pub source_url: String,
    pub published_on: NaiveDate,
    /// Whether this is the version suppliers sign today.
    pub is_current: bool,
    pub commitments: Vec<Commitment>,
}

impl PledgeVersion {
    pub fn from_rows(
        v: PledgeVersionRow,
        commitments: Vec<CommitmentRow>,
        is_current: bool,
    ) -> Self {
        PledgeVersion {
            version: v.version,
            title: v.title,
            summary: v.summary,
            source_url: v.source_url.to_string(),
            published_on: v.published_on,
            is_current,
            commitments: commitments
                .into_iter()
                .map(|c| Commitment {
                    code: c.code,
                    title: c.title,
                    description: c.description,
                })
                .collect(),
        }
    }
}
