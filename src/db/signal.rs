//! The change signal: what a write touched, for the reads kept in memory.
//!
//! A write that changes what the public reads show (a supplier's stored record or
//! history, the pledge's versions) calls [`touched`] inside its transaction. Two things
//! follow. The instance that made the write is told when the work commits, before it
//! answers (see [`crate::db::Database`]). Every other instance is told by the database:
//! on PostgreSQL the transaction sends `pg_notify` on [`CHANNEL`], which the server
//! delivers at commit and only then; on SQLite another connection sees the file's
//! `data_version` move (see [`crate::db::watch`]).

use std::cell::RefCell;
use std::collections::BTreeSet;

use diesel::QueryResult;

use crate::db::DbConn;
use crate::domain::SupplierId;

/// The PostgreSQL channel the change signal is sent on.
pub const CHANNEL: &str = "registry_reads";

/// What the public reads show after a write that changed it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Touched {
    /// Nothing.
    #[default]
    Nothing,
    /// What these suppliers' records, pages and list items show.
    Suppliers(BTreeSet<SupplierId>),
    /// Anything: every kept read is out of date.
    Everything,
}

/// Past this many suppliers in one piece of work, it is told as `Everything`.
const MANY: usize = 256;

impl Touched {
    /// `self` and `other` together.
    pub fn add(&mut self, other: Touched) {
        match (&mut *self, other) {
            (_, Touched::Nothing) | (Touched::Everything, _) => {}
            (_, Touched::Everything) => *self = Touched::Everything,
            (Touched::Nothing, t) => *self = t,
            (Touched::Suppliers(mine), Touched::Suppliers(theirs)) => {
                mine.extend(theirs);
                if mine.len() > MANY {
                    *self = Touched::Everything;
                }
            }
        }
    }

    pub fn is_nothing(&self) -> bool {
        *self == Touched::Nothing
    }

    /// As sent on [`CHANNEL`]: a supplier's id, or `*` for everything.
    fn payloads(&self) -> Vec<String> {
        match self {
            Touched::Nothing => Vec::new(),
            Touched::Suppliers(ids) => ids.iter().map(|id| id.to_string()).collect(),
            Touched::Everything => vec!["*".into()],
        }
    }

    /// What one payload received on [`CHANNEL`] names; an unreadable one, everything.
    pub fn from_payload(payload: &str) -> Touched {
        match payload.parse::<uuid::Uuid>() {
            Ok(id) => Touched::Suppliers(BTreeSet::from([SupplierId(id)])),
            Err(_) => Touched::Everything,
        }
    }
}

thread_local! {
    /// What the work running on this thread has touched so far.
    static PENDING: RefCell<Touched> = const { RefCell::new(Touched::Nothing) };
}

/// Says, inside the writing transaction, that it changed what `what` covers.
pub fn touched(conn: &mut DbConn, what: Touched) -> QueryResult<()> {
    use diesel::RunQueryDsl;
    use diesel::sql_types::Text;
    on_backend!(conn,
        postgres: |c| {
            for payload in what.payloads() {
                diesel::sql_query("SELECT pg_notify($1, $2)")
                    .bind::<Text, _>(CHANNEL)
                    .bind::<Text, _>(payload)
                    .execute(c)?;
            }
        },
        sqlite: |_| {},
    );
    PENDING.with(|p| p.borrow_mut().add(what));
    Ok(())
}

/// Says that one supplier's public reads changed.
pub fn touched_supplier(conn: &mut DbConn, supplier_id: SupplierId) -> QueryResult<()> {
    touched(conn, Touched::Suppliers(BTreeSet::from([supplier_id])))
}

/// What the work on this thread touched since the last call, forgetting it.
pub fn take() -> Touched {
    PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(n: u128) -> Touched {
        Touched::Suppliers(BTreeSet::from([SupplierId(uuid::Uuid::from_u128(n))]))
    }

    #[test]
    fn touches_add_up_and_many_become_everything() {
        let mut t = Touched::Nothing;
        t.add(one(1));
        t.add(one(2));
        t.add(Touched::Nothing);
        assert_eq!(t.payloads().len(), 2);
        for n in 0..MANY as u128 {
            t.add(one(n + 10));
        }
        assert_eq!(t, Touched::Everything);
        t.add(one(3));
        assert_eq!(t.payloads(), vec!["*".to_owned()]);
        let id = uuid::Uuid::from_u128(5);
        assert_eq!(Touched::from_payload(&id.to_string()), one(5));
        assert_eq!(Touched::from_payload("*"), Touched::Everything);
        assert_eq!(Touched::from_payload("junk"), Touched::Everything);
    }
}
