//! Companies House's public data API: one company's profile, asked within the API's
//! documented rate limit (600 requests in any 5 minutes for a key), with the key never
//! logged. The base address is a setting, so tests talk to a local stand-in.

pub mod window;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;

use crate::config::CompaniesHouseSettings;
use crate::domain::company::Profile;
use window::Window;

/// Requests allowed in [`PER`] (Companies House's documented limit).
pub const LIMIT: usize = 600;
pub const PER: Duration = Duration::from_secs(300);

/// The longest `Retry-After` waited for within one question; a longer one leaves the
/// company to the next round.
const LONGEST_WAIT: Duration = Duration::from_secs(60);

/// The largest profile read (a real one is a few KiB).
const BODY_LIMIT: usize = 256 * 1024;

/// What Companies House answered about one number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Found(Profile),
    /// 404: no company with this number.
    NotFound,
    /// No usable answer (an error, a timeout, a long rate limit), in words; asked again
    /// later.
    Failed(String),
}

pub struct Client {
    http: reqwest::Client,
    base: String,
    key: String,
    window: Mutex<Window>,
    /// Set by a 429: no request goes before this.
    paused_until: Mutex<Option<Instant>>,
}

impl Client {
    /// A client when a key is set; none turns the checks off.
    pub fn new(settings: &CompaniesHouseSettings) -> anyhow::Result<Option<Client>> {
        let Some(key) = &settings.key else {
            return Ok(None);
        };
        crate::checker::install_crypto();
        let http = reqwest::Client::builder()
            .user_agent(crate::checker::USER_AGENT)
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Some(Client {
            http,
            base: settings.url.clone(),
            key: key.0.clone(),
            window: Mutex::new(Window::new(LIMIT, PER)),
            paused_until: Mutex::new(None),
        }))
    }

    /// Waits until a request may go: within the window, and after any pause asked for.
    async fn turn(&self) {
        loop {
            let now = Instant::now();
            let paused = self
                .paused_until
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .filter(|until| *until > now);
            let wait = match paused {
                Some(until) => Some(until - now),
                None => self
                    .window
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take(now),
            };
            match wait {
                None => return,
                Some(w) => tokio::time::sleep(w).await,
            }
        }
    }

    /// The profile of company `number`; a 429 is waited out once when it asks for no
    /// more than a minute.
    pub async fn company(&self, number: &str) -> Answer {
        for attempt in 0..2 {
            self.turn().await;
            let url = format!("{}/company/{}", self.base, number);
            let res = match self
                .http
                .get(&url)
                .basic_auth(&self.key, Some(""))
                .header("Accept", "application/json")
                .send()
                .await
            {
                Ok(r) => r,
                Err(e) if e.is_timeout() => {
                    return Answer::Failed("Companies House did not answer in time".into());
                }
                Err(_) => return Answer::Failed("could not reach Companies House".into()),
            };
            match res.status() {
                StatusCode::OK => return read_profile(res).await,
                StatusCode::NOT_FOUND => return Answer::NotFound,
                StatusCode::TOO_MANY_REQUESTS => {
                    let wait = res
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map_or(PER, Duration::from_secs);
                    *self.paused_until.lock().unwrap_or_else(|p| p.into_inner()) =
                        Some(Instant::now() + wait);
                    if wait > LONGEST_WAIT || attempt == 1 {
                        return Answer::Failed(format!(
                            "Companies House asked the registry to wait {} s",
                            wait.as_secs()
                        ));
                    }
                }
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                    return Answer::Failed(
                        "Companies House refused the registry's key (REGISTRY_COMPANIES_HOUSE_KEY)"
                            .into(),
                    );
                }
                other => {
                    return Answer::Failed(format!(
                        "Companies House answered HTTP {}",
                        other.as_u16()
                    ));
                }
            }
        }
        Answer::Failed("Companies House kept asking the registry to wait".into())
    }
}

async fn read_profile(mut res: reqwest::Response) -> Answer {
    let mut body = Vec::new();
    loop {
        match res.chunk().await {
            Ok(Some(c)) if body.len() + c.len() <= BODY_LIMIT => body.extend_from_slice(&c),
            Ok(Some(_)) => return Answer::Failed("Companies House's answer was too large".into()),
            Ok(None) => break,
            Err(_) => return Answer::Failed("Companies House's answer was cut short".into()),
        }
    }
    match serde_json::from_slice::<Profile>(&body) {
        Ok(p) => Answer::Found(p),
        Err(_) => Answer::Failed("Companies House's answer was not a company profile".into()),
    }
}
