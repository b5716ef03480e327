//! Changing a supplier's profile.

use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::signature::{self, Request};
use super::{By, audited};
use crate::db::DbConn;
use crate::db::models::supplier::{self, SupplierRow};
use crate::db::models::{audit, now};
use crate::domain::Action;
use crate::domain::lifecycle::Transition;
use crate::domain::strict_json::nullable;
use crate::domain::{CompanyNumber, SupplierId, WebUrl, profile};
use crate::error::{Error, Result};
use crate::usecases::changes;
use crate::usecases::lookup::lock_or_404;
use crate::usecases::validator::{Validator, field, optional};

/// Fields to change; absent fields stay as they are. `company_number: null` removes it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    pub name: Option<String>,
    pub website: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub company_number: Option<Option<String>>,
    pub description: Option<String>,
    pub products: Option<Vec<String>>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
}

/// A change of profile, parsed: every field sent is well-formed, and at least one is.
/// `None` leaves a field as it is; `company_number: Some(None)` removes the number.
#[derive(Debug, Default)]
pub struct ProfileChange {
    name: Option<String>,
    website: Option<WebUrl>,
    company_number: Option<Option<CompanyNumber>>,
    description: Option<String>,
    products: Option<Vec<String>>,
    contact_name: Option<String>,
    contact_email: Option<String>,
}

impl ProfileChange {
    /// Parses every field of `change`: the command, or a 422 naming every field that is
    /// wrong, or `body` when it names no field to change.
    pub fn parse(change: ProfilePatch) -> Result<ProfileChange> {
        let mut v = Validator::default();
        let company_number = match &change.company_number {
            None => Ok(None),
            Some(None) => Ok(Some(None)),
            Some(Some(raw)) => field("company_number", CompanyNumber::try_from(raw.as_str()))
                .map(|c| Some(Some(c))),
        };
        let fields = (
            optional("name", change.name.as_deref().map(profile::name)),
            optional("website", change.website.as_deref().map(WebUrl::try_from)),
            company_number,
            optional(
                "description",
                change.description.as_deref().map(profile::description),
            ),
            optional(
                "products",
                change.products.as_deref().map(profile::products),
            ),
            optional(
                "contact_name",
                change.contact_name.as_deref().map(profile::contact_name),
            ),
            optional(
                "contact_email",
                change.contact_email.as_deref().map(profile::contact_email),
            ),
        );
        let nothing = change.name.is_none()
            && change.website.is_none()
            && change.company_number.is_none()
            && change.description.is_none()
            && change.products.is_none()
            && change.contact_name.is_none()
            && change.contact_email.is_none();
        if nothing {
            v.error("body", "names no field to change");
        }
        let (name, website, company_number, description, products, contact_name, contact_email) =
            v.finish(fields)?;
        Ok(ProfileChange {
            name,
            website,
            company_number,
            description,
            products,
            contact_name,
            contact_email,
        })
    }
}

/// Applies `change`: 412 when `if_match` names none of the supplier's current
/// revisions, 409 when a verified supplier holds the company number. A change of name, company number
/// or website ends the operator's verification, which then has to be given again.
pub fn update(
    conn: &mut DbConn,
    by: &By,
    supplier: SupplierId,
    if_match: Option<Vec<i64>>,
    change: ProfileChange,
    reaffirm_months: u32,
) -> Result<SupplierRow> {
    let ProfileChange {
        name,
        website,
        company_number,
        description,
        products,
        contact_name,
        contact_email,
    } = change;
    let mut row = lock_or_404(conn, supplier)?;
    if let Some(revisions) = &if_match
        && !revisions.contains(&row.revision)
    {
        return Err(Error::PreconditionFailed);
    }
    let before = audited(&row)?;
    let identity_before = (
        row.name.clone(),
        row.company_number.clone(),
        row.website.clone(),
    );
    if let Some(name) = name {
        row.name = name;
    }
    if let Some(w) = website {
        row.website = w;
    }
    if let Some(cn) = company_number {
        if let Some(cn) = &cn {
            crate::usecases::lookup::may_claim(conn, cn.as_str(), Some(row.id))?;
        }
        row.company_number = cn;
    }
    if let Some(d) = description {
        row.description = d;
    }
    if let Some(p) = products {
        row.products = json!(p).to_string();
    }
    row.search_name = supplier::search_name(&row.name, &row.products);
    if let Some(n) = contact_name {
        row.contact_name = n;
    }
    if let Some(e) = contact_email {
        row.contact_email = e;
    }
    let at = now();
    supplier::save(conn, &mut row, at)?;
    changes::record(
        conn,
        at,
        audit::Entry::new(
            &by.actor,
            Action::SupplierProfileUpdated,
            "supplier",
            row.id.to_string(),
        )
        .supplier(row.id)
        .before(before)
        .after(audited(&row)?),
    )?;
    let (old_name, old_number, old_website) = identity_before;
    let mut changed = Vec::new();
    if old_name != row.name {
        changed.push(format!("name changed from {old_name:?} to {:?}", row.name));
    }
    if old_number != row.company_number {
        let shown =
            |n: &Option<CompanyNumber>| n.as_ref().map_or("none", CompanyNumber::as_str).to_owned();
        changed.push(format!(
            "company number changed from {} to {}",
            shown(&old_number),
            shown(&row.company_number)
        ));
    }
    if old_website != row.website {
        changed.push(format!(
            "website changed from {old_website} to {}",
            row.website
        ));
    }
    // The operator verified the identity as it was; a new one needs verifying again.
    if row.verified_at.is_some() && !changed.is_empty() {
        signature::change(
            conn,
            &mut row,
            &Request {
                transition: Transition::Unverify,
                reason: Some(format!(
                    "{}; the operator must verify the identity again",
                    changed.join("; ")
                )),
                by,
                reaffirm_months,
            },
        )?;
    }
    Ok(row)
}
