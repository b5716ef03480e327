//! The database as the service uses it: the pool, one slot per pooled connection, and
//! on SQLite the writers' turn. Work runs on the blocking thread pool; callers await it.

use std::sync::{Arc, Mutex, OnceLock};

use diesel::Connection;

use super::signal::{self, Touched};
use super::{Backend, DbConn, DbPool};

/// Why database work could not start.
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
    #[error("no database connection: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("the database is shutting down")]
    Closed,
    #[error("database work failed to finish: {0}")]
    Task(String),
}

pub struct Database {
    pool: DbPool,
    backend: Backend,
    /// One permit per pooled connection: database work waits here, on the async side,
    /// instead of parking a blocking thread per waiting request.
    slots: tokio::sync::Semaphore,
    /// On SQLite, write transactions take turns here: one writer at a time, so a
    /// transaction never has to upgrade a read lock while another writes (which SQLite
    /// answers with "database is locked" at once). Readers are not held up (WAL).
    writer: Option<Arc<Mutex<()>>>,
    /// Database work waiting for a slot now.
    waiting: std::sync::atomic::AtomicI64,
    /// Told what each piece of work touched (see [`super::signal`]) once it has
    /// committed, before its caller goes on.
    committed: OnceLock<Committed>,
    /// Why this instance takes no write to the log, when it takes none: the log does
    /// not agree with the last checkpoint the registry published.
    refusal: std::sync::RwLock<Option<Arc<str>>>,
}

/// What is told of committed work.
pub type Committed = Arc<dyn Fn(&Touched) + Send + Sync>;

/// How busy the pool is now, for `/metrics`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolLoad {
    pub size: i64,
    /// Connections lent out.
    pub in_use: i64,
    /// Connections open and free.
    pub idle: i64,
    /// Database work waiting for a connection.
    pub waiting: i64,
}

/// Counts one piece of work as waiting while it lives.
struct Waiting<'a>(&'a std::sync::atomic::AtomicI64);

impl<'a> Waiting<'a> {
    fn new(count: &'a std::sync::atomic::AtomicI64) -> Self {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Database {
    pub fn new(pool: DbPool, backend: Backend) -> Database {
        Database {
            slots: tokio::sync::Semaphore::new(pool.max_size() as usize),
            writer: (backend == Backend::Sqlite).then(Default::default),
            waiting: Default::default(),
            committed: OnceLock::new(),
            refusal: Default::default(),
            pool,
            backend,
        }
    }

    /// Sets what is told of each piece of work's touches once it has committed (once;
    /// later calls are ignored).
    pub fn on_commit(&self, tell: Committed) {
        let _ = self.committed.set(tell);
    }

    /// From now on every append to the log fails, saying `why`, until the service
    /// starts again with a log that agrees with what it published.
    pub fn refuse_writes(&self, why: &str) {
        let mut refusal = self.refusal.write().unwrap_or_else(|p| p.into_inner());
        if refusal.is_none() {
            tracing::error!(
                why,
                "the log does not agree with its last published checkpoint: writes are refused"
            );
            *refusal = Some(why.into());
        }
    }

    /// Why writes are refused, if they are.
    pub fn refusal(&self) -> Option<Arc<str>> {
        self.refusal
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The pool itself, for work outside a request (commands, set-up, tests).
    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How busy the pool is now.
    pub fn load(&self) -> PoolLoad {
        let size = i64::from(self.pool.max_size());
        let free = self.slots.available_permits() as i64;
        let state = self.pool.state();
        PoolLoad {
            size,
            in_use: (size - free).max(0),
            idle: i64::from(state.idle_connections),
            waiting: self.waiting.load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// A slot for one piece of database work, counted as waiting until it has one.
    async fn slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, Unavailable> {
        let _waiting = Waiting::new(&self.waiting);
        self.slots.acquire().await.map_err(|_| Unavailable::Closed)
    }

    /// Runs `f` with a connection on the blocking thread pool.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<Unavailable> + Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    {
        let _slot = self.slot().await?;
        let pool = self.pool.clone();
        let committed = self.committed.get().cloned();
        let refusal = self.refusal();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(Unavailable::Pool)?;
            // Anything left on this thread by work that ran on a connection of its own
            // (committed by now) is told with this work's.
            let mut touched = signal::take();
            let done = super::models::audit::refusing(refusal, || f(&mut conn));
            // Told whether `f` succeeded or not: work outside a transaction commits
            // statement by statement, and a rolled-back touch costs one rebuild.
            touched.add(signal::take());
            if let Some(tell) = committed.filter(|_| !touched.is_nothing()) {
                tell(&touched);
            }
            done
        })
        .await
        .map_err(|e| Unavailable::Task(e.to_string()))?
    }

    /// Like [`Database::run`], inside one transaction: all of `f`'s writes or none. On
    /// SQLite writers take turns, and each takes the write lock as it begins.
    pub async fn transaction<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<Unavailable> + From<diesel::result::Error> + Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    {
        let writer = self.writer.clone();
        self.run(move |conn| {
            let _turn = writer
                .as_ref()
                .map(|w| w.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
            conn.transaction::<T, E, _>(|conn| {
                take_write_lock(conn)?;
                f(conn)
            })
        })
        .await
    }

    /// One indexed read that answers in microseconds (a stored record by key). On
    /// SQLite it runs on the calling thread: the hand-off to the blocking pool and back
    /// costs more than the read, and a WAL reader never waits for a writer. On
    /// PostgreSQL, a network round trip, it goes to the blocking pool as all else does.
    pub async fn point_read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<Unavailable> + Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    {
        if self.backend != Backend::Sqlite {
            return self.run(f).await;
        }
        // A permit means a pooled connection is free, so taking it does not wait.
        let _slot = self.slot().await?;
        let mut conn = self.pool.get().map_err(Unavailable::Pool)?;
        f(&mut conn)
    }
}

/// Call first in a write transaction. On SQLite it takes the write lock at once (a
/// deferred transaction that reads first cannot wait for it later and fails with
/// "database is locked" when another process writes); waiting here honours the busy
/// timeout. PostgreSQL needs nothing.
pub fn take_write_lock(conn: &mut DbConn) -> diesel::QueryResult<()> {
    use diesel::connection::SimpleConnection;
    on_backend!(conn,
        postgres: |_| Ok(()),
        sqlite: |c| c.batch_execute("UPDATE pledge_versions SET position = position WHERE 0"),
    )
}
