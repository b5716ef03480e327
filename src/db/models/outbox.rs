//! `outbox`: mail written in the transaction of what it reports, sent by a claimed job.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::outbox;
use crate::domain::SupplierId;

/// A message to send, as the use case that caused it writes it.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox)]
pub struct NewMail {
    /// What the message reports, once: a second message with the same key is dropped.
    pub message_key: String,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub unsubscribe: Option<String>,
    pub supplier_id: Option<SupplierId>,
    pub created_at: NaiveDateTime,
    pub next_attempt_at: NaiveDateTime,
    /// Where a reply goes, when not to the operator.
    pub reply_to: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct MailRow {
    pub id: i64,
    pub message_key: String,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub unsubscribe: Option<String>,
    pub supplier_id: Option<SupplierId>,
    pub created_at: NaiveDateTime,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub failed_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub reply_to: Option<String>,
}

/// The newest message's id (0 for none).
pub fn newest_id(conn: &mut DbConn) -> QueryResult<i64> {
    Ok(outbox::table
        .select(diesel::dsl::max(outbox::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}

/// Messages of `kind` written after message `after`: (recipient, subject, text).
pub fn written_after(
    conn: &mut DbConn,
    after: i64,
    kind: &str,
) -> QueryResult<Vec<(String, String, String)>> {
    outbox::table
        .filter(outbox::id.gt(after))
        .filter(outbox::kind.eq(kind))
        .order(outbox::id.asc())
        .select((outbox::recipient, outbox::subject, outbox::body_text))
        .load(conn)
}

/// Adds a message unless one with its key was written before; true when added.
pub fn enqueue(conn: &mut DbConn, mail: &NewMail) -> QueryResult<bool> {
    let n = on_backend!(conn, |c| diesel::insert_into(outbox::table)
        .values(mail)
        .on_conflict(outbox::message_key)
        .do_nothing()
        .execute(c))?;
    Ok(n == 1)
}

/// Claims up to `limit` messages that are due, for `holder` until `until`: unsent, not
/// given up on, their next attempt due, and not claimed by a live claim.
pub fn claim(
    conn: &mut DbConn,
    holder: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<MailRow>> {
    let due: Vec<i64> = outbox::table
        .filter(outbox::sent_at.is_null())
        .filter(outbox::failed_at.is_null())
        .filter(outbox::next_attempt_at.le(now))
        .filter(
            outbox::claimed_until
                .is_null()
                .or(outbox::claimed_until.lt(now)),
        )
        .order(outbox::id.asc())
        .limit(limit)
        .select(outbox::id)
        .load(conn)?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    // Only the rows still free when the update runs are this holder's.
    diesel::update(
        outbox::table.filter(outbox::id.eq_any(&due)).filter(
            outbox::claimed_until
                .is_null()
                .or(outbox::claimed_until.lt(now)),
        ),
    )
    .set((
        outbox::claimed_by.eq(holder),
        outbox::claimed_until.eq(until),
    ))
    .execute(conn)?;
    outbox::table
        .filter(outbox::id.eq_any(&due))
        .filter(outbox::claimed_by.eq(holder))
        .filter(outbox::sent_at.is_null())
        .order(outbox::id.asc())
        .select(MailRow::as_select())
        .load(conn)
}

/// Records that message `id` was handed to the mail server; a message that held a
/// secret (a sign-in link) keeps its subject only.
pub fn sent(conn: &mut DbConn, id: i64, at: NaiveDateTime, forget_body: bool) -> QueryResult<()> {
    if forget_body {
        let gone = "(not kept: it held a sign-in link)";
        diesel::update(outbox::table.find(id))
            .set((outbox::body_text.eq(gone), outbox::body_html.eq(gone)))
            .execute(conn)?;
    }
    diesel::update(outbox::table.find(id))
        .set((
            outbox::sent_at.eq(at),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::claimed_by.eq(None::<String>),
            outbox::claimed_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Records a failed attempt: try again at `retry_at`, or, with none, give up.
pub fn failed(
    conn: &mut DbConn,
    id: i64,
    error: &str,
    retry_at: Option<NaiveDateTime>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::last_error.eq(error),
            outbox::next_attempt_at.eq(retry_at.unwrap_or(at)),
            outbox::failed_at.eq(retry_at.is_none().then_some(at)),
            outbox::claimed_by.eq(None::<String>),
            outbox::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
        .map(|_| ())
}

/// How many messages wait to be sent, and how many the registry gave up on.
pub fn backlog(conn: &mut DbConn) -> QueryResult<(i64, i64)> {
    let waiting = outbox::table
        .filter(outbox::sent_at.is_null())
        .filter(outbox::failed_at.is_null())
        .count()
        .get_result(conn)?;
    let failed = outbox::table
        .filter(outbox::failed_at.is_not_null())
        .count()
        .get_result(conn)?;
    Ok((waiting, failed))
}
