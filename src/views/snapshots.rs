//! What the registry kept of an evidence document, and whether it still reads as it
//! did when the supplier signed: per link on the record, and as a word diff.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::DbConn;
use crate::db::models::snapshots::{self, PinRow, SnapshotRow};
use crate::domain::EvidenceId;
use crate::error::Result;
use crate::snapshot::diff::{self, Piece};

fn utc(t: chrono::NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// One document as a check found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SnapshotView {
    /// SHA-256 of the body as served, lowercase hex.
    pub body_sha256: String,
    /// SHA-256 of the normalised words (docs/evidence-snapshots.md); null for a
    /// document kept by its hash alone (a PDF).
    pub text_sha256: Option<String>,
    pub content_type: String,
    /// Bytes of the body.
    pub size: i64,
    /// When a check first found these words.
    pub first_seen_at: DateTime<Utc>,
    /// When a check last found them.
    pub last_seen_at: DateTime<Utc>,
}

impl From<&SnapshotRow> for SnapshotView {
    fn from(s: &SnapshotRow) -> Self {
        SnapshotView {
            body_sha256: s.body_sha256.clone(),
            text_sha256: s.text_sha256.clone(),
            content_type: s.content_type.clone(),
            size: s.size,
            first_seen_at: utc(s.taken_at),
            last_seen_at: utc(s.seen_at),
        }
    }
}

crate::str_enum!(
    /// What the document now is compared with.
    BaselineReason {
        /// The document when the supplier signed.
        Signed => "signed",
        /// The document when the supplier last reaffirmed.
        Reaffirmed => "reaffirmed",
        /// The first document kept of a link added after the supplier signed (or
        /// checked first after it).
        FirstKept => "first_kept",
    }
);

crate::str_enum!(
    /// Whether a document still reads as its baseline.
    Since {
        /// The same words as when signed (or first kept).
        Unchanged => "unchanged",
        /// Different words.
        Changed => "changed",
        /// Nothing kept yet to compare.
        Unknown => "unknown",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BaselineView {
    pub reason: BaselineReason,
    /// When the supplier signed or reaffirmed (or the document was first kept).
    pub at: DateTime<Utc>,
    pub snapshot: SnapshotView,
}

/// A link's snapshots and pins, each oldest first.
pub type Kept = (Vec<SnapshotRow>, Vec<PinRow>);

/// What the registry kept of the document behind a link.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ContentView {
    /// `unchanged` or `changed` since the baseline; `unknown` until a document is kept.
    pub since: Option<Since>,
    /// When the words first differed from the baseline's (the first check that found
    /// other words); null while unchanged.
    pub changed_at: Option<DateTime<Utc>>,
    /// What the document is compared with.
    pub baseline: Option<BaselineView>,
    /// The document as the latest check that reached it found it.
    pub current: Option<SnapshotView>,
    /// Why the latest check kept nothing, or no text ("not kept: larger than 5 MiB").
    pub note: Option<String>,
}

/// The baseline of a link: its snapshots oldest first, its pins oldest first.
fn baseline<'a>(
    snaps: &'a [SnapshotRow],
    pins: &[&PinRow],
) -> Option<(BaselineReason, chrono::NaiveDateTime, &'a SnapshotRow)> {
    match pins.last() {
        Some(p) => {
            let s = snaps.iter().find(|s| s.id == p.snapshot_id)?;
            let reason = if p.reason == "reaffirmed" {
                BaselineReason::Reaffirmed
            } else {
                BaselineReason::Signed
            };
            Some((reason, p.pinned_at, s))
        }
        None => snaps
            .first()
            .map(|s| (BaselineReason::FirstKept, s.taken_at, s)),
    }
}

impl ContentView {
    /// The view of one link from its snapshots and pins (each oldest first).
    pub fn of(snaps: &[SnapshotRow], pins: &[&PinRow], note: Option<String>) -> ContentView {
        let Some(latest) = snaps.last() else {
            return ContentView {
                since: Some(Since::Unknown),
                note,
                ..ContentView::default()
            };
        };
        let base = baseline(snaps, pins);
        let (since, changed_at) = match base {
            Some((_, _, b)) if b.key() == latest.key() => (Since::Unchanged, None),
            Some((_, _, b)) => {
                // The first snapshot after the baseline is kept (never thinned) and
                // differs from it: it says when the words first changed.
                let first_change = snaps.iter().find(|s| s.id > b.id).unwrap_or(latest);
                (Since::Changed, Some(utc(first_change.taken_at)))
            }
            None => (Since::Unknown, None),
        };
        ContentView {
            since: Some(since),
            changed_at,
            baseline: base.map(|(reason, at, s)| BaselineView {
                reason,
                at: utc(at),
                snapshot: s.into(),
            }),
            current: Some(latest.into()),
            note,
        }
    }

    /// The views of every link of a supplier, by link.
    pub fn of_supplier(
        conn: &mut DbConn,
        supplier: crate::domain::SupplierId,
    ) -> Result<HashMap<EvidenceId, Kept>> {
        let mut by_link: HashMap<EvidenceId, Kept> = HashMap::new();
        for s in snapshots::of_supplier(conn, supplier)? {
            by_link.entry(s.evidence_id).or_default().0.push(s);
        }
        for p in snapshots::pins_of_supplier(conn, supplier)? {
            by_link.entry(p.evidence_id).or_default().1.push(p);
        }
        Ok(by_link)
    }

    /// The view of one link.
    pub fn of_link(
        conn: &mut DbConn,
        link: EvidenceId,
        note: Option<String>,
    ) -> Result<ContentView> {
        let snaps = snapshots::of_link(conn, link)?;
        let pins = snapshots::pins_of_link(conn, link)?;
        Ok(ContentView::of(
            &snaps,
            &pins.iter().collect::<Vec<_>>(),
            note,
        ))
    }
}

/// A link's words now against its baseline's.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContentChangesView {
    #[schema(format = Uuid)]
    pub evidence_id: String,
    pub title: String,
    pub url: String,
    #[serde(flatten)]
    pub content: ContentView,
    /// Whether the text (and so `diff`) is shown to this reader: the operator may keep
    /// snapshot text from the public (`REGISTRY_SNAPSHOTS_PUBLIC`); hashes and dates
    /// are public always.
    pub text_shown: bool,
    /// The word diff from the baseline's text to the current text, in runs; empty when
    /// unchanged, and null when the text is not shown or was not kept (a PDF, a
    /// document past the supplier's share).
    pub diff: Option<Vec<Piece>>,
    /// Words inserted and deleted.
    pub inserted_words: usize,
    pub deleted_words: usize,
}

impl ContentChangesView {
    /// The changes of `link` (`title`, `url` as on the record); with text when `shown`.
    pub fn load(
        conn: &mut DbConn,
        link: &crate::db::models::evidence::EvidenceRow,
        shown: bool,
    ) -> Result<ContentChangesView> {
        let snaps = snapshots::of_link(conn, link.id)?;
        let pins = snapshots::pins_of_link(conn, link.id)?;
        let pins: Vec<&PinRow> = pins.iter().collect();
        let content = ContentView::of(&snaps, &pins, link.snapshot_note.clone());
        let mut diff = None;
        if shown && let (Some((_, _, base)), Some(latest)) = (baseline(&snaps, &pins), snaps.last())
        {
            let read = |conn: &mut DbConn, id| -> Result<Option<String>> {
                Ok(snapshots::text(conn, id)?.and_then(|t| crate::snapshot::decompress(&t)))
            };
            diff = match (read(conn, base.id)?, read(conn, latest.id)?) {
                (Some(_), Some(_)) if base.id == latest.id => Some(Vec::new()),
                (Some(old), Some(new)) => Some(diff::words(&old, &new)),
                _ if base.key() == latest.key() => Some(Vec::new()),
                _ => None,
            };
        }
        let (inserted_words, deleted_words) = diff.as_deref().map_or((0, 0), diff::counts);
        Ok(ContentChangesView {
            evidence_id: link.id.to_string(),
            title: link.title.clone(),
            url: link.url.to_string(),
            content,
            text_shown: shown,
            diff,
            inserted_words,
            deleted_words,
        })
    }
}
