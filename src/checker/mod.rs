//! The evidence checker: fetches evidence links politely and safely, and says what it
//! found. All outbound HTTP of the registry goes through here.

pub mod address;
pub mod body;
pub mod health;
pub mod outcome;
pub mod resolve;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use reqwest::header::{LOCATION, RETRY_AFTER};
use reqwest::{Client, Method, StatusCode};
use tokio::sync::Semaphore;
use url::{Host, Url};

use crate::config::CheckerSettings;
use crate::domain::evidence::EvidenceHealth;
use crate::snapshot::{self, Fetched, Found, Snapshot};
pub use outcome::Observation;
use resolve::{Blocked, GuardedResolver};

pub const USER_AGENT: &str = concat!(
    "TechPledgeRegistry-EvidenceChecker/",
    env!("CARGO_PKG_VERSION"),
    " (checks that evidence links published in the Tech Pledge registry still resolve)"
);

/// One answer to one request.
struct Answer {
    status: StatusCode,
    location: Option<String>,
    retry_after: Option<Duration>,
    /// The document, for a successful GET while snapshots are kept.
    found: Option<Found>,
}

/// Why a request got no answer.
enum NoAnswer {
    Blocked(String),
    Transport(String),
}

pub struct Checker {
    client: Client,
    settings: CheckerSettings,
    /// Requests in flight per host, bounded by `per_host`.
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Requests in flight in all, bounded by `concurrency`. A request takes its host's
    /// slot first and a global one after, so links queued behind a slow host hold no
    /// global slot, and nobody waits between attempts holding one.
    total: Arc<Semaphore>,
    /// Documents read into text at once: reading a large page takes a core and some
    /// memory, so no more than the machine has cores.
    reading: Arc<Semaphore>,
}

static CRYPTO: Once = Once::new();

/// Installs the TLS crypto provider that every HTTP client of the process uses.
pub fn install_crypto() {
    CRYPTO.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl Checker {
    pub fn new(settings: CheckerSettings) -> anyhow::Result<Self> {
        install_crypto();
        let client = Client::builder()
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .dns_resolver(Arc::new(GuardedResolver {
                allow_loopback: settings.allow_loopback,
            }))
            .no_proxy()
            .pool_max_idle_per_host(settings.per_host)
            .build()?;
        Ok(Checker {
            client,
            total: Arc::new(Semaphore::new(settings.concurrency)),
            reading: Arc::new(Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            settings,
            hosts: Mutex::new(HashMap::new()),
        })
    }

    pub fn settings(&self) -> &CheckerSettings {
        &self.settings
    }

    /// Checks one link: follows up to `max_redirects` redirects, checking every hop
    /// against the address rules, with retries for transient failures.
    pub async fn check(&self, raw: &str) -> Observation {
        let start = match Url::parse(raw) {
            Ok(u) => u,
            Err(e) => {
                return Observation::new(
                    EvidenceHealth::Broken,
                    None,
                    format!("not a valid URL: {e}"),
                );
            }
        };
        let mut url = start.clone();
        let mut seen: HashSet<Url> = HashSet::new();
        for hop in 0..=self.settings.max_redirects {
            if let Err(why) = self.allowed(&url) {
                return Observation::new(EvidenceHealth::Blocked, None, why);
            }
            seen.insert(url.clone());
            let answer = match self.fetch_with_retries(&url).await {
                Ok(a) => a,
                Err(NoAnswer::Blocked(why)) => {
                    return Observation::new(EvidenceHealth::Blocked, None, why);
                }
                Err(NoAnswer::Transport(why)) => {
                    return Observation::new(EvidenceHealth::Unreachable, None, why);
                }
            };
            let status = answer.status.as_u16();
            if answer.status.is_redirection() {
                let Some(next) = answer.location.as_deref().and_then(|l| url.join(l).ok()) else {
                    return Observation::new(
                        EvidenceHealth::Broken,
                        Some(status),
                        "redirect without a usable Location",
                    );
                };
                if seen.contains(&next) {
                    let mut o =
                        Observation::new(EvidenceHealth::Broken, Some(status), "redirect loop");
                    o.final_url = Some(next.to_string());
                    return o;
                }
                url = next;
                continue;
            }
            let mut outcome = outcome::of_status(status);
            let moved = hop > 0 && url != start;
            if outcome == EvidenceHealth::Ok && moved {
                outcome = EvidenceHealth::Redirected;
            }
            let detail = match outcome {
                EvidenceHealth::Restricted => {
                    "the server refuses automated clients; could not be checked automatically"
                        .to_owned()
                }
                _ => format!("HTTP {status}"),
            };
            let mut o = Observation::new(outcome, Some(status), detail);
            o.final_url = moved.then(|| url.to_string());
            if matches!(outcome, EvidenceHealth::Ok | EvidenceHealth::Redirected) {
                o.found = answer.found;
            }
            return o;
        }
        let mut o = Observation::new(
            EvidenceHealth::Broken,
            None,
            format!("more than {} redirects", self.settings.max_redirects),
        );
        o.final_url = Some(url.to_string());
        o
    }

    /// Scheme and literal-address rules for one hop; named hosts are checked when
    /// they are resolved.
    fn allowed(&self, url: &Url) -> Result<(), String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "{} links are not checked; only http and https",
                url.scheme()
            ));
        }
        let ip = match url.host() {
            Some(Host::Ipv4(v4)) => v4.into(),
            Some(Host::Ipv6(v6)) => v6.into(),
            Some(Host::Domain(_)) => return Ok(()),
            None => return Err("the link names no host".into()),
        };
        address::check(ip, self.settings.allow_loopback).map_err(|why| format!("{ip} is a {why}"))
    }

    fn host_slot(&self, url: &Url) -> Arc<Semaphore> {
        let key = format!(
            "{}:{}",
            url.host_str().unwrap_or(""),
            url.port_or_known_default().unwrap_or(0)
        );
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts.retain(|_, s| Arc::strong_count(s) > 1);
        hosts
            .entry(key)
            .or_insert_with(|| Arc::new(Semaphore::new(self.settings.per_host)))
            .clone()
    }

    /// Up to `retries` further attempts after a transient failure, waiting with
    /// exponential backoff, or as long as `Retry-After` asks (up to a bound).
    async fn fetch_with_retries(&self, url: &Url) -> Result<Answer, NoAnswer> {
        let mut attempt = 0;
        loop {
            let result = self.fetch(url).await;
            let transient = match &result {
                Ok(a) => outcome::is_transient(a.status.as_u16()),
                Err(NoAnswer::Transport(_)) => true,
                Err(NoAnswer::Blocked(_)) => false,
            };
            if !transient || attempt >= self.settings.retries {
                return result;
            }
            let backoff = self.settings.backoff * 2u32.saturating_pow(attempt);
            let wait = match &result {
                Ok(a) => match a.retry_after {
                    Some(asked) if asked > self.settings.max_retry_after => return result,
                    Some(asked) => asked,
                    None => backoff,
                },
                Err(_) => backoff,
            };
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// Reads a fetched document into a snapshot, on the blocking pool, a few at once.
    pub async fn read(&self, fetched: Fetched) -> Snapshot {
        let _turn = self.reading.acquire().await;
        let document = Arc::new(fetched);
        let kept = document.clone();
        match tokio::task::spawn_blocking(move || Snapshot::of(&kept)).await {
            Ok(s) => s,
            // Reading text never panics on any input the tests know; were it to, the
            // document is still kept by its hash.
            Err(_) => Snapshot {
                body_sha256: snapshot::sha256_hex(&document.body),
                content_type: document.content_type.clone(),
                size: document.body.len() as i64,
                text: None,
                note: Some(
                    "text not read: reading it failed; the document is kept by its hash".into(),
                ),
            },
        }
    }

    /// HEAD, then GET when HEAD is refused or unsupported, or GET alone while snapshots
    /// are kept (the body is wanted); with the host's slot, then a global one.
    async fn fetch(&self, url: &Url) -> Result<Answer, NoAnswer> {
        let shut = |_| NoAnswer::Transport("checker shut down".into());
        let slot = self.host_slot(url);
        let _host = slot.acquire().await.map_err(shut)?;
        let _any = self.total.acquire().await.map_err(shut)?;
        if self.settings.snapshots {
            return self.request(Method::GET, url).await;
        }
        let head = self.request(Method::HEAD, url).await?;
        if head.status.is_success()
            || head.status.is_redirection()
            || head.status == StatusCode::TOO_MANY_REQUESTS
        {
            return Ok(head);
        }
        self.request(Method::GET, url).await
    }

    async fn request(&self, method: Method, url: &Url) -> Result<Answer, NoAnswer> {
        let is_get = method == Method::GET;
        let res = self
            .client
            .request(method, url.clone())
            .send()
            .await
            .map_err(describe)?;
        let mut answer = Answer {
            status: res.status(),
            location: res
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            retry_after: res
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(retry_after),
            found: None,
        };
        if is_get && self.settings.snapshots && answer.status.is_success() {
            answer.found = Some(body::read(res, snapshot::BODY_LIMIT).await);
        } else if is_get {
            let mut res = res;
            body::drain(&mut res).await;
        }
        Ok(answer)
    }
}

/// Seconds, or an HTTP date, as `Retry-After` allows.
fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// Names a transport failure for people, and tells our own refusals apart.
fn describe(e: reqwest::Error) -> NoAnswer {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(s) = source {
        if let Some(b) = s.downcast_ref::<Blocked>() {
            return NoAnswer::Blocked(b.to_string());
        }
        source = s.source();
    }
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect (DNS, refused connection or TLS)"
    } else {
        "the connection failed"
    };
    let mut detail = kind.to_owned();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        detail = format!("{kind}: {s}");
        source = s.source();
    }
    NoAnswer::Transport(detail)
}

#[cfg(test)]
mod tests {
    use super::retry_after;
    use std::time::Duration;

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        assert_eq!(retry_after("3"), Some(Duration::from_secs(3)));
        let past = "Wed, 21 Oct 2015 07:28:00 GMT";
        assert_eq!(retry_after(past), Some(Duration::ZERO));
        assert_eq!(retry_after("soon"), None);
    }
}
