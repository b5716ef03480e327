//! Companies House checks: which suppliers are due (never asked, a new number, or a day
//! since the last answer), asking within the API's rate limit, and what an answer
//! changes: the record, and when a flag is raised or cleared, a public change, the
//! webhooks that follow it, and an email to the operator.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde_json::json;

use crate::companies_house::{Answer, Client};
use crate::db::models::companies::{self, CompanyCheckRow};
use crate::db::models::{audit, leases, now, supplier};
use crate::db::{Database, DbConn};
use crate::domain::company::{self, CompanyFlag};
use crate::domain::{Action, SupplierId};
use crate::error::Result;
use crate::mail::letters;
use crate::usecases::{changes, notify, projection};

/// How long an answer stands before the company is asked about again.
pub const EVERY: chrono::Duration = chrono::Duration::days(1);
/// How soon a question that got no answer is asked again.
pub const RETRY: chrono::Duration = chrono::Duration::minutes(10);
/// Suppliers asked about in one round (a round then takes about as long as the rate
/// limit allows for them: 100 at 2 a second).
pub const ROUND: usize = 100;

/// The job's name in `job_leases`: one instance asks at a time, so one window holds.
const LEASE: &str = "companies_house";

/// What a round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub asked: usize,
    pub found: usize,
    pub not_found: usize,
    pub failed: usize,
    /// Suppliers whose flags changed.
    pub flagged: usize,
}

/// The suppliers due a question at `at`, oldest registration first, at most `limit`:
/// (id, name, number).
pub fn due(
    conn: &mut DbConn,
    at: NaiveDateTime,
    limit: usize,
) -> Result<Vec<(SupplierId, String, String)>> {
    let checks: HashMap<SupplierId, CompanyCheckRow> = companies::all(conn)?
        .into_iter()
        .map(|c| (c.supplier_id, c))
        .collect();
    Ok(companies::numbered(conn)?
        .into_iter()
        .filter(|(id, _, number)| match checks.get(id) {
            None => true,
            Some(c) if &c.company_number != number => true,
            Some(c) => match c.checked_at {
                _ if c.attempted_at > at - RETRY => false,
                Some(checked) => checked <= at - EVERY,
                None => true,
            },
        })
        .take(limit)
        .collect())
}

/// One round: asks about every supplier due (up to [`ROUND`]) and records each answer
/// in its own transaction as it comes. Another instance holding the round's lease
/// makes it a no-op.
pub async fn round(
    db: &Database,
    client: &Client,
    operator_email: Option<&str>,
) -> Result<Summary> {
    let holder = format!("{}:{}", std::process::id(), uuid::Uuid::new_v4());
    let h = holder.clone();
    let held = db
        .transaction(move |conn| {
            let at = now();
            Ok::<_, crate::error::Error>(leases::claim(
                conn,
                LEASE,
                &h,
                at,
                at + chrono::Duration::minutes(15),
            )?)
        })
        .await?;
    if !held {
        return Ok(Summary::default());
    }
    let result = asks(db, client, operator_email.map(str::to_owned)).await;
    let h = holder.clone();
    db.transaction(move |conn| Ok::<_, crate::error::Error>(leases::release(conn, LEASE, &h)?))
        .await?;
    result
}

async fn asks(db: &Database, client: &Client, operator: Option<String>) -> Result<Summary> {
    let due = db.run(|conn| due(conn, now(), ROUND)).await?;
    let mut summary = Summary::default();
    for (id, _, number) in due {
        let answer = client.company(&number).await;
        summary.asked += 1;
        match &answer {
            Answer::Found(_) => summary.found += 1,
            Answer::NotFound => summary.not_found += 1,
            Answer::Failed(_) => summary.failed += 1,
        }
        let (asked, operator) = (number.clone(), operator.clone());
        let flagged = db
            .transaction(move |conn| record(conn, id, &asked, answer, operator.as_deref(), now()))
            .await?;
        summary.flagged += usize::from(flagged);
    }
    Ok(summary)
}

/// Records Companies House's answer about `number` for `supplier`: true when its flags
/// changed. An answer about a number the supplier no longer has is dropped.
pub fn record(
    conn: &mut DbConn,
    supplier: SupplierId,
    number: &str,
    answer: Answer,
    operator_email: Option<&str>,
    at: NaiveDateTime,
) -> Result<bool> {
    let Some(row) = supplier::get_for_update(conn, supplier)? else {
        return Ok(false);
    };
    if row.company_number.as_ref().map(|n| n.as_str()) != Some(number) {
        return Ok(false);
    }
    let before = companies::get(conn, supplier)?;
    let old_flags: Vec<CompanyFlag> = before
        .as_ref()
        .filter(|b| b.company_number == number)
        .map(|b| serde_json::from_str(&b.flags).unwrap_or_default())
        .unwrap_or_default();
    let mut next = CompanyCheckRow {
        supplier_id: supplier,
        company_number: number.to_owned(),
        outcome: None,
        registered_name: None,
        company_status: None,
        incorporated_on: None,
        flags: "[]".into(),
        checked_at: None,
        attempted_at: at,
        attempt_error: None,
    };
    let flags = match answer {
        Answer::Failed(why) => {
            // Keep what was known of this number; say why this question failed.
            if let Some(b) = before.filter(|b| b.company_number == number) {
                next = CompanyCheckRow {
                    attempted_at: at,
                    attempt_error: Some(why),
                    ..b
                };
            } else {
                next.attempt_error = Some(why);
            }
            companies::save(conn, &next)?;
            return Ok(false);
        }
        Answer::NotFound => {
            next.outcome = Some("not_found".into());
            company::flags(None, &row.name)
        }
        Answer::Found(p) => {
            let flags = company::flags(Some(&p), &row.name);
            next.outcome = Some("found".into());
            next.registered_name = Some(p.name.chars().take(300).collect());
            next.company_status = p.status.map(|s| s.chars().take(60).collect());
            next.incorporated_on = p.incorporated_on;
            flags
        }
    };
    next.flags = serde_json::to_string(&flags).unwrap_or_else(|_| "[]".into());
    next.checked_at = Some(at);
    let same = before.as_ref().map(shown) == Some(shown(&next));
    companies::save(conn, &next)?;
    // The record says when the company was last checked; it is updated (for
    // `updated_since`) only when what Companies House says changed.
    supplier::touch(conn, supplier, (!same).then_some(at))?;
    if flags == old_flags {
        projection::project(conn, supplier, at)?;
        return Ok(false);
    }
    changes::record(
        conn,
        at,
        audit::Entry::new(
            "system",
            Action::SupplierCompanyFlagged,
            "supplier",
            supplier.to_string(),
        )
        .supplier(supplier)
        .before(json!({ "company_number": number, "flags": old_flags }))
        .after(json!({
            "company_number": number,
            "flags": flags,
            "registered_name": next.registered_name,
            "company_status": next.company_status,
        })),
    )?;
    let raised: Vec<CompanyFlag> = flags
        .iter()
        .filter(|f| !old_flags.contains(f))
        .copied()
        .collect();
    if let Some(to) = operator_email
        && !raised.is_empty()
    {
        let letter = letters::company_flagged(
            &row.name,
            &row.id.to_string(),
            number,
            &raised,
            next.registered_name.as_deref(),
            next.company_status.as_deref(),
        );
        let event = format!("company:{supplier}:{}", at.and_utc().timestamp_micros());
        notify::address(conn, to, "registry operator", &letter, &event, at)?;
    }
    Ok(true)
}

/// What the record shows of a check.
fn shown(c: &CompanyCheckRow) -> impl PartialEq + use<> {
    (
        c.company_number.clone(),
        c.outcome.clone(),
        c.registered_name.clone(),
        c.company_status.clone(),
        c.incorporated_on,
        c.flags.clone(),
    )
}
