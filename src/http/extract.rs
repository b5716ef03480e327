//! Request bodies and query strings parsed with errors that name the field.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::db::Database;
use crate::domain::SupplierId;
use crate::error::Error;
use crate::http::problem::{ApiError, FieldError};

/// The largest request body accepted (`REGISTRY_MAX_BODY_BYTES`).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

impl Default for BodyLimit {
    fn default() -> Self {
        BodyLimit(64 * 1024)
    }
}

/// Reads a request's body up to the configured limit: `PayloadTooLarge` as soon as it
/// says, or turns out, to be longer (nothing past the limit is read).
pub fn bounded_body(
    req: &HttpRequest,
    payload: &mut Payload,
) -> impl Future<Output = Result<web::BytesMut, ApiError>> + 'static {
    let limit = req
        .app_data::<web::Data<BodyLimit>>()
        .map_or(BodyLimit::default().0, |l| l.0);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut payload = payload.take();
    async move {
        if declared.is_some_and(|n| n > limit) {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| ApiError::MalformedBody(e.to_string()))?;
            if body.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge(limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// A JSON body of type `T`. Refuses other content types (415), bodies over the
/// configured size (413), malformed JSON (400), and unknown fields, missing fields or
/// wrong types (422, naming the field).
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = is_json(req);
        let body = bounded_body(req, payload);
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::UnsupportedMediaType);
            }
            parse_json(&body.await?).map(Json)
        })
    }
}

/// Like [`Json`], but an empty body (no `Content-Type`, or length zero) means
/// `T::default()`: for routes whose body is optional.
#[derive(Debug)]
pub struct JsonOrEmpty<T>(pub T);

impl<T: DeserializeOwned + Default + 'static> FromRequest for JsonOrEmpty<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let empty = req.headers().get(header::CONTENT_TYPE).is_none()
            && req
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .is_none_or(|v| v.trim() == "0");
        if empty {
            return Box::pin(async { Ok(JsonOrEmpty(T::default())) });
        }
        let json = Json::<T>::from_request(req, payload);
        Box::pin(async move { json.await.map(|Json(v)| JsonOrEmpty(v)) })
    }
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(ct) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses JSON, naming the field at fault.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::MalformedBody(
            "the body is empty; send a JSON object".into(),
        ));
    }
    // JSON can spell a NUL only as an escape; where one appears, find the field that
    // holds it. No text reaches the database with a NUL: PostgreSQL refuses it.
    if body.windows(6).any(|w| w == b"\\u0000")
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(body)
        && let Some(path) = nul_in(&value, String::new())
    {
        return Err(ApiError::Domain(Error::Validation(vec![FieldError::new(
            if path.is_empty() {
                "body".to_owned()
            } else {
                path
            },
            "must not contain the NUL character",
        )])));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = strip_position(&inner.to_string());
                ApiError::Domain(Error::Validation(vec![field_error(&path, &message)]))
            }
            _ => ApiError::MalformedBody(inner.to_string()),
        }
    })?;
    de.end()
        .map_err(|e| ApiError::MalformedBody(e.to_string()))?;
    Ok(value)
}

/// The path of the first string (or key) in `v` that holds a NUL, as field errors
/// name fields (`statements.safety`, `products[2]`).
fn nul_in(v: &serde_json::Value, at: String) -> Option<String> {
    use serde_json::Value;
    let join = |k: &str| {
        if at.is_empty() {
            k.to_owned()
        } else {
            format!("{at}.{k}")
        }
    };
    match v {
        Value::String(s) if s.contains('\0') => Some(at),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_in(item, format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            if k.contains('\0') {
                Some(join(&k.replace('\0', "\\0")))
            } else {
                nul_in(item, join(k))
            }
        }),
        _ => None,
    }
}

/// The query parameters of a route, and which of them a client may repeat to mean
/// "any of" (`status=active&status=lapsed`). Any other parameter sent twice is refused
/// with a 400 naming it, rather than one of its values silently winning.
pub trait QueryParams {
    const REPEATABLE: &'static [&'static str] = &[];
}

/// The query of a route that takes no parameters: any sent is refused with a 400 naming
/// it, as routes that take some refuse unknown ones.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

impl QueryParams for NoParams {}

/// Joins the values of a repeated parameter on their way to [`AnyOf`]; a NUL never
/// reaches it from a client (refused first).
const SEPARATOR: char = '\0';

/// A filter given once or repeated: it matches any of its values. Each value is parsed
/// on its own, and an error names the value at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnyOf<T>(pub Vec<T>);

impl<T> Default for AnyOf<T> {
    fn default() -> Self {
        AnyOf(Vec::new())
    }
}

impl<'de, T> Deserialize<'de> for AnyOf<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let joined = String::deserialize(d)?;
        joined
            .split(SEPARATOR)
            .map(|v| {
                v.parse::<T>()
                    .map_err(|e| serde::de::Error::custom(format!("{v:?}: {e}")))
            })
            .collect::<Result<Vec<T>, _>>()
            .map(AnyOf)
    }
}

/// Query parameters of type `T`, with a 400 naming the parameter on failure.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + QueryParams + 'static> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query::<T>(req.query_string()))
    }
}

/// Parses a query string into `T`; see [`Query`] and [`QueryParams`].
pub fn parse_query<T: DeserializeOwned + QueryParams>(query: &str) -> Result<Query<T>, ApiError> {
    let pairs = url::form_urlencoded::parse(query.as_bytes());
    // No parameter reaches the database with a NUL: PostgreSQL refuses it in text.
    if let Some((name, _)) = pairs
        .clone()
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(ApiError::Domain(Error::InvalidQuery(vec![
            FieldError::new(
                name.replace('\0', "\\0"),
                "must not contain the NUL character",
            ),
        ])));
    }
    let mut grouped: Vec<(String, String)> = Vec::new();
    for (k, v) in pairs {
        match grouped.iter_mut().find(|(name, _)| *name == k) {
            Some(_) if !T::REPEATABLE.contains(&k.as_ref()) => {
                return Err(ApiError::Domain(Error::InvalidQuery(vec![
                    FieldError::new(k, "may be given only once"),
                ])));
            }
            Some((_, joined)) => {
                joined.push(SEPARATOR);
                joined.push_str(&v);
            }
            None => grouped.push((k.into_owned(), v.into_owned())),
        }
    }
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&grouped)
        .finish();
    let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(encoded.as_bytes()));
    serde_path_to_error::deserialize(de)
        .map(Query)
        .map_err(|e| {
            let path = e.path().to_string();
            let message = e.into_inner().to_string();
            ApiError::Domain(Error::InvalidQuery(vec![field_error(&path, &message)]))
        })
}

/// Builds a field error from serde's path and message; an unknown or missing field is
/// named by the message rather than by its parent's path.
fn field_error(path: &str, message: &str) -> FieldError {
    let named = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .and_then(|rest| rest.split('`').next());
    let parent = if path == "." { "" } else { path };
    let field = match named {
        Some(name) if parent.is_empty() => name.to_owned(),
        Some(name) if parent == name || parent.ends_with(&format!(".{name}")) => parent.to_owned(),
        Some(name) => format!("{parent}.{name}"),
        None if parent.is_empty() => "body".to_owned(),
        None => parent.to_owned(),
    };
    let message = if message.starts_with("unknown field") {
        let expected = message
            .split_once(", expected")
            .map(|(_, e)| e.trim())
            .unwrap_or("");
        if expected.is_empty() {
            "is not a known field".to_owned()
        } else {
            format!("is not a known field; expected {expected}")
        }
    } else if message.starts_with("missing field") {
        "is required".to_owned()
    } else {
        message.to_owned()
    };
    FieldError::new(field, message)
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

pub use crate::domain::strict_json::nullable;

/// The supplier a path names in its `{id_or_slug}` segment: the id when it is one,
/// else the supplier with that slug (404 when there is none). Every supplier address
/// takes either, so a path template names one resource.
#[derive(Debug, Clone, Copy)]
pub struct SupplierKey(pub SupplierId);

impl FromRequest for SupplierKey {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = req
            .match_info()
            .get("id_or_slug")
            .unwrap_or_default()
            .to_owned();
        let database = req.app_data::<web::Data<Database>>().cloned();
        Box::pin(async move {
            if let Ok(id) = key.parse::<SupplierId>() {
                return Ok(SupplierKey(id));
            }
            let database =
                database.ok_or_else(|| Error::Internal(anyhow::anyhow!("no database")))?;
            database
                .run(move |conn| {
                    crate::usecases::lookup::find_or_404(conn, &key).map(|row| SupplierKey(row.id))
                })
                .await
                .map_err(ApiError::from)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        url: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        items: Vec<Inner>,
    }

    fn field_of(body: &str) -> (u16, String) {
        let e = parse_json::<Outer>(body.as_bytes()).unwrap_err();
        let p = e.problem();
        (
            p.status,
            p.errors
                .first()
                .map(|f| f.field.clone())
                .unwrap_or_default(),
        )
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Filters {
        #[serde(default)]
        status: AnyOf<crate::domain::Status>,
        limit: Option<i64>,
    }

    impl QueryParams for Filters {
        const REPEATABLE: &'static [&'static str] = &["status"];
    }

    fn query(q: &str) -> Result<Filters, FieldError> {
        parse_query::<Filters>(q)
            .map(|q| q.0)
            .map_err(|e| e.problem().errors[0].clone())
    }

    #[test]
    fn a_repeatable_parameter_means_any_of_and_others_are_refused_twice() {
        use crate::domain::Status::*;
        assert_eq!(query("").unwrap().status, AnyOf(vec![]));
        assert_eq!(query("status=active").unwrap().status, AnyOf(vec![Active]));
        let both = query("status=active&limit=5&status=lapsed").unwrap();
        assert_eq!(both.status, AnyOf(vec![Active, Lapsed]));
        assert_eq!(both.limit, Some(5));
        let e = query("status=active&status=nonsense").unwrap_err();
        assert_eq!(e.field, "status");
        assert!(e.message.contains("\"nonsense\""), "{}", e.message);
        let e = query("limit=5&limit=6").unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("limit", "may be given only once")
        );
        assert_eq!(query("nope=1").unwrap_err().field, "nope");
        assert_eq!(query("status=a%00b").unwrap_err().field, "status");
    }

    #[test]
    fn names_the_field_at_fault() {
        assert_eq!(
            field_of(r#"{"name": 3, "items": []}"#),
            (422, "name".into())
        );
        assert_eq!(field_of(r#"{"items": []}"#), (422, "name".into()));
        assert_eq!(
            field_of(r#"{"name": "a", "items": [], "extra": 1}"#),
            (422, "extra".into())
        );
        assert_eq!(
            field_of(r#"{"name": "a", "items": [{"url": 1}]}"#),
            (422, "items[0].url".into())
        );
        assert_eq!(
            field_of(r#"{"name": "a", "items": [{"uri": "x"}]}"#),
            (422, "items[0].uri".into())
        );
        assert_eq!(field_of(r#"{"name": "a""#).0, 400);
        assert_eq!(field_of(r#"{"name": "a", "items": []} trailing"#).0, 400);
        assert_eq!(field_of("").0, 400);
    }
}
