//! Per-client request limits for public reads and registrations. Each instance counts
//! on its own (behind a load balancer of N instances a client gets up to N times the
//! limit); the counts are a guard against abuse, not state that matters.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest};

use crate::app::State;
use crate::error::ApiError;

/// At most `max` requests per client in each `window`.
#[derive(Debug)]
pub struct Limiter {
    max: u32,
    window: Duration,
    clients: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Limiter {
    /// Parses `600/min`, `20/h`, `5/s`, `100/day`; `off` (or nothing) means no limit.
    pub fn parse(raw: Option<&str>, default: &str) -> Result<Option<Limiter>, String> {
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
            max: max.max(1),
            window,
            clients: Mutex::new(HashMap::new()),
        }))
    }

    /// Counts one request; `Err(wait)` when the client is over its limit.
    pub fn hit(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if clients.len() > 100_000 {
            let window = self.window;
            clients.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = clients.entry(client).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.max {
            return Err(self.window.saturating_sub(now.duration_since(entry.0)));
        }
        entry.1 += 1;
        Ok(())
    }
}

/// The limits of one instance.
#[derive(Debug)]
pub struct RateLimits {
    pub reads: Option<Limiter>,
    pub registrations: Option<Limiter>,
    /// Take the client's address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
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

/// Counts one request of `req`'s client against `limiter`: a 429 when over it.
fn count(limiter: Option<&Limiter>, req: &HttpRequest, state: &State) -> Result<(), ApiError> {
    match (
        limiter,
        client_of(req, state.rate_limits.trust_forwarded_for),
    ) {
        (Some(limiter), Some(client)) => limiter
            .hit(client, Instant::now())
            .map_err(|wait| ApiError::TooManyRequests(wait.as_secs().max(1))),
        _ => Ok(()),
    }
}

/// Middleware: every read (GET or HEAD) counts against the read limit, except the
/// probes a load balancer and a monitor send. Any spelling of a path counts alike.
pub async fn enforce(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if let Some(state) = req.app_data::<State>().cloned()
        && matches!(*req.method(), Method::GET | Method::HEAD)
        && !matches!(req.path(), "/healthz" | "/readyz" | "/metrics")
        && let Err(e) = count(state.rate_limits.reads.as_ref(), req.request(), &state)
    {
        let res = actix_web::ResponseError::error_response(&e);
        return Ok(req.into_response(res));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// A registration's place in its client's limit. Taken as a handler argument, it is
/// counted on the route that matched, however the path was spelled.
#[derive(Debug)]
pub struct RegistrationQuota;

impl FromRequest for RegistrationQuota {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(match req.app_data::<State>() {
            Some(state) => count(state.rate_limits.registrations.as_ref(), req, state)
                .map(|()| RegistrationQuota),
            None => Ok(RegistrationQuota),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_client_and_window() {
        let l = Limiter::parse(Some("2/min"), "off").unwrap().unwrap();
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let t = Instant::now();
        assert!(l.hit(a, t).is_ok() && l.hit(a, t).is_ok());
        assert!(l.hit(a, t).is_err());
        assert!(l.hit(b, t).is_ok(), "another client has its own count");
        assert!(
            l.hit(a, t + Duration::from_secs(61)).is_ok(),
            "a new window"
        );
        assert!(Limiter::parse(Some("off"), "5/s").unwrap().is_none());
        assert!(Limiter::parse(Some("lots"), "5/s").is_err());
        assert!(Limiter::parse(Some("5/fortnight"), "5/s").is_err());
    }
}
