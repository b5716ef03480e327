//! OpenTelemetry traces over OTLP/HTTP: the running binary sends each request's span to
//! a local receiver, which decodes the protobuf with the OpenTelemetry project's own
//! message definitions (opentelemetry-proto).

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use prost::Message;

use crate::crash::ready;
use crate::helpers::{TestApp, free_port};

type Received = Arc<Mutex<Vec<ExportTraceServiceRequest>>>;

/// A collector's OTLP/HTTP endpoint on 127.0.0.1, keeping what it is sent.
fn receiver() -> (String, Received) {
    let got: Received = Arc::default();
    let data = web::Data::from(got.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        App::new().app_data(data.clone()).route(
            "/v1/traces",
            web::post().to(|body: web::Bytes, got: web::Data<Mutex<Vec<ExportTraceServiceRequest>>>| async move {
                match ExportTraceServiceRequest::decode(body) {
                    Ok(req) => {
                        got.lock().unwrap().push(req);
                        HttpResponse::Ok().content_type("application/x-protobuf").finish()
                    }
                    Err(_) => HttpResponse::BadRequest().finish(),
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (format!("http://127.0.0.1:{port}"), got)
}

fn text(v: &opentelemetry_proto::tonic::common::v1::AnyValue) -> String {
    match &v.value {
        Some(Any::StringValue(s)) => s.clone(),
        Some(Any::IntValue(i)) => i.to_string(),
        other => format!("{other:?}"),
    }
}

#[tokio::test]
async fn each_request_is_a_span_sent_over_otlp_http() {
    let app = TestApp::spawn().await;
    let (endpoint, got) = receiver();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    // Batches go out every 100 ms rather than every 5 s.
    let env = [
        ("REGISTRY_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ];
    let mut server = crate::crash::serve(&app, port, &env, Stdio::null());
    let http = reqwest::Client::new();
    ready(&http, &base).await;
    let res = http
        .get(format!("{base}/api/v1/suppliers/no-such-supplier"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();

    // Wait for the request's span (bounded), never for a fixed time.
    let mut found = None;
    for _ in 0..1200 {
        found = got.lock().unwrap().iter().find_map(|req| {
            req.resource_spans.iter().find_map(|rs| {
                rs.scope_spans
                    .iter()
                    .flat_map(|ss| &ss.spans)
                    .find_map(|span| {
                        let attrs: Vec<(String, String)> = span
                            .attributes
                            .iter()
                            .filter_map(|kv| kv.value.as_ref().map(|v| (kv.key.clone(), text(v))))
                            .collect();
                        attrs
                            .iter()
                            .any(|(k, v)| k == "request_id" && *v == id)
                            .then(|| (rs.resource.clone(), span.name.clone(), attrs))
                    })
            })
        });
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let (resource, name, attrs) = found.expect("the request's span reached the receiver");
    let service = resource
        .unwrap()
        .attributes
        .iter()
        .find(|kv| kv.key == "service.name")
        .and_then(|kv| kv.value.as_ref().map(text));
    assert_eq!(service.as_deref(), Some("pledge-registry"));
    let attr = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(
        attr("http.route").as_deref(),
        Some("/api/v1/suppliers/{id_or_slug}")
    );
    assert_eq!(attr("http.status_code").as_deref(), Some("404"));
    assert!(name.contains("/api/v1/suppliers/{id_or_slug}"), "{name}");
}

#[test]
fn an_endpoint_that_is_no_http_address_is_refused_by_name() {
    let out = Command::new(env!("CARGO_BIN_EXE_pledge-registry"))
        .arg("serve")
        .env("REGISTRY_OTLP_ENDPOINT", "collector:4318")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("REGISTRY_OTLP_ENDPOINT must be an http(s) address"),
        "{said}"
    );
}
