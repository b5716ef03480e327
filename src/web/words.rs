//! Plain-English words for statuses, health and dates, as care providers read them.

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
        EvidenceHealth::Ok => "Page found; its content is not checked",
        EvidenceHealth::Redirected => "Page found at another address; its content is not checked",
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
                format!("Page found, but the link now leads to {to}; its content is not checked")
            }
            None => {
                "Page found, but the link now leads to another address; its content is not checked"
                    .into()
            }
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
