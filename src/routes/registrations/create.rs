use actix_web::http::header;
use actix_web::{HttpResponse, post};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::app::State;
use crate::auth::Role;
use crate::auth::tokens::{self, IssuedToken};
use crate::changes;
use crate::db::models::supplier::{self, SupplierRow};
use crate::db::models::{audit, now};
use crate::domain::lifecycle::Status;
use crate::domain::validator::checked;
use crate::domain::{CompanyNumber, SupplierId, Validator, WebUrl, profile};
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::extract::Json;
use crate::http::ratelimit::RegistrationQuota;
use crate::routes::problems::BodyErrors;
use crate::views::supplier::SupplierView;
use crate::views::supplier::etag;

/// A supplier's registration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// The organisation's name, as the public should see it.
    #[schema(example = "Example Care Tech Ltd")]
    name: String,
    /// Its website (http or https).
    #[schema(example = "https://example.org")]
    website: String,
    /// UK Companies House number: 8 digits, or a prefix such as SC and 6 digits.
    #[schema(example = "01234567")]
    company_number: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    products: Vec<String>,
    /// Private: who the operator should contact.
    contact_name: String,
    /// Private.
    contact_email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Registered {
    pub supplier: SupplierView,
    /// The supplier's token. It is shown only this once: keep it safe.
    pub token: IssuedToken,
}

/// Register a supplier. Answers its record and a supplier token, shown only once.
#[utoipa::path(operation_id = "registerSupplier", tag = "supplier self-service", request_body = Registration, responses(
    (status = 201, body = Registered, description = "Registered: the new supplier and its first token", headers(("Location" = String, description = "The supplier's address"))),
    (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many registrations from this client; see Retry-After"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "The company number belongs to a supplier the registry verified"),
    BodyErrors,
))]
#[post("/registrations")]
pub async fn create(
    state: State,
    _quota: RegistrationQuota,
    body: Json<Registration>,
) -> ApiResult<HttpResponse> {
    let r = body.0;
    let mut v = Validator::default();
    let name = v.check("name", profile::name(&r.name));
    let website = v.check("website", WebUrl::try_from(r.website.as_str()));
    let company_number = v.check_opt(
        "company_number",
        r.company_number.as_deref().map(CompanyNumber::try_from),
    );
    let description = v.check("description", profile::description(&r.description));
    let products = v.check("products", profile::products(&r.products));
    let contact_name = v.check("contact_name", profile::contact_name(&r.contact_name));
    let contact_email = v.check("contact_email", profile::contact_email(&r.contact_email));
    v.finish()?;
    let name = checked(name)?;
    let at = now();
    let id = SupplierId::new();
    let mut row = SupplierRow {
        id: id.to_db(),
        slug: String::new(),
        search_name: supplier::search_name(&name),
        name,
        website: checked(website)?.to_string(),
        company_number: checked(company_number)?.map(|c| c.to_string()),
        description: checked(description)?,
        products: json!(checked(products)?).to_string(),
        contact_name: checked(contact_name)?,
        contact_email: checked(contact_email)?,
        verified_at: None,
        status: Status::Unsigned.as_str().to_owned(),
        signed_version: None,
        revision: 1,
        created_at: at,
        updated_at: at,
    };
    let token_days = state.config.token_days;
    let state2 = state.clone();
    let (view, token, revision) = state
        .tx(move |conn| {
            if let Some(cn) = &row.company_number {
                supplier::may_claim(conn, cn, None)?;
            }
            supplier::insert_with_free_slug(conn, &mut row)?;
            let actor = format!("supplier:{}", row.id);
            changes::record(
                conn,
                at,
                audit::Entry {
                    actor: &actor,
                    action: "supplier.registered",
                    entity_type: "supplier",
                    entity_id: row.id.clone(),
                    supplier_id: Some(row.id.clone()),
                    before: None,
                    after: Some(
                        serde_json::to_value(&row).map_err(|e| ApiError::Internal(e.into()))?,
                    ),
                },
            )?;
            let token = tokens::issue(
                conn,
                &state2.keys,
                &state2.config.public_url,
                Role::Supplier,
                Some(id),
                Duration::days(token_days.into()),
                Some("registration"),
            )
            .map_err(ApiError::Internal)?;
            let revision = row.revision;
            Ok((SupplierView::load(conn, row, true)?, token, revision))
        })
        .await?;
    tracing::info!(supplier_id = %id, slug = %view.slug, "supplier registered");
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/suppliers/{id}")))
        .insert_header((header::ETAG, etag(&view, revision, true)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Registered {
            supplier: view,
            token,
        }))
}
