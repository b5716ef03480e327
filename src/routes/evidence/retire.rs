use actix_web::{HttpResponse, delete, web};

use crate::app::State;
use crate::auth::Caller;
use crate::changes;
use crate::db::models::{audit, evidence, now, supplier};
use crate::domain::{EvidenceId, SupplierId};
use crate::error::{ApiResult, Problem};
use crate::routes::problems::AuthErrors;
use crate::routes::suppliers::get_or_404;

/// Retire an evidence link. It leaves the public view but stays in the audit history.
#[utoipa::path(tag = "supplier self-service",
    params(
        ("id" = String, Path, format = Uuid, description = "Supplier id"),
        ("evidence_id" = String, Path, format = Uuid, description = "Evidence id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Retired"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "No such evidence, or already retired"),
        AuthErrors,
    )
)]
#[delete("/suppliers/{id}/evidence/{evidence_id}")]
pub async fn retire(
    state: State,
    caller: Caller,
    path: web::Path<(SupplierId, EvidenceId)>,
) -> ApiResult<HttpResponse> {
    let (id, evidence_id) = path.into_inner();
    caller.must_be(id)?;
    let actor = caller.actor();
    state
        .tx(move |conn| {
            let supplier_row = get_or_404(conn, id)?;
            let mut row = super::live_or_404(conn, &supplier_row, evidence_id)?;
            let at = now();
            row.retired_at = Some(at);
            row.updated_at = at;
            evidence::save(conn, &row)?;
            supplier::touch(conn, &supplier_row.id, Some(at))?;
            changes::record(
                conn,
                at,
                audit::Entry {
                    actor: &actor,
                    action: "evidence.retired",
                    entity_type: "evidence",
                    entity_id: row.id.clone(),
                    supplier_id: Some(supplier_row.id.clone()),
                    before: Some(serde_json::json!({ "url": row.url, "title": row.title })),
                    after: None,
                },
            )?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
