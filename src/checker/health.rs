//! How one observation changes a link's stored health: a link turns broken or
//! unreachable only after N consecutive failed checks, so one bad minute does not
//! flag a supplier.

use chrono::NaiveDateTime;

use super::outcome::Observation;
use crate::domain::evidence::EvidenceHealth;

/// The part of a link's health that carries over from check to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Health {
    pub status: EvidenceHealth,
    pub consecutive_failures: i32,
    pub last_ok_at: Option<NaiveDateTime>,
}

/// The health after `obs`; `threshold` consecutive failures flag the link.
pub fn apply(prev: Health, obs: &Observation, threshold: u32, now: NaiveDateTime) -> Health {
    use EvidenceHealth::*;
    match obs.outcome {
        Ok | Redirected => Health {
            status: obs.outcome,
            consecutive_failures: 0,
            last_ok_at: Some(now),
        },
        // Neutral: the server answered but refuses robots, or our own rules refused it.
        Restricted | Blocked | Pending => Health {
            status: obs.outcome,
            consecutive_failures: 0,
            last_ok_at: prev.last_ok_at,
        },
        Broken | Unreachable => {
            let failures = prev.consecutive_failures.saturating_add(1);
            let status = if failures >= threshold as i32 {
                obs.outcome
            } else {
                prev.status
            };
            Health {
                status,
                consecutive_failures: failures,
                last_ok_at: prev.last_ok_at,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EvidenceHealth::*;

    fn obs(outcome: EvidenceHealth) -> Observation {
        Observation::new(outcome, None, "")
    }

    #[test]
    fn a_link_turns_broken_only_after_the_threshold() {
        let now = chrono::Utc::now().naive_utc();
        let mut h = Health {
            status: Ok,
            consecutive_failures: 0,
            last_ok_at: Some(now),
        };
        for (i, want) in [(1, Ok), (2, Ok), (3, Broken), (4, Broken)] {
            h = apply(h, &obs(Broken), 3, now);
            assert_eq!((h.consecutive_failures, h.status), (i, want));
        }
        h = apply(h, &obs(Unreachable), 3, now);
        assert_eq!(h.status, Unreachable);
        h = apply(h, &obs(Ok), 3, now);
        assert_eq!((h.status, h.consecutive_failures), (Ok, 0));
    }

    #[test]
    fn new_links_stay_pending_until_flagged_and_restricted_never_fails() {
        let now = chrono::Utc::now().naive_utc();
        let start = Health {
            status: Pending,
            consecutive_failures: 0,
            last_ok_at: None,
        };
        let h = apply(start, &obs(Unreachable), 3, now);
        assert_eq!((h.status, h.consecutive_failures), (Pending, 1));
        let h = apply(h, &obs(Restricted), 3, now);
        assert_eq!(
            (h.status, h.consecutive_failures, h.last_ok_at),
            (Restricted, 0, None)
        );
        let h = apply(start, &obs(Broken), 1, now);
        assert_eq!(h.status, Broken, "a threshold of one flags at once");
    }
}
