//! The log as C2SP `tlog-tiles` static resources, at the registry's root: the
//! checkpoint, the tiles of hashes and the entry bundles, for standard tile clients
//! and caches. Nothing past the newest published checkpoint is served.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};

use crate::db::models::{audit, checkpoints, log_tree};
use crate::error::Error;
use crate::http::extract::{NoParams, Query};
use crate::http::problem::ApiResult;
use crate::routes::problems::{NotFoundError, QueryErrors};
use crate::state::State;
use crate::tlog::tile_api::{self, Resource, WIDTH};
use crate::tlog::tiles::TILE_HEIGHT;

/// The log's newest checkpoint (C2SP `tlog-checkpoint`): origin, size and base64
/// root, signed by the registry, then each witness's cosignature. The same note as
/// `/api/v1/log/checkpoint`, where C2SP tile clients look for it.
#[utoipa::path(operation_id = "getTileCheckpoint", tag = "log", responses(
    QueryErrors,
    (status = 200, body = String, content_type = "text/plain", description = "The signed, cosigned checkpoint"),
))]
#[get("/checkpoint")]
pub async fn checkpoint(state: State, _query: Query<NoParams>) -> ApiResult<HttpResponse> {
    super::proofs::signed_note(&state).await
}

/// A tile of the log's Merkle tree or an entry bundle (C2SP `tlog-tiles`):
/// `/tile/<L>/<N>[.p/<W>]` holds the hashes of 256 (or `W`) consecutive complete
/// subtrees of height `8 L`, 32 bytes each; `/tile/entries/<N>[.p/<W>]` holds entries
/// `256 N + 1 ..` (each public form, `/api/v1/log/leaves/{seq}`, after its length as a
/// big-endian 16-bit number). `N` is written in groups of three digits, `x` before
/// all but the last (`x001/234`). Immutable once served.
#[utoipa::path(operation_id = "getTile", tag = "log",
    params(("path" = String, Path, description = "`<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`", example = "0/000.p/7")),
    responses(
        QueryErrors,
        NotFoundError,
        (status = 200, body = Vec<u8>, content_type = "application/octet-stream", description = "The tile's hashes, or the bundle's entries"),
    ))]
#[get("/tile/{path:.+}")]
pub async fn tile(
    state: State,
    path: web::Path<String>,
    _query: Query<NoParams>,
) -> ApiResult<HttpResponse> {
    let asked = path.into_inner();
    let resource = Resource::parse(&asked)
        .ok_or_else(|| Error::NotFound(format!("/tile/{asked} is not a tile's path")))?;
    let body = state
        .db(move |conn| {
            let published = checkpoints::newest(conn)?.map_or(0, |c| c.size as u64);
            if !resource.within(published) {
                return Err(Error::NotFound(format!(
                    "/tile/{} is not in the published checkpoint of {published} entries",
                    resource.path()
                )));
            }
            read(conn, resource)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(body))
}

/// The bytes of a resource the published tree holds.
pub fn read(conn: &mut crate::db::DbConn, resource: Resource) -> crate::error::Result<Vec<u8>> {
    match resource {
        Resource::Tile {
            level,
            index,
            width,
        } => {
            // A served tile of level L is 16 stored tiles of tile level 2 L.
            let per = WIDTH >> TILE_HEIGHT;
            let stored_level = level * (8 / TILE_HEIGHT);
            let rows = log_tree::tile_page(conn, stored_level, index * per, per as i64)?;
            let mut hashes = Vec::with_capacity(width as usize * 32);
            for (n, (idx, row)) in rows.into_iter().enumerate() {
                if idx as u64 != index * per + n as u64 {
                    break;
                }
                hashes.extend_from_slice(&row);
            }
            if hashes.len() < width as usize * 32 {
                return Err(Error::Internal(anyhow::anyhow!(
                    "the stored tree lacks hashes of tile {}",
                    resource.path()
                )));
            }
            hashes.truncate(width as usize * 32);
            Ok(hashes)
        }
        Resource::Entries { index, width } => {
            let first = index * WIDTH + 1;
            let rows = audit::range(conn, first, first + width - 1)?;
            if rows.len() as u64 != width {
                return Err(Error::Internal(anyhow::anyhow!(
                    "the log lacks entries of bundle {}",
                    resource.path()
                )));
            }
            let forms: Vec<String> = rows.iter().map(audit::public_form).collect();
            tile_api::bundle(forms.iter().map(|f| f.as_bytes())).ok_or_else(|| {
                Error::Internal(anyhow::anyhow!(
                    "an entry of bundle {} is longer than a bundle holds",
                    resource.path()
                ))
            })
        }
    }
}
