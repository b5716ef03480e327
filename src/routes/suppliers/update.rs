use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, patch};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::app::State;
use crate::auth::Caller;
use crate::changes;
use crate::db::models::supplier::lock_or_404;
use crate::db::models::{audit, now, supplier};
use crate::domain::lifecycle::Transition;
use crate::domain::validator::checked;
use crate::domain::{CompanyNumber, Validator, WebUrl, profile};
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::extract::{Json, SupplierKey, nullable};
use crate::lifecycle;
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError};
use crate::views::supplier::SupplierView;
use crate::views::supplier::{etag, revision_of};

/// Fields to change; absent fields stay as they are. `company_number: null` removes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    name: Option<String>,
    website: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    company_number: Option<Option<String>>,
    description: Option<String>,
    products: Option<Vec<String>>,
    contact_name: Option<String>,
    contact_email: Option<String>,
}

/// Update a supplier's profile. Send the `ETag` of your last read as `If-Match` so that
/// a change made meanwhile is not overwritten (412 if it was).
#[utoipa::path(operation_id = "updateSupplier", tag = "supplier self-service",
    params(
        ("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug"),
        ("If-Match" = Option<String>, Header, description = "ETag from the last read"),
    ),
    request_body = ProfilePatch,
    security(("bearer" = [])),
    responses(
        (status = 200, body = SupplierView, description = "The updated supplier, with contact details"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "The company number belongs to a supplier the registry verified"),
        (status = 412, body = Problem, content_type = "application/problem+json", description = "Stale If-Match"),
        AuthErrors,
        BodyErrors,
        NotFoundError,
    )
)]
#[patch("/suppliers/{id_or_slug}")]
pub async fn update(
    req: HttpRequest,
    state: State,
    caller: Caller,
    path: SupplierKey,
    body: Json<ProfilePatch>,
) -> ApiResult<HttpResponse> {
    let id = path.0;
    caller.must_be_or_admin(id)?;
    let if_match = req
        .headers()
        .get(header::IF_MATCH)
        .map(|v| revision_of(v.to_str().unwrap_or("")));
    let p = body.0;
    let mut v = Validator::default();
    let name = v.check_opt("name", p.name.as_deref().map(profile::name));
    let website = v.check_opt("website", p.website.as_deref().map(WebUrl::try_from));
    let company_number = match p.company_number {
        None => Some(None),
        Some(None) => Some(Some(None)),
        Some(Some(raw)) => v
            .check("company_number", CompanyNumber::try_from(raw.as_str()))
            .map(|c| Some(Some(c))),
    };
    let description = v.check_opt(
        "description",
        p.description.as_deref().map(profile::description),
    );
    let products = v.check_opt("products", p.products.as_deref().map(profile::products));
    let contact_name = v.check_opt(
        "contact_name",
        p.contact_name.as_deref().map(profile::contact_name),
    );
    let contact_email = v.check_opt(
        "contact_email",
        p.contact_email.as_deref().map(profile::contact_email),
    );
    v.finish()?;
    let (name, website, company_number) =
        (checked(name)?, checked(website)?, checked(company_number)?);
    let (description, products) = (checked(description)?, checked(products)?);
    let (contact_name, contact_email) = (checked(contact_name)?, checked(contact_email)?);
    if [
        name.is_none(),
        website.is_none(),
        company_number.is_none(),
        description.is_none(),
    ]
    .into_iter()
    .chain([
        products.is_none(),
        contact_name.is_none(),
        contact_email.is_none(),
    ])
    .all(|b| b)
    {
        return Err(ApiError::field("body", "names no field to change"));
    }
    let actor = caller.actor();
    let who = caller.lifecycle_actor();
    let months = state.config.reaffirm_months;
    let (view, revision) = state
        .tx(move |conn| {
            let mut row = lock_or_404(conn, id)?;
            if let Some(revisions) = &if_match
                && !revisions.contains(&row.revision)
            {
                return Err(ApiError::PreconditionFailed);
            }
            let before = serde_json::to_value(&row).map_err(|e| ApiError::Internal(e.into()))?;
            let identity_before = (
                row.name.clone(),
                row.company_number.clone(),
                row.website.clone(),
            );
            if let Some(name) = name {
                row.search_name = supplier::search_name(&name);
                row.name = name;
            }
            if let Some(w) = website {
                row.website = w.to_string();
            }
            if let Some(cn) = company_number {
                if let Some(cn) = &cn {
                    supplier::may_claim(conn, cn.as_str(), Some(&row.id))?;
                }
                row.company_number = cn.map(|c| c.to_string());
            }
            if let Some(d) = description {
                row.description = d;
            }
            if let Some(p) = products {
                row.products = json!(p).to_string();
            }
            if let Some(n) = contact_name {
                row.contact_name = n;
            }
            if let Some(e) = contact_email {
                row.contact_email = e;
            }
            let at = now();
            supplier::save(conn, &mut row, at)?;
            let after = serde_json::to_value(&row).map_err(|e| ApiError::Internal(e.into()))?;
            changes::record(
                conn,
                at,
                audit::Entry {
                    actor: &actor,
                    action: "supplier.profile_updated",
                    entity_type: "supplier",
                    entity_id: row.id.clone(),
                    supplier_id: Some(row.id.clone()),
                    before: Some(before),
                    after: Some(after),
                },
            )?;
            let (old_name, old_number, old_website) = identity_before;
            let mut changed = Vec::new();
            if old_name != row.name {
                changed.push(format!("name changed from {old_name:?} to {:?}", row.name));
            }
            if old_number != row.company_number {
                let shown = |n: &Option<String>| n.clone().unwrap_or_else(|| "none".into());
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
                lifecycle::change(
                    conn,
                    &mut row,
                    &lifecycle::Request {
                        supplier: id,
                        transition: Transition::Unverify,
                        reason: Some(format!(
                            "{}; the operator must verify the identity again",
                            changed.join("; ")
                        )),
                        actor: &actor,
                        who,
                        reaffirm_months: months,
                    },
                )?;
            }
            let revision = row.revision;
            Ok((SupplierView::load(conn, row, true)?, revision))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(&view, revision, true)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(view))
}
