//! A supplier's evidence links: add, edit, retire.

pub mod add;
pub mod edit;
pub mod retire;

use chrono::NaiveDate;

use crate::db::DbConn;
use crate::db::models::evidence::{self, EvidenceRow};
use crate::db::models::supplier::SupplierRow;
use crate::db::models::{pledge, signature};
use crate::domain::evidence::{CertScheme, EvidenceKind};
use crate::domain::{EvidenceId, Validator, text};
use crate::error::{ApiError, ApiResult};

pub const MAX_TITLE: usize = 300;
/// Live (not retired) evidence links per supplier: what one record can make every read
/// of it carry stays bounded (docs/benchmarks.md measures the largest record allowed).
pub const MAX_LIVE_EVIDENCE: i64 = 50;
pub const MAX_REFERENCE: usize = 100;

/// Commitment codes evidence may name: those of the current version and of the version
/// the supplier signed.
pub fn known_codes(conn: &mut DbConn, supplier_id: &str) -> ApiResult<Vec<String>> {
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
pub fn live_or_404(
    conn: &mut DbConn,
    supplier: &SupplierRow,
    id: EvidenceId,
) -> ApiResult<EvidenceRow> {
    evidence::get(conn, &supplier.id, &id.to_db())?
        .filter(|e| e.retired_at.is_none())
        .ok_or_else(|| ApiError::NotFound(format!("supplier {} has no evidence {id}", supplier.id)))
}

pub fn title(raw: &str) -> Result<String, String> {
    text::bounded(raw, 1, MAX_TITLE)
}

pub fn reference(raw: &str) -> Result<String, String> {
    text::bounded(raw, 1, MAX_REFERENCE)
}

/// Checks the commitment list: 1 to 20 known codes, each once; sorted.
pub fn commitments(v: &mut Validator, raw: &[String], known: &[String]) -> Option<Vec<String>> {
    if raw.is_empty() || raw.len() > 20 {
        v.error("commitments", "must list 1 to 20 commitment codes");
        return None;
    }
    let mut out: Vec<String> = Vec::new();
    let mut ok = true;
    for (i, code) in raw.iter().enumerate() {
        if !known.contains(code) {
            v.error(
                format!("commitments[{i}]"),
                format!("{code:?} is not a commitment; known: {}", known.join(", ")),
            );
            ok = false;
        } else if out.contains(code) {
            v.error(
                format!("commitments[{i}]"),
                format!("{code:?} appears twice"),
            );
            ok = false;
        } else {
            out.push(code.clone());
        }
    }
    out.sort();
    ok.then_some(out)
}

/// Certification details are only for certifications.
pub fn certification_fields(
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
