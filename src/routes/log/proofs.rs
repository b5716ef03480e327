use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::Error;
use crate::tlog::checkpoint::{origin, verifier_key};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::db::models::{audit, log_tree, signing_keys};
use crate::http::extract::{NoParams, Query};
use crate::http::problem::{ApiResult, FieldError};
use crate::http::respond::{Visibility, json_cached};
use crate::routes::problems::{NotFoundError, QueryErrors};
use crate::state::State;
use crate::tlog::proofs::{ConsistencyProof, InclusionProof, LogKey, RetiredLogKey, b64};

fn bad(field: &str, message: String) -> Error {
    Error::InvalidQuery(vec![FieldError::new(field, message)])
}

/// The log's newest checkpoint: a C2SP signed note (origin, tree size, base64 root,
/// then the registry's Ed25519 signature and each witness's cosignature). Keep it;
/// check later ones against it with a consistency proof.
#[utoipa::path(operation_id = "getLogCheckpoint", tag = "log", responses(
    QueryErrors,
    (status = 200, body = String, content_type = "text/plain", description = "The signed checkpoint"),
))]
#[get("/log/checkpoint")]
pub async fn checkpoint(state: State, _query: Query<NoParams>) -> ApiResult<HttpResponse> {
    signed_note(&state).await
}

/// The newest published checkpoint with its cosignatures, as `/checkpoint` and
/// `/api/v1/log/checkpoint` serve it.
pub async fn signed_note(state: &State) -> ApiResult<HttpResponse> {
    let published = state.checkpoint().await?;
    let (size, root, cosigned) = (
        published.checkpoint.size,
        published.checkpoint.root,
        published.cosigned,
    );
    let note = published.note;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=5"))
        .insert_header((
            "ETag",
            format!(
                "\"{size}-{}-{cosigned}\"",
                &crate::domain::text::hex(&root)[..16]
            ),
        ))
        .body(note))
}

/// The key that signs the log's checkpoints (the registry's Ed25519 key, as in
/// `/.well-known/jwks.json`).
#[utoipa::path(operation_id = "getLogKey", tag = "log", responses(
    QueryErrors,
    (status = 200, body = LogKey, description = "The checkpoints' origin and verifier key"),
))]
#[get("/log/key")]
pub async fn key(
    req: HttpRequest,
    state: State,
    _query: Query<NoParams>,
) -> ApiResult<HttpResponse> {
    let name = origin(&state.config.public_url);
    let public = state.keys.current().signing.verifying_key().to_bytes();
    let old = state.db(|conn| Ok(signing_keys::retired(conn)?)).await?;
    let retired = old
        .into_iter()
        .filter_map(|k| {
            let x: [u8; 32] = URL_SAFE_NO_PAD.decode(&k.public_x).ok()?.try_into().ok()?;
            Some(RetiredLogKey {
                verifier_key: verifier_key(&name, &x),
                retired_at: k.retired_at?.and_utc(),
            })
        })
        .collect();
    let body = LogKey {
        verifier_key: verifier_key(&name, &public),
        origin: name,
        retired,
    };
    json_cached(&req, &body, None, None, Visibility::Public)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InclusionParams {
    /// The entry's sequence number.
    #[param(minimum = 1)]
    seq: u64,
    /// The size of the tree (a checkpoint's); the newest when left out.
    #[param(minimum = 1)]
    tree_size: Option<u64>,
}

impl crate::http::extract::QueryParams for InclusionParams {}

/// Proof that entry `seq` is in the tree of `tree_size` entries.
#[utoipa::path(operation_id = "getInclusionProof", tag = "log", params(InclusionParams), responses(
    QueryErrors,
    (status = 200, body = InclusionProof, description = "The proof"),
))]
#[get("/log/proofs/inclusion")]
pub async fn inclusion(
    req: HttpRequest,
    state: State,
    query: Query<InclusionParams>,
) -> ApiResult<HttpResponse> {
    let InclusionParams { seq, tree_size } = query.0;
    let proof = state
        .db(move |conn| {
            let size = log_tree::size(conn)?;
            let tree_size = tree_size.unwrap_or(size);
            if tree_size > size {
                return Err(bad("tree_size", format!("the log has {size} entries")));
            }
            if seq == 0 || seq > tree_size {
                return Err(bad("seq", format!("must be 1 to {tree_size}")));
            }
            let index = seq - 1;
            let (leaf_hash, hashes, root) = log_tree::inclusion_answer(conn, index, tree_size)?;
            Ok(InclusionProof {
                seq,
                leaf_index: index,
                tree_size,
                leaf_hash: b64(&leaf_hash),
                hashes: hashes.iter().map(b64).collect(),
                root: b64(&root),
            })
        })
        .await?;
    json_cached(&req, &proof, None, None, Visibility::Public)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyParams {
    /// The older tree's size.
    #[param(minimum = 1)]
    from: u64,
    /// The newer tree's size; the newest when left out.
    #[param(minimum = 1)]
    to: Option<u64>,
}

impl crate::http::extract::QueryParams for ConsistencyParams {}

/// Proof that the tree of `to` entries extends the tree of `from` entries.
#[utoipa::path(operation_id = "getConsistencyProof", tag = "log", params(ConsistencyParams), responses(
    QueryErrors,
    (status = 200, body = ConsistencyProof, description = "The proof"),
))]
#[get("/log/proofs/consistency")]
pub async fn consistency(
    req: HttpRequest,
    state: State,
    query: Query<ConsistencyParams>,
) -> ApiResult<HttpResponse> {
    let ConsistencyParams { from, to } = query.0;
    let proof = state
        .db(move |conn| {
            let size = log_tree::size(conn)?;
            let to = to.unwrap_or(size);
            if to > size {
                return Err(bad("to", format!("the log has {size} entries")));
            }
            if from == 0 || from > to {
                return Err(bad("from", format!("must be 1 to {to}")));
            }
            let (hashes, from_root, to_root) = log_tree::consistency_answer(conn, from, to)?;
            Ok(ConsistencyProof {
                from,
                to,
                hashes: hashes.iter().map(b64).collect(),
                from_root: b64(&from_root),
                to_root: b64(&to_root),
            })
        })
        .await?;
    json_cached(&req, &proof, None, None, Visibility::Public)
}

/// An entry's public form: the bytes its leaf hashes (docs/audit-log.md). A public
/// entry shows what the change feed shows of it; a private one only its number. Who
/// acted and the states before and after enter only through `entry_hash`, a salted
/// commitment nobody can test a guess against.
#[utoipa::path(operation_id = "getLogLeaf", tag = "log",
    params(("seq" = u64, Path, description = "The entry's sequence number")),
    responses(
        QueryErrors,
        NotFoundError,
        (status = 200, body = Object, description = "The entry's public form, exactly as hashed"),
    ))]
#[get("/log/leaves/{seq}")]
pub async fn leaf(
    state: State,
    path: web::Path<String>,
    _query: Query<NoParams>,
) -> ApiResult<HttpResponse> {
    let seq: i64 = path
        .parse()
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| Error::NotFound(format!("no entry {}", path.as_str())))?;
    let form = state
        .db(move |conn| Ok(audit::entry(conn, seq)?.map(|row| audit::public_form(&row))))
        .await?
        .ok_or_else(|| Error::NotFound(format!("no entry {seq}")))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(form))
}
