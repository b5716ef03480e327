//! The lifecycle table, tested over every (status, transition, actor).

use super::*;
use Status::*;
use Transition as T;

const STATUSES: [Status; 6] = [Unsigned, Pending, Active, Lapsed, Suspended, Withdrawn];

fn state(status: Status, suspended_from: Option<Status>, verified: bool) -> State {
    State {
        status,
        suspended_from,
        verified,
    }
}

/// Every state a supplier can be in.
fn all_states() -> Vec<State> {
    let mut out = Vec::new();
    for status in STATUSES {
        for verified in [false, true] {
            let marks: &[Option<Status>] = match status {
                Suspended => &[Some(Pending), Some(Active), Some(Lapsed)],
                Withdrawn => &[None, Some(Pending), Some(Active), Some(Lapsed)],
                _ => &[None],
            };
            for &m in marks {
                // An identity the operator did not verify is never active, and a
                // verified one is never pending: that is what verification decides.
                let shown = if status == Suspended { m } else { Some(status) };
                match (shown, verified) {
                    (Some(Active), false) | (Some(Pending), true) => continue,
                    _ => out.push(state(status, m, verified)),
                }
            }
        }
    }
    out
}

fn who_may(t: Transition) -> &'static [Actor] {
    match t {
        T::Sign | T::Supersede | T::Reaffirm => &[Actor::Supplier],
        T::Verify | T::Suspend | T::Reinstate => &[Actor::Operator],
        T::Unverify | T::Withdraw => &[Actor::Supplier, Actor::Operator],
        T::Lapse => &[Actor::System],
    }
}

/// One cell of the table: the outcome for a verified supplier whose date has not
/// passed (suspensions from `active`), written as the status reached or `-` for refused.
fn expected(status: Status, t: Transition) -> &'static str {
    // columns: Sign Supersede Verify Unverify Suspend Reinstate Reaffirm Withdraw Lapse
    let row: [&str; 9] = match status {
        Unsigned => ["active", "-", "-", "unsigned", "-", "-", "-", "-", "-"],
        Pending => [
            "active",
            "withdrawn",
            "-",
            "pending",
            "suspended",
            "-",
            "active",
            "withdrawn",
            "-",
        ],
        Active => [
            "active",
            "withdrawn",
            "-",
            "pending",
            "suspended",
            "-",
            "active",
            "withdrawn",
            "-",
        ],
        Lapsed => [
            "active",
            "withdrawn",
            "-",
            "lapsed",
            "suspended",
            "-",
            "active",
            "withdrawn",
            "-",
        ],
        Suspended => [
            "-",
            "-",
            "-",
            "suspended",
            "-",
            "active",
            "-",
            "withdrawn",
            "-",
        ],
        Withdrawn => ["active", "-", "-", "withdrawn", "-", "-", "-", "-", "-"],
    };
    let col = TRANSITIONS.iter().position(|x| *x == t).unwrap();
    row[col]
}

#[test]
fn the_table_for_a_verified_supplier_in_date() {
    for status in STATUSES {
        let from = state(status, (status == Suspended).then_some(Active), true);
        for t in TRANSITIONS {
            for actor in ACTORS {
                let got = transition(from, t, actor, false);
                if !who_may(t).contains(&actor) {
                    assert!(
                        matches!(got, Err(Refusal::NotYours(_))),
                        "{t:?} by {actor:?} from {status}: {got:?}"
                    );
                    continue;
                }
                let got = match got {
                    Ok(s) => s.status.as_str(),
                    Err(Refusal::Conflict(_)) => "-",
                    Err(e) => panic!("{t:?} by {actor:?} from {status}: {e:?}"),
                };
                assert_eq!(got, expected(status, t), "{t:?} by {actor:?} from {status}");
            }
        }
    }
}

#[test]
fn an_unverified_or_overdue_supplier() {
    let s = Actor::Supplier;
    let o = Actor::Operator;
    let cases = [
        // (from, verified, transition, actor, overdue, status reached)
        (Unsigned, false, T::Sign, s, false, Pending),
        (Withdrawn, false, T::Sign, s, false, Pending),
        (Pending, false, T::Verify, o, false, Active),
        (Pending, false, T::Verify, o, true, Lapsed),
        (Pending, false, T::Reaffirm, s, false, Pending),
        (Lapsed, false, T::Reaffirm, s, false, Pending),
        (Lapsed, false, T::Verify, o, true, Lapsed),
        (Unsigned, false, T::Verify, o, false, Unsigned),
        (Active, true, T::Lapse, Actor::System, true, Lapsed),
        (Pending, false, T::Lapse, Actor::System, true, Lapsed),
        (Suspended, false, T::Reinstate, o, false, Pending),
        (Suspended, true, T::Reinstate, o, true, Lapsed),
    ];
    for (status, verified, t, actor, overdue, want) in cases {
        let from = state(status, (status == Suspended).then_some(Active), verified);
        assert_eq!(
            transition(from, t, actor, overdue).map(|s| s.status),
            Ok(want),
            "{t:?} by {actor:?} from {status} (verified {verified}, overdue {overdue})"
        );
    }
    for (status, verified, t) in [
        (Pending, false, T::Lapse),
        (Active, true, T::Lapse),
        (Pending, false, T::Unverify),
        (Active, true, T::Verify),
    ] {
        let actor = who_may(t)[0];
        assert!(
            transition(state(status, None, verified), t, actor, false).is_err(),
            "{t:?} from {status}"
        );
    }
}

#[test]
fn only_the_operator_ends_a_suspension() {
    for from in all_states() {
        let held =
            from.status == Suspended || (from.status == Withdrawn && from.suspended_from.is_some());
        if !held {
            continue;
        }
        for t in TRANSITIONS {
            for actor in [Actor::Supplier, Actor::System] {
                if let Ok(to) = transition(from, t, actor, false) {
                    assert!(
                        to.status == Suspended
                            || (to.status == Withdrawn && to.suspended_from.is_some()),
                        "{t:?} by {actor:?} lifted a suspension: {from:?} -> {to:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn withdrawing_from_a_suspension_and_signing_again_stays_suspended() {
    let s = Actor::Supplier;
    let active = state(Active, None, true);
    let suspended = transition(active, T::Suspend, Actor::Operator, false).unwrap();
    let withdrawn = transition(suspended, T::Withdraw, s, false).unwrap();
    let signed = transition(withdrawn, T::Sign, s, false).unwrap();
    assert_eq!(signed.status, Suspended);
    let reinstated = transition(signed, T::Reinstate, Actor::Operator, false).unwrap();
    assert_eq!(reinstated.status, Active);
    // A withdrawal without a suspension leaves no mark.
    let clean = transition(active, T::Withdraw, s, false).unwrap();
    assert_eq!(transition(clean, T::Sign, s, false).unwrap().status, Active);
}

#[test]
fn nothing_is_active_without_a_verified_identity() {
    for from in all_states() {
        for t in TRANSITIONS {
            for actor in ACTORS {
                for overdue in [false, true] {
                    if let Ok(to) = transition(from, t, actor, overdue) {
                        assert!(
                            to.status != Active || to.verified,
                            "{t:?} by {actor:?} from {from:?} gave an unverified active"
                        );
                        assert!(
                            to.status != Suspended
                                || to.suspended_from != Some(Active)
                                || to.verified,
                            "{t:?} by {actor:?} from {from:?} would reinstate to an unverified active"
                        );
                        assert!(
                            !(overdue && to.status == Active),
                            "{t:?} by {actor:?} from {from:?} is active past its date"
                        );
                    }
                }
            }
        }
    }
}

/// Random sequences of every transition by every actor, from a new registration: the
/// states reached are the ones the table tests above cover, and the promises hold in
/// each of them.
#[test]
fn random_sequences_keep_the_promises() {
    let reachable = all_states();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for _ in 0..2_000 {
        let mut at = state(Unsigned, None, false);
        // Whether the operator suspended and has not reinstated since.
        let mut held = false;
        for _ in 0..50 {
            let t = TRANSITIONS[next(TRANSITIONS.len())];
            let actor = ACTORS[next(ACTORS.len())];
            let overdue = next(4) == 0;
            let Ok(to) = transition(at, t, actor, overdue) else {
                continue;
            };
            match t {
                T::Suspend => held = true,
                T::Reinstate => held = false,
                _ => {}
            }
            assert!(reachable.contains(&to), "{to:?} after {t:?} from {at:?}");
            assert!(to.status != Active || to.verified, "{to:?}");
            if held {
                assert!(
                    matches!(to.status, Suspended | Withdrawn),
                    "{t:?} by {actor:?} ended a suspension: {at:?} -> {to:?}"
                );
            }
            at = to;
        }
    }
}
