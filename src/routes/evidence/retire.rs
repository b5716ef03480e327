use actix_web::{HttpResponse, delete, web};

use crate::app::State;
use crate::auth::Caller;
use crate::changes;
use crate::db::models::supplier::get_or_404;
use crate::db::models::{audit, evidence, now, supplier};
use crate::domain::EvidenceId;
use crate::error::{ApiResult, Problem};
use crate::http::extract::SupplierKey;
use crate::routes::problems::AuthErrors;

/// Retire an evidence link. It leaves the public view but stays in the audit history.
#[utoipa::path(operation_id = "retireEvidence", tag = "supplier self-service",
    params(
        ("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug"),
        ("evidence_id" = String, Path, format = Uuid, description = "Evidence id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Retired"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "No such evidence, or already retired"),
        AuthErrors,
    )
)]
#[delete("/suppliers/{id_or_slug}/evidence/{evidence_id}")]
pub async fn retire(
    state: State,
    caller: Caller,
    supplier: SupplierKey,
    path: web::Path<(String, EvidenceId)>,
) -> ApiResult<HttpResponse> {
    let (id, evidence_id) = (supplier.0, path.into_inner().1);
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
