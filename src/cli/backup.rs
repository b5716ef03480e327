//! `backup` and `restore`: a consistent copy of a running registry's SQLite database and
//! its signing keys, taken online, and putting one back. On PostgreSQL the database is
//! copied with `pg_dump` (docs/operator.md, "Backups"); `restore --check` then checks
//! what was restored.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::config::Config;
use crate::db::{self, Backend};

/// The database's name inside a backup.
const DATABASE: &str = "registry.sqlite3";
/// The keys' folder inside a backup.
const KEYS: &str = "keys";

/// The SQLite file a database URL names.
fn sqlite_file(url: &str) -> PathBuf {
    PathBuf::from(url.strip_prefix("sqlite://").unwrap_or(url))
}

/// The signing key and every retired key beside it.
fn key_files(key: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let dir = key
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = key
        .file_name()
        .context("the signing key file has no name")?
        .to_string_lossy()
        .into_owned();
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        let file = path.file_name().map(|f| f.to_string_lossy().into_owned());
        if file.as_deref() == Some(name.as_str())
            || file.is_some_and(|f| f.starts_with(&format!("{name}.retired-")))
        {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// Copies `from` to `to`, readable by its owner only.
fn copy_private(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::copy(from, to)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// Writes a backup into `dir` (new, or empty) while the registry runs: the database as
/// of one moment (SQLite's `VACUUM INTO`, a single read transaction, so every write
/// acknowledged before it began is in it) and the signing keys.
pub fn backup(config: &Config, dir: &Path) -> anyhow::Result<()> {
    if Backend::of_url(&config.database_url) == Backend::Postgres {
        anyhow::bail!(
            "on PostgreSQL, copy the database with pg_dump (docs/operator.md, \"Backups\"), \
             and the signing keys beside it; `restore --check` checks what you restore"
        );
    }
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        anyhow::bail!("{} is not empty: give a new folder", dir.display());
    }
    std::fs::create_dir_all(dir.join(KEYS))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let target = dir.join(DATABASE);
    let pool = db::connect(&config.database_url, 1)?;
    let mut conn = pool.get()?;
    db::copy_into(&mut conn, &target)?;
    let keys = key_files(&config.signing_key_file)?;
    if keys.is_empty() {
        anyhow::bail!("no signing key at {}", config.signing_key_file.display());
    }
    for key in &keys {
        copy_private(
            key,
            &dir.join(KEYS).join(key.file_name().unwrap_or_default()),
        )?;
    }
    let (entries, _) = check(&target.to_string_lossy())?;
    println!(
        "backed up to {}: the database ({entries} log entries) and {} key file(s)",
        dir.display(),
        keys.len()
    );
    Ok(())
}

/// Puts the backup in `dir` back where the settings say (the service stopped), then
/// checks it; refuses to overwrite a database or key unless `replace`.
pub fn restore(config: &Config, dir: &Path, replace: bool) -> anyhow::Result<()> {
    if Backend::of_url(&config.database_url) == Backend::Postgres {
        anyhow::bail!(
            "on PostgreSQL, restore the database with pg_restore (docs/operator.md, \"Backups\") \
             and run `restore --check`"
        );
    }
    let source = dir.join(DATABASE);
    if !source.is_file() {
        anyhow::bail!("{} holds no {DATABASE}: not a backup", dir.display());
    }
    let target = sqlite_file(&config.database_url);
    let key_dir = config
        .signing_key_file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_owned();
    let keys: Vec<PathBuf> = std::fs::read_dir(dir.join(KEYS))
        .with_context(|| format!("{} holds no keys", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    if !replace {
        for existing in std::iter::once(target.clone()).chain(
            keys.iter()
                .map(|k| key_dir.join(k.file_name().unwrap_or_default())),
        ) {
            if existing.exists() {
                anyhow::bail!(
                    "{} exists: stop the registry and give --replace to put the backup in its place",
                    existing.display()
                );
            }
        }
    }
    if let Some(parent) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    // What the old database left beside it must not be replayed over the copy.
    for stale in ["-wal", "-shm"] {
        let mut side = target.as_os_str().to_owned();
        side.push(stale);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    std::fs::copy(&source, &target)
        .with_context(|| format!("cannot write {}", target.display()))?;
    std::fs::create_dir_all(&key_dir)?;
    for key in &keys {
        copy_private(key, &key_dir.join(key.file_name().unwrap_or_default()))?;
    }
    let (entries, tree) = check(&config.database_url)?;
    println!(
        "restored {}: the log verifies ({entries} entries; tree {tree})",
        target.display()
    );
    Ok(())
}

/// Checks a database where it is (any backend): its log verifies, chain and tree.
/// Returns (entries, "size and root" of its tree, to compare with the newest checkpoint
/// published: a copy older than it is a fork once it signs a new head).
pub fn check(url: &str) -> anyhow::Result<(i64, String)> {
    use base64::Engine;
    let pool = db::connect(url, 1)?;
    let mut conn = pool.get()?;
    match crate::db::models::audit::verify(&mut conn)? {
        (n, None) => {
            let size = crate::db::models::log_tree::size(&mut conn)?;
            let root = crate::db::models::log_tree::root(&mut conn, size)?;
            let root = base64::engine::general_purpose::STANDARD.encode(root);
            Ok((n, format!("size {size}, root {root}")))
        }
        (n, Some((seq, why))) => {
            anyhow::bail!("entry {seq} of the copy is bad: {why} ({n} entries before it verify)")
        }
    }
}
