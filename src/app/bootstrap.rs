//! Getting a registry ready: database, migrations, first pledge version, signing key.

use crate::auth::Keys;
use crate::config::Config;
use crate::db::models::pledge::{self, CommitmentRow, PledgeVersionRow};
use crate::db::models::{audit, now, signing_keys};
use crate::db::{self, DbConn};
use crate::domain::Action;
use crate::domain::pledge_text::FIRST;
use crate::state::AppState;

/// This instance's copy of the last checkpoint published, in its data folder.
pub const PUBLISHED_CHECKPOINT: &str = "published-checkpoint";

/// Opens the database, applies migrations, loads the first pledge version into an empty
/// registry and loads (or creates) the signing key.
pub fn prepare(config: Config) -> anyhow::Result<AppState> {
    let pool = db::connect(&config.database_url, config.db_pool_size)?;
    {
        let mut conn = pool.get()?;
        db::with_setup_lock(&mut conn, |conn| {
            let ran = db::migrate(conn)?;
            if ran > 0 {
                tracing::info!(migrations = ran, "database migrated");
            }
            let had_records = ran > 0;
            if load_first_version(conn)? {
                tracing::info!(version = FIRST.version, "first pledge version loaded");
            }
            // Records written before the read model existed (an upgrade) are built once.
            let built = crate::usecases::projection::project_missing(conn)
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            if built > 0 {
                tracing::info!(records = built, "stored records built");
            }
            // A migration can add to what a record shows (evidence snapshots, Companies
            // House checks): stored records are rebuilt in the new shape at once.
            if had_records {
                let (count, differed) = crate::usecases::projection::reproject_all(conn)
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                tracing::info!(
                    records = count,
                    differed,
                    "stored records rebuilt after migrating"
                );
            }
            Ok(())
        })?;
    }
    let (keys, created) = Keys::load_or_generate(&config.signing_key_file)?;
    if created {
        tracing::info!(path = %config.signing_key_file.display(), kid = %keys.kid, "signing key generated");
    }
    {
        let mut conn = pool.get()?;
        db::with_setup_lock(&mut conn, |conn| {
            signing_keys::register_current(conn, &keys.kid, &keys.public_x, now())
        })?;
    }
    let limiter = |name: &'static str, raw: &Option<String>, key: &str, default: &str| {
        crate::http::ratelimit::Limiter::parse(name, raw.as_deref(), default)
            .map_err(|e| anyhow::anyhow!("{key}: {e}"))
    };
    let rate_limits = crate::http::ratelimit::RateLimits {
        reads: limiter(
            "reads",
            &config.rate_limit_reads,
            "REGISTRY_RATE_LIMIT_READS",
            "1200/min",
        )?,
        registrations: limiter(
            "registrations",
            &config.rate_limit_registrations,
            "REGISTRY_RATE_LIMIT_REGISTRATIONS",
            "20/h",
        )?,
        sign_ins: limiter(
            "sign-in",
            &config.rate_limit_sign_in,
            "REGISTRY_RATE_LIMIT_SIGN_IN",
            "30/h",
        )?,
        concerns: limiter(
            "concerns",
            &config.rate_limit_concerns,
            "REGISTRY_RATE_LIMIT_CONCERNS",
            "10/h",
        )?,
        trust_forwarded_for: config.trust_forwarded_for,
        refusal_page: crate::web::too_many_requests_page,
    };
    let database = std::sync::Arc::new(db::Database::new(
        pool,
        db::Backend::of_url(&config.database_url),
    ));
    let keys = std::sync::Arc::new(crate::auth::KeyRing::new(
        config.signing_key_file.clone(),
        keys,
    ));
    let witnesses =
        crate::witness::client::parse_setting(config.witnesses.as_deref().unwrap_or(""))
            .map_err(|e| anyhow::anyhow!("REGISTRY_WITNESSES: {e}"))?;
    let checkpoints = std::sync::Arc::new(crate::usecases::checkpoints::Publisher::new(
        crate::tlog::checkpoint::origin(&config.public_url),
        keys.clone(),
        config.data_dir.join(PUBLISHED_CHECKPOINT),
        witnesses,
        std::time::Duration::from_secs(5),
    )?);
    // The guard, before anything is served: a log that does not agree with what was
    // published is served for reading only, and says why.
    {
        let mut conn = database.pool().get()?;
        if let Err(e) = checkpoints.check_locked(&mut conn, true) {
            match e {
                crate::error::Error::LogRefused(why) => database.refuse_writes(&why),
                other => return Err(anyhow::anyhow!("the log could not be checked: {other:?}")),
            }
        }
    }
    let reads = std::sync::Arc::new(crate::views::cache::ReadCache::new(config.read_cache_bytes));
    // This instance's own writes drop what they changed as they commit, before the
    // writer is answered.
    let kept = std::sync::Arc::downgrade(&reads);
    database.on_commit(std::sync::Arc::new(move |touched| {
        if let Some(reads) = kept.upgrade() {
            reads.changed(touched);
        }
    }));
    Ok(AppState {
        database,
        reads,
        rate_limits: std::sync::Arc::new(rate_limits),
        metrics: Default::default(),
        checker: std::sync::Arc::new(crate::checker::Checker::new(config.checker.clone())?),
        mailer: std::sync::Arc::new(crate::mail::Mailer::new(
            &config.mail,
            &config.public_url,
            config.operator_email.as_deref(),
        )?),
        webhooks: std::sync::Arc::new(crate::webhooks::send::Sender::new(
            config.checker.connect_timeout,
            config.webhooks.timeout,
            config.checker.allow_loopback,
        )?),
        checkpoints,
        keys,
        config,
    })
}

/// Loads the first pledge version when no version exists; true when it did.
pub fn load_first_version(conn: &mut DbConn) -> anyhow::Result<bool> {
    use diesel::Connection;
    conn.transaction(|conn| {
        db::take_write_lock(conn)?;
        if pledge::current(conn)?.is_some() {
            return Ok(false);
        }
        let at = now();
        let version = PledgeVersionRow {
            version: FIRST.version.into(),
            position: 0,
            title: FIRST.title.into(),
            summary: FIRST.summary.into(),
            source_url: crate::domain::WebUrl::try_from(FIRST.source_url)
                .map_err(|e| anyhow::anyhow!("the first version's source: {e}"))?,
            published_on: FIRST.published_on(),
            created_at: at,
        };
        let items: Vec<CommitmentRow> = FIRST
            .commitments
            .iter()
            .enumerate()
            .map(|(i, (code, title, description))| CommitmentRow {
                version: FIRST.version.into(),
                code: (*code).into(),
                position: i as i32 + 1,
                title: (*title).into(),
                description: (*description).into(),
            })
            .collect();
        pledge::insert(conn, version, &items)?;
        audit::record(
            conn,
            at,
            audit::Entry::new(
                "system",
                Action::PledgePublished,
                "pledge_version",
                FIRST.version,
            )
            .after(serde_json::json!({ "version": FIRST.version, "commitments": items.len() })),
        )?;
        Ok(true)
    })
}
