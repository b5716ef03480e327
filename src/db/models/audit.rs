//! The append-only audit log: who changed what, when, before and after. Each entry
//! carries the hash of its canonical form and the hash of the entry before it, so
//! anyone can check that history was not rewritten (docs/audit-log.md).

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::db::DbConn;
use crate::db::models::log_tree;
use crate::db::schema::audit_log;
use crate::domain::{Action, SupplierId, strict_json};

/// Why an entry was not appended, carried through diesel's error to the domain's
/// ([`crate::error::Error::LogRefused`], [`crate::error::Error::LimitReached`]).
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// The log does not agree with its tree or its last published checkpoint.
    #[error("{0}")]
    Log(String),
    /// The entry's public form is longer than a tile client can read (a `u16` length).
    #[error("a public log entry of {0} bytes is longer than {max}", max = u16::MAX)]
    TooLarge(usize),
}

fn refused(r: Refused) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(Box::new(r))
}

thread_local! {
    /// Why the instance running work on this thread takes no write to the log, if it
    /// takes none: set by [`crate::db::Database`] around each piece of work.
    static REFUSAL: std::cell::RefCell<Option<std::sync::Arc<str>>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f` with appends refused for `why` (when there is a why) on this thread.
pub fn refusing<T>(why: Option<std::sync::Arc<str>>, f: impl FnOnce() -> T) -> T {
    let before = REFUSAL.with(|r| r.replace(why));
    let out = f();
    REFUSAL.with(|r| *r.borrow_mut() = before);
    out
}

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub seq: i64,
    pub at: NaiveDateTime,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub supplier_id: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
    pub public_json: Option<String>,
    /// A secret random value (64 hex digits) the entry's hash covers, kept privately:
    /// without it nobody can confirm a guess of who acted or what changed from the
    /// public leaf. `None` for entries written before salts.
    pub salt: Option<String>,
}

/// One change, as handed to [`record`].
#[derive(Debug)]
pub struct Entry<'a> {
    pub actor: &'a str,
    pub action: Action,
    pub entity_type: &'a str,
    pub entity_id: String,
    pub supplier_id: Option<SupplierId>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl<'a> Entry<'a> {
    /// An entry about nothing of a supplier's and with no state: add them with
    /// [`Entry::supplier`], [`Entry::before`] and [`Entry::after`].
    pub fn new(
        actor: &'a str,
        action: Action,
        entity_type: &'a str,
        entity_id: impl ToString,
    ) -> Self {
        Entry {
            actor,
            action,
            entity_type,
            entity_id: entity_id.to_string(),
            supplier_id: None,
            before: None,
            after: None,
        }
    }

    /// The supplier the entry belongs to (its history, the public feed).
    pub fn supplier(self, id: impl Into<Option<SupplierId>>) -> Self {
        Entry {
            supplier_id: id.into(),
            ..self
        }
    }

    /// The state before the change.
    pub fn before(self, v: impl Into<Option<Value>>) -> Self {
        Entry {
            before: v.into(),
            ..self
        }
    }

    /// The state after the change.
    pub fn after(self, v: impl Into<Option<Value>>) -> Self {
        Entry {
            after: v.into(),
            ..self
        }
    }
}

/// RFC 3339, UTC, microseconds: the form times take in the canonical entry.
pub fn time(at: NaiveDateTime) -> String {
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn parse(text: &Option<String>) -> Value {
    text.as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(Value::Null)
}

/// The canonical form of an entry: compact JSON, keys sorted, times as [`time`], and
/// the entry's salt when it has one.
pub fn canonical(row: &AuditRow) -> String {
    // serde_json keeps object keys sorted, at every depth.
    let mut form = json!({
        "seq": row.seq,
        "at": time(row.at),
        "actor": row.actor,
        "action": row.action,
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "supplier_id": row.supplier_id,
        "before": parse(&row.before_json),
        "after": parse(&row.after_json),
        "public": parse(&row.public_json),
        "prev_hash": row.prev_hash,
    });
    if let Some(salt) = &row.salt {
        form["salt"] = json!(salt);
    }
    form.to_string()
}

/// A new secret salt: 32 random bytes, lower-case hex.
fn new_salt() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    crate::domain::text::hex(&bytes)
}

/// The public form of an entry: the data of its leaf in the log's Merkle tree
/// (docs/audit-log.md). Compact JSON, keys sorted.
///
/// A salted entry (every entry written since salts) shows what the change feed shows
/// of it when it is public: number, time, action, what changed and the public view;
/// a private entry shows only its number. Either way `entry_hash`, the hash of its
/// canonical form with its secret salt, commits to the rest (who acted, the states
/// before and after) without letting anyone confirm a guess; the operator can reveal
/// one entry, salt and all, to prove what it says.
///
/// Entries written before salts keep the form they were published with (the log
/// cannot change a published leaf): the states and the actor as plain SHA-256.
pub fn public_form(row: &AuditRow) -> String {
    if row.salt.is_some() && row.public_json.is_none() {
        return json!({"seq": row.seq, "entry_hash": row.hash}).to_string();
    }
    // serde_json keeps object keys sorted, however they were added.
    let mut form = json!({
        "seq": row.seq,
        "at": time(row.at),
        "action": row.action,
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "supplier_id": row.supplier_id,
        "public": parse(&row.public_json),
        "entry_hash": row.hash,
    });
    if row.salt.is_none() {
        let digest = |text: &Option<String>| match parse(text) {
            Value::Null => Value::Null,
            v => json!(crate::domain::text::hex(&Sha256::digest(
                v.to_string().as_bytes()
            ))),
        };
        form["actor_sha256"] = json!(crate::domain::text::hex(&Sha256::digest(
            row.actor.as_bytes()
        )));
        form["before_sha256"] = digest(&row.before_json);
        form["after_sha256"] = digest(&row.after_json);
    }
    form.to_string()
}

/// Replaces the stored Merkle tree with one built from the entries as they are;
/// returns its size. Only `pledge-registry rebuild-tree` calls it, after checking the
/// entries make the roots the registry published.
pub fn replace_tree(conn: &mut DbConn) -> QueryResult<u64> {
    lock_chain(conn)?;
    diesel::delete(crate::db::schema::log_tiles::table).execute(conn)?;
    catch_up(conn, |row| public_form(row).into_bytes())
}

/// The Merkle tree the entries make, held in memory, when their numbers and hash
/// chain are whole; otherwise the first bad entry and why.
pub fn entries_tree(
    conn: &mut DbConn,
) -> QueryResult<Result<crate::tlog::merkle::MemoryNodes, (i64, String)>> {
    let mut tree = crate::tlog::merkle::MemoryNodes::default();
    let (mut prev, mut expected) = (GENESIS.to_owned(), 1i64);
    loop {
        let rows = page(conn, Some(expected - 1), 1000, &AuditFilter::default())?;
        if rows.is_empty() {
            return Ok(Ok(tree));
        }
        for row in rows {
            if let Some(why) = breaks_chain(&row, expected, &prev) {
                return Ok(Err((row.seq, why)));
            }
            tree.push(public_form(&row).as_bytes());
            prev = row.hash.clone().unwrap_or_default();
            expected += 1;
        }
    }
}

/// How many entries the log holds, and the largest sequence number (0 when empty): they
/// differ when an entry is missing.
pub fn extent(conn: &mut DbConn) -> QueryResult<(u64, u64)> {
    let (count, max): (i64, Option<i64>) = audit_log::table
        .select((diesel::dsl::count_star(), diesel::dsl::max(audit_log::seq)))
        .first(conn)?;
    Ok((count as u64, max.unwrap_or(0) as u64))
}

/// The largest sequence number (0 when empty).
pub fn last_seq(conn: &mut DbConn) -> QueryResult<u64> {
    let max: Option<i64> = audit_log::table
        .select(diesel::dsl::max(audit_log::seq))
        .first(conn)?;
    Ok(max.unwrap_or(0) as u64)
}

/// Entries `from` to `to` (sequence numbers, inclusive), oldest first.
pub fn range(conn: &mut DbConn, from: u64, to: u64) -> QueryResult<Vec<AuditRow>> {
    audit_log::table
        .filter(audit_log::seq.between(from as i64, to as i64))
        .order(audit_log::seq.asc())
        .select(AuditRow::as_select())
        .load(conn)
}

/// The first entry from `from` to `to` (sequence numbers, inclusive) whose stored leaf
/// is not the hash of its public form, or which is missing, and why.
pub fn leaves_differ(conn: &mut DbConn, from: u64, to: u64) -> QueryResult<Option<(u64, String)>> {
    use crate::tlog::merkle::{Node, Nodes, leaf_hash};
    // In pages, so that a long stretch is never held at once.
    let mut start = from;
    while start <= to {
        let end = to.min(start + 999);
        let rows = range(conn, start, end)?;
        let leaves: Vec<Node> = (start..=end)
            .map(|seq| Node {
                level: 0,
                index: seq - 1,
            })
            .collect();
        let stored = log_tree::fetch(conn, &leaves)?;
        let mut rows = rows.into_iter();
        for seq in start..=end {
            let Some(row) = rows.next().filter(|r| r.seq as u64 == seq) else {
                return Ok(Some((seq, format!("entry {seq} is missing"))));
            };
            let node = Node {
                level: 0,
                index: seq - 1,
            };
            if stored.node(node).ok() != Some(leaf_hash(public_form(&row).as_bytes())) {
                return Ok(Some((
                    seq,
                    format!("entry {seq} is not the leaf its Merkle tree holds: it was edited"),
                )));
            }
        }
        start = end + 1;
    }
    Ok(None)
}

/// Lower-case hex SHA-256 of the canonical form.
pub fn hash_of(row: &AuditRow) -> String {
    crate::domain::text::hex(&Sha256::digest(canonical(row).as_bytes()))
}

/// The newest entry's sequence number and hash.
pub fn head(conn: &mut DbConn) -> QueryResult<Option<(i64, String, NaiveDateTime)>> {
    let row: Option<(i64, Option<String>, NaiveDateTime)> = audit_log::table
        .order(audit_log::seq.desc())
        .select((audit_log::seq, audit_log::hash, audit_log::at))
        .first(conn)
        .optional()?;
    Ok(row.map(|(seq, hash, at)| (seq, hash.unwrap_or_default(), at)))
}

/// Serialises appends: on PostgreSQL a transaction-scoped advisory lock, released at
/// commit; SQLite writers already hold the database's write lock.
pub fn lock_chain(conn: &mut DbConn) -> QueryResult<()> {
    on_backend!(conn,
        postgres: |c| c.batch_execute("SELECT pg_advisory_xact_lock(7216843)"),
        sqlite: |_| Ok(()),
    )
}

/// Appends an entry, chained to the newest one; call it inside the transaction that
/// makes the change. `public` is what the change feed shows (JSON), if the change is
/// public.
pub fn append(
    conn: &mut DbConn,
    at: NaiveDateTime,
    e: Entry<'_>,
    public: Option<String>,
) -> QueryResult<()> {
    if let Some(why) = REFUSAL.with(|r| r.borrow().clone()) {
        return Err(refused(Refused::Log(why.to_string())));
    }
    lock_chain(conn)?;
    let (seq, prev_hash) = match head(conn)? {
        Some((seq, hash, _)) => (seq + 1, hash),
        None => (1, GENESIS.to_owned()),
    };
    // The tree must hold exactly the entries before this one: a deleted tail would
    // otherwise have its numbers used again, for entries the tree never takes.
    let (tree, mut edge) = log_tree::right_edge(conn)?;
    if tree != (seq - 1) as u64 {
        return Err(refused(Refused::Log(format!(
            "the log's newest entry is {} but its Merkle tree holds {tree} entries (see pledge-registry verify-log)",
            seq - 1
        ))));
    }
    let mut row = AuditRow {
        seq,
        at,
        actor: e.actor.to_owned(),
        action: e.action.as_str().to_owned(),
        entity_type: e.entity_type.to_owned(),
        entity_id: e.entity_id,
        supplier_id: e.supplier_id.map(|s| s.to_db()),
        before_json: e.before.map(|v| v.to_string()),
        after_json: e.after.map(|v| v.to_string()),
        prev_hash: Some(prev_hash),
        hash: None,
        public_json: public,
        salt: Some(new_salt()),
    };
    row.hash = Some(hash_of(&row));
    let leaf = public_form(&row);
    if leaf.len() > usize::from(u16::MAX) {
        return Err(refused(Refused::TooLarge(leaf.len())));
    }
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::seq.eq(row.seq),
            audit_log::at.eq(row.at),
            audit_log::actor.eq(&row.actor),
            audit_log::action.eq(&row.action),
            audit_log::entity_type.eq(&row.entity_type),
            audit_log::entity_id.eq(&row.entity_id),
            audit_log::supplier_id.eq(&row.supplier_id),
            audit_log::before_json.eq(&row.before_json),
            audit_log::after_json.eq(&row.after_json),
            audit_log::prev_hash.eq(&row.prev_hash),
            audit_log::hash.eq(&row.hash),
            audit_log::public_json.eq(&row.public_json),
            audit_log::salt.eq(&row.salt),
        ))
        .execute(conn)?;
    log_tree::append(
        conn,
        &mut edge,
        tree,
        &[crate::tlog::merkle::leaf_hash(leaf.as_bytes())],
    )?;
    Ok(())
}

/// Appends an entry that is not part of the public change feed.
pub fn record(conn: &mut DbConn, at: NaiveDateTime, e: Entry<'_>) -> QueryResult<()> {
    append(conn, at, e, None)
}

/// How many entries `actor` wrote since `since`, and when the oldest of them was (for
/// when the count drops); at most `cap` are counted.
pub fn written_by_since(
    conn: &mut DbConn,
    actor: &str,
    since: NaiveDateTime,
    cap: i64,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    let times: Vec<NaiveDateTime> = audit_log::table
        .filter(audit_log::actor.eq(actor))
        .filter(audit_log::at.ge(since))
        .order(audit_log::at.asc())
        .limit(cap)
        .select(audit_log::at)
        .load(conn)?;
    Ok((times.len() as i64, times.first().copied()))
}

/// How many `action` entries about `supplier` were written since `since`.
pub fn actions_about_since(
    conn: &mut DbConn,
    supplier: SupplierId,
    action: Action,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    audit_log::table
        .filter(audit_log::supplier_id.eq(supplier.to_db()))
        .filter(audit_log::action.eq(action.as_str()))
        .filter(audit_log::at.ge(since))
        .count()
        .get_result(conn)
}

/// Entries after `after_seq`, oldest first.
pub fn page(
    conn: &mut DbConn,
    cursor: Option<i64>,
    limit: i64,
    filter: &AuditFilter,
) -> QueryResult<Vec<AuditRow>> {
    let mut q = audit_log::table
        .limit(limit)
        .select(AuditRow::as_select())
        .into_boxed();
    q = match (filter.newest_first, cursor) {
        (false, after) => q
            .filter(audit_log::seq.gt(after.unwrap_or(0)))
            .order(audit_log::seq.asc()),
        (true, Some(before)) => q
            .filter(audit_log::seq.lt(before))
            .order(audit_log::seq.desc()),
        (true, None) => q.order(audit_log::seq.desc()),
    };
    if let Some(s) = filter.supplier_id {
        q = q.filter(audit_log::supplier_id.eq(s));
    }
    if !filter.actions.is_empty() {
        q = q.filter(audit_log::action.eq_any(filter.actions.clone()));
    }
    if let Some(from) = filter.at_or_after {
        q = q.filter(audit_log::at.ge(from));
    }
    if let Some(to) = filter.before {
        q = q.filter(audit_log::at.lt(to));
    }
    q.load(conn)
}

/// Which audit entries a page shows, and in which order.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub supplier_id: Option<SupplierId>,
    /// Only these actions (any of them); none: every action.
    pub actions: Vec<String>,
    pub at_or_after: Option<NaiveDateTime>,
    pub before: Option<NaiveDateTime>,
    pub newest_first: bool,
}

/// Entry `seq`, if there is one.
pub fn entry(conn: &mut DbConn, seq: i64) -> QueryResult<Option<AuditRow>> {
    audit_log::table
        .find(seq)
        .select(AuditRow::as_select())
        .first(conn)
        .optional()
}

/// The public entry `seq`, if there is one.
pub fn public_entry(conn: &mut DbConn, seq: i64) -> QueryResult<Option<AuditRow>> {
    audit_log::table
        .find(seq)
        .filter(audit_log::public_json.is_not_null())
        .select(AuditRow::as_select())
        .first(conn)
        .optional()
}

/// The newest public entry about `supplier_id`: what the public list shows of it.
pub fn latest_public_about(conn: &mut DbConn, supplier_id: &str) -> QueryResult<Option<AuditRow>> {
    audit_log::table
        .filter(audit_log::supplier_id.eq(supplier_id))
        .filter(audit_log::public_json.is_not_null())
        .order(audit_log::seq.desc())
        .select(AuditRow::as_select())
        .first(conn)
        .optional()
}

/// Public entries (those with a public view) after `after_seq`, oldest first.
pub fn public_page(conn: &mut DbConn, after_seq: i64, limit: i64) -> QueryResult<Vec<AuditRow>> {
    audit_log::table
        .filter(audit_log::seq.gt(after_seq))
        .filter(audit_log::public_json.is_not_null())
        .order(audit_log::seq.asc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)
}

/// Where the stored Merkle tree differs from `tree`, the tree of the entries as they
/// are: every stored tile above the leaves (which [`verify`] checks entry by entry),
/// tile level by tile level, hash by hash, and that each level holds every subtree.
fn tree_differs(
    conn: &mut DbConn,
    tree: &crate::tlog::merkle::MemoryNodes,
) -> QueryResult<Option<String>> {
    use crate::tlog::merkle::{Node, Nodes};
    use crate::tlog::tiles::{TILE_HEIGHT, TILE_WIDTH};
    let size = tree.size();
    let mut tile_level = 1u8;
    while tile_level * TILE_HEIGHT < 64 && size >> (tile_level * TILE_HEIGHT) > 0 {
        let level = tile_level * TILE_HEIGHT;
        let (mut from, mut held) = (0u64, 0u64);
        loop {
            let rows = log_tree::tile_page(conn, tile_level, from, 1_000)?;
            let Some(&(last, _)) = rows.last() else {
                break;
            };
            for (tile, hashes) in rows {
                let first = tile as u64 * TILE_WIDTH;
                if !hashes.len().is_multiple_of(32) || hashes.len() as u64 > 32 * TILE_WIDTH {
                    return Ok(Some(format!(
                        "the Merkle tree's tile at level {tile_level}, index {tile} is not a whole number of hashes"
                    )));
                }
                for (j, hash) in hashes.chunks_exact(32).enumerate() {
                    let index = first + j as u64;
                    if tree
                        .node(Node { level, index })
                        .ok()
                        .as_ref()
                        .map(|h| h.as_slice())
                        != Some(hash)
                    {
                        return Ok(Some(format!(
                            "the Merkle tree's subtree at level {level}, index {index} does not match the entries"
                        )));
                    }
                    held += 1;
                }
            }
            from = last as u64 + 1;
        }
        if held != size >> level {
            return Ok(Some(format!(
                "the Merkle tree holds {held} subtrees at level {level}, the entries make {}",
                size >> level
            )));
        }
        tile_level += 1;
    }
    Ok(None)
}

/// Why an entry's stored form is not one [`append`] writes, if it is not: hashes that
/// are not 64 lower-case hex digits, or JSON columns that are not exactly one JSON
/// value without repeated keys (which the canonical form would silently drop or read
/// as null, so that an edit could keep the hash).
fn malformed(row: &AuditRow) -> Option<String> {
    let is_hash = |h: &Option<String>| {
        h.as_deref().is_some_and(|h| {
            h.len() == 64
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
    };
    if !is_hash(&row.hash) {
        return Some("hash is missing or not a SHA-256 in lower-case hex".into());
    }
    if !is_hash(&row.prev_hash) {
        return Some("prev_hash is missing or not a SHA-256 in lower-case hex".into());
    }
    if row.salt.is_some() && !is_hash(&row.salt) {
        return Some("salt is not 64 lower-case hex digits".into());
    }
    for (column, text) in [
        ("before_json", &row.before_json),
        ("after_json", &row.after_json),
        ("public_json", &row.public_json),
    ] {
        if let Some(text) = text
            && let Err(why) = strict_json::check(text)
        {
            return Some(format!("{column} is not well-formed JSON: {why}"));
        }
    }
    None
}

/// Why `row` does not follow on from the entry before it (whose hash is `prev`) as entry
/// `expected`, if it does not.
fn breaks_chain(row: &AuditRow, expected: i64, prev: &str) -> Option<String> {
    if row.seq != expected {
        Some(format!(
            "sequence jumps from {} to {}",
            expected - 1,
            row.seq
        ))
    } else if let Some(why) = malformed(row) {
        Some(why)
    } else if row.prev_hash.as_deref() != Some(prev) {
        Some("prev_hash is not the hash of the entry before".to_owned())
    } else if row.hash.as_deref() != Some(hash_of(row).as_str()) {
        Some("hash does not match the entry's content".to_owned())
    } else {
        None
    }
}

/// The first entry that breaks the chain, and why; `None` when the whole log verifies.
pub fn verify(conn: &mut DbConn) -> QueryResult<(i64, Option<(i64, String)>)> {
    use crate::tlog::merkle::{self, MemoryNodes, Node, Nodes};
    let mut prev = GENESIS.to_owned();
    let mut expected_seq = 1;
    let mut after = 0;
    let mut checked = 0;
    // The Merkle tree of the entries as they are, to hold against the stored one.
    let mut tree = MemoryNodes::default();
    loop {
        let rows = page(conn, Some(after), 1000, &AuditFilter::default())?;
        if rows.is_empty() {
            let size = log_tree::size(conn)?;
            let problem = if size != checked as u64 {
                Some(format!(
                    "the Merkle tree holds {size} entries, the log {checked} (a log written before the tree is added to it when the service starts)"
                ))
            } else {
                tree_differs(conn, &tree)?
            };
            return Ok((checked, problem.map(|why| (checked, why))));
        }
        let leaves: Vec<Node> = rows
            .iter()
            .map(|r| Node {
                level: 0,
                index: (r.seq.max(1) - 1) as u64,
            })
            .collect();
        let stored = log_tree::fetch(conn, &leaves)?;
        for row in rows {
            after = row.seq;
            let problem = if let Some(why) = breaks_chain(&row, expected_seq, &prev) {
                Some(why)
            } else if stored
                .node(Node {
                    level: 0,
                    index: (row.seq - 1) as u64,
                })
                .ok()
                != Some(merkle::leaf_hash(public_form(&row).as_bytes()))
            {
                Some("its leaf in the Merkle tree is not the hash of its public form".to_owned())
            } else {
                None
            };
            if let Some(why) = problem {
                return Ok((checked, Some((row.seq, why))));
            }
            tree.push(public_form(&row).as_bytes());
            checked += 1;
            expected_seq += 1;
            prev = row.hash.unwrap_or_default();
        }
    }
}

/// Adds to the tree every log entry it does not hold yet, in `seq` order, each leaf
/// being `leaf(entry)`; returns the tree's size after. Call it under the log's lock.
/// Entries appended per statement when the tree catches up with the log.
const CATCH_UP_BATCH: i64 = 2000;

fn catch_up(conn: &mut DbConn, leaf: impl Fn(&AuditRow) -> Vec<u8>) -> QueryResult<u64> {
    let (mut size, mut tiles) = log_tree::right_edge(conn)?;
    loop {
        let rows: Vec<AuditRow> = audit_log::table
            .filter(audit_log::seq.gt(size as i64))
            .order(audit_log::seq.asc())
            .limit(CATCH_UP_BATCH)
            .select(AuditRow::as_select())
            .load(conn)?;
        if rows.is_empty() {
            return Ok(size);
        }
        for (n, row) in rows.iter().enumerate() {
            if row.seq as u64 != size + n as u64 + 1 {
                return Err(diesel::result::Error::QueryBuilderError(
                    format!("the log skips from {} to {}", size + n as u64, row.seq).into(),
                ));
            }
        }
        let leaves: Vec<crate::tlog::merkle::Hash> = rows
            .iter()
            .map(|row| crate::tlog::merkle::leaf_hash(&leaf(row)))
            .collect();
        log_tree::append(conn, &mut tiles, size, &leaves)?;
        size += leaves.len() as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(salt: Option<&str>, public: Option<&str>) -> AuditRow {
        AuditRow {
            seq: 7,
            at: chrono::NaiveDate::from_ymd_opt(2026, 11, 27)
                .unwrap()
                .and_hms_micro_opt(9, 30, 0, 123_456)
                .unwrap(),
            actor: "supplier:abc:member:def".into(),
            action: "supplier.profile_updated".into(),
            entity_type: "supplier".into(),
            entity_id: "abc".into(),
            supplier_id: Some("abc".into()),
            before_json: Some(r#"{"website":"https://a.example"}"#.into()),
            after_json: None,
            prev_hash: Some("0".repeat(64)),
            hash: Some("1".repeat(64)),
            public_json: public.map(str::to_owned),
            salt: salt.map(str::to_owned),
        }
    }

    #[test]
    fn an_entry_from_before_salts_keeps_the_leaf_it_was_published_with() {
        let sha = |s: &str| crate::domain::text::hex(&Sha256::digest(s.as_bytes()));
        let expected = format!(
            concat!(
                r#"{{"action":"supplier.profile_updated","actor_sha256":"{}","after_sha256":null,"#,
                r#""at":"2026-11-27T09:30:00.123456Z","before_sha256":"{}","entity_id":"abc","#,
                r#""entity_type":"supplier","entry_hash":"{}","public":{{"n":1}},"seq":7,"supplier_id":"abc"}}"#
            ),
            sha("supplier:abc:member:def"),
            sha(r#"{"website":"https://a.example"}"#),
            "1".repeat(64),
        );
        assert_eq!(public_form(&row(None, Some(r#"{"n":1}"#))), expected);
    }

    #[test]
    fn a_salted_leaf_shows_no_private_field_and_a_private_one_only_its_number() {
        let salt = "2".repeat(64);
        let public = public_form(&row(Some(&salt), Some(r#"{"n":1}"#)));
        assert_eq!(
            public,
            format!(
                r#"{{"action":"supplier.profile_updated","at":"2026-11-27T09:30:00.123456Z","entity_id":"abc","entity_type":"supplier","entry_hash":"{}","public":{{"n":1}},"seq":7,"supplier_id":"abc"}}"#,
                "1".repeat(64)
            )
        );
        let private = public_form(&row(Some(&salt), None));
        assert_eq!(
            private,
            format!(r#"{{"entry_hash":"{}","seq":7}}"#, "1".repeat(64))
        );
        // The salt is part of what the entry's hash covers.
        assert_ne!(hash_of(&row(Some(&salt), None)), hash_of(&row(None, None)));
        assert_ne!(
            hash_of(&row(Some(&salt), None)),
            hash_of(&row(Some(&"3".repeat(64)), None))
        );
    }
}
