//! Bulk export of every supplier, as NDJSON or CSV, page by page, so memory stays the
//! same whatever the number of suppliers. The HTTP route and `pledge-registry export`
//! share this.

use crate::db::DbConn;
use crate::db::models::pledge;
use crate::db::models::supplier::{self, ListFilter, Stored};
use crate::error::{Error, Result};
use crate::views::supplier::SupplierView;

/// The response field that names the change-feed position an export starts from.
pub const CHANGES_SINCE: &str = "Changes-Since";

/// Suppliers read and written per step.
pub const PAGE: i64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Ndjson,
    Csv,
}

impl Format {
    pub fn content_type(&self) -> &'static str {
        match self {
            Format::Ndjson => "application/x-ndjson",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// What the export needs to know before the first supplier: the CSV columns.
#[derive(Debug, Clone)]
pub struct Plan {
    pub format: Format,
    /// Commitment codes of every version, each once, in publication order.
    pub codes: Vec<String>,
}

const FIXED: &[&str] = &[
    "id",
    "slug",
    "name",
    "website",
    "company_number",
    "status",
    "identity_verified",
    "pledge_version",
    "signed_current_version",
    "signed_at",
    "reaffirm_by",
    "status_reason",
    "evidence_summary",
    "evidence_count",
    "evidence_urls",
    "updated_at",
];

impl Plan {
    pub fn new(conn: &mut DbConn, format: Format) -> Result<Self> {
        let mut versions = pledge::all(conn)?;
        versions.reverse();
        let mut codes: Vec<String> = Vec::new();
        for v in versions {
            for c in pledge::commitments_of(conn, &v.version)? {
                if !codes.contains(&c.code) {
                    codes.push(c.code);
                }
            }
        }
        Ok(Plan { format, codes })
    }

    /// The bytes before the first supplier (the CSV header row).
    pub fn head(&self) -> Result<Vec<u8>> {
        match self.format {
            Format::Ndjson => Ok(Vec::new()),
            Format::Csv => {
                let mut header: Vec<String> = FIXED.iter().map(|s| s.to_string()).collect();
                header.extend(self.codes.iter().map(|c| format!("statement_{c}")));
                csv_line(&header)
            }
        }
    }

    /// Encodes one page of stored records (the public JSON of each supplier): as they
    /// are for NDJSON, read back for CSV.
    pub fn encode(&self, records: &[String]) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(records.iter().map(|r| r.len() + 1).sum());
        for record in records {
            match self.format {
                Format::Ndjson => {
                    out.extend_from_slice(record.as_bytes());
                    out.push(b'\n');
                }
                Format::Csv => {
                    let view: SupplierView =
                        serde_json::from_str(record).map_err(|e| Error::Internal(e.into()))?;
                    out.extend(csv_line(&self.row(&view))?)
                }
            }
        }
        Ok(out)
    }

    fn row(&self, v: &SupplierView) -> Vec<String> {
        let sig = v.signature.as_ref();
        let mut row = vec![
            v.id.clone(),
            v.slug.clone(),
            v.name.clone(),
            v.website.clone(),
            v.company_number.clone().unwrap_or_default(),
            v.status.as_str().to_owned(),
            v.identity_verified.to_string(),
            sig.map(|s| s.pledge_version.clone()).unwrap_or_default(),
            sig.map(|s| s.is_current_version.to_string())
                .unwrap_or_default(),
            sig.map(|s| s.signed_at.to_rfc3339()).unwrap_or_default(),
            sig.map(|s| s.reaffirm_by.to_rfc3339()).unwrap_or_default(),
            sig.and_then(|s| s.status_reason.clone())
                .unwrap_or_default(),
            v.evidence_summary.as_str().to_owned(),
            v.evidence.len().to_string(),
            v.evidence
                .iter()
                .map(|e| e.url.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            v.updated_at.to_rfc3339(),
        ];
        for code in &self.codes {
            let text = sig
                .and_then(|s| s.statements.iter().find(|st| &st.commitment == code))
                .map(|st| st.statement.clone());
            row.push(text.unwrap_or_default());
        }
        row
    }
}

/// A spreadsheet opens a cell that starts with one of these as a formula.
fn defuse(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

fn csv_line(cells: &[String]) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(cells.iter().map(|c| defuse(c)))
        .map_err(|e| Error::Internal(e.into()))?;
    w.into_inner()
        .map_err(|e| Error::Internal(anyhow::anyhow!("{e}")))
}

/// The stored records of the page of suppliers passing `filter` after `after_slug`,
/// and the slug to continue from (none when done).
pub fn page(
    conn: &mut DbConn,
    filter: &ListFilter,
    after_slug: Option<String>,
) -> Result<(Vec<String>, Option<String>)> {
    let rows = supplier::stored_page(
        conn,
        &ListFilter {
            after_slug,
            limit: PAGE,
            ..filter.clone()
        },
        Stored::Record,
    )?;
    let next = (rows.len() as i64 == PAGE)
        .then(|| rows.last().map(|(slug, _)| slug.clone()))
        .flatten();
    Ok((rows.into_iter().map(|(_, record)| record).collect(), next))
}

#[cfg(test)]
mod tests {
    use super::defuse;

    #[test]
    fn cells_that_would_run_as_formulas_are_defused() {
        for (raw, safe) in [
            (
                "=HYPERLINK(\"http://evil\")",
                "'=HYPERLINK(\"http://evil\")",
            ),
            ("+1", "'+1"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("Acme Ltd", "Acme Ltd"),
            ("", ""),
        ] {
            assert_eq!(defuse(raw), safe);
        }
    }
}
