//! A sliding window of requests: at most `limit` in any `per`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

pub struct Window {
    limit: usize,
    per: Duration,
    sent: VecDeque<Instant>,
}

impl Window {
    pub fn new(limit: usize, per: Duration) -> Window {
        Window {
            limit: limit.max(1),
            per,
            sent: VecDeque::new(),
        }
    }

    /// Takes a request's place at `now` when there is one (`None`), or says how long
    /// to wait before asking again.
    pub fn take(&mut self, now: Instant) -> Option<Duration> {
        while self
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.per)
        {
            self.sent.pop_front();
        }
        if self.sent.len() < self.limit {
            self.sent.push_back(now);
            return None;
        }
        let oldest = *self.sent.front().expect("full");
        Some(self.per - now.duration_since(oldest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_more_than_the_limit_go_in_any_window() {
        let start = Instant::now();
        let mut w = Window::new(600, Duration::from_secs(300));
        for i in 0..600 {
            assert_eq!(w.take(start + Duration::from_millis(i)), None, "{i}");
        }
        // The 601st waits until the first leaves the window.
        let at = start + Duration::from_secs(10);
        assert_eq!(w.take(at), Some(Duration::from_secs(290)));
        assert_eq!(
            w.take(start + Duration::from_secs(299)),
            Some(Duration::from_secs(1))
        );
        assert_eq!(w.take(start + Duration::from_secs(300)), None);
        assert!(
            w.take(start + Duration::from_secs(300)).is_some(),
            "the second still waits"
        );
    }
}
