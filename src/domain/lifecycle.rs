//! The status lifecycle of a signatory (SPEC §3), in one place.
//!
//! Every transition a person or the system can ask for goes through [`transition`], which
//! either gives the new status or says why the move is not allowed.

use chrono::NaiveDateTime;

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

/// What someone asks to happen to a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Verify,
    Suspend,
    Reinstate,
    Reaffirm,
    Withdraw,
    Lapse,
}

impl Transition {
    /// The word recorded in history for this transition.
    pub fn event(&self) -> &'static str {
        match self {
            Transition::Verify => "verified",
            Transition::Suspend => "suspended",
            Transition::Reinstate => "reinstated",
            Transition::Reaffirm => "reaffirmed",
            Transition::Withdraw => "withdrawn",
            Transition::Lapse => "lapsed",
        }
    }
}

/// The state a transition starts from.
#[derive(Debug, Clone, Copy)]
pub struct Current {
    pub status: Status,
    /// For a suspended signature, the status to go back to.
    pub suspended_from: Option<Status>,
    pub reaffirm_by: NaiveDateTime,
}

/// The status after `t`, or why `t` is not allowed from `from`.
/// `reaffirm_by` is the date in force after the transition.
pub fn transition(
    from: Current,
    t: Transition,
    now: NaiveDateTime,
    reaffirm_by: NaiveDateTime,
) -> Result<Status, String> {
    use Status::*;
    let in_date = |s: Status| {
        if s == Active && reaffirm_by <= now {
            Lapsed
        } else {
            s
        }
    };
    match (t, from.status) {
        (_, Unsigned) => Err("the supplier has not signed the pledge".into()),
        (_, Withdrawn) => Err("the signature was withdrawn; the supplier must sign again".into()),
        (Transition::Verify, Pending) => Ok(in_date(Active)),
        (Transition::Verify, _) => Err("the supplier's identity is already verified".into()),
        (Transition::Suspend, Suspended) => Err("the supplier is already suspended".into()),
        (Transition::Suspend, _) => Ok(Suspended),
        (Transition::Reinstate, Suspended) => Ok(in_date(from.suspended_from.unwrap_or(Pending))),
        (Transition::Reinstate, s) => Err(format!(
            "only a suspended supplier can be reinstated; it is {s}"
        )),
        (Transition::Reaffirm, Suspended) => {
            Err("a suspended supplier cannot reaffirm until reinstated".into())
        }
        (Transition::Reaffirm, Pending) => Ok(Pending),
        (Transition::Reaffirm, _) => Ok(in_date(Active)),
        (Transition::Withdraw, _) => Ok(Withdrawn),
        (Transition::Lapse, Active) if reaffirm_by <= now => Ok(Lapsed),
        (Transition::Lapse, s) => Err(format!(
            "a signature that is {s} and in date does not lapse"
        )),
    }
}

/// Status of a new signature: active if the operator already verified the supplier.
pub fn on_signing(verified: bool) -> Status {
    if verified {
        Status::Active
    } else {
        Status::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, Utc};

    fn at(status: Status, from: Option<Status>) -> Current {
        let now = Utc::now().naive_utc();
        Current {
            status,
            suspended_from: from,
            reaffirm_by: now + Duration::days(30),
        }
    }

    #[test]
    fn the_legal_moves() {
        let now = Utc::now().naive_utc();
        let later = now + Duration::days(30);
        let past = now - Duration::days(1);
        use Status::*;
        use Transition as T;
        let cases = [
            (at(Pending, None), T::Verify, later, Ok(Active)),
            (at(Pending, None), T::Verify, past, Ok(Lapsed)),
            (at(Active, None), T::Suspend, later, Ok(Suspended)),
            (at(Lapsed, None), T::Suspend, later, Ok(Suspended)),
            (at(Suspended, Some(Active)), T::Reinstate, later, Ok(Active)),
            (at(Suspended, Some(Active)), T::Reinstate, past, Ok(Lapsed)),
            (
                at(Suspended, Some(Pending)),
                T::Reinstate,
                later,
                Ok(Pending),
            ),
            (at(Lapsed, None), T::Reaffirm, later, Ok(Active)),
            (at(Pending, None), T::Reaffirm, later, Ok(Pending)),
            (at(Active, None), T::Withdraw, later, Ok(Withdrawn)),
            (
                at(Suspended, Some(Active)),
                T::Withdraw,
                later,
                Ok(Withdrawn),
            ),
            (at(Active, None), T::Lapse, past, Ok(Lapsed)),
        ];
        for (from, t, by, want) in cases {
            assert_eq!(
                transition(from, t, now, by),
                want,
                "{t:?} from {:?}",
                from.status
            );
        }
    }

    #[test]
    fn the_illegal_moves() {
        let now = Utc::now().naive_utc();
        let later = now + Duration::days(30);
        use Status::*;
        use Transition as T;
        for (status, t) in [
            (Active, T::Verify),
            (Active, T::Reinstate),
            (Pending, T::Reinstate),
            (Suspended, T::Suspend),
            (Suspended, T::Reaffirm),
            (Withdrawn, T::Withdraw),
            (Withdrawn, T::Reaffirm),
            (Unsigned, T::Suspend),
            (Active, T::Lapse),
        ] {
            assert!(
                transition(at(status, None), t, now, later).is_err(),
                "{t:?} from {status}"
            );
        }
    }
}
