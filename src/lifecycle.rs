//! Applies lifecycle transitions (see `domain::lifecycle`) to the stored record: the
//! signature, the supplier's status, the public history and the audit log, together.

use chrono::{Months, NaiveDateTime};

use crate::changes;
use crate::db::DbConn;
use crate::db::models::history::{self, NewStatusEvent};
use crate::db::models::signature::{self, SignatureRow};
use crate::db::models::supplier::{self, SupplierRow};
use crate::db::models::{audit, now};
use crate::domain::SupplierId;
use crate::domain::lifecycle::{self, Current, Status, Transition};
use crate::error::{ApiError, ApiResult};

/// A transition someone asked for.
#[derive(Debug)]
pub struct Request<'a> {
    pub supplier: SupplierId,
    pub transition: Transition,
    pub reason: Option<String>,
    pub actor: &'a str,
    pub reaffirm_months: u32,
}

/// The reaffirm-by date for a signature signed or reaffirmed at `at`.
pub fn reaffirm_by(at: NaiveDateTime, months: u32) -> NaiveDateTime {
    at.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDateTime::MAX)
}

fn json<T: serde::Serialize>(v: &T) -> ApiResult<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| ApiError::Internal(e.into()))
}

fn stored_status(s: &str) -> ApiResult<Status> {
    s.parse()
        .map_err(|e: String| ApiError::Internal(anyhow::anyhow!(e)))
}

/// Applies the transition inside the caller's transaction; 404 for an unknown supplier,
/// 409 when the lifecycle does not allow it from the current state.
pub fn apply(conn: &mut DbConn, req: Request<'_>) -> ApiResult<SupplierRow> {
    let mut row = supplier::get_for_update(conn, req.supplier)?
        .ok_or_else(|| ApiError::NotFound(format!("there is no supplier {}", req.supplier)))?;
    let at = now();
    let open = signature::open(conn, &row.id)?;
    if req.transition == Transition::Verify {
        if row.verified_at.is_some() {
            return Err(ApiError::Conflict(
                "the supplier's identity is already verified".into(),
            ));
        }
        row.verified_at = Some(at);
        match open {
            Some(sig) if sig.status == Status::Pending.as_str() => {
                change_signature(conn, &mut row, sig, &req, at)?;
            }
            // Verified while suspended: reinstating should now make it active, not pending.
            Some(mut sig) if sig.suspended_from.as_deref() == Some(Status::Pending.as_str()) => {
                sig.suspended_from = Some(Status::Active.as_str().to_owned());
                signature::save(conn, &sig)?;
                supplier::save(conn, &mut row, at)?;
            }
            _ => supplier::save(conn, &mut row, at)?,
        }
        changes::record(
            conn,
            at,
            audit::Entry {
                actor: req.actor,
                action: "supplier.verified",
                entity_type: "supplier",
                entity_id: row.id.clone(),
                supplier_id: Some(row.id.clone()),
                before: Some(serde_json::json!({ "verified_at": null })),
                after: Some(serde_json::json!({ "verified_at": at.and_utc() })),
            },
        )?;
        return Ok(row);
    }
    let sig = open.ok_or_else(|| {
        let why = if row.status == Status::Withdrawn.as_str() {
            "the signature was withdrawn; the supplier must sign again"
        } else {
            "the supplier has not signed the pledge"
        };
        ApiError::Conflict(why.into())
    })?;
    change_signature(conn, &mut row, sig, &req, at)?;
    Ok(row)
}

fn change_signature(
    conn: &mut DbConn,
    row: &mut SupplierRow,
    mut sig: SignatureRow,
    req: &Request<'_>,
    at: NaiveDateTime,
) -> ApiResult<()> {
    let before = json(&sig)?;
    let from = stored_status(&sig.status)?;
    let current = Current {
        status: from,
        suspended_from: sig
            .suspended_from
            .as_deref()
            .map(stored_status)
            .transpose()?,
        reaffirm_by: sig.reaffirm_by,
    };
    let new_by = if req.transition == Transition::Reaffirm {
        reaffirm_by(at, req.reaffirm_months)
    } else {
        sig.reaffirm_by
    };
    let to =
        lifecycle::transition(current, req.transition, at, new_by).map_err(ApiError::Conflict)?;
    match req.transition {
        Transition::Suspend => sig.suspended_from = Some(from.as_str().to_owned()),
        Transition::Reinstate => sig.suspended_from = None,
        Transition::Reaffirm => sig.reaffirmed_at = Some(at),
        Transition::Withdraw => sig.withdrawn_at = Some(at),
        Transition::Verify | Transition::Lapse => {}
    }
    sig.reaffirm_by = new_by;
    sig.status = to.as_str().to_owned();
    sig.status_reason = req.reason.clone();
    sig.status_changed_at = at;
    signature::save(conn, &sig)?;
    row.status = to.as_str().to_owned();
    supplier::save(conn, row, at)?;
    record(
        conn,
        row,
        &sig,
        req.transition.event(),
        Some(from),
        to,
        req.reason.as_deref(),
        req.actor,
        at,
        Some(before),
    )
}

/// Writes a status change to the public history and the audit log.
#[allow(clippy::too_many_arguments)]
pub fn record(
    conn: &mut DbConn,
    row: &SupplierRow,
    sig: &SignatureRow,
    event: &str,
    from: Option<Status>,
    to: Status,
    reason: Option<&str>,
    actor: &str,
    at: NaiveDateTime,
    before: Option<serde_json::Value>,
) -> ApiResult<()> {
    history::insert(
        conn,
        &NewStatusEvent {
            supplier_id: &row.id,
            signature_id: Some(&sig.id),
            pledge_version: Some(&sig.pledge_version),
            event,
            from_status: from.map(|s| s.as_str()),
            to_status: to.as_str(),
            reason,
            actor,
            at,
        },
    )?;
    changes::record(
        conn,
        at,
        audit::Entry {
            actor,
            action: &format!("signature.{event}"),
            entity_type: "signature",
            entity_id: sig.id.clone(),
            supplier_id: Some(row.id.clone()),
            before,
            after: Some(json(sig)?),
        },
    )?;
    Ok(())
}
