//! What the log says of each request: one span per request carrying its id (also sent
//! back as `X-Request-Id`, so a user's report can be found in the log), and one line for
//! a request that failed: INFO for the caller's mistake (a 404, a 422), ERROR for the
//! registry's own. A 4xx is not something for the on-call engineer to look at.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};

/// The header that carries a request's id.
pub const REQUEST_ID: &str = "x-request-id";

/// The request's span, and its end.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    /// The fields tracing-actix-web's `root_span!` gives, with the route pattern worked
    /// out only when the span is recorded (and then once: see [`super::route`]).
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        let span = tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = tracing::field::Empty,
            http.target = %request.uri().path_and_query().map(|p| p.as_str()).unwrap_or(""),
            http.user_agent = %request
                .headers()
                .get("User-Agent")
                .and_then(|h| h.to_str().ok())
                .unwrap_or(""),
            http.status_code = tracing::field::Empty,
            otel.name = tracing::field::Empty,
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
        );
        if !span.is_disabled() {
            let route = super::route::pattern(request.request());
            span.record("http.route", &*route);
            span.record("otel.name", format!("{} {route}", request.method()));
        }
        span
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let (status, error) = match outcome {
            Ok(response) => (response.status(), response.response().error()),
            Err(e) => (e.as_response_error().status_code(), Some(e)),
        };
        span.record("http.status_code", i64::from(status.as_u16()));
        span.record(
            "otel.status_code",
            if status.is_server_error() {
                "ERROR"
            } else {
                "OK"
            },
        );
        let Some(error) = error else {
            return;
        };
        // What the caller was told, never the request's body or its token.
        let said = error.to_string();
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), error = %said, "request failed");
        } else {
            tracing::info!(status = status.as_u16(), error = %said, "request refused");
        }
    }
}

/// Sends the request's id back in `X-Request-Id`.
pub async fn request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req.extensions().get::<RequestId>().copied();
    let mut res = next.call(req).await?;
    if let Some(id) = id
        && let Ok(value) = HeaderValue::from_str(&id.to_string())
    {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID), value);
    }
    Ok(res)
}
