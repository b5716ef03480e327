//! Which kinds of change a subscription asks for.

use crate::str_enum;

str_enum!(
    /// A kind of change a subscription can ask for.
    EventType {
        /// A supplier's status changed: verified or not, suspended, reinstated, lapsed,
        /// withdrawn.
        StatusChanged => "status.changed",
        /// A supplier signed, re-signed a new version or reaffirmed.
        Signature => "signature",
        /// An evidence link turned failing or working, or a certification expired.
        EvidenceHealthChanged => "evidence.health_changed",
        /// An evidence link was added, edited or retired.
        EvidenceChanged => "evidence.changed",
        /// A supplier registered or changed its profile.
        ProfileChanged => "profile.changed",
        /// A new version of the pledge was published (one change per signer).
        PledgeVersionPublished => "pledge.version_published",
    }
);

impl EventType {
    /// The kind of a change, from its type in the change feed.
    pub fn of(change_type: &str) -> EventType {
        match change_type {
            "signature.signed" | "signature.superseded" | "signature.reaffirmed" => {
                EventType::Signature
            }
            t if t.starts_with("signature.") => EventType::StatusChanged,
            "supplier.verified" | "supplier.verification_ended" => EventType::StatusChanged,
            "evidence.health_changed" | "evidence.expired" => EventType::EvidenceHealthChanged,
            t if t.starts_with("evidence.") => EventType::EvidenceChanged,
            "pledge.published" => EventType::PledgeVersionPublished,
            _ => EventType::ProfileChanged,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_change_type_has_its_kind() {
        for (t, kind) in [
            ("signature.signed", EventType::Signature),
            ("signature.reaffirmed", EventType::Signature),
            ("signature.suspended", EventType::StatusChanged),
            ("signature.lapsed", EventType::StatusChanged),
            ("supplier.verified", EventType::StatusChanged),
            ("evidence.health_changed", EventType::EvidenceHealthChanged),
            ("evidence.expired", EventType::EvidenceHealthChanged),
            ("evidence.added", EventType::EvidenceChanged),
            ("supplier.registered", EventType::ProfileChanged),
            ("supplier.profile_updated", EventType::ProfileChanged),
            ("pledge.published", EventType::PledgeVersionPublished),
        ] {
            assert_eq!(EventType::of(t), kind, "{t}");
        }
    }
}
