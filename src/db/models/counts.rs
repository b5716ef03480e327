//! How many suppliers and evidence links the registry holds, for `/metrics`.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{evidence, suppliers};

#[derive(Debug, Default)]
pub struct RegistryCounts {
    pub suppliers_by_status: Vec<(String, i64)>,
    /// Live links only.
    pub evidence_by_health: Vec<(String, i64)>,
    /// Messages waiting to be sent, and messages the registry gave up on.
    pub mail: (i64, i64),
    /// Concerns raised and not closed.
    pub concerns_open: i64,
}

pub fn registry(conn: &mut DbConn) -> QueryResult<RegistryCounts> {
    Ok(RegistryCounts {
        suppliers_by_status: suppliers::table
            .group_by(suppliers::status)
            .select((suppliers::status, diesel::dsl::count_star()))
            .load(conn)?,
        evidence_by_health: evidence::table
            .filter(evidence::retired_at.is_null())
            .group_by(evidence::health)
            .select((evidence::health, diesel::dsl::count_star()))
            .load(conn)?,
        mail: super::outbox::backlog(conn)?,
        concerns_open: super::concerns::open_count(conn)?,
    })
}
