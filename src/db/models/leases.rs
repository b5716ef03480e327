//! `job_leases`: which instance runs a scheduled job now.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::job_leases;

/// Takes `job`'s lease if it is free (or expired); true when this instance holds it.
pub fn claim(
    conn: &mut DbConn,
    job: &str,
    holder: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        job_leases::table.filter(job_leases::name.eq(job)).filter(
            job_leases::lease_until
                .is_null()
                .or(job_leases::lease_until.lt(now)),
        ),
    )
    .set((
        job_leases::holder.eq(holder),
        job_leases::lease_until.eq(until),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Lets go of `job`'s lease, if `holder` holds it.
pub fn release(conn: &mut DbConn, job: &str, holder: &str) -> QueryResult<()> {
    diesel::update(
        job_leases::table
            .filter(job_leases::name.eq(job))
            .filter(job_leases::holder.eq(holder)),
    )
    .set((
        job_leases::holder.eq(None::<String>),
        job_leases::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(())
}
