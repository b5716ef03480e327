//! What evidence is, and what the checker last found at its link.

use crate::str_enum;

str_enum!(
    /// What a piece of evidence is.
    EvidenceKind {
        Policy => "policy",
        Certification => "certification",
        Report => "report",
        Assessment => "assessment",
        ModelCard => "model_card",
        Other => "other",
    }
);

str_enum!(
    /// The scheme behind a certification.
    CertScheme {
        CyberEssentials => "cyber_essentials",
        CyberEssentialsPlus => "cyber_essentials_plus",
        Iso27001 => "iso_iec_27001",
        Dspt => "dspt",
        Dtac => "dtac",
        Dcb0129 => "dcb0129",
        Other => "other",
    }
);

str_enum!(
    /// The evidence checker's latest view of a link.
    EvidenceHealth {
        /// Not checked yet.
        Pending => "pending",
        Ok => "ok",
        /// Resolves, but somewhere else; the final URL is recorded.
        Redirected => "redirected",
        /// The server refuses automated clients; could not be checked automatically.
        Restricted => "restricted",
        Broken => "broken",
        Unreachable => "unreachable",
        /// Refused by the registry's own safety rules.
        Blocked => "blocked",
    }
);
