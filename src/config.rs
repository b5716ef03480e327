//! Typed settings, read once from `REGISTRY_*` variables and `DATABASE_URL`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};

/// Everything the service can be told from outside. Built once and passed in.
#[derive(Debug, Clone)]
pub struct Config {
    /// `REGISTRY_BIND`: where the HTTP server listens.
    pub bind: SocketAddr,
    /// `REGISTRY_DATA_DIR`: the folder for the SQLite file and the generated key.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`: a SQLite path, or `postgres://...`.
    pub database_url: String,
    /// `REGISTRY_SIGNING_KEY_FILE`: the Ed25519 key (PKCS#8 PEM) that signs tokens.
    pub signing_key_file: PathBuf,
    /// `REGISTRY_KEY_RELOAD`: how often an instance re-reads its signing key file, so
    /// that a rotation reaches every instance sharing the file without a restart
    /// (default 10s; `off` reads it only at start).
    pub key_reload: Option<Duration>,
    /// `REGISTRY_REAFFIRM_MONTHS`: how long a signature holds before it must be reaffirmed.
    pub reaffirm_months: u32,
    /// `REGISTRY_PUBLIC_URL`: the address the registry is reached at, used as token issuer.
    pub public_url: String,
    /// `REGISTRY_DB_POOL_SIZE`: connections kept open to the database.
    pub db_pool_size: u32,
    /// `REGISTRY_TOKEN_DAYS`: lifetime of tokens issued without an explicit one.
    pub token_days: u32,
    /// `REGISTRY_MAX_BODY_BYTES`: the largest request body accepted.
    pub max_body_bytes: usize,
    /// `REGISTRY_MAX_HEADER_BYTES`: the largest total of request header names and values.
    pub max_header_bytes: usize,
    /// `REGISTRY_READ_CACHE`: memory for finished public reads kept per instance, such as
    /// `64MiB` (the default); `0` serves every read from the database.
    pub read_cache_bytes: u64,
    /// `REGISTRY_RATE_LIMIT_READS`: public reads per client, e.g. `600/min`, or `off`.
    pub rate_limit_reads: Option<String>,
    /// `REGISTRY_RATE_LIMIT_REGISTRATIONS`: registrations per client, e.g. `20/h`, or `off`.
    pub rate_limit_registrations: Option<String>,
    /// `REGISTRY_RATE_LIMIT_SIGN_IN`: sign-in links asked for per client, e.g. `30/h`, or `off`.
    pub rate_limit_sign_in: Option<String>,
    /// `REGISTRY_RATE_LIMIT_CONCERNS`: concerns raised per client, e.g. `10/h`, or `off`.
    pub rate_limit_concerns: Option<String>,
    /// `REGISTRY_OPERATOR_EMAIL`: where a concern raised about a supplier is emailed
    /// (none: concerns are only listed at `/api/v1/admin/concerns`), the Reply-To of
    /// letters that invite a reply, and the contact the pages give.
    pub operator_email: Option<String>,
    /// `REGISTRY_TRUST_FORWARDED_FOR`: count clients by `X-Forwarded-For` (behind a trusted proxy only).
    pub trust_forwarded_for: bool,
    /// How the evidence checker behaves (`REGISTRY_CHECK_*`).
    pub checker: CheckerSettings,
    /// `REGISTRY_SNAPSHOTS_PUBLIC`: whether anyone may read the text of evidence
    /// snapshots and its changes (on by default); off, only the supplier's members and
    /// the operator do. Hashes and dates are public either way.
    pub snapshots_public: bool,
    /// `REGISTRY_ATTESTATION_TTL`: how long an attestation is valid.
    pub attestation_ttl: Duration,
    /// `REGISTRY_WITNESSES`: the witnesses asked to cosign each checkpoint, as
    /// `<verifier key> <URL>` entries separated by commas (read by
    /// `witness::client::parse_setting`); none by default.
    pub witnesses: Option<String>,
    /// `REGISTRY_LAPSE_INTERVAL`: how often signatures past their reaffirm-by date are
    /// lapsed and certification expiries recorded; `off` stops it.
    pub lapse_interval: Option<Duration>,
    /// How mail is sent (`REGISTRY_SMTP_URL`, `REGISTRY_MAIL_*`).
    pub mail: MailSettings,
    /// `REGISTRY_REMINDER_INTERVAL`: how often due reminders (reaffirming, expiring
    /// certifications and tokens) are written; `off` stops them.
    pub reminder_interval: Option<Duration>,
    /// How webhooks are delivered (`REGISTRY_WEBHOOK_*`).
    pub webhooks: WebhookSettings,
    /// How companies are checked with Companies House (`REGISTRY_COMPANIES_HOUSE_*`).
    pub companies_house: CompaniesHouseSettings,
}

/// Settings of the Companies House checks.
#[derive(Debug, Clone)]
pub struct CompaniesHouseSettings {
    /// `REGISTRY_COMPANIES_HOUSE_KEY`: the API key of the public data API; none turns
    /// the checks off.
    pub key: Option<Secret>,
    /// `REGISTRY_COMPANIES_HOUSE_URL`: the API's address (default
    /// `https://api.company-information.service.gov.uk`).
    pub url: String,
    /// `REGISTRY_COMPANIES_HOUSE_TIMEOUT`: one request, connection to answer (default 10s).
    pub timeout: Duration,
    /// `REGISTRY_COMPANIES_HOUSE_INTERVAL`: how often suppliers due a check are looked
    /// for (default 30s); each supplier is asked about at most daily, and soon after
    /// registering or changing its number.
    pub interval: Duration,
}

/// Settings of webhook delivery. Endpoints are reached under the evidence checker's
/// address rules (`REGISTRY_CHECKER_ALLOW_LOOPBACK` also allows loopback endpoints).
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// `REGISTRY_WEBHOOK_SIGN_UP`: whether procurement tools may sign up for webhooks
    /// themselves with a confirmed address (on by default); off, only the operator adds
    /// subscribers.
    pub sign_up: bool,
    /// `REGISTRY_WEBHOOK_INTERVAL`: how often subscriptions are looked at; `off` delivers nothing.
    pub interval: Option<Duration>,
    /// `REGISTRY_WEBHOOK_TIMEOUT`: one delivery, connection to answer.
    pub timeout: Duration,
    /// `REGISTRY_WEBHOOK_RETRY`: the wait after a failed delivery; it doubles, up to an hour.
    pub retry: Duration,
    /// `REGISTRY_WEBHOOK_GIVE_UP`: a subscription failing this long is disabled.
    pub give_up_after: Duration,
    /// `REGISTRY_WEBHOOK_CONCURRENCY`: subscriptions delivered at once per instance.
    pub concurrency: usize,
    /// `REGISTRY_WEBHOOK_LEASE`: how long a subscription claimed by an instance stays
    /// claimed if that instance dies (renewed after every delivery).
    pub lease: Duration,
    /// `REGISTRY_WEBHOOK_SHARE`: delivery slots one subscriber may hold at once, across
    /// instances, however many subscriptions it has (default 4; at most the
    /// concurrency).
    pub share: usize,
    /// `REGISTRY_WEBHOOK_LOG_DAYS`: how long delivery attempts are kept (default 30;
    /// each subscription also keeps only its newest 1,000).
    pub log_days: u32,
}

/// Settings of mail.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `REGISTRY_SMTP_URL`: the mail server, such as `smtps://user:password@smtp.example.org`
    /// (TLS), `smtp://user:password@smtp.example.org?tls=required` (STARTTLS) or
    /// `smtp://127.0.0.1:1025` (a local catcher). None: mail is written as `.eml` files.
    pub smtp_url: Option<Secret>,
    /// `REGISTRY_MAIL_FROM`: the sender, such as `Tech Pledge registry <registry@example.org>`.
    pub from: String,
    /// `REGISTRY_MAIL_DIR`: where mail is written with no mail server (`<data>/mail`).
    pub folder: PathBuf,
    /// `REGISTRY_MAIL_INTERVAL`: how often the outbox is looked at; `off` sends nothing.
    pub interval: Option<Duration>,
    /// `REGISTRY_MAIL_RETRY`: the wait after a failed attempt; it doubles each time.
    pub retry: Duration,
    /// `REGISTRY_MAIL_ATTEMPTS`: attempts before the registry gives up on a message.
    pub attempts: u32,
}

/// A setting that holds a password: never printed.
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<secret>")
    }
}

/// Settings of the evidence checker.
#[derive(Debug, Clone)]
pub struct CheckerSettings {
    /// `REGISTRY_CHECK_INTERVAL`: how often each link is checked; `off` stops the schedule.
    pub interval: Option<Duration>,
    /// `REGISTRY_CHECK_FAILURE_THRESHOLD`: consecutive failed checks before a link shows as failing.
    pub failure_threshold: u32,
    /// `REGISTRY_CHECK_CONCURRENCY`: links checked at once, in all.
    pub concurrency: usize,
    /// `REGISTRY_CHECK_PER_HOST`: requests at once to one host.
    pub per_host: usize,
    /// `REGISTRY_CHECK_CONNECT_TIMEOUT`.
    pub connect_timeout: Duration,
    /// `REGISTRY_CHECK_TIMEOUT`: one whole request, headers and bounded body.
    pub timeout: Duration,
    /// `REGISTRY_CHECK_MAX_REDIRECTS`.
    pub max_redirects: u32,
    /// `REGISTRY_CHECK_RETRIES`: further attempts after a transient failure.
    pub retries: u32,
    /// `REGISTRY_CHECK_BACKOFF`: the first wait before a retry; it doubles each time.
    pub backoff: Duration,
    /// `REGISTRY_CHECK_MAX_RETRY_AFTER`: the longest `Retry-After` honoured.
    pub max_retry_after: Duration,
    /// `REGISTRY_CHECK_HISTORY`: checks kept per link.
    pub history: u32,
    /// `REGISTRY_CHECK_LEASE`: how long a claimed link stays claimed if its instance dies.
    pub lease: Duration,
    /// `REGISTRY_CHECKER_ALLOW_LOOPBACK`: allow loopback addresses for the checker and
    /// for webhook deliveries, which share the address rules (tests, local development
    /// only).
    pub allow_loopback: bool,
    /// `REGISTRY_SNAPSHOTS`: keep a snapshot of each document a check finds (on by
    /// default); off checks with HEAD where it can and keeps nothing.
    pub snapshots: bool,
}

impl Config {
    /// Reads the settings from the process environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the settings through `get`, so tests can supply their own.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let bind: SocketAddr = get("REGISTRY_BIND")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse()
            .context("REGISTRY_BIND must be an address such as 127.0.0.1:8080")?;
        let data_dir = PathBuf::from(get("REGISTRY_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = get("DATABASE_URL").unwrap_or_else(|| {
            data_dir
                .join("registry.sqlite3")
                .to_string_lossy()
                .into_owned()
        });
        let signing_key_file = get("REGISTRY_SIGNING_KEY_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("signing-key.pem"));
        let reaffirm_months = number(&get, "REGISTRY_REAFFIRM_MONTHS", 12)?;
        if reaffirm_months == 0 || reaffirm_months > 120 {
            bail!("REGISTRY_REAFFIRM_MONTHS must be between 1 and 120");
        }
        let mail_folder = get("REGISTRY_MAIL_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("mail"));
        let public_url = get("REGISTRY_PUBLIC_URL").unwrap_or_else(|| format!("http://{bind}"));
        Ok(Config {
            bind,
            data_dir,
            database_url,
            signing_key_file,
            key_reload: match get("REGISTRY_KEY_RELOAD").as_deref().map(str::trim) {
                Some("off") | Some("0") => None,
                other => Some(duration(other, "REGISTRY_KEY_RELOAD", "10s")?),
            },
            reaffirm_months,
            public_url: public_url.trim_end_matches('/').to_owned(),
            db_pool_size: number(&get, "REGISTRY_DB_POOL_SIZE", 8)?.max(1),
            token_days: number(&get, "REGISTRY_TOKEN_DAYS", 365)?.max(1),
            max_body_bytes: number(&get, "REGISTRY_MAX_BODY_BYTES", 64 * 1024)? as usize,
            max_header_bytes: number(&get, "REGISTRY_MAX_HEADER_BYTES", 16 * 1024)? as usize,
            read_cache_bytes: byte_size(
                get("REGISTRY_READ_CACHE").as_deref(),
                "REGISTRY_READ_CACHE",
                64 << 20,
            )?,
            rate_limit_reads: get("REGISTRY_RATE_LIMIT_READS"),
            rate_limit_registrations: get("REGISTRY_RATE_LIMIT_REGISTRATIONS"),
            rate_limit_sign_in: get("REGISTRY_RATE_LIMIT_SIGN_IN"),
            rate_limit_concerns: get("REGISTRY_RATE_LIMIT_CONCERNS"),
            operator_email: match get("REGISTRY_OPERATOR_EMAIL") {
                None => None,
                Some(e) if e.trim().is_empty() => None,
                Some(e) => Some(
                    crate::domain::account::member_email(&e)
                        .map_err(|m| anyhow::anyhow!("REGISTRY_OPERATOR_EMAIL: the address {m}"))?,
                ),
            },
            trust_forwarded_for: flag(
                get("REGISTRY_TRUST_FORWARDED_FOR").as_deref(),
                "REGISTRY_TRUST_FORWARDED_FOR",
            )?,
            attestation_ttl: duration(
                get("REGISTRY_ATTESTATION_TTL").as_deref(),
                "REGISTRY_ATTESTATION_TTL",
                "30days",
            )?,
            witnesses: get("REGISTRY_WITNESSES"),
            lapse_interval: match get("REGISTRY_LAPSE_INTERVAL").as_deref().map(str::trim) {
                Some("off") | Some("0") => None,
                other => Some(duration(other, "REGISTRY_LAPSE_INTERVAL", "1m")?),
            },
            mail: MailSettings {
                smtp_url: get("REGISTRY_SMTP_URL").map(Secret),
                from: get("REGISTRY_MAIL_FROM")
                    .unwrap_or_else(|| "Tech Pledge registry <registry@localhost>".into()),
                folder: mail_folder,
                interval: match get("REGISTRY_MAIL_INTERVAL").as_deref().map(str::trim) {
                    Some("off") | Some("0") => None,
                    other => Some(duration(other, "REGISTRY_MAIL_INTERVAL", "2s")?),
                },
                retry: duration(
                    get("REGISTRY_MAIL_RETRY").as_deref(),
                    "REGISTRY_MAIL_RETRY",
                    "1m",
                )?,
                attempts: number(&get, "REGISTRY_MAIL_ATTEMPTS", 12)?.clamp(1, 30),
            },
            reminder_interval: match get("REGISTRY_REMINDER_INTERVAL").as_deref().map(str::trim) {
                Some("off") | Some("0") => None,
                other => Some(duration(other, "REGISTRY_REMINDER_INTERVAL", "1h")?),
            },
            webhooks: WebhookSettings {
                sign_up: get("REGISTRY_WEBHOOK_SIGN_UP").is_none()
                    || flag(
                        get("REGISTRY_WEBHOOK_SIGN_UP").as_deref(),
                        "REGISTRY_WEBHOOK_SIGN_UP",
                    )?,
                interval: match get("REGISTRY_WEBHOOK_INTERVAL").as_deref().map(str::trim) {
                    Some("off") | Some("0") => None,
                    other => Some(duration(other, "REGISTRY_WEBHOOK_INTERVAL", "1s")?),
                },
                timeout: duration(
                    get("REGISTRY_WEBHOOK_TIMEOUT").as_deref(),
                    "REGISTRY_WEBHOOK_TIMEOUT",
                    "10s",
                )?,
                retry: duration(
                    get("REGISTRY_WEBHOOK_RETRY").as_deref(),
                    "REGISTRY_WEBHOOK_RETRY",
                    "10s",
                )?,
                give_up_after: duration(
                    get("REGISTRY_WEBHOOK_GIVE_UP").as_deref(),
                    "REGISTRY_WEBHOOK_GIVE_UP",
                    "3days",
                )?,
                concurrency: number(&get, "REGISTRY_WEBHOOK_CONCURRENCY", 16)?.clamp(1, 256)
                    as usize,
                lease: duration(
                    get("REGISTRY_WEBHOOK_LEASE").as_deref(),
                    "REGISTRY_WEBHOOK_LEASE",
                    "2m",
                )?,
                share: number(&get, "REGISTRY_WEBHOOK_SHARE", 4)?.clamp(1, 256) as usize,
                log_days: number(&get, "REGISTRY_WEBHOOK_LOG_DAYS", 30)?.clamp(1, 3650) as u32,
            },
            checker: CheckerSettings {
                interval: match get("REGISTRY_CHECK_INTERVAL").as_deref().map(str::trim) {
                    Some("off") | Some("0") => None,
                    other => Some(duration(other, "REGISTRY_CHECK_INTERVAL", "6h")?),
                },
                failure_threshold: number(&get, "REGISTRY_CHECK_FAILURE_THRESHOLD", 3)?.max(1),
                concurrency: number(&get, "REGISTRY_CHECK_CONCURRENCY", 16)?.clamp(1, 1024)
                    as usize,
                per_host: number(&get, "REGISTRY_CHECK_PER_HOST", 2)?.clamp(1, 64) as usize,
                connect_timeout: duration(
                    get("REGISTRY_CHECK_CONNECT_TIMEOUT").as_deref(),
                    "REGISTRY_CHECK_CONNECT_TIMEOUT",
                    "5s",
                )?,
                timeout: duration(
                    get("REGISTRY_CHECK_TIMEOUT").as_deref(),
                    "REGISTRY_CHECK_TIMEOUT",
                    "20s",
                )?,
                max_redirects: number(&get, "REGISTRY_CHECK_MAX_REDIRECTS", 5)?.min(20),
                retries: number(&get, "REGISTRY_CHECK_RETRIES", 2)?.min(10),
                backoff: duration(
                    get("REGISTRY_CHECK_BACKOFF").as_deref(),
                    "REGISTRY_CHECK_BACKOFF",
                    "1s",
                )?,
                max_retry_after: duration(
                    get("REGISTRY_CHECK_MAX_RETRY_AFTER").as_deref(),
                    "REGISTRY_CHECK_MAX_RETRY_AFTER",
                    "60s",
                )?,
                history: number(&get, "REGISTRY_CHECK_HISTORY", 20)?.clamp(1, 1000),
                lease: duration(
                    get("REGISTRY_CHECK_LEASE").as_deref(),
                    "REGISTRY_CHECK_LEASE",
                    "10m",
                )?,
                allow_loopback: flag(
                    get("REGISTRY_CHECKER_ALLOW_LOOPBACK").as_deref(),
                    "REGISTRY_CHECKER_ALLOW_LOOPBACK",
                )?,
                snapshots: on_unless_off(&get, "REGISTRY_SNAPSHOTS")?,
            },
            snapshots_public: on_unless_off(&get, "REGISTRY_SNAPSHOTS_PUBLIC")?,
            companies_house: CompaniesHouseSettings {
                key: get("REGISTRY_COMPANIES_HOUSE_KEY").map(|k| Secret(k.trim().to_owned())),
                url: get("REGISTRY_COMPANIES_HOUSE_URL")
                    .map(|u| u.trim().trim_end_matches('/').to_owned())
                    .unwrap_or_else(|| "https://api.company-information.service.gov.uk".into()),
                timeout: duration(
                    get("REGISTRY_COMPANIES_HOUSE_TIMEOUT").as_deref(),
                    "REGISTRY_COMPANIES_HOUSE_TIMEOUT",
                    "10s",
                )?,
                interval: duration(
                    get("REGISTRY_COMPANIES_HOUSE_INTERVAL").as_deref(),
                    "REGISTRY_COMPANIES_HOUSE_INTERVAL",
                    "30s",
                )?,
            },
        })
    }
}

fn duration(raw: Option<&str>, key: &str, default: &str) -> anyhow::Result<Duration> {
    let v = raw.unwrap_or(default).trim();
    humantime::parse_duration(v)
        .with_context(|| format!("{key} must be a duration such as 30s, 10m or 6h, got {v:?}"))
}

/// A flag that is on unless set to false.
fn on_unless_off(get: &impl Fn(&str) -> Option<String>, key: &str) -> anyhow::Result<bool> {
    let raw = get(key);
    Ok(raw.is_none() || flag(raw.as_deref(), key)?)
}

fn flag(raw: Option<&str>, key: &str) -> anyhow::Result<bool> {
    match raw.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("false") | Some("0") | Some("no") | Some("off") => Ok(false),
        Some("true") | Some("1") | Some("yes") | Some("on") => Ok(true),
        Some(other) => bail!("{key} must be true or false, got {other:?}"),
    }
}

/// A size in bytes: a whole number, optionally with `KiB`, `MiB` or `GiB` (or `k`, `M`, `G`,
/// read the same way).
fn byte_size(value: Option<&str>, key: &str, default: u64) -> anyhow::Result<u64> {
    let Some(v) = value.map(str::trim) else {
        return Ok(default);
    };
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (digits, unit) = v.split_at(split);
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => bail!("{key} must be a size such as 64MiB, 512KiB or 0, got {v:?}"),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .with_context(|| format!("{key} must be a size such as 64MiB, 512KiB or 0, got {v:?}"))
}

fn number(get: &impl Fn(&str) -> Option<String>, key: &str, default: u32) -> anyhow::Result<u32> {
    match get(key) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .with_context(|| format!("{key} must be a whole number, got {v:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::byte_size;

    #[test]
    fn sizes_read_with_their_units() {
        let size = |v| byte_size(Some(v), "REGISTRY_READ_CACHE", 7);
        assert_eq!(byte_size(None, "REGISTRY_READ_CACHE", 7).unwrap(), 7);
        assert_eq!(size("0").unwrap(), 0);
        assert_eq!(size("64MiB").unwrap(), 64 << 20);
        assert_eq!(size(" 512 KiB ").unwrap(), 512 << 10);
        assert_eq!(size("2g").unwrap(), 2 << 30);
        assert_eq!(size("1000").unwrap(), 1000);
        for bad in ["lots", "64 parsecs", "-1", "MiB", "99999999999999999999GiB"] {
            let e = size(bad).unwrap_err().to_string();
            assert!(e.contains("REGISTRY_READ_CACHE"), "{bad}: {e}");
        }
    }
}
