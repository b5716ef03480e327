//! The public halves of the registry's signing keys, shared by every instance.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::signing_keys;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = signing_keys)]
pub struct KeyRow {
    pub kid: String,
    pub public_x: String,
    pub created_at: NaiveDateTime,
    pub retired_at: Option<NaiveDateTime>,
    /// Retired because it may be known to someone else: what it signed is void.
    pub compromised_at: Option<NaiveDateTime>,
}

/// Records `kid` as the key in use; any other key in use is retired now. Idempotent for
/// instances that start with the same key. A retired key never returns to use: an
/// instance started with one is refused.
pub fn register_current(
    conn: &mut DbConn,
    kid: &str,
    public_x: &str,
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    let known: Option<KeyRow> = signing_keys::table
        .find(kid)
        .select(KeyRow::as_select())
        .first(conn)
        .optional()?;
    match known {
        None => {
            diesel::insert_into(signing_keys::table)
                .values((
                    signing_keys::kid.eq(kid),
                    signing_keys::public_x.eq(public_x),
                    signing_keys::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        Some(KeyRow {
            retired_at: Some(retired),
            ..
        }) => anyhow::bail!(
            "the signing key {kid} was retired at {retired}; start with the key in use \
             (see `pledge-registry key rotate` in docs/operator.md)"
        ),
        Some(_) => {}
    }
    diesel::update(
        signing_keys::table
            .filter(signing_keys::kid.ne(kid))
            .filter(signing_keys::retired_at.is_null()),
    )
    .set(signing_keys::retired_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}

/// Marks a key retired as compromised (and retired, if it was not yet).
pub fn mark_compromised(conn: &mut DbConn, kid: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(signing_keys::table.find(kid))
        .set((
            signing_keys::compromised_at.eq(Some(at)),
            signing_keys::retired_at.eq(Some(at)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Every retired key, newest first: checkpoints they signed stay checkable.
pub fn retired(conn: &mut DbConn) -> QueryResult<Vec<KeyRow>> {
    signing_keys::table
        .filter(signing_keys::retired_at.is_not_null())
        .order(signing_keys::retired_at.desc())
        .select(KeyRow::as_select())
        .load(conn)
}

/// Every key the registry has had, in use or retired, oldest first: what checks a
/// checkpoint signed by any instance, one that has not re-read a rotated key included.
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<KeyRow>> {
    signing_keys::table
        .order(signing_keys::created_at.asc())
        .select(KeyRow::as_select())
        .load(conn)
}

/// Keys in use, or retired after `retired_after` (what they signed may still be valid).
pub fn published(conn: &mut DbConn, retired_after: NaiveDateTime) -> QueryResult<Vec<KeyRow>> {
    signing_keys::table
        .filter(
            signing_keys::retired_at
                .is_null()
                .or(signing_keys::retired_at.gt(retired_after)),
        )
        .order(signing_keys::created_at.desc())
        .select(KeyRow::as_select())
        .load(conn)
}

/// One key by id, in use or retired.
pub fn find(conn: &mut DbConn, kid: &str) -> QueryResult<Option<KeyRow>> {
    if kid.contains('\0') {
        return Ok(None);
    }
    signing_keys::table
        .find(kid)
        .select(KeyRow::as_select())
        .first(conn)
        .optional()
}
