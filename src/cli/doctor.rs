//! `doctor`: says in plain words what is wrong with this instance's set-up, one line a
//! check: the settings, the database and its migrations, the signing key, mail, disk
//! space and the clock. Exits 1 when something needs fixing.

use std::path::Path;

use crate::auth::keys::Keys;
use crate::config::Config;
use crate::db;

/// Free space below which the data folder is a problem.
const LEAST_FREE_BYTES: u64 = 1 << 30;
/// Clock difference with the database above which it is a problem.
const MOST_SKEW_SECONDS: i64 = 2;

/// What one check found.
struct Finding {
    ok: bool,
    said: String,
}

fn ok(said: impl Into<String>) -> Finding {
    Finding {
        ok: true,
        said: said.into(),
    }
}

fn problem(said: impl Into<String>) -> Finding {
    Finding {
        ok: false,
        said: said.into(),
    }
}

/// Runs every check against `config` (or says why the settings cannot be read).
pub fn run(config: anyhow::Result<Config>) -> anyhow::Result<()> {
    let findings = match config {
        Err(e) => vec![problem(format!("settings: {e:#}"))],
        Ok(config) => checks(&config),
    };
    for f in &findings {
        println!("{} {}", if f.ok { "ok     " } else { "PROBLEM" }, f.said);
    }
    let problems = findings.iter().filter(|f| !f.ok).count();
    match problems {
        0 => {
            println!("nothing to fix");
            Ok(())
        }
        n => anyhow::bail!("{n} thing(s) to fix, above"),
    }
}

fn checks(config: &Config) -> Vec<Finding> {
    let mut found = vec![ok(format!(
        "settings: {} database, public address {}, listening on {}",
        match db::Backend::of_url(&config.database_url) {
            db::Backend::Postgres => "PostgreSQL",
            db::Backend::Sqlite => "SQLite",
        },
        config.public_url,
        config.bind
    ))];
    let database = db::connect(&config.database_url, 1).and_then(|pool| Ok(pool.get()?));
    let mut conn = match database {
        Ok(conn) => {
            found.push(ok("database: it answers"));
            Some(conn)
        }
        Err(e) => {
            found.push(problem(format!(
                "database: cannot connect ({e:#}); check DATABASE_URL"
            )));
            None
        }
    };
    if let Some(conn) = conn.as_mut() {
        found.push(match db::pending_migrations(conn) {
            Ok(0) => ok("database: its schema is this release's"),
            Ok(n) => problem(format!(
                "database: {n} migration(s) of this release are not applied; run `pledge-registry migrate`"
            )),
            Err(e) => problem(format!("database: {e:#}")),
        });
        found.push(clock(conn));
    }
    found.push(key(config, conn.as_deref_mut()));
    found.push(mail(config));
    found.push(disk(&config.data_dir));
    found
}

fn key(config: &Config, conn: Option<&mut db::DbConn>) -> Finding {
    let path = &config.signing_key_file;
    if !path.exists() {
        return problem(format!(
            "signing key: {} does not exist (an instance makes one at its first start; every instance must share one file)",
            path.display()
        ));
    }
    let keys = match Keys::load_or_generate(path) {
        Ok((keys, _)) => keys,
        Err(e) => return problem(format!("signing key: {e:#}")),
    };
    let Some(conn) = conn else {
        return ok(format!(
            "signing key: {} reads (key {})",
            path.display(),
            keys.kid
        ));
    };
    match db::models::signing_keys::find(conn, &keys.kid) {
        Ok(Some(row)) if row.retired_at.is_none() => ok(format!(
            "signing key: {} is the registry's current key ({})",
            path.display(),
            keys.kid
        )),
        Ok(Some(_)) => problem(format!(
            "signing key: {} holds key {}, which the registry retired; another instance has the new key: give every instance the same file",
            path.display(),
            keys.kid
        )),
        Ok(None) => problem(format!(
            "signing key: {} holds key {}, which the registry has never used: it is not the file the other instances use, or the database is another registry's",
            path.display(),
            keys.kid
        )),
        Err(e) => problem(format!("signing key: cannot read the registry's keys: {e}")),
    }
}

fn mail(config: &Config) -> Finding {
    let mailer = match crate::mail::Mailer::new(
        &config.mail,
        &config.public_url,
        config.operator_email.as_deref(),
    ) {
        Ok(m) => m,
        Err(e) => return problem(format!("mail: {e:#}")),
    };
    let checked = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| rt.block_on(mailer.check()));
    match checked {
        Ok(said) => ok(format!("mail: {said}")),
        Err(said) => problem(format!("mail: {said}")),
    }
}

fn disk(dir: &Path) -> Finding {
    let probe = if dir.exists() { dir } else { Path::new(".") };
    match rustix::fs::statvfs(probe) {
        Ok(s) => {
            let free = s.f_bavail.saturating_mul(s.f_frsize);
            let gib = free as f64 / f64::from(1u32 << 30);
            if free < LEAST_FREE_BYTES {
                problem(format!(
                    "disk: {gib:.2} GiB free where {} is; the database and mail need room",
                    dir.display()
                ))
            } else {
                ok(format!(
                    "disk: {gib:.1} GiB free where {} is",
                    dir.display()
                ))
            }
        }
        Err(e) => problem(format!(
            "disk: cannot read the free space of {}: {e}",
            dir.display()
        )),
    }
}

fn clock(conn: &mut db::DbConn) -> Finding {
    match db::server_clock(conn) {
        Ok(None) => ok("clock: SQLite keeps this machine's time"),
        Ok(Some(theirs)) => {
            let skew = (chrono::Utc::now().naive_utc() - theirs).num_seconds();
            if skew.abs() > MOST_SKEW_SECONDS {
                problem(format!(
                    "clock: this machine's clock is {skew} s off the database's; expiry, lapses and leases depend on both agreeing (run NTP)"
                ))
            } else {
                ok(format!(
                    "clock: within {MOST_SKEW_SECONDS} s of the database's"
                ))
            }
        }
        Err(e) => problem(format!("clock: {e:#}")),
    }
}
