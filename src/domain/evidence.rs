//! What evidence is, and what the checker last found at its link.

use crate::str_enum;

str_enum!(
    /// What a piece of evidence is.
    EvidenceKind {
        /// A published policy, such as an AI use or data protection policy.
        Policy => "policy",
        /// A certificate from an external scheme (see `scheme`).
        Certification => "certification",
        /// A report, such as an audit, impact or transparency report.
        Report => "report",
        /// An assessment, such as a clinical safety case or a DPIA.
        Assessment => "assessment",
        /// A model card describing an AI model: what it does, how it was tested, its limits.
        ModelCard => "model_card",
        /// Anything else.
        Other => "other",
    }
);

str_enum!(
    /// The scheme behind a certification.
    CertScheme {
        /// Cyber Essentials (UK government-backed cyber security scheme).
        CyberEssentials => "cyber_essentials",
        /// Cyber Essentials Plus (Cyber Essentials with an independent technical audit).
        CyberEssentialsPlus => "cyber_essentials_plus",
        /// ISO/IEC 27001 information security management.
        Iso27001 => "iso_iec_27001",
        /// The NHS Data Security and Protection Toolkit.
        Dspt => "dspt",
        /// The NHS Digital Technology Assessment Criteria.
        Dtac => "dtac",
        /// DCB0129 clinical risk management (the manufacturer's clinical safety standard).
        Dcb0129 => "dcb0129",
        /// Another scheme; `reference` names it.
        Other => "other",
    }
);

str_enum!(
    /// The evidence checker's latest view of a link.
    EvidenceHealth {
        /// Not checked yet.
        Pending => "pending",
        /// The link answered with the document.
        Ok => "ok",
        /// Resolves, but somewhere else; the final URL is recorded.
        Redirected => "redirected",
        /// The server refuses automated clients; could not be checked automatically.
        Restricted => "restricted",
        /// The server answered with an error (such as 404 or 410), or its redirects loop.
        Broken => "broken",
        /// The website could not be reached (DNS, connection or TLS failure, or timeout).
        Unreachable => "unreachable",
        /// Refused by the registry's own safety rules.
        Blocked => "blocked",
    }
);

str_enum!(
    /// The health of a supplier's evidence at a glance.
    EvidenceSummary {
        /// No evidence.
        None => "none",
        /// Some links not checked yet, none failing.
        Pending => "pending",
        /// Every link resolves (or could not be checked automatically), none expired.
        AllOk => "all_ok",
        /// At least one link broken, unreachable or blocked, or a certification expired.
        SomeFailing => "some_failing",
    }
);

impl EvidenceSummary {
    /// The summary of live links, each as (health, expired).
    pub fn of_links(links: impl IntoIterator<Item = (EvidenceHealth, bool)>) -> Self {
        use EvidenceHealth::*;
        let (mut any, mut failing, mut pending) = (false, false, false);
        for (health, expired) in links {
            any = true;
            failing |= expired || matches!(health, Broken | Unreachable | Blocked);
            pending |= health == Pending;
        }
        match (any, failing, pending) {
            (false, _, _) => EvidenceSummary::None,
            (_, true, _) => EvidenceSummary::SomeFailing,
            (_, _, true) => EvidenceSummary::Pending,
            _ => EvidenceSummary::AllOk,
        }
    }
}

impl EvidenceHealth {
    /// What the public may read of a check: the class of what happened, never the
    /// resolver's or the network's own words (which would let a supplier map the
    /// registry's network through its links). The full detail is for the supplier and the
    /// operator.
    pub fn public_detail(self, http_status: Option<i32>) -> String {
        use EvidenceHealth::*;
        match (self, http_status) {
            (Pending, _) => "not checked yet".into(),
            (Ok, Some(s)) => format!("the link works (HTTP {s})"),
            (Redirected, Some(s)) => format!("the link works at another address (HTTP {s})"),
            (Ok | Redirected, None) => "the link works".into(),
            (Restricted, _) => {
                "the server refuses automated clients; could not be checked automatically".into()
            }
            (Broken, Some(s)) => format!("HTTP {s}"),
            (Broken, None) => "too many redirects, or a redirect loop".into(),
            (Unreachable, _) => "did not answer (name lookup, connection, TLS or timeout)".into(),
            (Blocked, _) => "refused: not a public address, or not http or https".into(),
        }
    }
}
