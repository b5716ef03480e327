//! One delivery attempt: a signed POST under the evidence checker's address rules.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Client;
use url::{Host, Url};

use super::{Secret, signature_header};
use crate::checker::address;
use crate::checker::resolve::GuardedResolver;

pub const USER_AGENT: &str = concat!(
    "TechPledgeRegistry-Webhooks/",
    env!("CARGO_PKG_VERSION"),
    " (changes to the Tech Pledge registry, for its subscribers)"
);

/// How much of a response is kept for the delivery log; the rest is not read.
pub const RESPONSE_KEPT: usize = 1024;

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The endpoint's answer, if it answered.
    pub status: Option<u16>,
    pub latency_ms: i64,
    /// The answer's first bytes (up to [`RESPONSE_KEPT`]), as text.
    pub response: String,
    /// Why there was no answer, or why the answer is not a delivery.
    pub error: Option<String>,
}

impl Attempt {
    /// A 2xx answer: the endpoint took the message.
    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Sends webhook messages.
pub struct Sender {
    client: Client,
    allow_loopback: bool,
}

impl Sender {
    /// `allow_loopback` (tests and local development only) also allows plain http to
    /// a loopback address.
    pub fn new(
        connect_timeout: Duration,
        timeout: Duration,
        allow_loopback: bool,
    ) -> anyhow::Result<Self> {
        crate::checker::install_crypto();
        let client = Client::builder()
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(connect_timeout)
            .timeout(timeout)
            .dns_resolver(Arc::new(GuardedResolver { allow_loopback }))
            .no_proxy()
            .build()?;
        Ok(Sender {
            client,
            allow_loopback,
        })
    }

    /// Checks an endpoint a subscriber gives: https, no credentials, and not a
    /// non-public address written as such (named hosts are checked on every
    /// resolution, so a name cannot be pointed inside later).
    pub fn endpoint(&self, raw: &str) -> Result<Url, String> {
        let url = Url::parse(raw.trim()).map_err(|e| format!("must be an https URL: {e}"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not hold a user name or password".into());
        }
        if url.fragment().is_some() {
            return Err("must not have a #fragment".into());
        }
        let literal = match url.host() {
            Some(Host::Ipv4(v4)) => Some(v4.into()),
            Some(Host::Ipv6(v6)) => Some(v6.into()),
            Some(Host::Domain(_)) => None,
            None => return Err("must name a host".into()),
        };
        if let Some(ip) = literal {
            address::check(ip, self.allow_loopback).map_err(|why| format!("{ip} is a {why}"))?;
        }
        let local_http = self.allow_loopback
            && url.scheme() == "http"
            && literal.is_some_and(|ip: std::net::IpAddr| ip.is_loopback());
        if url.scheme() != "https" && !local_http {
            return Err("must be an https URL".into());
        }
        Ok(url)
    }

    /// Posts one message, signed with every secret in force.
    pub async fn deliver(
        &self,
        url: &Url,
        id: &str,
        timestamp: i64,
        body: &[u8],
        secrets: &[&Secret],
    ) -> Attempt {
        let started = Instant::now();
        let sent = self
            .client
            .post(url.clone())
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                signature_header(secrets, id, timestamp, body),
            )
            .body(body.to_vec())
            .send()
            .await;
        let mut res = match sent {
            Ok(res) => res,
            Err(e) => {
                return Attempt {
                    status: None,
                    latency_ms: started.elapsed().as_millis() as i64,
                    response: String::new(),
                    error: Some(why(&e)),
                };
            }
        };
        let status = res.status().as_u16();
        let mut head = Vec::new();
        let mut error = None;
        while head.len() < RESPONSE_KEPT {
            match res.chunk().await {
                Ok(Some(chunk)) => head.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(e) => {
                    error = Some(format!("the answer broke off: {}", why(&e)));
                    break;
                }
            }
        }
        head.truncate(RESPONSE_KEPT);
        let latency_ms = started.elapsed().as_millis() as i64;
        if error.is_none() && !(200..300).contains(&status) {
            error = Some(if (300..400).contains(&status) {
                format!(
                    "HTTP {status}: redirects are not followed; register the address it leads to"
                )
            } else {
                format!("HTTP {status}")
            });
        }
        Attempt {
            status: Some(status),
            latency_ms,
            response: String::from_utf8_lossy(&head).into_owned(),
            error,
        }
    }
}

/// What went wrong, in words a subscriber may read: the class of the problem only. A
/// refused address is not named (nor what the host resolved to), so that the delivery
/// log cannot be used to map names inside the registry's network; the operator's log
/// has the details.
fn why(e: &reqwest::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(blocked) = s.downcast_ref::<crate::checker::resolve::Blocked>() {
            tracing::warn!(host = %blocked.host, why = blocked.why, "webhook endpoint refused");
            return "refused: the endpoint's host does not resolve to a public address".into();
        }
        source = s.source();
    }
    if e.is_timeout() {
        "no answer in time".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        "the request failed".into()
    }
}
