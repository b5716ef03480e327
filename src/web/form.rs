//! Forms of the pages: a submitted form read within the body limit, and the answers
//! a private page gives (never cached, never sent on as a referrer).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

use super::html;
use crate::domain::SupplierId;
use crate::http::problem::ApiError;

/// A page that holds or asks for something private: never stored by a cache, never
/// sent on as a referrer.
pub(super) fn private(status: StatusCode, body: String) -> HttpResponse {
    let mut res = html(status, body);
    let h = res.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    h.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    res
}

pub(super) fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// The fields of a submitted form, in order (a name may repeat).
pub(super) struct Form(pub(super) Vec<(String, String)>);

impl Form {
    pub(super) fn parse(body: &[u8]) -> Form {
        Form(url::form_urlencoded::parse(body).into_owned().collect())
    }

    pub(super) fn get(&self, name: &str) -> String {
        self.find(name).unwrap_or_default()
    }

    /// The field `name` read as one of the words of `T`, or a validation error naming
    /// the field.
    pub(super) fn word<T: std::str::FromStr<Err = String>>(
        &self,
        name: &str,
    ) -> Result<T, crate::error::Error> {
        self.get(name)
            .parse::<T>()
            .map_err(|m| crate::error::Error::field(name, m))
    }

    /// The field `name` when the form has it.
    pub(super) fn find(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    pub(super) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// A submitted form, as a handler argument.
pub struct Posted(pub(super) Form);

impl Posted {
    /// The first value of the field `name` (empty when missing).
    pub fn field(&self, name: &str) -> String {
        self.0.get(name)
    }

    /// A sign-in link's form: its secret, and the supplier chosen, if any.
    pub(super) fn link(&self) -> (String, Option<SupplierId>) {
        (self.0.get("token"), self.0.get("supplier_id").parse().ok())
    }
}

/// The page that refuses a form longer than `REGISTRY_MAX_BODY_BYTES`; nothing of it
/// is read further, kept or said back.
pub(super) fn too_long(limit: usize) -> actix_web::Error {
    let page = private(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "<!doctype html><html lang=\"en\"><title>Too long</title><p>This form is longer than the registry takes ({} KB). Shorten what you wrote and send it again.</p></html>",
            limit / 1024
        ),
    );
    actix_web::error::InternalError::from_response("form too long", page).into()
}

impl actix_web::FromRequest for Posted {
    type Error = actix_web::Error;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, Self::Error>>;

    /// Reads the form up to the body limit the API has (`REGISTRY_MAX_BODY_BYTES`):
    /// a longer one is refused with 413 before it is read to the end.
    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let body = crate::http::extract::bounded_body(req, payload);
        Box::pin(async move {
            let body = match body.await {
                Ok(body) => body,
                Err(ApiError::PayloadTooLarge(limit)) => return Err(too_long(limit)),
                Err(e) => return Err(e.into()),
            };
            Ok(Posted(Form::parse(&body)))
        })
    }
}
