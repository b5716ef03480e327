//! Hears the change signal of writes made by other instances and processes, on a
//! connection of its own, in a thread of its own.
//!
//! PostgreSQL: `LISTEN` on [`CHANNEL`], read every [`POLL`], and proven alive by a
//! round trip every [`PROOF`]. SQLite: `PRAGMA data_version`, which moves when another
//! connection commits to the file, read every [`SQLITE_POLL`]. Each reading that
//! succeeds is told as [`Heard::Alive`]; a connection that fails is told as
//! [`Heard::Lost`] and opened again (with a growing pause), then told as
//! [`Heard::Listening`].

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::r2d2::ManageConnection;
use diesel::{PgConnection, RunQueryDsl, SqliteConnection};

use super::signal::{CHANNEL, Touched};
use super::{DbConn, Manager};

/// How often the signal is read.
pub const POLL: Duration = Duration::from_millis(10);
/// How often a PostgreSQL listener proves its connection with a round trip.
pub const PROOF: Duration = Duration::from_millis(100);
/// How often SQLite's `data_version` is read (it is a read of the file's header).
pub const SQLITE_POLL: Duration = Duration::from_millis(10);
/// The listener's `application_name` on PostgreSQL, to find it in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "registry-change-signal";

/// What the watcher tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// Listening again after a start or a loss, since the time given: nothing before
    /// it was heard.
    Listening(Instant),
    /// Still listening: every write that committed before the time given has been
    /// told (the time is taken before the database is asked, so a watcher held up
    /// after asking cannot make a proof look newer than it is).
    Alive(Instant),
    /// Another instance or process wrote this.
    Written(Touched),
    /// The connection failed: from now on nothing is heard until `Listening`.
    Lost,
}

/// Starts the watcher on `url`; it runs until `tell` answers false.
pub fn spawn(
    url: &str,
    tell: impl Fn(Heard) -> bool + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let manager = Manager::new(url);
    std::thread::Builder::new()
        .name("change-signal".into())
        .spawn(move || watch(&manager, &tell))
}

fn watch(manager: &Manager, tell: &dyn Fn(Heard) -> bool) {
    let mut pause = Duration::from_millis(50);
    loop {
        match manager.connect() {
            Ok(conn) => {
                pause = Duration::from_millis(50);
                let failure = match conn {
                    DbConn::Postgres(c) => listen(c, tell),
                    DbConn::Sqlite(c) => poll_file(c, tell),
                };
                match failure {
                    None => return,
                    Some(e) => {
                        tracing::warn!(error = %e, "the change signal was lost; reads come from the database until it is back")
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot open a connection for the change signal"),
        }
        if !tell(Heard::Lost) {
            return;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

/// Listens until the connection fails (its error) or `tell` says stop (`None`).
fn listen(mut conn: PgConnection, tell: &dyn Fn(Heard) -> bool) -> Option<String> {
    let asked = Instant::now();
    if let Err(e) = conn.batch_execute(&format!(
        "SET application_name = '{APPLICATION_NAME}'; LISTEN {CHANNEL}"
    )) {
        return Some(e.to_string());
    }
    if !tell(Heard::Listening(asked)) {
        return None;
    }
    let mut proven = asked;
    loop {
        // A round trip: a connection the server closed, or that no longer reaches it,
        // fails here; notifications the server sent before answering are read below.
        let proof = if proven.elapsed() >= PROOF {
            let asked = Instant::now();
            if let Err(e) = conn.batch_execute("SELECT 1") {
                return Some(e.to_string());
            }
            Some(asked)
        } else {
            None
        };
        let mut heard = Touched::Nothing;
        for notification in conn.notifications_iter() {
            match notification {
                Ok(n) => heard.add(Touched::from_payload(&n.payload)),
                Err(e) => return Some(e.to_string()),
            }
        }
        if !heard.is_nothing() && !tell(Heard::Written(heard)) {
            return None;
        }
        if let Some(asked) = proof {
            proven = asked;
            if !tell(Heard::Alive(asked)) {
                return None;
            }
        }
        std::thread::sleep(POLL);
    }
}

#[derive(diesel::QueryableByName)]
struct DataVersion {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    data_version: i64,
}

fn data_version(conn: &mut SqliteConnection) -> diesel::QueryResult<i64> {
    diesel::sql_query("PRAGMA data_version")
        .get_result::<DataVersion>(conn)
        .map(|v| v.data_version)
}

/// Reads the file's `data_version` until it cannot (its error) or `tell` says stop.
fn poll_file(mut conn: SqliteConnection, tell: &dyn Fn(Heard) -> bool) -> Option<String> {
    if let Err(e) = conn.batch_execute("PRAGMA busy_timeout = 1000;") {
        return Some(e.to_string());
    }
    let asked = Instant::now();
    let mut seen = match data_version(&mut conn) {
        Ok(v) => v,
        Err(e) => return Some(e.to_string()),
    };
    if !tell(Heard::Listening(asked)) {
        return None;
    }
    loop {
        std::thread::sleep(SQLITE_POLL);
        let asked = Instant::now();
        let now = match data_version(&mut conn) {
            Ok(v) => v,
            Err(e) => return Some(e.to_string()),
        };
        // Any connection's commit moves it, this instance's own included: those were
        // told at commit already, and are told again here, which costs a rebuild.
        if now != seen {
            seen = now;
            if !tell(Heard::Written(Touched::Everything)) {
                return None;
            }
        }
        if !tell(Heard::Alive(asked)) {
            return None;
        }
    }
}
