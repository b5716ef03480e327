//! The log's operator commands: `verify-log` (the chain, the tree, and the guard
//! against what was published), `rebuild-tree` (only to a tree that extends what was
//! published) and `witness serve` (a witness anyone can run).

use std::path::PathBuf;
use std::sync::Arc;

use clap::Subcommand;
use diesel::Connection;

use crate::config::Config;
use crate::db;
use crate::db::models::audit;
use crate::error::Error;
use crate::tlog::merkle;
use crate::usecases::checkpoints::Publisher;

/// The guard as the service runs it, with the settings' key and data folder.
fn publisher(config: &Config) -> anyhow::Result<Publisher> {
    if !config.signing_key_file.exists() {
        anyhow::bail!(
            "no signing key at {}: run this where the registry runs",
            config.signing_key_file.display()
        );
    }
    let (keys, _) = crate::auth::Keys::load_or_generate(&config.signing_key_file)?;
    Publisher::new(
        crate::tlog::checkpoint::origin(&config.public_url),
        Arc::new(crate::auth::KeyRing::new(
            config.signing_key_file.clone(),
            keys,
        )),
        config
            .data_dir
            .join(crate::app::bootstrap::PUBLISHED_CHECKPOINT),
        Vec::new(),
        std::time::Duration::from_secs(5),
    )
}

fn why(e: Error) -> anyhow::Error {
    match e {
        Error::LogRefused(why) => anyhow::anyhow!(why),
        other => anyhow::anyhow!("{other:?}"),
    }
}

/// `verify-log`: every entry's hash chain and leaf, the stored tree, then the guard.
pub fn verify_log(config: &Config) -> anyhow::Result<()> {
    let pool = db::connect(&config.database_url, 1)?;
    let mut conn = pool.get()?;
    match audit::verify(&mut conn)? {
        (n, None) => {
            println!("the audit log verifies: {n} entries, chain intact, Merkle tree matches");
        }
        (n, Some((seq, why))) => {
            println!("entry {seq} is bad: {why} ({n} entries before it verify)");
            anyhow::bail!("the audit log does not verify")
        }
    }
    match publisher(config)?.check_locked(&mut conn, true) {
        Ok(Some(last)) => {
            println!(
                "it extends the last checkpoint published, of {} entries",
                last.size
            );
            Ok(())
        }
        Ok(None) => {
            println!("no checkpoint has been published yet");
            Ok(())
        }
        Err(e) => {
            let e = why(e);
            println!("it does not agree with what was published: {e}");
            anyhow::bail!("the audit log does not agree with its last published checkpoint")
        }
    }
}

/// `rebuild-tree`: the tree the entries make, stored in place of the one there, only
/// when the entries' chain is whole and the tree's root at the last published size is
/// the published root.
pub fn rebuild_tree(config: &Config) -> anyhow::Result<()> {
    let publisher = publisher(config)?;
    let pool = db::connect(&config.database_url, 1)?;
    let mut conn = pool.get()?;
    let size = conn.transaction(|conn| -> anyhow::Result<u64> {
        db::take_write_lock(conn)?;
        audit::lock_chain(conn)?;
        let tree = match audit::entries_tree(conn)? {
            Ok(tree) => tree,
            Err((seq, why)) => anyhow::bail!(
                "entry {seq} is bad: {why}; the entries cannot make a tree, and the stored one is left as it was"
            ),
        };
        if let Some(last) = publisher.last(conn).map_err(why)? {
            if tree.size() < last.size {
                anyhow::bail!(
                    "the log holds {} entries, fewer than the {} of the last checkpoint published; the tree is left as it was",
                    tree.size(),
                    last.size
                );
            }
            if merkle::root(&tree, last.size)? != last.root {
                anyhow::bail!(
                    "the entries make a root at {} entries that is not the one published: they were changed after it was published; the tree is left as it was",
                    last.size
                );
            }
        }
        Ok(audit::replace_tree(conn)?)
    })?;
    println!("the Merkle tree holds {size} entries again, and extends what was published");
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum WitnessCommand {
    /// Run a witness (C2SP tlog-witness): cosign each checkpoint of the logs given
    /// whose consistency with the last one it cosigned is proven, and refuse the rest.
    Serve {
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:7380")]
        listen: std::net::SocketAddr,
        /// The witness's name, such as witness.example/w1.
        #[arg(long)]
        name: String,
        /// Its Ed25519 key (PKCS#8 PEM), created when missing.
        #[arg(long)]
        key: PathBuf,
        /// The file keeping the newest checkpoint cosigned of each log.
        #[arg(long)]
        state: PathBuf,
        /// A log to follow: its verifier key (`verifier_key` at /api/v1/log/key);
        /// repeat it for retired keys and for other logs.
        #[arg(long, required = true)]
        log: Vec<String>,
    },
}

/// `witness serve`.
pub fn witness(command: WitnessCommand) -> anyhow::Result<()> {
    let WitnessCommand::Serve {
        listen,
        name,
        key,
        state,
        log,
    } = command;
    let witness = crate::witness::server::WitnessState::open(&name, &key, &state, &log)?;
    let listener = std::net::TcpListener::bind(listen)?;
    println!(
        "witness {name} on http://{}; its verifier key: {}",
        listener.local_addr()?,
        witness.witness().verifier_key()
    );
    let server = crate::witness::server::run(listener, actix_web::web::Data::new(witness))?;
    actix_web::rt::System::new().block_on(server)?;
    Ok(())
}
