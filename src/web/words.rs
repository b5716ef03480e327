//! Plain-English words for statuses, health and dates, as care providers read them.

use crate::views::snapshots::ContentView;
use chrono::{DateTime, Utc};

use crate::domain::Status;
use crate::domain::evidence::{CertScheme, EvidenceHealth, EvidenceKind};
use crate::views::supplier::{EvidenceSummary, HealthView};

pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::Active => "Active",
        Status::Pending => "Signed, not yet verified",
        Status::Lapsed => "Lapsed",
        Status::Suspended => "Suspended",
        Status::Withdrawn => "Withdrawn",
        Status::Unsigned => "Not signed",
    }
}

pub fn status_words(s: Status) -> &'static str {
    match s {
        Status::Active => {
            "Has signed the Tech Pledge, and the registry has verified who it is. Its signature is in force."
        }
        Status::Pending => {
            "Has signed the Tech Pledge; the registry has not yet verified the organisation's identity."
        }
        Status::Lapsed => {
            "Signed the Tech Pledge but did not reaffirm it by the date it had to. It can reaffirm at any time."
        }
        Status::Suspended => {
            "The registry has suspended this supplier's signature. See the reason below."
        }
        Status::Withdrawn => "This supplier has withdrawn its signature. It may sign again later.",
        Status::Unsigned => "Registered with the registry, but has not signed the Tech Pledge.",
    }
}

pub fn health_words(h: EvidenceHealth) -> &'static str {
    match h {
        EvidenceHealth::Pending => "Not checked yet",
        EvidenceHealth::Ok => "Page found",
        EvidenceHealth::Redirected => "Page found at another address",
        EvidenceHealth::Restricted => "Could not be checked automatically",
        EvidenceHealth::Broken => "Link broken",
        EvidenceHealth::Unreachable => "Website unreachable",
        EvidenceHealth::Blocked => "Not checked: the address is not allowed",
    }
}

/// What is known of a link, in a sentence, and when it was last checked. A link that
/// failed fewer times than it takes to flag it says so, rather than "not checked".
pub fn health_sentence(h: &HealthView) -> (String, String) {
    let checked = h.checked_at.map(date);
    let said = match (h.status, &checked) {
        (EvidenceHealth::Pending, Some(on)) if h.consecutive_failures > 0 => format!(
            "Checked on {on}: {}. Checking again before flagging it",
            h.detail.as_deref().unwrap_or("it did not work")
        ),
        (EvidenceHealth::Pending, _) => "Not checked yet: waiting for its first check".into(),
        (EvidenceHealth::Redirected, _) => match &h.final_url {
            Some(to) => {
                format!("Page found, but the link now leads to {to}")
            }
            None => "Page found, but the link now leads to another address".into(),
        },
        (EvidenceHealth::Broken | EvidenceHealth::Unreachable, _) => match h.last_ok_at {
            Some(ok) => format!("{} (last worked on {})", health_words(h.status), date(ok)),
            None => health_words(h.status).to_owned(),
        },
        (other, _) => health_words(other).to_owned(),
    };
    let when = checked
        .map(|on| format!("Last checked {on}"))
        .unwrap_or_else(|| "Never checked".into());
    (said, when)
}

/// What Companies House's last answer says, in words: (the sentence, the flags in
/// words); none when the company was not checked.
pub fn company_words(c: &crate::views::supplier::CompanyCheckView) -> (String, Vec<String>) {
    use crate::domain::company::CompanyFlag::*;
    let said = if c.outcome == "not_found" {
        format!("Checked with Companies House on {}", date(c.checked_at))
    } else {
        let mut s = format!(
            "Companies House: {}",
            c.registered_name.as_deref().unwrap_or("(no name)")
        );
        if let Some(status) = &c.company_status {
            s.push_str(&format!(", {}", status.replace('-', " ")));
        }
        if let Some(on) = c.incorporated_on {
            s.push_str(&format!(
                ", incorporated {}",
                date(on.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
            ));
        }
        s.push_str(&format!(" (checked {})", date(c.checked_at)));
        s
    };
    let flags = c
        .flags
        .iter()
        .map(|f| match f {
            Dissolved => {
                "This company is no longer live on the Companies House register".to_owned()
            }
            Insolvency => {
                "This company is in insolvency proceedings on the Companies House register"
                    .to_owned()
            }
            NameMismatch => {
                "The name registered at Companies House is not the name this supplier uses"
                    .to_owned()
            }
            NotFound => "Companies House has no company with this number".to_owned(),
        })
        .collect();
    (said, flags)
}

/// What the registry kept of a document, in words: whether it still reads as signed,
/// and whether a diff is worth a look (true when it changed and there is text).
pub fn content_sentence(c: &ContentView) -> Option<(String, bool)> {
    use crate::views::snapshots::{BaselineReason, Since};
    let base = c.baseline.as_ref();
    let since = |b: &crate::views::snapshots::BaselineView| match b.reason {
        BaselineReason::Signed => format!("signed on {}", date(b.at)),
        BaselineReason::Reaffirmed => format!("reaffirmed on {}", date(b.at)),
        BaselineReason::FirstKept => format!("first kept on {}", date(b.at)),
    };
    let said = match (c.since, base) {
        (Some(Since::Unchanged), Some(b)) => {
            (format!("Document unchanged since {}", since(b)), false)
        }
        (Some(Since::Changed), Some(b)) => (
            format!(
                "Document changed since {}{}",
                since(b),
                c.changed_at
                    .map(|t| format!(" (first seen changed on {})", date(t)))
                    .unwrap_or_default()
            ),
            true,
        ),
        _ => {
            return c.note.as_ref().map(|n| {
                (
                    format!("No copy kept: {}", n.trim_start_matches("not kept: ")),
                    false,
                )
            });
        }
    };
    Some(said)
}

/// A supplier's evidence at a glance, for the list and the page.
pub fn evidence_words(e: EvidenceSummary) -> &'static str {
    match e {
        EvidenceSummary::None => "No evidence yet",
        EvidenceSummary::Pending => "Evidence not all checked yet; none failing",
        EvidenceSummary::AllOk => "All evidence working",
        EvidenceSummary::SomeFailing => "Some evidence failing",
    }
}

/// What a kind of evidence is, in words.
pub fn kind_words(k: EvidenceKind) -> &'static str {
    match k {
        EvidenceKind::Policy => "Policy",
        EvidenceKind::Certification => "Certification",
        EvidenceKind::Report => "Report",
        EvidenceKind::Assessment => "Assessment",
        EvidenceKind::ModelCard => "Model card",
        EvidenceKind::Other => "Other document",
    }
}

pub fn scheme_words(s: CertScheme) -> &'static str {
    match s {
        CertScheme::CyberEssentials => "Cyber Essentials",
        CertScheme::CyberEssentialsPlus => "Cyber Essentials Plus",
        CertScheme::Iso27001 => "ISO/IEC 27001",
        CertScheme::Dspt => "NHS Data Security and Protection Toolkit (DSPT)",
        CertScheme::Dtac => "Digital Technology Assessment Criteria (DTAC)",
        CertScheme::Dcb0129 => "DCB0129 clinical risk management",
        CertScheme::Other => "Other scheme",
    }
}

/// Where a care manager can look a certification up with the scheme itself, and the
/// link's words; none for a scheme with no public search. A DSPT reference that reads
/// as an organisation code opens that organisation's entry.
pub fn scheme_lookup(
    scheme: CertScheme,
    reference: Option<&str>,
) -> Option<(String, &'static str)> {
    match scheme {
        CertScheme::CyberEssentials | CertScheme::CyberEssentialsPlus => Some((
            "https://iasme.co.uk/cyber-essentials/ncsc-certificate-search/".into(),
            "Look the certificate up on the scheme’s own search (IASME)",
        )),
        CertScheme::Dspt => {
            let code = reference.map(str::trim).filter(|r| {
                (3..=10).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric())
            });
            Some(match code {
                Some(code) => (
                    format!(
                        "https://www.dsptoolkit.nhs.uk/OrganisationSearch/{}",
                        code.to_ascii_uppercase()
                    ),
                    "See its entry on the DSPT organisation search",
                ),
                None => (
                    "https://www.dsptoolkit.nhs.uk/OrganisationSearch".into(),
                    "Look it up on the DSPT organisation search",
                ),
            })
        }
        _ => None,
    }
}

/// The page of a company on Companies House's public register.
pub fn companies_house(number: &str) -> String {
    format!("https://find-and-update.company-information.service.gov.uk/company/{number}")
}

/// "27 November 2026".
pub fn date(t: DateTime<Utc>) -> String {
    t.format("%-d %B %Y").to_string()
}

/// What a history event means, in words.
pub fn event_words(event: &str, actor: &str, version: Option<&str>) -> String {
    let by_registry = actor == "operator";
    match event {
        "signed" => format!(
            "Signed the pledge{}",
            version
                .map(|v| format!(" (version {v})"))
                .unwrap_or_default()
        ),
        "verified" => "Identity verified by the registry".into(),
        "verification_ended" => {
            "Identity no longer verified: its name, company number or website changed".into()
        }
        "company_number_refused" => {
            "Company number removed: the registry verified it as another supplier's".into()
        }
        "suspended" => "Suspended by the registry".into(),
        "reinstated" => "Reinstated by the registry".into(),
        "reaffirmed" => "Reaffirmed the pledge".into(),
        "statement_corrected" => "Corrected a statement".into(),
        "withdrawn" if by_registry => "Signature withdrawn by the registry".into(),
        "withdrawn" => "Withdrew its signature".into(),
        "lapsed" => "Lapsed: not reaffirmed in time".into(),
        "superseded" => "Earlier signature replaced by a signature of the new version".into(),
        other => other.replace('_', " "),
    }
}

/// "1 word added", "3 words added".
pub fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
