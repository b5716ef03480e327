//! Every HTTP route, registered in [`configure`]; one handler per file below.

pub mod accounts;
pub mod admin;
pub mod common;
pub mod evidence;
pub mod export;
pub mod jwks;
pub mod log;
pub mod pledge;
pub mod problems;
pub mod registrations;
pub mod service;
pub mod signature;
pub mod suppliers;
pub mod webhooks;

use actix_web::HttpRequest;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;

/// The route table. Paths under `/api/v1` are a public contract.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(service::healthz)
        .service(service::readyz)
        .service(service::metrics)
        .service(jwks::jwks)
        .service(crate::web::home::home)
        .service(crate::web::supplier::supplier_page)
        .service(crate::web::badge::badge_svg)
        .service(crate::web::guides::guide)
        .service(crate::web::about::about)
        .service(crate::web::about::concern_form)
        .service(crate::web::about::raise_concern)
        .service(crate::web::account::sign_in_page)
        .service(crate::web::account::sign_in_ask)
        .service(crate::web::account::confirm_page)
        .service(crate::web::account::confirm)
        .service(crate::web::account::decline)
        .service(crate::web::account::account_page)
        .service(crate::web::account::account_form)
        .service(crate::web::account::account_item_form)
        .service(crate::web::account::sign_out)
        .service(crate::web::subscriber::ask)
        .service(crate::web::subscriber::confirm)
        .service(crate::web::unsubscribe::ask)
        .service(crate::web::unsubscribe::stop)
        .service(
            scope::scope("/api/v1")
                .service(pledge::current::current)
                .service(pledge::versions::list)
                .service(pledge::versions::read)
                .service(suppliers::list::list)
                .service(suppliers::read::read)
                .service(suppliers::history::history)
                .service(suppliers::attestation::attestation)
                .service(export::export)
                .service(log::head::head)
                .service(log::changes::changes)
                .service(log::proofs::checkpoint)
                .service(log::proofs::key)
                .service(log::proofs::inclusion)
                .service(log::proofs::consistency)
                .service(log::proofs::leaf)
                .service(suppliers::update::update)
                .service(registrations::create::create)
                .service(signature::sign::sign)
                .service(signature::reaffirm::reaffirm)
                .service(signature::withdraw::withdraw)
                .service(evidence::add::add)
                .service(evidence::edit::edit)
                .service(evidence::retire::retire)
                .service(accounts::sign_in::request)
                .service(accounts::sign_in::confirm)
                .service(accounts::members::list)
                .service(accounts::members::add)
                .service(accounts::members::change)
                .service(accounts::members::remove)
                .service(accounts::tokens::list)
                .service(accounts::tokens::create)
                .service(accounts::tokens::revoke)
                .service(admin::publish::publish)
                .service(admin::lifecycle::verify)
                .service(admin::lifecycle::suspend)
                .service(admin::lifecycle::reinstate)
                .service(admin::owner::transfer)
                .service(admin::subscribers::add)
                .service(webhooks::sign_up::request)
                .service(webhooks::sign_up::confirm)
                .service(webhooks::subscriptions::create)
                .service(webhooks::subscriptions::list)
                .service(webhooks::subscriptions::update)
                .service(webhooks::subscriptions::remove)
                .service(webhooks::subscriptions::rotate)
                .service(webhooks::subscriptions::replay)
                .service(webhooks::subscriptions::deliveries)
                .service(webhooks::subscriptions::redeliver)
                .service(admin::tokens::issue)
                .service(admin::tokens::revoke)
                .service(admin::audit::list)
                .service(admin::concerns::list)
                .service(admin::concerns::close)
                .service(admin::checks::run),
        );
}

/// The OpenAPI document of every route, generated from the code.
pub fn api_doc(public_url: &str) -> serde_json::Value {
    use utoipa::OpenApi;
    use utoipa_actix_web::AppExt;
    let (_, api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(crate::openapi::ApiDoc::openapi())
        .configure(configure)
        .split_for_parts();
    crate::openapi::finish(api, public_url)
}

/// The methods the OpenAPI document lists for a concrete path, if any route has it.
fn methods_for(path: &str) -> Option<Vec<String>> {
    static ROUTES: std::sync::OnceLock<Vec<(Vec<String>, Vec<String>)>> =
        std::sync::OnceLock::new();
    let routes = ROUTES.get_or_init(|| {
        let doc = api_doc("");
        doc["paths"]
            .as_object()
            .map(|paths| {
                paths
                    .iter()
                    .map(|(p, item)| {
                        let segments = p.split('/').map(str::to_owned).collect();
                        let methods = item
                            .as_object()
                            .map(|m| m.keys().map(|k| k.to_uppercase()).collect())
                            .unwrap_or_default();
                        (segments, methods)
                    })
                    .collect()
            })
            .unwrap_or_default()
    });
    let parts: Vec<&str> = path.split('/').collect();
    let matches = |template: &[String]| {
        template.len() == parts.len()
            && template
                .iter()
                .zip(&parts)
                .all(|(t, p)| match (t.find('{'), t.rfind('}')) {
                    (Some(0), Some(end)) => !p.is_empty() && p.ends_with(&t[end + 1..]),
                    _ => t == p,
                })
    };
    let mut methods: Vec<String> = routes
        .iter()
        .filter(|(t, _)| matches(t))
        .flat_map(|(_, m)| m.clone())
        .collect();
    if methods.iter().any(|m| m == "GET") {
        methods.push("HEAD".to_owned());
    }
    methods.sort();
    methods.dedup();
    (!methods.is_empty()).then_some(methods)
}

/// Any path no route matches: 405 with `Allow` when the path exists for other
/// methods, else 404.
pub async fn not_found(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    if let Some(methods) = methods_for(req.path())
        && !methods.iter().any(|m| m == req.method().as_str())
    {
        let mut res = actix_web::ResponseError::error_response(&ApiError::MethodNotAllowed(
            req.method().to_string(),
        ));
        if let Ok(allow) = actix_web::http::header::HeaderValue::from_str(&methods.join(", ")) {
            res.headers_mut()
                .insert(actix_web::http::header::ALLOW, allow);
        }
        return Ok(res);
    }
    let wants_html = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if wants_html && !req.path().starts_with("/api/") {
        return Ok(crate::web::not_found_page(
            "There is no page at this address.".into(),
            String::new(),
        ));
    }
    Err(ApiError::NotFound(format!(
        "no route for {} {}",
        req.method(),
        req.path()
    )))
}
