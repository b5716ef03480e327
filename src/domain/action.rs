//! What an audit entry records, as one list: every action the registry writes, with
//! the kind of webhook event its public change is delivered as.

use super::lifecycle::Transition;
use crate::str_enum;

str_enum!(
    /// What an audit entry records.
    Action {
        /// A supplier signed a pledge version.
        SignatureSigned => "signature.signed",
        /// A supplier signed a newer version, which took the place of its signature.
        SignatureSuperseded => "signature.superseded",
        /// The operator verified a signature.
        SignatureVerified => "signature.verified",
        /// A signature stopped being verified.
        SignatureVerificationEnded => "signature.verification_ended",
        /// The operator suspended a signature.
        SignatureSuspended => "signature.suspended",
        /// The operator reinstated a suspended signature.
        SignatureReinstated => "signature.reinstated",
        /// A supplier reaffirmed its signature.
        SignatureReaffirmed => "signature.reaffirmed",
        /// A supplier corrected a statement of its signature, reaffirming it.
        SignatureStatementCorrected => "signature.statement_corrected",
        /// A signature was withdrawn.
        SignatureWithdrawn => "signature.withdrawn",
        /// A signature lapsed, not reaffirmed in time.
        SignatureLapsed => "signature.lapsed",
        /// The operator verified a supplier's identity.
        SupplierVerified => "supplier.verified",
        /// A supplier's identity stopped being verified.
        SupplierVerificationEnded => "supplier.verification_ended",
        /// A supplier registered.
        SupplierRegistered => "supplier.registered",
        /// A supplier's profile changed.
        SupplierProfileUpdated => "supplier.profile_updated",
        /// A company number already on the register was refused.
        SupplierCompanyNumberRefused => "supplier.company_number_refused",
        /// Companies House's answer about a supplier's company raised or cleared a flag
        /// (dissolved, insolvency, a registered name not the supplier's, no such company).
        SupplierCompanyFlagged => "supplier.company_flagged",
        /// The operator handed a supplier to a new owner.
        SupplierOwnershipTransferred => "supplier.ownership_transferred",
        /// An evidence link was added.
        EvidenceAdded => "evidence.added",
        /// An evidence link was edited.
        EvidenceUpdated => "evidence.updated",
        /// An evidence link was retired.
        EvidenceRetired => "evidence.retired",
        /// An evidence link turned failing or working.
        EvidenceHealthChanged => "evidence.health_changed",
        /// A certification passed its expiry date.
        EvidenceExpired => "evidence.expired",
        /// A check found different words in an evidence document than the check before.
        EvidenceContentChanged => "evidence.content_changed",
        /// A pledge version was published.
        PledgePublished => "pledge.published",
        /// A person was invited to a supplier.
        MemberAdded => "member.added",
        /// A person accepted their membership.
        MemberAccepted => "member.accepted",
        /// A person declined an invitation.
        MemberDeclined => "member.declined",
        /// A member signed in.
        MemberSignedIn => "member.signed_in",
        /// A member was removed, or left.
        MemberRemoved => "member.removed",
        /// A member's role changed.
        MemberRoleChanged => "member.role_changed",
        /// An owner created an API token.
        TokenCreated => "token.created",
        /// The operator issued a token.
        TokenIssued => "token.issued",
        /// A token was revoked.
        TokenRevoked => "token.revoked",
        /// Someone raised a concern.
        ConcernRaised => "concern.raised",
        /// The operator wrote back to the person who raised a concern.
        ConcernAnswered => "concern.answered",
        /// The operator closed a concern.
        ConcernClosed => "concern.closed",
        /// The signing key was rotated.
        KeyRotated => "key.rotated",
        /// The signing key was rotated after a compromise.
        KeyRotatedAfterCompromise => "key.rotated_after_compromise",
        /// The operator added a webhook subscriber.
        WebhookSubscriberAdded => "webhook.subscriber_added",
        /// The operator switched a webhook subscriber off.
        WebhookSubscriberDisabled => "webhook.subscriber_disabled",
        /// A webhook subscriber signed up.
        WebhookSubscriberSignedUp => "webhook.subscriber_signed_up",
        /// A webhook subscriber confirmed its address.
        WebhookSubscriberConfirmed => "webhook.subscriber_confirmed",
        /// A subscription was created.
        WebhookSubscribed => "webhook.subscribed",
        /// A subscription was paused.
        WebhookPaused => "webhook.paused",
        /// A subscription was resumed.
        WebhookResumed => "webhook.resumed",
        /// A subscription was deleted.
        WebhookDeleted => "webhook.deleted",
        /// A subscription's secret was rotated.
        WebhookSecretRotated => "webhook.secret_rotated",
        /// A subscription was replayed from an earlier position.
        WebhookReplayed => "webhook.replayed",
        /// A person was made an operator of the registry.
        OperatorAdded => "operator.added",
        /// An operator was removed; their sessions ended.
        OperatorRemoved => "operator.removed",
        /// An operator signed in to the console.
        OperatorSignedIn => "operator.signed_in",
    }
);

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
        /// The words of an evidence document changed (its snapshot says since when, and
        /// whether it still reads as signed).
        EvidenceContentChanged => "evidence.content_changed",
        /// A supplier registered or changed its profile.
        ProfileChanged => "profile.changed",
        /// Companies House's answer about a supplier's company raised or cleared a flag.
        CompanyFlagged => "company.flagged",
        /// A new version of the pledge was published (one change per signer).
        PledgeVersionPublished => "pledge.version_published",
    }
);

impl Action {
    /// The action recording a lifecycle transition of a signature.
    pub fn of_transition(t: Transition) -> Action {
        match t {
            Transition::Sign => Action::SignatureSigned,
            Transition::Supersede => Action::SignatureSuperseded,
            Transition::Verify => Action::SignatureVerified,
            Transition::Unverify => Action::SignatureVerificationEnded,
            Transition::Suspend => Action::SignatureSuspended,
            Transition::Reinstate => Action::SignatureReinstated,
            Transition::Reaffirm => Action::SignatureReaffirmed,
            Transition::Withdraw => Action::SignatureWithdrawn,
            Transition::Lapse => Action::SignatureLapsed,
        }
    }

    /// The kind of webhook event its change is delivered as, when it is a public
    /// change about a supplier.
    pub fn event(self) -> EventType {
        use Action::*;
        match self {
            SignatureSigned
            | SignatureSuperseded
            | SignatureReaffirmed
            | SignatureStatementCorrected => EventType::Signature,
            SignatureVerified
            | SignatureVerificationEnded
            | SignatureSuspended
            | SignatureReinstated
            | SignatureWithdrawn
            | SignatureLapsed
            | SupplierVerified
            | SupplierVerificationEnded => EventType::StatusChanged,
            EvidenceHealthChanged | EvidenceExpired => EventType::EvidenceHealthChanged,
            EvidenceContentChanged => EventType::EvidenceContentChanged,
            SupplierCompanyFlagged => EventType::CompanyFlagged,
            EvidenceAdded | EvidenceUpdated | EvidenceRetired => EventType::EvidenceChanged,
            PledgePublished => EventType::PledgeVersionPublished,
            SupplierRegistered
            | SupplierProfileUpdated
            | SupplierCompanyNumberRefused
            | SupplierOwnershipTransferred
            | MemberAdded
            | MemberAccepted
            | MemberDeclined
            | MemberSignedIn
            | MemberRemoved
            | MemberRoleChanged
            | TokenCreated
            | TokenIssued
            | TokenRevoked
            | ConcernRaised
            | ConcernAnswered
            | ConcernClosed
            | KeyRotated
            | KeyRotatedAfterCompromise
            | WebhookSubscriberAdded
            | WebhookSubscriberDisabled
            | WebhookSubscriberSignedUp
            | WebhookSubscriberConfirmed
            | WebhookSubscribed
            | WebhookPaused
            | WebhookResumed
            | WebhookDeleted
            | WebhookSecretRotated
            | WebhookReplayed
            | OperatorAdded
            | OperatorRemoved
            | OperatorSignedIn => EventType::ProfileChanged,
        }
    }
}

impl EventType {
    /// The kind of a change, from its type in the change feed (an action's word).
    pub fn of(change_type: &str) -> EventType {
        change_type
            .parse::<Action>()
            .map_or(EventType::ProfileChanged, Action::event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::TRANSITIONS;

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
            (
                "evidence.content_changed",
                EventType::EvidenceContentChanged,
            ),
            ("supplier.registered", EventType::ProfileChanged),
            ("supplier.company_flagged", EventType::CompanyFlagged),
            ("supplier.profile_updated", EventType::ProfileChanged),
            ("pledge.published", EventType::PledgeVersionPublished),
        ] {
            assert_eq!(EventType::of(t), kind, "{t}");
        }
    }

    #[test]
    fn a_transition_is_recorded_under_its_history_word() {
        for t in TRANSITIONS {
            assert_eq!(
                Action::of_transition(t).as_str(),
                format!("signature.{}", t.event())
            );
        }
    }
}
