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
            commitments: commitments.iter().map(Commitment::from).collect(),
        }
    }
}

impl From<&CommitmentRow> for Commitment {
    fn from(c: &CommitmentRow) -> Self {
        Commitment {
            code: c.code.clone(),
            title: c.title.clone(),
            description: c.description.clone(),
        }
    }
}

/// Every published version, newest first, and when the newest was published (the
/// only change there is).
pub fn all_versions(
    conn: &mut crate::db::DbConn,
) -> crate::error::Result<(Vec<PledgeVersion>, Option<chrono::NaiveDateTime>)> {
    use crate::db::models::pledge;
    let versions = pledge::all(conn)?;
    let mut commitments = pledge::all_commitments(conn)?;
    let current = versions.first().map(|v| v.version.clone());
    let modified = versions.first().map(|v| v.created_at);
    let items = versions
        .into_iter()
        .map(|v| {
            let (mine, rest): (Vec<_>, Vec<_>) =
                commitments.drain(..).partition(|c| c.version == v.version);
            commitments = rest;
            let is_current = current.as_deref() == Some(v.version.as_str());
            PledgeVersion::from_rows(v, mine, is_current)
        })
        .collect();
    Ok((items, modified))
}

/// How one commitment changed from one version to the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitmentChange {
    /// New in the later version.
    Added { code: String, title: String },
    /// Gone from the later version.
    Removed { code: String, title: String },
    /// In both, with another title or wording.
    Reworded { code: String, title: String },
}

/// What changed from `earlier` to `later`, commitment by commitment (by code), in the
/// later version's order, then what was removed.
pub fn changes(earlier: &[Commitment], later: &[Commitment]) -> Vec<CommitmentChange> {
    let mut out = Vec::new();
    for c in later {
        match earlier.iter().find(|e| e.code == c.code) {
            None => out.push(CommitmentChange::Added {
                code: c.code.clone(),
                title: c.title.clone(),
            }),
            Some(e) if e.title != c.title || e.description != c.description => {
                out.push(CommitmentChange::Reworded {
                    code: c.code.clone(),
                    title: c.title.clone(),
                })
            }
            Some(_) => {}
        }
    }
    for e in earlier {
        if !later.iter().any(|c| c.code == e.code) {
            out.push(CommitmentChange::Removed {
                code: e.code.clone(),
                title: e.title.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str, title: &str, description: &str) -> Commitment {
        Commitment {
            code: code.into(),
            title: title.into(),
            description: description.into(),
        }
    }

    #[test]
    fn changes_name_what_was_added_reworded_and_removed() {
        let earlier = [c("a", "A", "one"), c("b", "B", "two"), c("gone", "G", "x")];
        let later = [
            c("a", "A", "one"),
            c("b", "B", "two, reworded"),
            c("new", "N", "y"),
        ];
        assert_eq!(
            changes(&earlier, &later),
            [
                CommitmentChange::Reworded {
                    code: "b".into(),
                    title: "B".into()
                },
                CommitmentChange::Added {
                    code: "new".into(),
                    title: "N".into()
                },
                CommitmentChange::Removed {
                    code: "gone".into(),
                    title: "G".into()
                },
            ]
        );
        assert!(changes(&later, &later).is_empty());
    }
}
