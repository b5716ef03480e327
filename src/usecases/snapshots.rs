//! Evidence as it was: what a check found of a document is kept when its words are new,
//! pinned at each signature and reaffirmation, thinned within each supplier's share,
//! and told (the feed, webhooks and the supplier's members) when the words change.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use serde_json::json;

use crate::db::DbConn;
use crate::db::models::evidence::{self, EvidenceRow};
use crate::db::models::snapshots::{self, NewSnapshot, SnapshotRow};
use crate::db::models::{audit, supplier};
use crate::domain::{Action, SignatureId, SupplierId};
use crate::error::Result;
use crate::mail::letters;
use crate::snapshot::{self, Snapshot};
use crate::usecases::changes;
use crate::views::snapshots::{ContentView, Since};

/// Bytes of compressed text one supplier's snapshots may hold (hashes and dates are
/// kept beyond it; a snapshot past it keeps no text).
pub const TEXT_SHARE: i64 = 32 * 1024 * 1024;

/// Snapshots of a link kept besides the protected ones (pinned, the first, the one
/// after each of those, and the latest): the newest of the rest.
pub const RECENT: usize = 8;

/// What a check found of a link's document: a snapshot read from it, or why none was
/// kept; nothing when the check reached no document.
pub type Finding = Option<std::result::Result<Snapshot, String>>;

/// Records `finding` for `link` in the check's transaction (the caller saves the row,
/// whose `snapshot_note` this sets). True when the words changed, which has then been
/// recorded as a public change and told to the supplier's members.
pub fn record(
    conn: &mut DbConn,
    link: &mut EvidenceRow,
    finding: Finding,
    at: NaiveDateTime,
) -> Result<bool> {
    let snap = match finding {
        None => return Ok(false),
        Some(Err(note)) => {
            link.snapshot_note = Some(note);
            return Ok(false);
        }
        Some(Ok(snap)) => snap,
    };
    link.snapshot_note = snap.note.clone();
    let key = snap.key();
    let latest = snapshots::latest(conn, link.id)?;
    if let Some(l) = &latest
        && l.key() == key
    {
        snapshots::seen(conn, l.id, at)?;
        return Ok(false);
    }
    let text_sha256 = snap.text_sha256();
    let stored = snap.text.as_deref().map(snapshot::compress);
    let id = snapshots::insert(
        conn,
        &NewSnapshot {
            evidence_id: link.id,
            supplier_id: link.supplier_id,
            at,
            body_sha256: &snap.body_sha256,
            content_type: &snap.content_type,
            size: snap.size,
            text_sha256: text_sha256.as_deref(),
            text: stored.as_deref(),
        },
    )?;
    thin(conn, link)?;
    if stored.is_some() && snapshots::stored_bytes(conn, link.supplier_id)? > TEXT_SHARE {
        snapshots::forget_text(conn, id)?;
        link.snapshot_note = Some(format!(
            "text not kept: the {} MiB of snapshot text kept for each supplier is used up; \
             the document's hashes are kept",
            TEXT_SHARE / (1024 * 1024)
        ));
    }
    let Some(previous) = latest else {
        return Ok(false);
    };
    // The change carries the record as it is now, this link's note included.
    evidence::save(conn, link)?;
    changed(conn, link, &previous, id, &snap, at)?;
    Ok(true)
}

/// Pins, for each live link of `supplier`, the snapshot current now: called where a
/// signature or reaffirmation is recorded, in its transaction.
pub fn pin(
    conn: &mut DbConn,
    supplier: SupplierId,
    signature: SignatureId,
    reason: &str,
    at: NaiveDateTime,
) -> Result<()> {
    for link in evidence::live_ids(conn, supplier)? {
        if let Some(latest) = snapshots::latest(conn, link)? {
            snapshots::pin(conn, link, latest.id, signature, reason, at)?;
        }
    }
    Ok(())
}

/// The snapshots of a link that are never thinned: every pinned one, the first, the
/// latest, and the one after each pinned one and after the first (which says when the
/// words first changed after it).
pub fn protected(all: &[SnapshotRow], pinned: &HashSet<i64>) -> HashSet<i64> {
    let mut keep = HashSet::new();
    for (i, s) in all.iter().enumerate() {
        let anchor = i == 0 || pinned.contains(&s.id);
        if anchor || i + 1 == all.len() {
            keep.insert(s.id);
        }
        if anchor && let Some(next) = all.get(i + 1) {
            keep.insert(next.id);
        }
    }
    keep
}

/// Drops a link's snapshots beyond the protected ones and the [`RECENT`] newest.
fn thin(conn: &mut DbConn, link: &EvidenceRow) -> Result<()> {
    let all = snapshots::of_link(conn, link.id)?;
    if all.len() <= RECENT + 2 {
        return Ok(());
    }
    let pinned: HashSet<i64> = snapshots::pins_of_link(conn, link.id)?
        .into_iter()
        .map(|p| p.snapshot_id)
        .collect();
    let keep = protected(&all, &pinned);
    let drop: Vec<i64> = all
        .iter()
        .rev()
        .filter(|s| !keep.contains(&s.id))
        .skip(RECENT)
        .map(|s| s.id)
        .collect();
    if !drop.is_empty() {
        snapshots::delete(conn, &drop)?;
    }
    Ok(())
}

/// Records new words at a link as a public change, and tells the supplier's members.
fn changed(
    conn: &mut DbConn,
    link: &EvidenceRow,
    previous: &SnapshotRow,
    id: i64,
    snap: &Snapshot,
    at: NaiveDateTime,
) -> Result<()> {
    // The same rule the record shows: the new snapshot against the link's baseline.
    let since_signed = ContentView::of_link(conn, link.id, None)?.since == Some(Since::Changed);
    // The record shows the new state, so it is written before the change that carries it.
    supplier::touch(conn, link.supplier_id, Some(at))?;
    changes::record(
        conn,
        at,
        audit::Entry::new(
            "system",
            Action::EvidenceContentChanged,
            "evidence",
            link.id.to_string(),
        )
        .supplier(link.supplier_id)
        .before(json!({
            "snapshot": previous.id,
            "body_sha256": previous.body_sha256,
            "text_sha256": previous.text_sha256,
        }))
        .after(json!({
            "snapshot": id,
            "body_sha256": snap.body_sha256,
            "text_sha256": snap.text_sha256(),
            "changed_since_signed": since_signed,
        })),
    )?;
    let Some(row) = supplier::get(conn, link.supplier_id)? else {
        return Ok(());
    };
    let letter = letters::evidence_content_changed(
        &row.name,
        &row.slug,
        &link.id.to_string(),
        &link.title,
        link.url.as_str(),
        since_signed,
    );
    let event = format!("content:{}:{id}", link.id);
    super::notify::write(conn, super::notify::To::Members, &row, &letter, &event, at)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: i64) -> Vec<SnapshotRow> {
        (1..=n)
            .map(|id| SnapshotRow {
                id,
                evidence_id: crate::domain::EvidenceId::new(),
                supplier_id: SupplierId::new(),
                taken_at: crate::db::models::now(),
                seen_at: crate::db::models::now(),
                body_sha256: String::new(),
                content_type: String::new(),
                size: 0,
                text_sha256: None,
                stored_bytes: 0,
            })
            .collect()
    }

    #[test]
    fn pinned_snapshots_their_successors_the_first_and_the_latest_stay() {
        let all = rows(20);
        let keep = protected(&all, &HashSet::from([5, 12]));
        let mut keep: Vec<i64> = keep.into_iter().collect();
        keep.sort();
        assert_eq!(keep, vec![1, 2, 5, 6, 12, 13, 20]);
        assert_eq!(protected(&rows(1), &HashSet::new()), HashSet::from([1]));
    }
}
