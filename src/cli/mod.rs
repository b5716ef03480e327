//! The command line: `serve` (default), `migrate`, `token issue`, `key rotate`,
//! `check-evidence`, `verify-log`, `verify`, `export`, `seed-demo`, `openapi`, `ready`,
//! `backup`, `restore`, `doctor`, `operator`.

mod backup;
mod doctor;
mod log;
mod operator;
mod ready;
pub mod seed;
mod verify;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::app::{self, bootstrap};
use crate::auth::Role;
use crate::config::Config;
use crate::db;
use crate::domain::SupplierId;

#[derive(Debug, Parser)]
#[command(
    name = "pledge-registry",
    version,
    about = "The Tech Pledge signatory registry"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP service (the default).
    Serve,
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage who may sign in to the operator console.
    Operator {
        #[command(subcommand)]
        command: operator::OperatorCommand,
    },
    /// Manage the registry's Ed25519 signing key.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Load N realistic synthetic suppliers, for trying the registry out and for benchmarks.
    SeedDemo {
        #[arg(long, default_value_t = 50)]
        count: u32,
    },
    /// Check every live evidence link now (or one supplier's), then print counts per outcome.
    CheckEvidence {
        /// Only this supplier's links (id or slug).
        #[arg(long)]
        supplier: Option<String>,
    },
    /// Recompute the audit log's hash chain and Merkle tree, check them against the
    /// last checkpoint published, and report the first problem, if any.
    VerifyLog,
    /// Build the log's Merkle tree again from its entries, only if the entries' chain
    /// is whole and the tree extends the last checkpoint published.
    RebuildTree,
    /// Run a witness that cosigns the log's checkpoints.
    Witness {
        #[command(subcommand)]
        command: log::WitnessCommand,
    },
    /// Check, as a third party, what the registry published: an attestation against
    /// its checkpoint, or the log's newest checkpoint against the last one kept.
    Verify {
        #[command(subcommand)]
        command: verify::VerifyCommand,
    },
    /// Write every supplier as NDJSON (default) or CSV, to a file or standard output.
    Export {
        #[arg(long, value_parser = ["ndjson", "csv"], default_value = "ndjson")]
        format: String,
        /// The file to write; standard output when absent.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Rebuild every supplier's stored public record and list item from the tables,
    /// and report how many differed.
    Reproject,
    /// Copy the SQLite database (consistent, while the registry runs) and the signing
    /// keys into a new folder. On PostgreSQL, use pg_dump (docs/operator.md).
    Backup {
        /// A new (or empty) folder.
        dir: std::path::PathBuf,
    },
    /// Put a backup back where the settings say (with the registry stopped) and check
    /// its log; with --check, only check the database the settings name (after
    /// pg_restore on PostgreSQL).
    Restore {
        /// The folder `backup` wrote.
        #[arg(required_unless_present = "check")]
        dir: Option<std::path::PathBuf>,
        /// Overwrite the database and keys there now.
        #[arg(long)]
        replace: bool,
        /// Only check the database in place.
        #[arg(long, conflicts_with_all = ["dir", "replace"])]
        check: bool,
    },
    /// Check this instance's set-up and say in plain words what is wrong: settings,
    /// database and migrations, signing key, mail, disk space, clock. Exits 1 if
    /// anything needs fixing.
    Doctor,
    /// Ask the instance on REGISTRY_BIND whether it is ready (`/readyz`): exit 0 if it
    /// is, 1 if not. For a container's health check.
    Ready,
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Replace the signing key with a new one and retire the old one. Routine: tokens
    /// signed with the old key keep working until they expire, and what it signed
    /// still verifies; every instance sharing the key file moves to the new key within
    /// REGISTRY_KEY_RELOAD, without a restart.
    Rotate {
        /// The old key may be known to someone else: every token ends now, and each
        /// holder is emailed how to get a new one.
        #[arg(long)]
        compromised: bool,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Issue a token; the token alone is printed on the last line of standard output.
    Issue {
        #[arg(long, value_parser = ["admin", "supplier"])]
        role: String,
        /// The supplier a supplier token is for.
        #[arg(long)]
        supplier: Option<SupplierId>,
        /// Lifetime in days (default: REGISTRY_TOKEN_DAYS).
        #[arg(long)]
        days: Option<u32>,
        /// A note on who or what the token is for.
        #[arg(long)]
        label: Option<String>,
    },
}

/// Logs on standard error: plain lines (coloured only on a terminal), or one JSON object
/// a line with `REGISTRY_LOG_FORMAT=json`, each carrying the span it was written in (a
/// request's id and route). With `REGISTRY_OTLP_ENDPOINT`, the same spans also go out as
/// OpenTelemetry traces over OTLP/HTTP (`<endpoint>/v1/traces`, protobuf). Returns the
/// trace pipeline, to flush before the process ends.
fn init_logs(
    format: Option<&str>,
    otlp: Option<&str>,
) -> anyhow::Result<Option<opentelemetry_sdk::trace::SdkTracerProvider>> {
    use std::io::IsTerminal;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (text, json) = match format.map(str::trim) {
        None | Some("") | Some("text") => (
            Some(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(std::io::stderr().is_terminal()),
            ),
            None,
        ),
        Some("json") => (
            None,
            Some(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .json()
                    .with_current_span(true)
                    .with_span_list(false),
            ),
        ),
        Some(other) => {
            anyhow::bail!("REGISTRY_LOG_FORMAT must be text or json, not {other:?}")
        }
    };
    let provider = match otlp.map(str::trim).filter(|e| !e.is_empty()) {
        Some(endpoint) => Some(trace_pipeline(endpoint)?),
        None => None,
    };
    let traces = provider.as_ref().map(|p| {
        let tracer = opentelemetry::trace::TracerProvider::tracer(p, "pledge-registry");
        tracing_opentelemetry::layer().with_tracer(tracer)
    });
    tracing_subscriber::registry()
        .with(filter)
        .with(text)
        .with(json)
        .with(traces)
        .init();
    Ok(provider)
}

/// Spans to `endpoint` over OTLP/HTTP, in batches, named `pledge-registry`.
fn trace_pipeline(endpoint: &str) -> anyhow::Result<opentelemetry_sdk::trace::SdkTracerProvider> {
    use opentelemetry_otlp::{Protocol, WithExportConfig};
    // The exporter's HTTP client uses the same TLS provider as the registry's others.
    crate::checker::install_crypto();
    let url = url::Url::parse(endpoint)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| {
            anyhow::anyhow!("REGISTRY_OTLP_ENDPOINT must be an http(s) address such as http://collector:4318, not {endpoint:?}")
        })?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(format!("{}/v1/traces", url.as_str().trim_end_matches('/')))
        .build()
        .map_err(|e| anyhow::anyhow!("REGISTRY_OTLP_ENDPOINT: {e}"))?;
    Ok(opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name("pledge-registry")
                .build(),
        )
        .build())
}

pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let traces = init_logs(
        std::env::var("REGISTRY_LOG_FORMAT").ok().as_deref(),
        std::env::var("REGISTRY_OTLP_ENDPOINT").ok().as_deref(),
    )?;
    let done = command(cli);
    // What is still batched goes out before the process ends.
    if let Some(provider) = traces {
        let _ = provider.shutdown();
    }
    done
}

fn command(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Verify { command } = command {
        // A third party's check needs no database and no settings.
        return verify::run(command);
    }
    if let Command::Witness { command } = command {
        // A witness is anyone's: it needs none of the registry's settings.
        return log::witness(command);
    }
    if let Command::Doctor = command {
        // Settings that cannot be read are one of the things it reports.
        return doctor::run(Config::from_env());
    }
    let config = Config::from_env()?;
    match command {
        Command::Serve => serve(config),
        Command::Migrate => {
            let pool = db::connect(&config.database_url, 1)?;
            let ran = db::with_setup_lock(&mut *pool.get()?, db::migrate)?;
            println!("applied {ran} migration(s)");
            if ran > 0 {
                // A migration can add to what a record shows: the stored records are
                // rebuilt in the new shape before any instance serves them.
                let (count, differed) =
                    crate::usecases::projection::reproject_all(&mut *pool.get()?)
                        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                println!("rebuilt {differed} of {count} stored record(s)");
            }
            Ok(())
        }
        Command::Token {
            command:
                TokenCommand::Issue {
                    role,
                    supplier,
                    days,
                    label,
                },
        } => {
            let state = bootstrap::prepare(config)?;
            let role: Role = role.parse().map_err(anyhow::Error::msg)?;
            // The admin API's rules and audit entry, by whoever runs the command.
            let grant = crate::usecases::tokens::OperatorGrant::parse(
                role,
                supplier,
                days.unwrap_or(state.config.token_days),
                Some(label.as_deref().unwrap_or("command line")),
            )
            .map_err(refused)?;
            let by = crate::domain::lifecycle::By {
                actor: "admin:command-line".into(),
                who: crate::domain::lifecycle::Actor::Operator,
            };
            let mut conn = state.database.pool().get()?;
            let issued = diesel::Connection::transaction(&mut *conn, |conn| {
                crate::usecases::tokens::issue(
                    conn,
                    &state.keys.current(),
                    &state.config.public_url,
                    &by,
                    grant,
                    crate::db::models::now(),
                )
                .map_err(refused)
            })
            .context("cannot issue the token")?;
            println!(
                "# {} token {} expires {}",
                issued.role,
                issued.jti,
                issued.expires_at.to_rfc3339()
            );
            println!("{}", issued.token);
            Ok(())
        }
        Command::Key {
            command: KeyCommand::Rotate { compromised },
        } => {
            let pool = db::connect(&config.database_url, 1)?;
            db::with_setup_lock(&mut *pool.get()?, db::migrate)?;
            let crate::usecases::keys::Done {
                old_kid: old,
                new_kid,
                rotated: done,
            } = crate::usecases::keys::rotate(
                &mut *pool.get()?,
                &config.signing_key_file,
                &crate::usecases::By::system(),
                compromised,
                crate::db::models::now(),
            )?;
            println!(
                "signing key {} retired{}; {} now signs (file {})",
                old,
                if compromised { " as compromised" } else { "" },
                new_kid,
                config.signing_key_file.display()
            );
            if compromised {
                println!(
                    "{} tokens ended; {} holders are being emailed how to get new ones",
                    done.revoked, done.told
                );
            } else {
                println!("tokens signed with {old} keep working until they expire");
            }
            Ok(())
        }
        Command::SeedDemo { count } => {
            let state = bootstrap::prepare(config)?;
            let made = seed::seed_demo(
                &mut *state.database.pool().get()?,
                count,
                state.config.reaffirm_months,
            )?;
            println!("added {made} demo suppliers");
            Ok(())
        }
        Command::CheckEvidence { supplier } => check_evidence(config, supplier),
        Command::VerifyLog => log::verify_log(&config),
        Command::RebuildTree => log::rebuild_tree(&config),
        Command::Export { format, output } => {
            use std::io::Write;
            let format = if format == "csv" {
                crate::views::export::Format::Csv
            } else {
                crate::views::export::Format::Ndjson
            };
            let pool = db::connect(&config.database_url, 1)?;
            let mut conn = pool.get()?;
            let mut out: Box<dyn Write> = match output {
                Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(&path)?)),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            let plan = crate::views::export::Plan::new(&mut conn, format)
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            out.write_all(&plan.head().map_err(|e| anyhow::anyhow!("{e:?}"))?)?;
            let mut after = None;
            loop {
                let (views, next) =
                    crate::views::export::page(&mut conn, &Default::default(), after)
                        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                out.write_all(&plan.encode(&views).map_err(|e| anyhow::anyhow!("{e:?}"))?)?;
                match next {
                    Some(n) => after = Some(n),
                    None => break,
                }
            }
            out.flush()?;
            Ok(())
        }
        Command::Reproject => {
            let pool = db::connect(&config.database_url, 1)?;
            let mut conn = pool.get()?;
            let (count, differed) = crate::usecases::projection::reproject_all(&mut conn)
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            println!("{count} records rebuilt; {differed} differed from what was stored");
            Ok(())
        }
        Command::Ready => ready::run(config.bind),
        Command::Operator { command } => operator::run(&config, command),
        Command::Backup { dir } => backup::backup(&config, &dir),
        Command::Restore { check: true, .. } => {
            let (entries, tree) = backup::check(&config.database_url)?;
            println!("the log verifies: {entries} entries; tree {tree}");
            Ok(())
        }
        Command::Restore { dir, replace, .. } => {
            backup::restore(&config, &dir.context("give the backup's folder")?, replace)
        }
        Command::Verify { .. } | Command::Doctor | Command::Witness { .. } => {
            unreachable!("handled above")
        }
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&app::api_doc(&config.public_url))?
            );
            Ok(())
        }
    }
}

#[actix_web::main]
async fn serve(config: Config) -> anyhow::Result<()> {
    let bind = config.bind;
    let state = actix_web::web::block(move || bootstrap::prepare(config)).await??;
    let listener =
        std::net::TcpListener::bind(bind).with_context(|| format!("cannot listen on {bind}"))?;
    let addr = listener.local_addr()?;
    let exe = std::env::args()
        .next()
        .unwrap_or_else(|| "pledge-registry".into());
    tracing::info!(%addr, backend = ?db::Backend::of_url(&state.config.database_url), "registry listening");
    // For a person at a terminal; a log collector reads the line above.
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprintln!(
            "\nTech Pledge registry listening on http://{addr}  (API docs: http://{addr}/docs)"
        );
        eprintln!("Get an admin token with:\n    {exe} token issue --role admin\n");
    }
    app::serve(state, listener)?.await?;
    Ok(())
}

#[actix_web::main]
async fn check_evidence(config: Config, supplier: Option<String>) -> anyhow::Result<()> {
    use std::io::IsTerminal;

    use crate::db::models::{checks, now, supplier as suppliers};
    use crate::usecases::checks as check_evidence;

    let state = actix_web::web::block(move || bootstrap::prepare(config)).await??;
    let started_at = now() + chrono::Duration::microseconds(1);
    let supplier_id = match supplier {
        None => None,
        Some(key) => {
            let mut conn = state.database.pool().get()?;
            let row = suppliers::find(&mut conn, &key)?
                .ok_or_else(|| anyhow::anyhow!("there is no supplier {key:?}"))?;
            Some(row.id)
        }
    };
    let total = {
        let mut conn = state.database.pool().get()?;
        checks::count_live(&mut conn, supplier_id)?
    };
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} links  {per_sec}  eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let summary = check_evidence::round(
        &state.database,
        &state.checker,
        check_evidence::scope(supplier_id, started_at),
        &|n| bar.inc(n as u64),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}: {e:?}"))?;
    bar.finish_and_clear();
    println!("checked {} links", summary.checked);
    for (outcome, n) in &summary.outcomes {
        println!("  {outcome:<12} {n}");
    }
    println!("  {:<12} {}", "(changed)", summary.changed);
    println!("  {:<12} {}", "(expired)", summary.expired);
    Ok(())
}

/// A use case's refusal, in words for the command line: each field that is wrong.
fn refused(e: crate::error::Error) -> anyhow::Error {
    match e {
        crate::error::Error::Validation(errors) => anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::anyhow!("{other}"),
    }
}
