//! Registering a supplier.

use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::audited;

use crate::auth::tokens::{Grant, IssuedToken, Issuing};
use crate::db::DbConn;
use crate::db::models::supplier::{self, SupplierRow};
use crate::db::models::{audit, now};
use crate::domain::Action;
use crate::domain::account::TokenKind;
use crate::domain::lifecycle::Status;
use crate::domain::{CompanyNumber, SupplierId, WebUrl, profile};
use crate::error::{Error, Result};
use crate::usecases::changes;
use crate::usecases::validator::{Validator, field, optional};

/// A supplier's registration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// The organisation's name, as the public should see it.
    #[schema(example = "Example Care Tech Ltd")]
    pub name: String,
    /// Its website (http or https).
    #[schema(example = "https://example.org")]
    pub website: String,
    /// UK Companies House number: 8 digits, or a prefix such as SC and 6 digits.
    #[schema(example = "01234567")]
    pub company_number: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub products: Vec<String>,
    /// Private: who the operator should contact.
    pub contact_name: String,
    /// Private.
    pub contact_email: String,
}

/// A registration, parsed: every field well-formed. Whether a verified supplier holds
/// the company number is the use case's to check.
#[derive(Debug)]
pub struct Register {
    name: String,
    website: WebUrl,
    company_number: Option<CompanyNumber>,
    description: String,
    products: Vec<String>,
    contact_name: String,
    contact_email: String,
}

impl Register {
    /// Parses every field of `r`: the command, or a 422 naming every field that is
    /// wrong.
    pub fn parse(r: Registration) -> Result<Register> {
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
        Ok(Register {
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

/// Records a new, unsigned supplier under a free slug: 409 when a verified supplier holds the company number.
pub fn register(conn: &mut DbConn, r: Register) -> Result<SupplierRow> {
    let Register {
        name,
        website,
        company_number,
        description,
        products,
        contact_name,
        contact_email,
    } = r;
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
        audit::Entry::new(
            &actor,
            Action::SupplierRegistered,
            "supplier",
            row.id.to_string(),
        )
        .supplier(row.id)
        .after(audited(&row)?),
    )?;
    Ok(row)
}

/// The registration token of a supplier just registered: the first owner's, until they
/// sign in; its secret is in the answer only.
pub fn registration_token(
    conn: &mut DbConn,
    issuing: &Issuing,
    supplier: SupplierId,
) -> Result<IssuedToken> {
    issuing
        .issue(
            conn,
            "registration",
            Grant::supplier(supplier, TokenKind::Registration, issuing.lifetime()),
        )
        .map_err(Error::Internal)
}
