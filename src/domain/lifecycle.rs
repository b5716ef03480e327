//! The status lifecycle of a signatory (SPEC §3), in one place.
//!
//! Every change of status, whoever asks for it, goes through [`transition`]: a pure
//! table from (state, transition, actor) to the next state, or the reason it is refused.
//! Nothing else decides what a status becomes.

use crate::str_enum;

str_enum!(
    /// Where a supplier stands with the pledge.
    Status {
        /// Registered, has not signed.
        Unsigned => "unsigned",
        /// Signed; identity not yet verified by the operator.
        Pending => "pending",
        /// Verified and within its reaffirm-by date.
        Active => "active",
        /// The reaffirm-by date passed; reaffirming makes it active again.
        Lapsed => "lapsed",
        /// Suspended by the operator, with a reason.
        Suspended => "suspended",
        /// Withdrawn; final for that signature.
        Withdrawn => "withdrawn",
    }
);

/// What someone asks to happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// A new signature of the current version.
    Sign,
    /// The open signature of an earlier version gives way to a new one.
    Supersede,
    /// The operator verified the supplier's identity.
    Verify,
    /// The identity the operator verified changed (name, company number or website).
    Unverify,
    Suspend,
    Reinstate,
    Reaffirm,
    Withdraw,
    Lapse,
}

pub const TRANSITIONS: [Transition; 9] = [
    Transition::Sign,
    Transition::Supersede,
    Transition::Verify,
    Transition::Unverify,
    Transition::Suspend,
    Transition::Reinstate,
    Transition::Reaffirm,
    Transition::Withdraw,
    Transition::Lapse,
];

impl Transition {
    /// The word recorded in history for this transition.
    pub fn event(&self) -> &'static str {
        match self {
            Transition::Sign => "signed",
            Transition::Supersede => "superseded",
            Transition::Verify => "verified",
            Transition::Unverify => "verification_ended",
            Transition::Suspend => "suspended",
            Transition::Reinstate => "reinstated",
            Transition::Reaffirm => "reaffirmed",
            Transition::Withdraw => "withdrawn",
            Transition::Lapse => "lapsed",
        }
    }

    /// Who may ask for it.
    fn allowed(&self, actor: Actor) -> bool {
        use Actor::*;
        match self {
            Transition::Sign | Transition::Supersede | Transition::Reaffirm => actor == Supplier,
            Transition::Verify | Transition::Suspend | Transition::Reinstate => actor == Operator,
            Transition::Unverify | Transition::Withdraw => matches!(actor, Supplier | Operator),
            Transition::Lapse => actor == System,
        }
    }
}

/// Who asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The supplier itself.
    Supplier,
    /// The registry operator.
    Operator,
    /// The registry's own jobs (lapsing).
    System,
}

/// Who is writing: as the audit log names them, and as the lifecycle table knows them.
#[derive(Debug, Clone)]
pub struct By {
    pub actor: String,
    pub who: Actor,
}

impl By {
    /// The registry's own jobs.
    pub fn system() -> By {
        By {
            actor: "system".into(),
            who: Actor::System,
        }
    }

    /// A member of a supplier, about their own membership.
    pub fn member(supplier: super::SupplierId, member: super::MemberId) -> By {
        By {
            actor: format!("supplier:{supplier}:member:{member}"),
            who: Actor::Supplier,
        }
    }

    /// A webhook subscriber, about its own account and subscriptions.
    pub fn subscriber(id: super::SubscriberId) -> By {
        By {
            actor: format!("subscriber:{id}"),
            who: Actor::System,
        }
    }
}

pub const ACTORS: [Actor; 3] = [Actor::Supplier, Actor::Operator, Actor::System];

/// The state a transition starts from, or ends in.
///
/// `status` is the status of the supplier's open signature; for a supplier with none it
/// is `Unsigned`, or `Withdrawn` when its latest signature was withdrawn.
/// `suspended_from` is, for a suspended signature, the status to go back to; for a
/// withdrawn one, set only when it was withdrawn while suspended (the suspension then
/// carries over to the next signature).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    pub status: Status,
    pub suspended_from: Option<Status>,
    /// Whether the operator verified the supplier's identity as it stands now.
    pub verified: bool,
}

/// Why a transition is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// This actor may never ask for it.
    NotYours(String),
    /// Not from this state.
    Conflict(String),
}

/// The state after `t`, asked for by `actor`, or why not. `overdue` says whether the
/// reaffirm-by date in force after the transition has passed.
pub fn transition(
    from: State,
    t: Transition,
    actor: Actor,
    overdue: bool,
) -> Result<State, Refusal> {
    use Status::*;
    if !t.allowed(actor) {
        return Err(Refusal::NotYours(format!(
            "{} may not be done by {}",
            t.event(),
            match actor {
                Actor::Supplier => "the supplier",
                Actor::Operator => "the operator",
                Actor::System => "the registry itself",
            }
        )));
    }
    let no = |why: &str| Err(Refusal::Conflict(why.to_owned()));
    // The status a signature in force has, for this identity and date.
    let standing = |verified: bool| match (overdue, verified) {
        (true, _) => Lapsed,
        (false, true) => Active,
        (false, false) => Pending,
    };
    let to = |status: Status, suspended_from: Option<Status>, verified: bool| {
        Ok(State {
            status,
            suspended_from,
            verified,
        })
    };
    let v = from.verified;
    match (t, from.status) {
        // Signing: only the operator ends a suspension, so a signature made after
        // withdrawing from one starts suspended, to return where a new one would.
        (Transition::Sign, Suspended) => {
            no("a suspended supplier cannot sign until the operator reinstates it")
        }
        (Transition::Sign, Withdrawn) if from.suspended_from.is_some() => {
            to(Suspended, Some(standing(v)), v)
        }
        (Transition::Sign, _) => to(standing(v), None, v),

        (Transition::Supersede, Pending | Active | Lapsed) => to(Withdrawn, None, v),
        (Transition::Supersede, Suspended) => {
            no("a suspended supplier cannot sign until the operator reinstates it")
        }
        (Transition::Supersede, _) => no("there is no signature in force to supersede"),

        (Transition::Verify, _) if v => no("the supplier's identity is already verified"),
        (Transition::Verify, Pending) => to(standing(true), None, true),
        (Transition::Verify, Suspended) => to(
            Suspended,
            from.suspended_from
                .map(|s| if s == Pending { Active } else { s }),
            true,
        ),
        (Transition::Verify, s) => to(s, from.suspended_from, true),

        (Transition::Unverify, _) if !v => no("the supplier's identity is not verified"),
        (Transition::Unverify, Active) => to(Pending, None, false),
        (Transition::Unverify, Suspended) => to(
            Suspended,
            from.suspended_from
                .map(|s| if s == Active { Pending } else { s }),
            false,
        ),
        (Transition::Unverify, s) => to(s, from.suspended_from, false),

        (_, Unsigned) => no("the supplier has not signed the pledge"),
        (_, Withdrawn) => no("the signature was withdrawn; the supplier must sign again"),

        (Transition::Suspend, Suspended) => no("the supplier is already suspended"),
        (Transition::Suspend, s) => to(Suspended, Some(s), v),

        (Transition::Reinstate, Suspended) => to(standing(v), None, v),
        (Transition::Reinstate, s) => no(&format!(
            "only a suspended supplier can be reinstated; it is {s}"
        )),

        (Transition::Reaffirm, Suspended) => {
            no("a suspended supplier cannot reaffirm until reinstated")
        }
        (Transition::Reaffirm, _) => to(standing(v), None, v),

        // Withdrawing while suspended keeps the suspension's mark (see Sign).
        (Transition::Withdraw, Suspended) => to(Withdrawn, from.suspended_from, v),
        (Transition::Withdraw, _) => to(Withdrawn, None, v),

        (Transition::Lapse, Active | Pending) if overdue => to(Lapsed, None, v),
        (Transition::Lapse, s) => no(&format!(
            "a signature that is {s} and in date does not lapse"
        )),
    }
}

#[cfg(test)]
mod tests;
