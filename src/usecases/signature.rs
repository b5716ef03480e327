//! Signing, and every other change of a signature's status or of the supplier's
//! verification: the lifecycle table (`domain::lifecycle`) decides, and this applies
//! its answer to the signature, the supplier's status and verification, the public
//! history and the audit log, together, inside the caller's transaction.

use std::collections::BTreeMap;

use serde::Deserialize;
use utoipa::ToSchema;

use chrono::{Months, NaiveDateTime};

use super::{By, audited};
use crate::db::DbConn;
use crate::db::models::history::{self, NewStatusEvent};
use crate::db::models::signature::{self, SignatureRow, StatementRow};
use crate::db::models::supplier::{self, SupplierRow};
use crate::db::models::{audit, now, pledge};
use crate::domain::Action;
use crate::domain::lifecycle::{self, Actor, Refusal, State, Status, Transition};
use crate::domain::{SignatureId, SupplierId, text};
use crate::error::{Error, Result};
use crate::mail::letters;
use crate::usecases::changes;
use crate::usecases::validator::{self, Validator, field};

/// A transition someone asked for.
#[derive(Debug)]
pub struct Request<'a> {
    pub transition: Transition,
    pub reason: Option<String>,
    pub by: &'a By,
    pub reaffirm_months: u32,
}

/// The reaffirm-by date for a signature signed or reaffirmed at `at`.
pub fn reaffirm_by(at: NaiveDateTime, months: u32) -> NaiveDateTime {
    at.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDateTime::MAX)
}

fn refused(r: Refusal) -> Error {
    match r {
        Refusal::NotYours(why) => Error::Forbidden(why),
        Refusal::Conflict(why) => Error::Conflict(why),
    }
}

/// The lifecycle state of a signature row and the supplier's verification.
fn state_of(sig: Option<&SignatureRow>, row: &SupplierRow) -> State {
    State {
        status: sig.map_or(Status::Unsigned, |s| s.status),
        suspended_from: sig.and_then(|s| s.suspended_from),
        verified: row.verified_at.is_some(),
    }
}

/// The supplier's open signature, and the state the lifecycle starts from: that of the
/// open signature, or else of the latest (withdrawn) one, or unsigned.
fn current(conn: &mut DbConn, row: &SupplierRow) -> Result<(Option<SignatureRow>, State)> {
    let open = signature::open(conn, row.id)?;
    let from = match &open {
        Some(sig) => state_of(Some(sig), row),
        None => state_of(signature::latest(conn, row.id)?.as_ref(), row),
    };
    Ok((open, from))
}

/// Runs the table for `t`, mapping a refusal to 403 or 409.
fn decide(
    from: State,
    t: Transition,
    who: Actor,
    at: NaiveDateTime,
    reaffirm_by: Option<NaiveDateTime>,
) -> Result<State> {
    let overdue = reaffirm_by.is_some_and(|by| by <= at);
    lifecycle::transition(from, t, who, overdue).map_err(refused)
}

/// Applies the transition inside the caller's transaction; 404 for an unknown supplier,
/// 409 when the lifecycle does not allow it from the current state.
pub fn apply(conn: &mut DbConn, supplier: SupplierId, req: Request<'_>) -> Result<SupplierRow> {
    let mut row = supplier::get_for_update(conn, supplier)?
        .ok_or_else(|| Error::NotFound(format!("there is no supplier {supplier}")))?;
    change(conn, &mut row, &req)?;
    Ok(row)
}

/// Applies `req` to a supplier row the caller has locked.
pub fn change(conn: &mut DbConn, row: &mut SupplierRow, req: &Request<'_>) -> Result<()> {
    let at = now();
    let (open, from) = current(conn, row)?;
    let new_by = match (&open, req.transition) {
        (Some(_), Transition::Reaffirm) => Some(reaffirm_by(at, req.reaffirm_months)),
        (Some(sig), _) => Some(sig.reaffirm_by),
        (None, _) => None,
    };
    let to = decide(from, req.transition, req.by.who, at, new_by)?;
    if req.transition == Transition::Verify
        && let Some(number) = &row.company_number
    {
        crate::usecases::lookup::may_claim(conn, number.as_str(), Some(row.id))?;
    }
    let identity = matches!(req.transition, Transition::Verify | Transition::Unverify);
    let before_supplier = identity.then(|| identity_json(row));
    if identity {
        row.verified_at = to.verified.then_some(at);
    }
    let mut history_written = false;
    if let Some(mut sig) = open {
        let moved = to.status != from.status || to.suspended_from != from.suspended_from;
        if moved || !identity {
            let before = audited(&sig)?;
            match req.transition {
                Transition::Reaffirm => sig.reaffirmed_at = Some(at),
                Transition::Withdraw => sig.withdrawn_at = Some(at),
                _ => {}
            }
            if let Some(by) = new_by {
                sig.reaffirm_by = by;
            }
            sig.status = to.status;
            sig.suspended_from = to.suspended_from;
            if to.status != from.status || !identity {
                sig.status_reason = req.reason.clone();
                sig.status_changed_at = at;
            }
            signature::save(conn, &sig)?;
            row.status = to.status;
            supplier::save(conn, row, at)?;
            record(
                conn,
                row,
                &sig,
                req.transition,
                Some(from.status),
                to.status,
                req.reason.as_deref(),
                &req.by.actor,
                at,
                Some(before),
            )?;
            history_written = true;
        }
    }
    if !history_written {
        supplier::save(conn, row, at)?;
    }
    if identity {
        if !history_written {
            supplier_event(
                conn,
                row,
                req.transition.event(),
                req.reason.as_deref(),
                &req.by.actor,
                at,
            )?;
        }
        changes::record(
            conn,
            at,
            audit::Entry::new(
                &req.by.actor,
                if to.verified {
                    Action::SupplierVerified
                } else {
                    Action::SupplierVerificationEnded
                },
                "supplier",
                row.id.to_string(),
            )
            .supplier(row.id)
            .before(before_supplier)
            .after(identity_json(row)),
        )?;
        if to.verified {
            settle_company_number(conn, row, &req.by.actor, at)?;
        }
    }
    tell(conn, row, req, from, to, at)
}

/// Tells the supplier's members what the change means for them, when it is news: its
/// identity verified, a suspension or its end (with the reason), a lapse.
fn tell(
    conn: &mut DbConn,
    row: &SupplierRow,
    req: &Request<'_>,
    from: State,
    to: State,
    at: NaiveDateTime,
) -> Result<()> {
    let reason = req.reason.as_deref().unwrap_or("none was given");
    let letter = match req.transition {
        Transition::Verify if to.verified && !from.verified => {
            letters::verified(&row.name, &row.slug)
        }
        Transition::Suspend
            if to.status == Status::Suspended && from.status != Status::Suspended =>
        {
            letters::suspended(&row.name, &row.slug, reason)
        }
        Transition::Reinstate
            if from.status == Status::Suspended && to.status != Status::Suspended =>
        {
            letters::reinstated(&row.name, &row.slug, reason)
        }
        Transition::Lapse if to.status == Status::Lapsed && from.status != Status::Lapsed => {
            letters::lapsed(&row.name, &row.slug)
        }
        _ => return Ok(()),
    };
    let event = format!(
        "{}:{}:{}",
        req.transition.event(),
        row.id,
        at.and_utc().timestamp_micros()
    );
    super::notify::write(conn, super::notify::To::Members, row, &letter, &event, at)?;
    Ok(())
}

/// The operator verified `holder` with its company number: other suppliers that gave
/// the same number lose it, and their public history says why.
fn settle_company_number(
    conn: &mut DbConn,
    holder: &SupplierRow,
    actor: &str,
    at: NaiveDateTime,
) -> Result<()> {
    let Some(number) = &holder.company_number else {
        return Ok(());
    };
    for mut other in supplier::claimants(conn, number.as_str(), Some(holder.id))? {
        let before = serde_json::json!({ "company_number": other.company_number });
        other.company_number = None;
        supplier::save(conn, &mut other, at)?;
        let reason = format!(
            "the registry verified company number {number} as belonging to {} (/suppliers/{}); \
             the number was removed from this record",
            holder.name, holder.slug
        );
        supplier_event(
            conn,
            &other,
            "company_number_refused",
            Some(&reason),
            actor,
            at,
        )?;
        changes::record(
            conn,
            at,
            audit::Entry::new(
                actor,
                Action::SupplierCompanyNumberRefused,
                "supplier",
                other.id.to_string(),
            )
            .supplier(other.id)
            .before(before)
            .after(serde_json::json!({ "company_number": null, "reason": reason })),
        )?;
    }
    Ok(())
}

/// A public history event about the supplier itself, with no signature and no change
/// of status.
fn supplier_event(
    conn: &mut DbConn,
    row: &SupplierRow,
    event: &str,
    reason: Option<&str>,
    actor: &str,
    at: NaiveDateTime,
) -> Result<()> {
    history::insert(
        conn,
        &NewStatusEvent {
            supplier_id: row.id,
            signature_id: None,
            pledge_version: row.signed_version.as_deref(),
            event,
            from_status: Some(row.status),
            to_status: row.status,
            reason,
            actor,
            at,
        },
    )?;
    Ok(())
}

/// What the operator's verification covers, as the audit log records it.
fn identity_json(row: &SupplierRow) -> serde_json::Value {
    serde_json::json!({
        "verified_at": row.verified_at.map(|t| t.and_utc()),
        "name": row.name,
        "company_number": row.company_number,
        "website": row.website,
    })
}

/// Statement corrections a supplier may make in a day: each is a public history line
/// and a permanent log entry.
pub const CORRECTIONS_PER_DAY: i64 = 20;

pub const MIN_STATEMENT: usize = 10;
pub const MAX_STATEMENT: usize = 4000;

/// A signature as the supplier sends it.
#[derive(Debug)]
pub struct Signing {
    pub signatory_name: String,
    pub signatory_role: String,
    /// The version the supplier means to sign; when given it must be the current one.
    pub pledge_version: Option<String>,
    /// A statement for every commitment of the current version, by commitment code.
    pub statements: BTreeMap<String, String>,
}

/// A new signature, its statements checked against the current version.
#[derive(Debug)]
struct NewSignature {
    pledge_version: String,
    signatory_name: String,
    signatory_role: String,
    /// (commitment code, position, statement), in commitment order.
    statements: Vec<(String, i32, String)>,
}

/// Signs the current pledge version for `supplier`: 404 for an unknown supplier, 409
/// when nothing is published or the lifecycle does not allow it, 422 naming every field
/// that is wrong (a statement is needed for each commitment of the current version).
pub fn sign(
    conn: &mut DbConn,
    by: &By,
    supplier: SupplierId,
    signing: Signing,
    reaffirm_months: u32,
) -> Result<SupplierRow> {
    let mut row = crate::usecases::lookup::lock_or_404(conn, supplier)?;
    let current = pledge::current(conn)?
        .ok_or_else(|| Error::Conflict("no pledge version is published yet".into()))?;
    let commitments = pledge::commitments_of(conn, &current.version)?;
    let mut v = Validator::default();
    let name = field(
        "signatory_name",
        text::bounded(&signing.signatory_name, 1, 200),
    );
    let role = field(
        "signatory_role",
        text::bounded(&signing.signatory_role, 1, 200),
    );
    if let Some(version) = &signing.pledge_version
        && *version != current.version
    {
        v.error(
            "pledge_version",
            format!(
                "is not the current version; the current version is {}",
                current.version
            ),
        );
    }
    let statements = validator::all(commitments.iter().map(|c| {
        let name = format!("statements.{}", c.code);
        match signing.statements.get(&c.code) {
            None => field(
                &name,
                Err("is required: every commitment needs a statement".into()),
            ),
            Some(body) => field(&name, text::bounded(body, MIN_STATEMENT, MAX_STATEMENT))
                .map(|body| (c.code.clone(), c.position, body)),
        }
    }));
    for code in signing
        .statements
        .keys()
        .filter(|k| !commitments.iter().any(|c| &c.code == *k))
    {
        v.error(
            format!("statements.{code}"),
            format!("is not a commitment of version {}", current.version),
        );
    }
    let (signatory_name, signatory_role, statements) = v.finish((name, role, statements))?;
    record_signature(
        conn,
        &mut row,
        NewSignature {
            pledge_version: current.version,
            signatory_name,
            signatory_role,
            statements,
        },
        by,
        reaffirm_months,
    )?;
    Ok(row)
}

/// What the pages' statements form does: signs the current version, or, where the
/// signature in force is of the current version already, reaffirms it with the
/// statements that changed corrected.
pub fn sign_or_correct(
    conn: &mut DbConn,
    by: &By,
    supplier: SupplierId,
    signing: Signing,
    reaffirm_months: u32,
) -> Result<SupplierRow> {
    let current = pledge::current(conn)?.map(|v| v.version);
    let open = signature::open(conn, supplier)?;
    match open {
        Some(open) if Some(&open.pledge_version) == current.as_ref() => {
            let statements = signing.statements;
            reaffirm(
                conn,
                by,
                supplier,
                Reaffirmation { statements },
                reaffirm_months,
            )
        }
        _ => sign(conn, by, supplier, signing, reaffirm_months),
    }
}

/// A reaffirmation: the statements to correct, by commitment code (none keeps them all).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reaffirmation {
    /// Corrected statements, by commitment code, for commitments of the signed version;
    /// a statement not named stays as it is. Each correction is in the public history
    /// with the text it replaced.
    #[serde(default)]
    #[schema(example = json!({"transparency": "We publish a plain-English model card for every AI feature, reviewed each quarter."}))]
    pub statements: BTreeMap<String, String>,
}

/// Reaffirms the signature in force, correcting the statements `r` names: 409 as the
/// lifecycle says (none in force, suspended), 422 naming each statement that is not a
/// commitment of the signed version or is too short or long. A reaffirmation that
/// corrects nothing, on a day the signature was already reaffirmed, changes nothing.
pub fn reaffirm(
    conn: &mut DbConn,
    by: &By,
    supplier: SupplierId,
    r: Reaffirmation,
    reaffirm_months: u32,
) -> Result<SupplierRow> {
    let mut row = crate::usecases::lookup::lock_or_404(conn, supplier)?;
    let Some(open) = signature::open(conn, row.id)? else {
        // The lifecycle says why (never signed, withdrawn).
        change(conn, &mut row, &reaffirming(by, reaffirm_months))?;
        return Ok(row);
    };
    let stated = signature::statements_of(conn, open.id)?;
    let mut v = Validator::default();
    let mut corrections = Vec::new();
    for (code, text) in &r.statements {
        let name = format!("statements.{code}");
        match stated.iter().find(|s| &s.commitment_code == code) {
            None => v.error(
                name,
                format!("is not a commitment of version {}", open.pledge_version),
            ),
            Some(old) => match text::bounded(text, MIN_STATEMENT, MAX_STATEMENT) {
                Err(e) => v.error(name, e),
                Ok(new) if new != old.body => corrections.push((old, new)),
                Ok(_) => {}
            },
        }
    }
    v.finish(())?;
    let at = now();
    let in_force = matches!(open.status, Status::Active | Status::Pending);
    if corrections.is_empty()
        && in_force
        && open.reaffirmed_at.is_some_and(|t| t.date() == at.date())
    {
        return Ok(row);
    }
    if !corrections.is_empty() {
        let day = at - chrono::Duration::days(1);
        let made =
            audit::actions_about_since(conn, row.id, Action::SignatureStatementCorrected, day)?;
        if made + corrections.len() as i64 > CORRECTIONS_PER_DAY {
            return Err(Error::TooManyRequests(3600));
        }
    }
    for (old, new) in &corrections {
        signature::set_statement(conn, open.id, &old.commitment_code, new)?;
    }
    change(conn, &mut row, &reaffirming(by, reaffirm_months))?;
    for (old, new) in corrections {
        let reason = format!(
            "statement for {} corrected; it read: \u{201c}{}\u{201d}",
            old.commitment_code, old.body
        );
        history::insert(
            conn,
            &NewStatusEvent {
                supplier_id: row.id,
                signature_id: Some(open.id),
                pledge_version: Some(&open.pledge_version),
                event: "statement_corrected",
                from_status: Some(row.status),
                to_status: row.status,
                reason: Some(&reason),
                actor: &by.actor,
                at,
            },
        )?;
        let entry = audit::Entry::new(
            &by.actor,
            Action::SignatureStatementCorrected,
            "signature",
            open.id,
        )
        .supplier(row.id)
        .before(serde_json::json!({ "commitment": old.commitment_code, "statement": old.body }))
        .after(serde_json::json!({ "commitment": old.commitment_code, "statement": new }));
        changes::record(conn, at, entry)?;
    }
    Ok(row)
}

fn reaffirming(by: &By, reaffirm_months: u32) -> Request<'_> {
    Request {
        transition: Transition::Reaffirm,
        reason: None,
        by,
        reaffirm_months,
    }
}

/// Records `new` for a supplier the caller has locked: supersedes an open signature of
/// an earlier version, then records the new one in the status the table gives.
fn record_signature(
    conn: &mut DbConn,
    row: &mut SupplierRow,
    new: NewSignature,
    by: &By,
    reaffirm_months: u32,
) -> Result<()> {
    let at = now();
    let (open, from) = current(conn, row)?;
    if let Some(open) = &open
        && open.pledge_version == new.pledge_version
    {
        return Err(Error::Conflict(format!(
            "the supplier already signed version {}; reaffirm it instead, with `statements` \
             naming any statement to correct",
            new.pledge_version
        )));
    }
    let new_by = reaffirm_by(at, reaffirm_months);
    let signed = decide(from, Transition::Sign, by.who, at, Some(new_by))?;
    // A signature made after withdrawing from a suspension carries the suspension's reason.
    let carried_reason = match signed.status {
        Status::Suspended => {
            let why = history::last_reason(conn, row.id, Transition::Suspend.event())?;
            Some(match why {
                Some(why) => format!("suspension carried over from the withdrawn signature: {why}"),
                None => "suspension carried over from the withdrawn signature".to_owned(),
            })
        }
        _ => None,
    };
    if let Some(mut open) = open {
        let superseded = decide(
            from,
            Transition::Supersede,
            by.who,
            at,
            Some(open.reaffirm_by),
        )?;
        let before = audited(&open)?;
        let reason = format!(
            "superseded by a signature of version {}",
            new.pledge_version
        );
        open.status = superseded.status;
        open.suspended_from = superseded.suspended_from;
        open.status_reason = Some(reason.clone());
        open.withdrawn_at = Some(at);
        open.status_changed_at = at;
        signature::save(conn, &open)?;
        record(
            conn,
            row,
            &open,
            Transition::Supersede,
            Some(from.status),
            superseded.status,
            Some(&reason),
            &by.actor,
            at,
            Some(before),
        )?;
    }
    let sig = SignatureRow {
        id: SignatureId::new(),
        supplier_id: row.id,
        pledge_version: new.pledge_version.clone(),
        signatory_name: new.signatory_name,
        signatory_role: new.signatory_role,
        signed_at: at,
        reaffirmed_at: None,
        reaffirm_by: new_by,
        status: signed.status,
        status_reason: carried_reason.clone(),
        suspended_from: signed.suspended_from,
        status_changed_at: at,
        withdrawn_at: None,
    };
    let items: Vec<StatementRow> = new
        .statements
        .into_iter()
        .map(|(code, position, body)| StatementRow {
            signature_id: sig.id,
            commitment_code: code,
            position,
            body,
        })
        .collect();
    signature::insert(conn, &sig, &items)?;
    let previous = row.status;
    row.status = signed.status;
    row.signed_version = Some(new.pledge_version);
    supplier::save(conn, row, at)?;
    record(
        conn,
        row,
        &sig,
        Transition::Sign,
        Some(previous),
        signed.status,
        carried_reason.as_deref(),
        &by.actor,
        at,
        None,
    )
}

/// Writes a status change to the public history and the audit log.
#[allow(clippy::too_many_arguments)]
pub fn record(
    conn: &mut DbConn,
    row: &SupplierRow,
    sig: &SignatureRow,
    transition: Transition,
    from: Option<Status>,
    to: Status,
    reason: Option<&str>,
    actor: &str,
    at: NaiveDateTime,
    before: Option<serde_json::Value>,
) -> Result<()> {
    match transition {
        Transition::Sign => crate::usecases::snapshots::pin(conn, row.id, sig.id, "signed", at)?,
        Transition::Reaffirm => {
            crate::usecases::snapshots::pin(conn, row.id, sig.id, "reaffirmed", at)?
        }
        _ => {}
    }
    history::insert(
        conn,
        &NewStatusEvent {
            supplier_id: row.id,
            signature_id: Some(sig.id),
            pledge_version: Some(&sig.pledge_version),
            event: transition.event(),
            from_status: from,
            to_status: to,
            reason,
            actor,
            at,
        },
    )?;
    changes::record(
        conn,
        at,
        audit::Entry::new(
            actor,
            Action::of_transition(transition),
            "signature",
            sig.id.to_string(),
        )
        .supplier(row.id)
        .before(before)
        .after(audited(sig)?),
    )?;
    Ok(())
}
