//! Registering a supplier.

use serde_json::json;

use super::audited;
use crate::db::DbConn;
use crate::db::models::supplier::{self, SupplierRow};
use crate::db::models::{audit, now};
use crate::domain::Action;
use crate::domain::lifecycle::Status;
use crate::domain::{CompanyNumber, SupplierId, WebUrl, profile};
use crate::error::Result;
use crate::usecases::changes;
use crate::usecases::validator::{Validator, field, optional};

/// A registration, as the supplier sends it.
#[derive(Debug)]
pub struct Registration {
    pub name: String,
    pub website: String,
    pub company_number: Option<String>,
    pub description: String,
    pub products: Vec<String>,
    pub contact_name: String,
    pub contact_email: String,
}

/// Records a new, unsigned supplier under a free slug: 422 naming every field that is
/// wrong, 409 when a verified supplier holds the company number.
pub fn register(conn: &mut DbConn, r: Registration) -> Result<SupplierRow> {
    let (name, website, company_number, description, products, contact_name, contact_email) =
        Validator::default().finish((
            field("name", profile::name(&r.name)),
            field("website", WebUrl::try_from(r.website.as_str())),
            optional(
                "company_number",
                r.company_number.as_deref().map(CompanyNumber::try_from),
            ),
            field("description", profile::description(&r.description)),
            field("products", profile::products(&r.products)),
            field("contact_name", profile::contact_name(&r.contact_name)),
            field("contact_email", profile::contact_email(&r.contact_email)),
        ))?;
    let at = now();
    let products = json!(products).to_string();
    let mut row = SupplierRow {
        id: SupplierId::new(),
        slug: String::new(),
        search_name: supplier::search_name(&name, &products),
        name,
        website,
        company_number,
        description,
        products,
        contact_name,
        contact_email,
        verified_at: None,
        status: Status::Unsigned,
        signed_version: None,
        revision: 1,
        created_at: at,
        updated_at: at,
    };
    if let Some(cn) = &row.company_number {
        crate::usecases::lookup::may_claim(conn, cn.as_str(), None)?;
    }
    supplier::insert_with_free_slug(conn, &mut row)?;
    super::accounts::first_owner(conn, &row, at)?;
    let actor = format!("supplier:{}", row.id);
    changes::record(
        conn,
        at,
        audit::Entry {
            actor: &actor,
            action: Action::SupplierRegistered,
            entity_type: "supplier",
            entity_id: row.id.to_string(),
            supplier_id: Some(row.id),
            before: None,
            after: Some(audited(&row)?),
        },
    )?;
    Ok(row)
}
