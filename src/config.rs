//! Typed settings, read once from `REGISTRY_*` variables and `DATABASE_URL`.

use std::net::SocketAddr;
use std::path::PathBuf;

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
        let public_url = get("REGISTRY_PUBLIC_URL").unwrap_or_else(|| format!("http://{bind}"));
        Ok(Config {
            bind,
            data_dir,
            database_url,
            signing_key_file,
            reaffirm_months,
            public_url: public_url.trim_end_matches('/').to_owned(),
            db_pool_size: number(&get, "REGISTRY_DB_POOL_SIZE", 8)?.max(1),
            token_days: number(&get, "REGISTRY_TOKEN_DAYS", 365)?.max(1),
            max_body_bytes: number(&get, "REGISTRY_MAX_BODY_BYTES", 64 * 1024)? as usize,
        })
    }
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
