//! What the public (and the supplier itself) sees of a supplier.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::DbConn;
use std::collections::HashMap;

use crate::db::models::checks;
use crate::db::models::evidence::{self, EvidenceRow};
use crate::db::models::pledge;
use crate::db::models::signature::{self, SignatureRow, StatementRow};
use crate::db::models::supplier::{SummaryRow, SupplierRow};
use crate::domain::evidence::{CertScheme, EvidenceHealth, EvidenceKind};
use crate::domain::{Status, SupplierId};
use crate::error::Result;
use crate::views::snapshots::ContentView;

/// Checks shown per link in the public view.
pub const RECENT_CHECKS: usize = 3;

pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// A supplier with its current signature, statements and evidence.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SupplierView {
    #[schema(format = Uuid)]
    pub id: String,
    pub slug: String,
    pub name: String,
    pub website: String,
    /// UK Companies House number, upper-case.
    pub company_number: Option<String>,
    pub description: String,
    pub products: Vec<String>,
    pub identity_verified: bool,
    pub verified_at: Option<DateTime<Utc>>,
    /// Where the supplier stands with the pledge.
    pub status: Status,
    /// The signature in force, or the most recent withdrawn one; null if it never signed.
    pub signature: Option<SignatureView>,
    /// Evidence that is not retired.
    pub evidence: Vec<EvidenceView>,
    /// The health of its evidence at a glance.
    pub evidence_summary: EvidenceSummary,
    /// What Companies House last said of `company_number`; null while it has not
    /// answered (no number, not asked yet, or the registry has no Companies House key).
    #[serde(default)]
    pub company_check: Option<CompanyCheckView>,
    /// Contact details: only for the supplier itself and the operator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What Companies House's public data API said of a supplier's company number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CompanyCheckView {
    /// `found`, or `not_found` (no company with this number).
    pub outcome: String,
    /// The name registered at Companies House.
    pub registered_name: Option<String>,
    /// Companies House's status: `active`, `dissolved`, `liquidation`, `administration`, ...
    pub company_status: Option<String>,
    pub incorporated_on: Option<NaiveDate>,
    /// What a care manager should know: empty when all is well.
    pub flags: Vec<crate::domain::company::CompanyFlag>,
    pub checked_at: DateTime<Utc>,
}

impl CompanyCheckView {
    /// The check of `row`'s current number, when Companies House has answered.
    fn of(conn: &mut DbConn, row: &SupplierRow) -> Result<Option<CompanyCheckView>> {
        let Some(number) = &row.company_number else {
            return Ok(None);
        };
        let Some(c) = crate::db::models::companies::get(conn, row.id)? else {
            return Ok(None);
        };
        if c.company_number != number.as_str() {
            return Ok(None);
        }
        let (Some(outcome), Some(checked_at)) = (c.outcome, c.checked_at) else {
            return Ok(None);
        };
        Ok(Some(CompanyCheckView {
            outcome,
            registered_name: c.registered_name,
            company_status: c.company_status,
            incorporated_on: c.incorporated_on,
            flags: serde_json::from_str(&c.flags).unwrap_or_default(),
            checked_at: utc(checked_at),
        }))
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Contact {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignatureView {
    #[schema(format = Uuid)]
    pub id: String,
    pub pledge_version: String,
    /// False when the supplier signed an earlier version than the current one.
    pub is_current_version: bool,
    pub signatory_name: String,
    pub signatory_role: String,
    pub signed_at: DateTime<Utc>,
    pub reaffirmed_at: Option<DateTime<Utc>>,
    /// The signature lapses unless reaffirmed by then.
    pub reaffirm_by: DateTime<Utc>,
    pub status: Status,
    /// Why the status was set, where a person chose it (suspension, withdrawal).
    pub status_reason: Option<String>,
    pub status_changed_at: DateTime<Utc>,
    pub statements: Vec<StatementView>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatementView {
    /// The commitment code.
    pub commitment: String,
    /// What the supplier says it does for this commitment.
    pub statement: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EvidenceView {
    #[schema(format = Uuid)]
    pub id: String,
    pub url: String,
    pub title: String,
    pub kind: EvidenceKind,
    /// Codes of the commitments this evidence supports.
    pub commitments: Vec<String>,
    pub scheme: Option<CertScheme>,
    pub reference: Option<String>,
    pub expires_on: Option<NaiveDate>,
    /// True when a certification's expiry date has passed, whatever its link does.
    pub expired: bool,
    pub health: HealthView,
    /// What the registry kept of the document, and whether it still reads as it did
    /// when the supplier signed.
    #[serde(default)]
    pub content: ContentView,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub use crate::domain::evidence::EvidenceSummary;

impl EvidenceSummary {
    pub fn of(evidence: &[EvidenceView]) -> Self {
        Self::of_links(evidence.iter().map(|e| (e.health.status, e.expired)))
    }
}

/// One check of a link.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckView {
    pub checked_at: DateTime<Utc>,
    /// What this check found (the link's status changes only after repeated failures).
    pub outcome: EvidenceHealth,
    pub http_status: Option<i32>,
    /// Where this check ended, when it was redirected somewhere other than the link's
    /// latest `final_url` (so a long address is not repeated for every check).
    pub final_url: Option<String>,
    pub detail: String,
}

/// The evidence checker's latest view of a link.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HealthView {
    pub status: EvidenceHealth,
    /// What the latest check found, in words.
    pub detail: Option<String>,
    /// The newest checks, newest first.
    pub recent_checks: Vec<CheckView>,
    pub http_status: Option<i32>,
    pub final_url: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
    pub last_ok_at: Option<DateTime<Utc>>,
    pub consecutive_failures: i32,
}

impl From<StatementRow> for StatementView {
    fn from(s: StatementRow) -> Self {
        StatementView {
            commitment: s.commitment_code,
            statement: s.body,
        }
    }
}

impl SignatureView {
    pub fn from_row(
        sig: SignatureRow,
        statements: Vec<StatementView>,
        current_version: Option<&str>,
    ) -> Result<Self> {
        Ok(SignatureView {
            is_current_version: current_version == Some(sig.pledge_version.as_str()),
            status: sig.status,
            id: sig.id.to_string(),
            pledge_version: sig.pledge_version,
            signatory_name: sig.signatory_name,
            signatory_role: sig.signatory_role,
            signed_at: utc(sig.signed_at),
            reaffirmed_at: sig.reaffirmed_at.map(utc),
            reaffirm_by: utc(sig.reaffirm_by),
            status_reason: sig.status_reason,
            status_changed_at: utc(sig.status_changed_at),
            statements,
        })
    }
}

impl EvidenceView {
    pub fn build(row: EvidenceRow, commitments: Vec<String>, today: NaiveDate) -> Result<Self> {
        Ok(EvidenceView {
            content: ContentView {
                since: Some(crate::views::snapshots::Since::Unknown),
                note: row.snapshot_note.clone(),
                ..ContentView::default()
            },
            kind: row.kind,
            scheme: row.scheme,
            expired: row.expires_on.is_some_and(|d| d < today),
            health: HealthView {
                status: row.health,
                detail: row.check_detail,
                recent_checks: Vec::new(),
                http_status: row.http_status,
                final_url: row.final_url,
                checked_at: row.checked_at.map(utc),
                last_ok_at: row.last_ok_at.map(utc),
                consecutive_failures: row.consecutive_failures,
            },
            id: row.id.to_string(),
            url: row.url.to_string(),
            title: row.title,
            commitments,
            reference: row.reference,
            expires_on: row.expires_on,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        })
    }

    /// Every active piece of evidence of a supplier, with its recent checks.
    pub fn all_of(conn: &mut DbConn, supplier_id: SupplierId) -> Result<Vec<Self>> {
        let rows = evidence::active_with_commitments(conn, supplier_id)?;
        let mut recent: HashMap<String, Vec<CheckView>> = HashMap::new();
        for c in checks::recent_of_supplier(conn, supplier_id, RECENT_CHECKS)? {
            recent
                .entry(c.evidence_id.to_string())
                .or_default()
                .push(CheckView {
                    checked_at: utc(c.checked_at),
                    outcome: c.outcome,
                    http_status: c.http_status,
                    final_url: c.final_url,
                    detail: c.detail,
                });
        }
        let today = Utc::now().date_naive();
        let mut kept = ContentView::of_supplier(conn, supplier_id)?;
        rows.into_iter()
            .map(|(r, c)| {
                let (snaps, pins) = kept.remove(&r.id).unwrap_or_default();
                let content = ContentView::of(
                    &snaps,
                    &pins.iter().collect::<Vec<_>>(),
                    r.snapshot_note.clone(),
                );
                let mut checks = recent.remove(&r.id.to_string()).unwrap_or_default();
                for check in &mut checks {
                    if check.final_url == r.final_url {
                        check.final_url = None;
                    }
                }
                let mut view = EvidenceView::build(r, c, today)?;
                view.health.recent_checks = checks;
                view.content = content;
                Ok(view)
            })
            .collect()
    }
}

impl SupplierView {
    /// The full view; `private` adds the contact details.
    pub fn load(conn: &mut DbConn, row: SupplierRow, private: bool) -> Result<Self> {
        let current = pledge::current(conn)?.map(|v| v.version);
        Self::load_with(conn, row, private, current)
    }

    /// [`SupplierView::load`] for a caller that already read the current version.
    pub fn load_with(
        conn: &mut DbConn,
        row: SupplierRow,
        private: bool,
        current: Option<String>,
    ) -> Result<Self> {
        let signature = signature::shown_with_statements(conn, row.id)?
            .map(|(s, statements)| {
                let statements = statements.into_iter().map(StatementView::from).collect();
                SignatureView::from_row(s, statements, current.as_deref())
            })
            .transpose()?;
        let evidence = EvidenceView::all_of(conn, row.id)?;
        let company_check = CompanyCheckView::of(conn, &row)?;
        let mut view = Self::assemble(row, signature, evidence, private)?;
        view.company_check = company_check;
        Ok(view)
    }

    fn assemble(
        row: SupplierRow,
        signature: Option<SignatureView>,
        mut evidence: Vec<EvidenceView>,
        private: bool,
    ) -> Result<Self> {
        if !private {
            for e in &mut evidence {
                let h = &mut e.health;
                if h.detail.is_some() {
                    h.detail = Some(h.status.public_detail(h.http_status));
                }
                for c in &mut h.recent_checks {
                    c.detail = c.outcome.public_detail(c.http_status);
                }
            }
        }
        let evidence_summary = EvidenceSummary::of(&evidence);
        Ok(SupplierView {
            status: row.status,
            products: row.products(),
            identity_verified: row.verified_at.is_some(),
            verified_at: row.verified_at.map(utc),
            company_check: None,
            contact: private.then(|| Contact {
                name: row.contact_name.clone(),
                email: row.contact_email.clone(),
            }),
            signature,
            evidence,
            evidence_summary,
            id: row.id.to_string(),
            slug: row.slug,
            name: row.name,
            website: row.website.to_string(),
            company_number: row.company_number.map(|c| c.to_string()),
            description: row.description,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        })
    }
}

/// A supplier in a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SupplierSummary {
    #[schema(format = Uuid)]
    pub id: String,
    pub slug: String,
    pub name: String,
    pub website: String,
    pub company_number: Option<String>,
    pub status: Status,
    /// The version the supplier's signature names, if it signed.
    pub pledge_version: Option<String>,
    /// False when it signed an earlier version than the current one.
    pub signed_current_version: bool,
    pub identity_verified: bool,
    /// When the signature in force must be reaffirmed by; null when none is in force
    /// (never signed, or withdrawn).
    pub reaffirm_by: Option<DateTime<Utc>>,
    /// The health of its evidence at a glance, as on its full record.
    pub evidence_summary: EvidenceSummary,
    /// What Companies House's last answer flags (`dissolved`, `insolvency`,
    /// `name_mismatch`, `not_found`), as on its full record; left out when all is well
    /// or the company was not checked (so items published before it read as they did).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub company_flags: Vec<crate::domain::company::CompanyFlag>,
    pub updated_at: DateTime<Utc>,
}

impl SupplierSummary {
    /// The list item of a supplier whose public record is `view`: the record says
    /// everything the item needs but the row's columns.
    pub fn of_record(
        row: impl Into<SummaryRow>,
        view: &SupplierView,
        current_version: Option<&str>,
    ) -> Result<Self> {
        let reaffirm_by = view
            .signature
            .as_ref()
            .filter(|s| s.status != Status::Withdrawn)
            .map(|s| s.reaffirm_by);
        let mut summary = Self::build(
            row.into(),
            current_version,
            reaffirm_by,
            view.evidence_summary,
        )?;
        summary.company_flags = view
            .company_check
            .as_ref()
            .map(|c| c.flags.clone())
            .unwrap_or_default();
        Ok(summary)
    }

    fn build(
        row: SummaryRow,
        current_version: Option<&str>,
        reaffirm_by: Option<DateTime<Utc>>,
        evidence_summary: EvidenceSummary,
    ) -> Result<Self> {
        Ok(SupplierSummary {
            reaffirm_by,
            evidence_summary,
            status: row.status,
            signed_current_version: row.signed_version.is_some()
                && row.signed_version.as_deref() == current_version,
            identity_verified: row.verified,
            pledge_version: row.signed_version,
            id: row.id.to_string(),
            slug: row.slug,
            name: row.name,
            website: row.website.to_string(),
            company_number: row.company_number.map(|c| c.to_string()),
            company_flags: Vec::new(),
            updated_at: utc(row.updated_at),
        })
    }
}

/// The ETag of a supplier's representation. The revision changes with every write to
/// the supplier; what the view works out from elsewhere (whether a newer pledge version
/// has been published since it signed, which certifications' expiry dates have passed)
/// is added, so that a cached copy is not confirmed once either has changed. At one
/// revision each only changes one way, so the count of expired evidence is enough.
pub fn etag(view: &SupplierView, revision: i64, private: bool) -> String {
    let outdated = view
        .signature
        .as_ref()
        .is_some_and(|s| !s.is_current_version);
    let expired = view.evidence.iter().filter(|e| e.expired).count() as i64;
    etag_of(revision, outdated, expired, private)
}

/// The ETag from its parts, as [`etag`] reads them off a view.
fn etag_of(revision: i64, outdated: bool, expired: i64, private: bool) -> String {
    let outdated = u8::from(outdated);
    let private = if private { "-private" } else { "" };
    format!("\"r{revision}.{outdated}.{expired}{private}\"")
}

/// The revision an `If-Match` value names, if it is one of ours.
pub fn revision_of(if_match: &str) -> Vec<i64> {
    if_match
        .split(',')
        .filter_map(|t| {
            let t = t.trim().trim_start_matches("W/").trim_matches('"');
            let t = t.strip_prefix('r')?;
            t.split(['.', '-']).next()?.parse().ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::revision_of;

    #[test]
    fn if_match_names_revisions_in_every_form_we_hand_out() {
        assert_eq!(revision_of("\"r7.0.0\""), [7]);
        assert_eq!(revision_of("\"r12.1.3-private\""), [12]);
        assert_eq!(revision_of("W/\"r3.0.1\", \"r4.1.0-private\""), [3, 4]);
        assert_eq!(revision_of("\"r5\""), [5]);
        assert!(revision_of("\"abc\"").is_empty());
        assert!(revision_of("*").is_empty());
    }
}
