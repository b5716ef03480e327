//! Per-client request limits for public reads and registrations. Each instance counts
//! on its own (behind a load balancer of N instances a client gets up to N times the
//! limit); the counts are a guard against abuse, not state that matters.
//!
//! Every limited response says where its client stands, in the fields of the IETF
//! httpapi draft "RateLimit header fields for HTTP" (draft-ietf-httpapi-ratelimit-headers):
//! `RateLimit-Policy: "reads";q=1200;w=60` (the quota and its window in seconds) and
//! `RateLimit: "reads";r=1187;t=42` (what remains, and seconds until the window
//! resets). A `304 Not Modified` is not counted: revalidating costs nothing.
//!
//! The counting is written here rather than taken from `governor`: a request is counted
//! before its answer is known and given back when the answer is a `304`, and governor's
//! limiters have no way to give a cell back.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};

use crate::error::Error;
use crate::http::problem::ApiError;

/// At most `max` requests per client in each `window`.
#[derive(Debug)]
pub struct Limiter {
    /// The policy's name in the `RateLimit` fields.
    name: &'static str,
    max: u32,
    window: Duration,
    clients: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

/// Where one client stands with one limiter, after a request was counted or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub policy: &'static str,
    pub quota: u32,
    pub window: Duration,
    pub remaining: u32,
    /// Until the window resets.
    pub reset: Duration,
    pub client: IpAddr,
}

impl Standing {
    /// The `RateLimit-Policy` and `RateLimit` header values.
    pub fn headers(&self) -> [(header::HeaderName, String); 2] {
        [
            (
                header::HeaderName::from_static("ratelimit-policy"),
                format!(
                    "\"{}\";q={};w={}",
                    self.policy,
                    self.quota,
                    self.window.as_secs()
                ),
            ),
            (
                header::HeaderName::from_static("ratelimit"),
                format!(
                    "\"{}\";r={};t={}",
                    self.policy,
                    self.remaining,
                    self.reset.as_secs_f64().ceil() as u64
                ),
            ),
        ]
    }
}

impl Limiter {
    /// Parses `600/min`, `20/h`, `5/s`, `100/day`; `off` (or nothing) means no limit.
    pub fn parse(
        name: &'static str,
        raw: Option<&str>,
        default: &str,
    ) -> Result<Option<Limiter>, String> {
        let raw = raw.unwrap_or(default).trim();
        if raw.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        let (n, per) = raw
            .split_once('/')
            .ok_or_else(|| format!("{raw:?} is not a rate such as 600/min"))?;
        let max: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("{raw:?} is not a rate such as 600/min"))?;
        let window = match per.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            "d" | "day" => Duration::from_secs(86_400),
            other => return Err(format!("{other:?} is not a period (s, min, h or day)")),
        };
        Ok(Some(Limiter {
            name,
            max: max.max(1),
            window,
            clients: Mutex::new(HashMap::new()),
        }))
    }

    /// Counts one request: `Ok` with what remains, or `Err` when the client is over
    /// its limit (nothing remains; `reset` is how long to wait).
    pub fn hit(&self, client: IpAddr, now: Instant) -> Result<Standing, Standing> {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if clients.len() > 100_000 {
            let window = self.window;
            clients.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = clients.entry(client).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        let over = entry.1 >= self.max;
        if !over {
            entry.1 += 1;
        }
        let standing = Standing {
            policy: self.name,
            quota: self.max,
            window: self.window,
            remaining: self.max - entry.1,
            reset: self.window.saturating_sub(now.duration_since(entry.0)),
            client,
        };
        if over { Err(standing) } else { Ok(standing) }
    }

    /// Gives back a request counted by [`Limiter::hit`] that turned out to cost
    /// nothing (a `304`); the standing it returns is the one the response reports.
    pub fn refund(&self, counted: Standing) -> Standing {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        match clients.get_mut(&counted.client) {
            Some(entry) if entry.1 > 0 => {
                entry.1 -= 1;
                Standing {
                    remaining: self.max - entry.1,
                    ..counted
                }
            }
            _ => counted,
        }
    }
}

/// The limits of one instance.
#[derive(Debug)]
pub struct RateLimits {
    pub reads: Option<Limiter>,
    pub registrations: Option<Limiter>,
    /// Requests for a sign-in link, per client (each address has its own limit too).
    pub sign_ins: Option<Limiter>,
    /// Concerns raised about suppliers, per client.
    pub concerns: Option<Limiter>,
    /// Take the client's address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// The page a person's browser is shown, over the limit on the site's pages, given
    /// the seconds to wait.
    pub refusal_page: fn(u64) -> HttpResponse,
}

fn client_of(req: &HttpRequest, trust_forwarded_for: bool) -> Option<IpAddr> {
    if trust_forwarded_for {
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        if let Some(ip) = forwarded
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
        {
            return Some(ip);
        }
    }
    req.peer_addr().map(|a| a.ip())
}

/// Counts one request of `req`'s client against `limiter`: the client's standing (none
/// when there is no limit), or a 429 when it is over. Either way the standing is left
/// in the request for [`enforce`] to report on the response.
fn count(
    limiter: Option<&Limiter>,
    req: &HttpRequest,
    limits: &RateLimits,
) -> Result<Option<Standing>, ApiError> {
    let (Some(limiter), Some(client)) = (limiter, client_of(req, limits.trust_forwarded_for))
    else {
        return Ok(None);
    };
    let result = limiter.hit(client, Instant::now());
    let standing = match result {
        Ok(s) | Err(s) => s,
    };
    req.extensions_mut().insert(standing);
    result
        .map(Some)
        .map_err(|s| ApiError::Domain(Error::TooManyRequests(s.reset.as_secs().max(1))))
}

/// Middleware: every read (GET or HEAD) counts against the read limit, except the
/// probes a load balancer and a monitor send. Any spelling of a path counts alike.
/// Every counted response carries the `RateLimit` fields; a browser over the limit on
/// the pages gets a page, anyone else a problem document; a `304` is given back.
pub async fn enforce(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limits = req.app_data::<web::Data<RateLimits>>().cloned();
    let mut counted = None;
    if let Some(limits) = &limits
        && matches!(*req.method(), Method::GET | Method::HEAD)
        && !is_probe(req.path())
    {
        match count(limits.reads.as_ref(), req.request(), limits) {
            Ok(standing) => counted = standing,
            Err(e) => {
                let res = refusal(req.request(), &e, limits.refusal_page);
                return Ok(with_standing(req.into_response(res)));
            }
        }
    }
    let res = next.call(req).await?.map_into_boxed_body();
    if let (Some(counted), Some(limits)) = (counted, &limits)
        && res.status() == StatusCode::NOT_MODIFIED
        && let Some(limiter) = limits.reads.as_ref()
    {
        res.request()
            .extensions_mut()
            .insert(limiter.refund(counted));
    }
    Ok(with_standing(res))
}

/// The paths a load balancer and a monitor poll: never limited.
pub fn is_probe(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// A 429: a page for a person's browser on the site's pages, else a problem document.
fn refusal(req: &HttpRequest, e: &ApiError, page: fn(u64) -> HttpResponse) -> HttpResponse {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    match e {
        ApiError::Domain(Error::TooManyRequests(wait))
            if wants_html && !req.path().starts_with("/api/") =>
        {
            page(*wait)
        }
        _ => actix_web::ResponseError::error_response(e),
    }
}

/// Adds the `RateLimit` fields of the standing counted for this request, if any.
fn with_standing(mut res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let standing = res.request().extensions().get::<Standing>().copied();
    if let Some(standing) = standing {
        for (name, value) in standing.headers() {
            if let Ok(value) = header::HeaderValue::from_str(&value) {
                res.headers_mut().insert(name, value);
            }
        }
    }
    res
}

/// A limit that one kind of write counts against.
pub trait Counted {
    fn limiter(limits: &RateLimits) -> Option<&Limiter>;
}

/// A request's place in its client's limit of kind `K`. Taken as a handler argument,
/// it is counted on the route that matched, however the path was spelled.
#[derive(Debug)]
pub struct Quota<K>(std::marker::PhantomData<K>);

impl<K: Counted> FromRequest for Quota<K> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(match req.app_data::<web::Data<RateLimits>>() {
            Some(limits) => {
                count(K::limiter(limits), req, limits).map(|_| Quota(std::marker::PhantomData))
            }
            None => Ok(Quota(std::marker::PhantomData)),
        })
    }
}

#[derive(Debug)]
pub struct Registrations;

impl Counted for Registrations {
    fn limiter(limits: &RateLimits) -> Option<&Limiter> {
        limits.registrations.as_ref()
    }
}

#[derive(Debug)]
pub struct SignIns;

impl Counted for SignIns {
    fn limiter(limits: &RateLimits) -> Option<&Limiter> {
        limits.sign_ins.as_ref()
    }
}

#[derive(Debug)]
pub struct Concerns;

impl Counted for Concerns {
    fn limiter(limits: &RateLimits) -> Option<&Limiter> {
        limits.concerns.as_ref()
    }
}

/// A concern's place in its client's limit.
pub type ConcernQuota = Quota<Concerns>;

/// A registration's place in its client's limit.
pub type RegistrationQuota = Quota<Registrations>;

/// A request for a sign-in link's place in its client's limit.
pub type SignInQuota = Quota<SignIns>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_client_and_window() {
        let l = Limiter::parse("reads", Some("2/min"), "off")
            .unwrap()
            .unwrap();
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let t = Instant::now();
        let first = l.hit(a, t).unwrap();
        assert_eq!((first.remaining, first.quota), (1, 2));
        let fields = first.headers().map(|(n, v)| (n.to_string(), v));
        assert_eq!(
            fields[0],
            ("ratelimit-policy".into(), "\"reads\";q=2;w=60".into())
        );
        assert_eq!(fields[1], ("ratelimit".into(), "\"reads\";r=1;t=60".into()));
        let second = l.hit(a, t + Duration::from_millis(20_500)).unwrap();
        assert_eq!(
            (second.remaining, second.reset.as_secs_f64().ceil()),
            (0, 40.0)
        );
        let refused = l.hit(a, t).unwrap_err();
        assert_eq!(refused.remaining, 0);
        assert_eq!(l.refund(second).remaining, 1, "a 304 is given back");
        assert!(l.hit(a, t).is_ok());
        assert!(l.hit(a, t).is_err());
        assert!(l.hit(b, t).is_ok(), "another client has its own count");
        assert!(
            l.hit(a, t + Duration::from_secs(61)).is_ok(),
            "a new window"
        );
        assert!(
            Limiter::parse("reads", Some("off"), "5/s")
                .unwrap()
                .is_none()
        );
        assert!(Limiter::parse("reads", Some("lots"), "5/s").is_err());
        assert!(Limiter::parse("reads", Some("5/fortnight"), "5/s").is_err());
    }
}
