//! Database access: one connection type over SQLite or PostgreSQL, chosen by URL scheme.

/// The one way to write SQL that depends on the backend: on the concrete connection a
/// [`DbConn`] holds.
///
/// `on_backend!(conn, |c| query)` runs one query, written once, on either. Through the
/// `DbConn` wrapper diesel renders a query's SQL text again on every call, even for a
/// statement it has prepared before: that was a sixth of the CPU of a supplier read. On
/// the concrete connection a query of fixed shape goes straight to its cached prepared
/// statement. Use it for the queries that public reads run.
///
/// `on_backend!(conn, postgres: |c| ..., sqlite: |c| ...)` runs what differs: row
/// locks and advisory locks on PostgreSQL, pragmas and the write lock on SQLite.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $query:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite($c) => $query,
            $crate::db::DbConn::Postgres($c) => $query,
        }
    };
    ($conn:expr, postgres: |$p:pat_param| $pg:expr, sqlite: |$s:pat_param| $lite:expr $(,)?) => {
        match $conn {
            $crate::db::DbConn::Postgres($p) => $pg,
            $crate::db::DbConn::Sqlite($s) => $lite,
        }
    };
}

pub mod database;
pub mod models;
pub mod schema;
pub mod signal;
mod types;
pub mod watch;

pub use database::{Database, PoolLoad, Unavailable, take_write_lock};

use std::path::Path;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{CustomizeConnection, ManageConnection, Pool, PooledConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to whichever backend the registry runs on.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = Pool<Manager>;
pub type PooledConn = PooledConnection<Manager>;

/// The backend named by a database URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn of_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// Opens connections of the backend named by the URL, so that a bad URL reports the
/// backend's own error instead of a generic "no backend accepted it".
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
    backend: Backend,
}

impl Manager {
    fn new(url: &str) -> Self {
        Manager {
            url: url.to_owned(),
            backend: Backend::of_url(url),
        }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        let conn = match self.backend {
            Backend::Postgres => PgConnection::establish(&self.url).map(DbConn::Postgres),
            Backend::Sqlite => {
                let path = self.url.strip_prefix("sqlite://").unwrap_or(&self.url);
                SqliteConnection::establish(path).map(DbConn::Sqlite)
            }
        };
        conn.map_err(diesel::r2d2::Error::ConnectionError)
    }

    /// Asked on every checkout. A PostgreSQL connection may have been closed by the
    /// server since it was last used; an open SQLite file cannot go away, and asking it
    /// would begin and end a read transaction on every request.
    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        on_backend!(conn,
            postgres: |c| c
                .batch_execute("SELECT 1")
                .map_err(diesel::r2d2::Error::QueryError),
            sqlite: |_| Ok(()),
        )
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// SQLite needs WAL and a busy timeout on every connection to take concurrent writers,
/// and foreign keys switched on.
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<DbConn, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConn) -> Result<(), diesel::r2d2::Error> {
        on_backend!(conn,
            postgres: |_| Ok(()),
            sqlite: |c| c
                .batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                )
                .map_err(diesel::r2d2::Error::QueryError),
        )
    }
}

/// Builds the pool, creating the SQLite file's folder first, and applies pending
/// migrations for the backend in use.
pub fn connect(url: &str, max_size: u32) -> anyhow::Result<DbPool> {
    let manager = Manager::new(url);
    if manager.backend == Backend::Sqlite {
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        if let Some(dir) = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)?;
        }
    }
    // Connect once directly so the caller sees the real error instead of a pool timeout,
    // and switch SQLite to WAL (kept in the file) before the pool opens its connections.
    let mut first = manager
        .connect()
        .map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?;
    on_backend!(&mut first,
        postgres: |_| {},
        sqlite: |c| c.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")?,
    );
    drop(first);
    // Connections open as requests need them (none in advance, none re-opened in the
    // background), and stay open while in use.
    let pool = Pool::builder()
        .max_size(max_size)
        .min_idle(Some(0))
        .connection_timeout(Duration::from_secs(5))
        .connection_customizer(Box::new(SqlitePragmas))
        .build(manager)?;
    Ok(pool)
}

/// Writes a consistent copy of the SQLite database to `path` while others write: one
/// read transaction (`VACUUM INTO`), so every write committed before it began is in
/// the copy and none after. PostgreSQL is copied with its own tools.
pub fn copy_into(conn: &mut DbConn, path: &Path) -> anyhow::Result<()> {
    let quoted = path.to_string_lossy().replace('\'', "''");
    on_backend!(conn,
        postgres: |_| anyhow::bail!("a PostgreSQL database is copied with pg_dump"),
        sqlite: |c| {
            diesel::RunQueryDsl::execute(diesel::sql_query(format!("VACUUM INTO '{quoted}'")), c)?;
        },
    );
    Ok(())
}

/// Migrations this binary has that the database has not had.
pub fn pending_migrations(conn: &mut DbConn) -> anyhow::Result<usize> {
    let pending = on_backend!(conn,
        postgres: |c| c.pending_migrations(POSTGRES_MIGRATIONS).map(|m| m.len()),
        sqlite: |c| c.pending_migrations(SQLITE_MIGRATIONS).map(|m| m.len()),
    )
    .map_err(|e| anyhow::anyhow!("cannot read the applied migrations: {e}"))?;
    Ok(pending)
}

/// The database server's clock (PostgreSQL); none on SQLite, which has this machine's.
pub fn server_clock(conn: &mut DbConn) -> anyhow::Result<Option<chrono::NaiveDateTime>> {
    #[derive(diesel::QueryableByName)]
    struct Now {
        #[diesel(sql_type = diesel::sql_types::Timestamp)]
        now: chrono::NaiveDateTime,
    }
    Ok(on_backend!(conn,
        postgres: |c| Some(
            diesel::RunQueryDsl::get_result::<Now>(
                diesel::sql_query("SELECT (now() AT TIME ZONE 'UTC') AS now"),
                c,
            )?
            .now,
        ),
        sqlite: |_| None,
    ))
}

/// Applies every pending migration; returns how many ran.
pub fn migrate(conn: &mut DbConn) -> anyhow::Result<usize> {
    let ran = on_backend!(conn,
        postgres: |c| c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|r| r.len()),
        sqlite: |c| c.run_pending_migrations(SQLITE_MIGRATIONS).map(|r| r.len()),
    )
    .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    Ok(ran)
}

/// Runs `f` while holding the database-wide set-up lock, so that instances starting
/// together against one PostgreSQL migrate and seed it once. SQLite serves one process.
pub fn with_setup_lock<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    const SETUP_LOCK: i64 = 0x7e_c4_91_ed;
    on_backend!(&mut *conn,
        postgres: |c| c.batch_execute(&format!("SELECT pg_advisory_lock({SETUP_LOCK})"))?,
        sqlite: |_| {},
    );
    let result = f(conn);
    on_backend!(&mut *conn,
        postgres: |c| c.batch_execute(&format!("SELECT pg_advisory_unlock({SETUP_LOCK})"))?,
        sqlite: |_| {},
    );
    result
}

/// Whether the database is in a state that accepts queries.
pub fn ping(conn: &mut DbConn) -> bool {
    conn.batch_execute("SELECT 1").is_ok()
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    #[derive(QueryableByName)]
    struct CompileOption {
        #[diesel(sql_type = Text)]
        compile_options: String,
    }

    /// The bundled SQLite is built with the options in `.cargo/config.toml`; without
    /// them reads re-plan their statements on every call.
    #[test]
    fn sqlite_build_options() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let options: Vec<String> = diesel::sql_query("PRAGMA compile_options")
            .load::<CompileOption>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|o| o.compile_options)
            .collect();
        for wanted in ["ENABLE_QPSG", "DEFAULT_MEMSTATUS=0"] {
            assert!(
                options.iter().any(|o| o == wanted),
                "SQLite was built without {wanted}: {options:?}"
            );
        }
        assert!(
            !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
            "SQLite was built with one page cache for every connection: {options:?}"
        );
    }
}
