//! A supplier's evidence links: add, edit, retire.

use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{By, audited};
use crate::db::DbConn;
use crate::db::models::evidence::{self, EvidenceRow};
use crate::db::models::supplier::{self, SupplierRow};
use crate::db::models::{audit, checks, now, pledge, signature};
use crate::domain::Action;
use crate::domain::evidence::{CertScheme, EvidenceHealth, EvidenceKind};
use crate::domain::strict_json::nullable;
use crate::domain::{EvidenceId, SupplierId, WebUrl, text};
use crate::error::{Error, FieldError, Result};
use crate::usecases::changes;
use crate::usecases::lookup::{get_or_404, lock_or_404};
use crate::usecases::validator::{Field, Validator, field, optional};
use crate::views::snapshots::ContentView;
use crate::views::supplier::EvidenceView;

pub const MAX_TITLE: usize = 300;
/// Live (not retired) evidence links per supplier: what one record can make every read
/// of it carry stays bounded (docs/benchmarks.md measures the largest record allowed).
pub const MAX_LIVE_EVIDENCE: i64 = 50;
pub const MAX_REFERENCE: usize = 100;

// A new evidence link as a client sends it: the API's request body, or what the
// account page's form holds. Parsed once, by `AddEvidence::parse`.
/// An evidence link backing one or more commitments.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEvidence {
    /// http or https, at most 2048 characters.
    pub url: String,
    pub title: String,
    pub kind: EvidenceKind,
    /// Codes of the commitments it supports.
    pub commitments: Vec<String>,
    /// Certifications only.
    pub scheme: Option<CertScheme>,
    /// Certifications only: the certificate number.
    pub reference: Option<String>,
    /// Certifications only.
    pub expires_on: Option<NaiveDate>,
}

/// A new evidence link, parsed: every field well-formed. Whether its commitment codes
/// are the pledge's is the use case's to check, with the database.
#[derive(Debug)]
pub struct AddEvidence {
    url: WebUrl,
    title: String,
    kind: EvidenceKind,
    commitments: Vec<String>,
    scheme: Option<CertScheme>,
    reference: Option<String>,
    expires_on: Option<NaiveDate>,
}

impl AddEvidence {
    /// Parses every field of `raw`: the command, or a 422 naming every field that is
    /// wrong.
    pub fn parse(raw: NewEvidence) -> Result<AddEvidence> {
        let mut v = Validator::default();
        let url = field("url", WebUrl::try_from(raw.url.as_str()));
        let title = field("title", title(&raw.title));
        let commitments = commitment_list(&raw.commitments);
        let reference = optional("reference", raw.reference.as_deref().map(reference));
        certification_fields(
            &mut v,
            raw.kind,
            raw.scheme,
            raw.reference.as_deref(),
            raw.expires_on,
        );
        let (url, title, commitments, reference) =
            v.finish((url, title, commitments, reference))?;
        Ok(AddEvidence {
            url,
            title,
            kind: raw.kind,
            commitments,
            scheme: raw.scheme,
            reference,
            expires_on: raw.expires_on,
        })
    }
}

/// Fields to change; absent fields stay. Certification fields may be set to null.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidencePatch {
    /// A new URL resets the link's health to `pending`.
    pub url: Option<String>,
    pub title: Option<String>,
    pub kind: Option<EvidenceKind>,
    pub commitments: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<CertScheme>)]
    pub scheme: Option<Option<CertScheme>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub reference: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub expires_on: Option<Option<NaiveDate>>,
}

/// Changes to an evidence link, parsed: every field sent is well-formed, and at least
/// one is. `None` leaves a field as it is, and `Some(None)` clears a certification
/// field. Whether the link's certification fields agree with its kind once changed,
/// and whether the codes are the pledge's, is the use case's to check.
#[derive(Debug)]
pub struct EvidenceChange {
    url: Option<WebUrl>,
    title: Option<String>,
    kind: Option<EvidenceKind>,
    commitments: Option<Vec<String>>,
    scheme: Option<Option<CertScheme>>,
    reference: Option<Option<String>>,
    expires_on: Option<Option<NaiveDate>>,
}

impl EvidenceChange {
    /// Parses every field of `change`: the command, or a 422 naming every field that is
    /// wrong, or `body` when it names no field to change.
    pub fn parse(change: EvidencePatch) -> Result<EvidenceChange> {
        let mut v = Validator::default();
        let url = optional("url", change.url.as_deref().map(WebUrl::try_from));
        let title = optional("title", change.title.as_deref().map(title));
        let commitments = change
            .commitments
            .as_deref()
            .map(commitment_list)
            .transpose();
        let reference = match &change.reference {
            Some(Some(r)) => field("reference", reference(r)).map(|r| Some(Some(r))),
            other => Ok(other.clone()),
        };
        let nothing = change.kind.is_none()
            && change.url.is_none()
            && change.title.is_none()
            && change.commitments.is_none()
            && change.reference.is_none()
            && change.scheme.is_none()
            && change.expires_on.is_none();
        if nothing {
            v.error("body", "names no field to change");
        }
        let (url, title, commitments, reference) =
            v.finish((url, title, commitments, reference))?;
        Ok(EvidenceChange {
            url,
            title,
            kind: change.kind,
            commitments,
            scheme: change.scheme,
            reference,
            expires_on: change.expires_on,
        })
    }
}

/// Adds a link: 409 when the supplier has as many live links as allowed, 422 naming
/// every field that is wrong. Its health is `pending` until the checker visits it.
pub fn add(
    conn: &mut DbConn,
    by: &By,
    supplier: SupplierId,
    new: AddEvidence,
) -> Result<EvidenceView> {
    // Locked, so that two adds at once cannot both take the last place.
    let supplier_row = lock_or_404(conn, supplier)?;
    if evidence::count_live(conn, supplier_row.id)? >= MAX_LIVE_EVIDENCE {
        return Err(Error::LimitReached(format!(
            "a supplier may have at most {MAX_LIVE_EVIDENCE} live evidence links; retire one first"
        )));
    }
    let known = known_codes(conn, supplier_row.id)?;
    let codes = Validator::default().finish(known_commitments(new.commitments, &known))?;
    let AddEvidence {
        url,
        title,
        reference,
        ..
    } = new;
    let at = now();
    let row = EvidenceRow {
        id: EvidenceId::new(),
        supplier_id: supplier_row.id,
        url,
        title,
        kind: new.kind,
        scheme: new.scheme,
        reference,
        expires_on: new.expires_on,
        health: EvidenceHealth::Pending,
        http_status: None,
        final_url: None,
        checked_at: None,
        last_ok_at: None,
        consecutive_failures: 0,
        created_at: at,
        updated_at: at,
        retired_at: None,
        claimed_by: None,
        claimed_until: None,
        check_detail: None,
        snapshot_note: None,
    };
    evidence::insert(conn, &row, &codes)?;
    supplier::touch(conn, supplier_row.id, Some(at))?;
    let view = EvidenceView::build(row, codes, Utc::now().date_naive())?;
    changes::record(
        conn,
        at,
        link_entry(by, Action::EvidenceAdded, supplier_row.id, view.id.clone())
            .after(link_json(&view)?),
    )?;
    Ok(view)
}

/// Edits a live link: 404 when the supplier has none with this id, 422 naming every
/// field that is wrong or when nothing is to change. A new address starts with no
/// check history: what was found at the old one says nothing of the new.
pub fn edit(
    conn: &mut DbConn,
    by: &By,
    supplier: SupplierId,
    id: EvidenceId,
    change: EvidenceChange,
) -> Result<EvidenceView> {
    let supplier_row = get_or_404(conn, supplier)?;
    let mut row = live_or_404(conn, &supplier_row, id)?;
    let codes_before = evidence::commitments_of(conn, std::slice::from_ref(&row.id))?
        .remove(&row.id)
        .unwrap_or_default();
    let before = EvidenceView::build(row.clone(), codes_before.clone(), Utc::now().date_naive())?;
    let mut v = Validator::default();
    let codes = match change.commitments {
        None => Ok(None),
        Some(list) => known_commitments(list, &known_codes(conn, supplier_row.id)?).map(Some),
    };
    let kind = change.kind.unwrap_or(row.kind);
    let scheme = change.scheme.unwrap_or(row.scheme);
    let reference = change.reference;
    let merged_reference = match &reference {
        Some(Some(r)) => Some(r.clone()),
        Some(None) => None,
        None => row.reference.clone(),
    };
    let expires_on = change.expires_on.unwrap_or(row.expires_on);
    certification_fields(
        &mut v,
        kind,
        scheme,
        merged_reference.as_deref(),
        expires_on,
    );
    let codes = v.finish(codes)?;
    let (url, title) = (change.url, change.title);
    let at = now();
    if let Some(url) = url
        && url != row.url
    {
        row.url = url;
        row.health = EvidenceHealth::Pending;
        row.http_status = None;
        row.final_url = None;
        row.checked_at = None;
        row.last_ok_at = None;
        row.consecutive_failures = 0;
        // What was found at the old address says nothing of the new one.
        row.check_detail = None;
        row.snapshot_note = None;
        checks::forget(conn, row.id)?;
    }
    if let Some(t) = title {
        row.title = t;
    }
    row.kind = kind;
    row.scheme = scheme;
    if let Some(reference) = reference {
        row.reference = reference;
    }
    row.expires_on = expires_on;
    row.updated_at = at;
    evidence::save(conn, &row)?;
    let codes = match codes {
        Some(c) => {
            evidence::set_commitments(conn, row.id, &c)?;
            c
        }
        None => codes_before,
    };
    supplier::touch(conn, supplier_row.id, Some(at))?;
    let note = row.snapshot_note.clone();
    let mut view = EvidenceView::build(row, codes, Utc::now().date_naive())?;
    changes::record(
        conn,
        at,
        link_entry(
            by,
            Action::EvidenceUpdated,
            supplier_row.id,
            view.id.clone(),
        )
        .before(link_json(&before)?)
        .after(link_json(&view)?),
    )?;
    view.content = ContentView::of_link(conn, id, note)?;
    Ok(view)
}

/// A link as its audit entries record it: what the supplier stated of it and what the
/// checker found, not the snapshots (their changes are entries of their own).
fn link_json(view: &EvidenceView) -> Result<serde_json::Value> {
    let mut json = audited(view)?;
    if let Some(o) = json.as_object_mut() {
        o.remove("content");
    }
    Ok(json)
}

/// Retires a live link: it leaves the public view and stays in the audit history.
pub fn retire(conn: &mut DbConn, by: &By, supplier: SupplierId, id: EvidenceId) -> Result<()> {
    let supplier_row = get_or_404(conn, supplier)?;
    let mut row = live_or_404(conn, &supplier_row, id)?;
    let at = now();
    row.retired_at = Some(at);
    row.updated_at = at;
    evidence::save(conn, &row)?;
    supplier::touch(conn, supplier_row.id, Some(at))?;
    changes::record(
        conn,
        at,
        link_entry(
            by,
            Action::EvidenceRetired,
            supplier_row.id,
            row.id.to_string(),
        )
        .before(serde_json::json!({ "url": row.url, "title": row.title })),
    )?;
    Ok(())
}

/// Commitment codes evidence may name: those of the current version and of the version
/// the supplier signed.
fn known_codes(conn: &mut DbConn, supplier_id: SupplierId) -> Result<Vec<String>> {
    let mut versions = Vec::new();
    if let Some(v) = pledge::current(conn)? {
        versions.push(v.version);
    }
    if let Some(s) = signature::open(conn, supplier_id)?
        && !versions.contains(&s.pledge_version)
    {
        versions.push(s.pledge_version);
    }
    let mut codes = Vec::new();
    for v in versions {
        for c in pledge::commitments_of(conn, &v)? {
            if !codes.contains(&c.code) {
                codes.push(c.code);
            }
        }
    }
    Ok(codes)
}

/// A supplier's evidence that is not retired, or 404.
fn live_or_404(conn: &mut DbConn, supplier: &SupplierRow, id: EvidenceId) -> Result<EvidenceRow> {
    evidence::get(conn, supplier.id, id)?
        .filter(|e| e.retired_at.is_none())
        .ok_or_else(|| Error::NotFound(format!("supplier {} has no evidence {id}", supplier.id)))
}

fn title(raw: &str) -> Result<String, String> {
    text::bounded(raw, 1, MAX_TITLE)
}

fn reference(raw: &str) -> Result<String, String> {
    text::bounded(raw, 1, MAX_REFERENCE)
}

/// Checks the commitment list's shape: 1 to 20 codes, each once (in the order sent).
fn commitment_list(raw: &[String]) -> Field<Vec<String>> {
    if raw.is_empty() || raw.len() > 20 {
        return field(
            "commitments",
            Err("must list 1 to 20 commitment codes".into()),
        );
    }
    let mut out: Vec<String> = Vec::new();
    let mut errors = Vec::new();
    for (i, code) in raw.iter().enumerate() {
        if out.contains(code) {
            errors.push(FieldError::new(
                format!("commitments[{i}]"),
                format!("{code:?} appears twice"),
            ));
        } else {
            out.push(code.clone());
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Checks that every code of a well-formed list is a commitment of the pledge; the
/// codes, sorted.
fn known_commitments(mut codes: Vec<String>, known: &[String]) -> Field<Vec<String>> {
    let errors: Vec<FieldError> = codes
        .iter()
        .enumerate()
        .filter(|(_, code)| !known.contains(code))
        .map(|(i, code)| {
            FieldError::new(
                format!("commitments[{i}]"),
                format!("{code:?} is not a commitment; known: {}", known.join(", ")),
            )
        })
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    codes.sort();
    Ok(codes)
}

/// Certification details are only for certifications.
fn certification_fields(
    v: &mut Validator,
    kind: EvidenceKind,
    scheme: Option<CertScheme>,
    reference: Option<&str>,
    expires_on: Option<NaiveDate>,
) {
    if kind != EvidenceKind::Certification {
        for (field, present) in [
            ("scheme", scheme.is_some()),
            ("reference", reference.is_some()),
            ("expires_on", expires_on.is_some()),
        ] {
            if present {
                v.error(field, "is only for evidence of kind certification");
            }
        }
    }
}

/// The audit entry of a change to one of a supplier's links.
fn link_entry(
    by: &By,
    action: Action,
    supplier: SupplierId,
    link: impl ToString,
) -> audit::Entry<'_> {
    audit::Entry::new(&by.actor, action, "evidence", link).supplier(supplier)
}
