//! Builds the service: middleware and every route around the state, in one place.
//! It imports everything it wires; nothing imports it but the command line.

use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, DefaultHeaders};
use actix_web::{App, HttpServer, web};
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

pub mod bootstrap;
pub mod table;

use crate::auth::Issuer;
use crate::error::Error;
use crate::http::extract::BodyLimit;
use crate::http::problem::ApiError;
use crate::state::{AppState, State};
pub use table::api_doc;

/// Starts the HTTP server on an already bound listener.
pub fn serve(state: AppState, listener: std::net::TcpListener) -> anyhow::Result<Server> {
    let state = web::Data::new(state);
    crate::jobs::spawn(
        state.database.clone(),
        state.checker.clone(),
        state.mailer.clone(),
        state.webhooks.clone(),
        state.checkpoints.clone(),
        &state.config,
    );
    if state.config.read_cache_bytes > 0 {
        // Writes made by other instances and processes drop what they changed here; the
        // watcher stops when the state is gone.
        let reads = Arc::downgrade(&state.reads);
        crate::db::watch::spawn(&state.config.database_url, move |heard| {
            reads.upgrade().map(|r| r.heard(heard)).is_some()
        })?;
    }
    if let Some(every) = state.config.key_reload {
        tokio::spawn(state.keys.clone().watch(every));
    }
    let doc = Arc::new(table::api_doc(&state.config.public_url));
    let server = HttpServer::new(move || {
        let (app, _) = App::new()
            .into_utoipa_app()
            .app_data(state.clone())
            // What the extractors and middleware read, each on its own.
            .app_data(web::Data::from(state.keys.clone()))
            .app_data(web::Data::new(Issuer(state.config.public_url.clone())))
            .app_data(web::Data::from(state.database.clone()))
            .app_data(web::Data::from(state.rate_limits.clone()))
            .app_data(web::Data::from(state.metrics.clone()))
            .app_data(web::Data::new(BodyLimit(state.config.max_body_bytes)))
            .app_data(web::Data::new(crate::http::route::Listed(
                &table::templates().0,
            )))
            .configure(table::configure)
            .split_for_parts();
        app.route("/docs", web::get().to(docs_ui))
            .route("/docs/", web::get().to(docs_redirect))
            .service(
                SwaggerUi::new("/docs/{_:.*}")
                    .external_url_unchecked("/openapi.json", (*doc).clone()),
            )
            .app_data(
                web::JsonConfig::default()
                    .error_handler(|e, _| ApiError::MalformedBody(e.to_string()).into()),
            )
            .app_data(web::PathConfig::default().error_handler(|e, _| {
                ApiError::Domain(Error::NotFound(format!("no such resource: {e}"))).into()
            }))
            .default_service(web::to(table::not_found))
            .wrap(actix_web::middleware::from_fn(
                crate::auth::check_token_first,
            ))
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    // No page of the registry may be framed by another site
                    // (clickjacking); the badge is an image, which this does not stop.
                    .add(("X-Frame-Options", "DENY")),
            )
            .wrap(actix_web::middleware::from_fn(
                crate::http::deprecation::announce,
            ))
            .wrap(actix_web::middleware::from_fn(
                crate::http::ratelimit::enforce,
            ))
            .wrap(actix_web::middleware::from_fn(limit_headers))
            .wrap(actix_web::middleware::from_fn(head_as_get))
            .wrap(actix_web::middleware::from_fn(crate::http::metrics::record))
            .wrap(cors())
            .wrap(Compress::default())
            .wrap(actix_web::middleware::from_fn(
                crate::http::logging::request_id_header,
            ))
            .wrap(TracingLogger::<crate::http::logging::RequestSpan>::new())
    })
    // A compressed answer goes out as chunks; with Nagle's algorithm the last one
    // waits for the client's delayed acknowledgement (40 ms on Linux).
    .tcp_nodelay(true)
    .listen(listener)?
    .run();
    Ok(server)
}

/// Browser-based tools on any site may read (GET and HEAD, with the revalidation and
/// rate limit fields), never with credentials and never write: a write needs a bearer
/// token, and a preflight for one is refused.
fn cors() -> actix_cors::Cors {
    actix_cors::Cors::default()
        .allow_any_origin()
        .send_wildcard()
        .allowed_methods(["GET", "HEAD"])
        .allowed_headers([
            actix_web::http::header::ACCEPT,
            actix_web::http::header::IF_NONE_MATCH,
            actix_web::http::header::IF_MODIFIED_SINCE,
        ])
        .expose_headers([
            "ETag",
            "Last-Modified",
            "Retry-After",
            "RateLimit",
            "RateLimit-Policy",
            "Deprecation",
            "Sunset",
            "Link",
            crate::views::export::CHANGES_SINCE,
            crate::http::logging::REQUEST_ID,
        ])
        .max_age(86_400)
}

/// The browsable API reference at `/docs`: Swagger UI's page, told that its scripts and
/// styles are under `/docs/`.
async fn docs_ui() -> actix_web::HttpResponse {
    let config = Arc::new(utoipa_swagger_ui::Config::from("/openapi.json"));
    match utoipa_swagger_ui::serve("index.html", config) {
        Ok(Some(file)) => {
            let page = String::from_utf8_lossy(&file.bytes).replacen(
                "<head>",
                "<head>\n<base href=\"/docs/\">",
                1,
            );
            actix_web::HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                // Swagger UI's scripts and styles come from the binary, under /docs/.
                .insert_header((
                    "Content-Security-Policy",
                    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                     script-src 'self'; connect-src 'self'; font-src 'self' data:; \
                     object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
                ))
                .body(page)
        }
        _ => actix_web::ResponseError::error_response(&ApiError::Domain(Error::NotFound(
            "the API reference is not built into this binary".into(),
        ))),
    }
}

/// `/docs/` is the address the reference had before; it now lives at `/docs`.
async fn docs_redirect() -> actix_web::HttpResponse {
    actix_web::HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/docs"))
        .finish()
}

/// `HEAD` on every `GET` route, as uptime monitors and link checkers expect: the request
/// is routed as a `GET`, and the HTTP layer, which saw the request as a `HEAD`, sends the
/// headers (Content-Length included) without the body.
async fn head_as_get(
    mut req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    next.call(req).await
}

/// Refuses requests whose headers add up to more than `REGISTRY_MAX_HEADER_BYTES`
/// (the HTTP layer itself stops at 128 KiB).
async fn limit_headers(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let limit = req
        .app_data::<State>()
        .map(|s| s.config.max_header_bytes)
        .unwrap_or(16 * 1024);
    let size: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if size > limit {
        let res = actix_web::ResponseError::error_response(&ApiError::HeadersTooLarge(limit));
        return Ok(req.into_response(res));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
