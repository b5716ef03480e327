use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::db::models::{members, now};
use crate::domain::MemberId;
use crate::domain::account::MemberRole;
use crate::http::callers::{MemberRemover, SupplierOwner, SupplierReader};
use crate::http::extract::Json;
use crate::http::problem::{ApiResult, Problem};
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError};
use crate::state::State;
use crate::usecases::accounts;
use crate::views::accounts::{Member, Members};

/// A supplier's members: owners first. Any token of the supplier, or the operator's.
#[utoipa::path(operation_id = "listMembers", tag = "accounts",
    params(("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Members, description = "The members"),
        AuthErrors,
        NotFoundError,
    )
)]
#[get("/suppliers/{id_or_slug}/members")]
pub async fn list(state: State, who: SupplierReader) -> ApiResult<HttpResponse> {
    let id = who.id;
    let items = state
        .db(move |conn| Ok(members::of_supplier(conn, id)?))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "private, no-store"))
        .json(Members {
            items: items.into_iter().map(Member::from).collect(),
        }))
}

/// Invite a member. They are sent a link that accepts (or declines) the invitation
/// within 7 days; until they accept, signing in does not take them to this supplier.
/// Owners only; at most 20 invitations a day and 100 members per supplier.
#[utoipa::path(operation_id = "addMember", tag = "accounts", request_body = accounts::NewMember,
    params(("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug")),
    security(("bearer" = [])),
    responses(
        (status = 201, body = Member, description = "Added"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "The address is a member or invited already, or the supplier has as many members as allowed"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "20 invitations in the last day; `Retry-After` says when to try again"),
        AuthErrors,
        BodyErrors,
        NotFoundError,
    )
)]
#[post("/suppliers/{id_or_slug}/members")]
pub async fn add(
    state: State,
    who: SupplierOwner,
    body: Json<accounts::NewMember>,
) -> ApiResult<HttpResponse> {
    let (id, caller) = (who.id, who.caller);
    let by = caller.by();
    let invite = accounts::Invite::parse(body.0)?;
    let inviter = caller.member();
    let member = state
        .tx(move |conn| accounts::invite(conn, id, &by, inviter, invite, now()))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!(
                "/api/v1/suppliers/{}/members/{}",
                member.supplier_id, member.id
            ),
        ))
        .json(Member::from(member)))
}

/// A member's new role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    role: MemberRole,
}

/// Change a member's role. The only owner stays one. Owners only.
#[utoipa::path(operation_id = "changeMemberRole", tag = "accounts", request_body = MemberPatch,
    params(
        ("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug"),
        ("member_id" = String, Path, format = Uuid, description = "Member id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Member, description = "Changed"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "It would leave the supplier without an owner"),
        AuthErrors,
        BodyErrors,
        NotFoundError,
    )
)]
#[patch("/suppliers/{id_or_slug}/members/{member_id}")]
pub async fn change(
    state: State,
    who: SupplierOwner,
    path: web::Path<(String, MemberId)>,
    body: Json<MemberPatch>,
) -> ApiResult<HttpResponse> {
    let (id, member, caller) = (who.id, path.into_inner().1, who.caller);
    let by = caller.by();
    let role = body.0.role;
    let row = state
        .tx(move |conn| accounts::change_role(conn, id, &by, member, role, now()))
        .await?;
    Ok(HttpResponse::Ok().json(Member::from(row)))
}

/// Remove a member, or withdraw an invitation; their sessions end at once. Owners may
/// remove anyone; any member may remove themself (leave). The only owner cannot be
/// removed.
#[utoipa::path(operation_id = "removeMember", tag = "accounts",
    params(
        ("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug"),
        ("member_id" = String, Path, format = Uuid, description = "Member id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "It would leave the supplier without an owner"),
        AuthErrors,
        NotFoundError,
    )
)]
#[delete("/suppliers/{id_or_slug}/members/{member_id}")]
pub async fn remove(state: State, who: MemberRemover) -> ApiResult<HttpResponse> {
    let (id, member, caller) = (who.id, who.member, who.caller);
    let by = caller.by();
    state
        .tx(move |conn| accounts::remove(conn, id, &by, member, now()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
