//! What one check found, and how a status code reads.

use crate::domain::evidence::EvidenceHealth;

/// The longest explanation of a check that is stored.
pub const MAX_DETAIL: usize = 500;

/// The result of checking one link once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub outcome: EvidenceHealth,
    /// The last HTTP status received, if any.
    pub http_status: Option<u16>,
    /// Where the link ended up, when that is not where it started.
    pub final_url: Option<String>,
    /// A short explanation for people (never a secret: URLs are public).
    pub detail: String,
    /// The document behind a link that answered, while snapshots are kept.
    pub found: Option<crate::snapshot::Found>,
}

impl Observation {
    pub fn new(
        outcome: EvidenceHealth,
        http_status: Option<u16>,
        detail: impl Into<String>,
    ) -> Self {
        Observation {
            outcome,
            http_status,
            final_url: None,
            detail: detail.into(),
            found: None,
        }
    }

    /// As stored and shown: the detail at most [`MAX_DETAIL`] characters, and a final
    /// address no longer than a URL the registry accepts (a server chooses it, so
    /// otherwise it could make every read of the record carry megabytes).
    pub fn bounded(mut self) -> Self {
        if self.detail.chars().count() > MAX_DETAIL {
            self.detail = self.detail.chars().take(MAX_DETAIL - 1).collect::<String>() + "…";
        }
        if self
            .final_url
            .as_ref()
            .is_some_and(|u| u.len() > crate::domain::web_url::MAX_URL_LEN)
        {
            self.final_url = None;
            self.detail = format!(
                "{}; it ended at an address longer than {} characters, not recorded",
                self.detail,
                crate::domain::web_url::MAX_URL_LEN
            );
        }
        self
    }
}

/// The outcome of a final (non-redirect) status, after retries.
pub fn of_status(status: u16) -> EvidenceHealth {
    match status {
        200..=299 => EvidenceHealth::Ok,
        401 | 403 | 429 | 999 => EvidenceHealth::Restricted,
        _ => EvidenceHealth::Broken,
    }
}

/// Statuses worth another attempt later in the same check.
pub fn is_transient(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_as_the_spec_says() {
        use EvidenceHealth::*;
        for (status, want) in [
            (200, Ok),
            (204, Ok),
            (401, Restricted),
            (403, Restricted),
            (429, Restricted),
            (999, Restricted),
            (400, Broken),
            (404, Broken),
            (410, Broken),
            (451, Broken),
            (500, Broken),
            (503, Broken),
        ] {
            assert_eq!(of_status(status), want, "{status}");
        }
        assert!(is_transient(503) && is_transient(429) && is_transient(500));
        assert!(!is_transient(404) && !is_transient(403));
    }
}

#[cfg(test)]
mod bounds {
    use super::*;

    #[test]
    fn what_a_server_says_is_bounded_before_it_is_stored() {
        let mut o = Observation::new(EvidenceHealth::Unreachable, None, "é".repeat(5000));
        o.final_url = Some(format!("https://example.org/{}", "a".repeat(3000)));
        let o = o.bounded();
        assert!(o.final_url.is_none());
        assert!(
            o.detail.chars().count() <= MAX_DETAIL + 100,
            "{}",
            o.detail.len()
        );
        assert!(o.detail.ends_with("not recorded"));
        let short = Observation::new(EvidenceHealth::Ok, Some(200), "HTTP 200").bounded();
        assert_eq!(short.detail, "HTTP 200");
    }
}
