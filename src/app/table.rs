//! The route table: every API route and page, in one place. Paths under `/api/v1` are
//! a public contract; the OpenAPI document is generated from this table.

use actix_web::HttpRequest;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::Error;
use crate::http::problem::ApiError;
use crate::http::route::Templates;
use crate::{routes, web};

/// The route table. Paths under `/api/v1` are a public contract.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(routes::service::healthz)
        .service(routes::service::readyz)
        .service(routes::service::metrics)
        .service(routes::jwks::jwks)
        .service(routes::log::tiles::checkpoint)
        .service(routes::log::tiles::tile)
        .service(web::home::home)
        .service(web::supplier::supplier_page)
        .service(web::evidence_changes::changes_page)
        .service(web::badge::badge_svg)
        .service(web::guides::guide)
        .service(web::about::about)
        .service(web::pledge::pledge_page)
        .service(web::about::privacy)
        .service(web::about::accessibility)
        .service(web::about::concern_form)
        .service(web::about::concern_received)
        .service(web::about::raise_concern)
        .service(web::register::start)
        .service(web::register::details)
        .service(web::register::check)
        .service(web::register::change)
        .service(web::register::submit)
        .service(web::register::done)
        .service(web::sign_in::sign_in_page)
        .service(web::sign_in::sign_in_ask)
        .service(web::sign_in::confirm_page)
        .service(web::sign_in::confirm)
        .service(web::sign_in::decline)
        .service(web::account::account_page)
        .service(web::account_evidence::evidence_page)
        .service(web::account::account_form)
        .service(web::account::account_item_form)
        .service(web::session::sign_out)
        .service(web::subscriber::ask)
        .service(web::subscriber::confirm)
        .service(web::unsubscribe::ask)
        .service(web::unsubscribe::stop)
        .service(web::operator::sign_in::sign_in_page)
        .service(web::operator::sign_in::ask)
        .service(web::operator::sign_in::confirm_page)
        .service(web::operator::sign_in::confirm)
        .service(web::operator::sign_out)
        .service(web::operator::queues::queues_page)
        .service(web::operator::suppliers::find)
        .service(web::operator::suppliers::supplier_page)
        .service(web::operator::suppliers::act)
        .service(web::operator::concerns::concern_page)
        .service(web::operator::concerns::act)
        .service(web::operator::subscribers::subscribers_page)
        .service(web::operator::subscribers::add)
        .service(web::operator::subscribers::disable)
        .service(web::operator::keys::keys_page)
        .service(web::operator::keys::rotate)
        .service(
            scope::scope("/api/v1")
                .service(routes::pledge::current::current)
                .service(routes::pledge::versions::list)
                .service(routes::pledge::versions::read)
                .service(routes::suppliers::list::list)
                .service(routes::suppliers::read::read)
                .service(routes::suppliers::history::history)
                .service(routes::suppliers::attestation::attestation)
                .service(routes::export::export)
                .service(routes::log::head::head)
                .service(routes::log::changes::changes)
                .service(routes::log::proofs::checkpoint)
                .service(routes::log::proofs::key)
                .service(routes::log::proofs::inclusion)
                .service(routes::log::proofs::consistency)
                .service(routes::log::proofs::leaf)
                .service(routes::suppliers::update::update)
                .service(routes::registrations::create::create)
                .service(routes::signature::sign::sign)
                .service(routes::signature::reaffirm::reaffirm)
                .service(routes::signature::withdraw::withdraw)
                .service(routes::evidence::add::add)
                .service(routes::evidence::edit::edit)
                .service(routes::evidence::check::check)
                .service(routes::evidence::changes::changes)
                .service(routes::evidence::retire::retire)
                .service(routes::accounts::sign_in::request)
                .service(routes::accounts::sign_in::confirm)
                .service(routes::accounts::members::list)
                .service(routes::accounts::members::add)
                .service(routes::accounts::members::change)
                .service(routes::accounts::members::remove)
                .service(routes::accounts::tokens::list)
                .service(routes::accounts::tokens::create)
                .service(routes::accounts::tokens::revoke)
                .service(routes::admin::preview::preview)
                .service(routes::admin::publish::publish)
                .service(routes::admin::lifecycle::verify)
                .service(routes::admin::lifecycle::suspend)
                .service(routes::admin::lifecycle::reinstate)
                .service(routes::admin::owner::transfer)
                .service(routes::admin::subscribers::add)
                .service(routes::webhooks::sign_up::request)
                .service(routes::webhooks::sign_up::confirm)
                .service(routes::webhooks::subscriptions::create::create)
                .service(routes::webhooks::subscriptions::list::list)
                .service(routes::webhooks::subscriptions::update::update)
                .service(routes::webhooks::subscriptions::remove::remove)
                .service(routes::webhooks::subscriptions::rotate::rotate)
                .service(routes::webhooks::subscriptions::replay::replay)
                .service(routes::webhooks::subscriptions::deliveries::deliveries)
                .service(routes::webhooks::subscriptions::redeliver::redeliver)
                .service(routes::admin::tokens::issue)
                .service(routes::admin::tokens::revoke)
                .service(routes::admin::audit::list)
                .service(routes::admin::concerns::list)
                .service(routes::admin::concerns::close)
                .service(routes::admin::checks::run),
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

/// The route patterns the OpenAPI document lists, with the methods of each.
pub fn templates() -> &'static (Templates, Vec<Vec<String>>) {
    static ROUTES: std::sync::OnceLock<(Templates, Vec<Vec<String>>)> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| {
        let doc = api_doc("");
        let paths: Vec<(String, Vec<String>)> = doc["paths"]
            .as_object()
            .map(|paths| {
                paths
                    .iter()
                    .map(|(p, item)| {
                        let methods = item
                            .as_object()
                            .map(|m| m.keys().map(|k| k.to_uppercase()).collect())
                            .unwrap_or_default();
                        (p.clone(), methods)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let (patterns, methods): (Vec<String>, Vec<Vec<String>>) = paths.into_iter().unzip();
        (Templates::new(patterns), methods)
    })
}

/// The methods the OpenAPI document lists for a concrete path, if any route has it.
fn methods_for(path: &str) -> Option<Vec<String>> {
    let (templates, methods_of) = templates();
    let mut methods: Vec<String> = templates
        .matching(path)
        .flat_map(|i| methods_of[i].clone())
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
        return Ok(web::not_found_page(
            "There is no page at this address.".into(),
            String::new(),
        ));
    }
    Err(ApiError::Domain(Error::NotFound(format!(
        "no route for {} {}",
        req.method(),
        req.path()
    ))))
}

#[cfg(test)]
mod tests {
    /// Every route the document lists is counted and logged under its own pattern: no
    /// other, more literal pattern takes a path of its shape.
    #[test]
    fn each_documented_route_is_labelled_with_its_own_pattern() {
        let doc = super::api_doc("");
        let paths = doc["paths"].as_object().expect("paths");
        assert!(paths.len() > 50, "{} paths", paths.len());
        let (templates, _) = super::templates();
        for pattern in paths.keys() {
            // A concrete path of this shape: each {name} a value no route spells out.
            let mut concrete = String::new();
            let mut rest = pattern.as_str();
            while let Some(start) = rest.find('{') {
                let end = rest[start..].find('}').expect("closed") + start;
                concrete.push_str(&rest[..start]);
                concrete.push_str("v7q");
                rest = &rest[end + 1..];
            }
            concrete.push_str(rest);
            assert_eq!(
                templates.best(&concrete).as_deref(),
                Some(pattern.as_str()),
                "{concrete}"
            );
        }
    }
}
