use crate::helpers::{TestApp, problem};

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get_json("/healthz").await["status"], "ok");
    assert_eq!(app.get_json("/readyz").await["status"], "ok");
}

#[tokio::test]
async fn unknown_paths_are_problem_documents() {
    let app = TestApp::spawn().await;
    let body = problem(app.get("/api/v1/nope").await, 404).await;
    assert!(body["detail"].as_str().unwrap().contains("/api/v1/nope"));
}

#[tokio::test]
async fn docs_ui_is_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let res = app.get("/docs/").await;
    assert_eq!(res.status(), 308);
    assert_eq!(res.headers()["location"], "/docs");
    let res = app.get("/docs").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "Swagger UI page");
    assert!(
        html.contains(r#"<base href="/docs/">"#),
        "its scripts and styles resolve under /docs/"
    );
    let init = app.get("/docs/swagger-initializer.js").await;
    assert!(init.text().await.unwrap().contains("/openapi.json"));
    assert!(!html.contains("cdn."), "nothing loaded from a CDN");
    let js = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(js.status(), 200);
    assert!(
        js.text().await.unwrap().len() > 100_000,
        "the bundle itself is served"
    );
}

#[tokio::test]
async fn the_guides_the_document_links_to_are_served() {
    let app = TestApp::spawn().await;
    let doc = app.get_json("/openapi.json").await;
    let guide = doc["externalDocs"]["url"].as_str().unwrap();
    let path = guide.strip_prefix(&app.config.public_url).unwrap();
    let res = app.get(path).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("<h1"), "{html}");
    assert!(
        html.contains(r#"href="/guides/attestations""#),
        "links between guides lead to served guides"
    );
    let res = app.get("/guides/attestations").await;
    assert!(res.text().await.unwrap().contains("jwks.json"));
    let res = app.get("/guides/operator-secrets").await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_the_registry_by_status() {
    let app = TestApp::spawn().await;
    app.active_supplier("Counted Ltd").await;
    app.get("/api/v1/suppliers/counted-ltd").await;
    app.get("/api/v1/suppliers/nobody").await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = res.text().await.unwrap();
    assert!(
        text.contains("registry_suppliers{status=\"active\"} 1"),
        "{text}"
    );
    assert!(
        text.contains(r#"registry_http_requests_total{method="GET",route="/api/v1/suppliers/{id_or_slug}",status="404"} 1"#),
        "{text}"
    );
    assert!(
        !text.contains("counted-ltd"),
        "raw paths never become labels"
    );
    assert!(
        text.contains("# TYPE registry_http_requests counter") && text.ends_with("# EOF\n"),
        "OpenMetrics, as Prometheus scrapes it: {text}"
    );

    // Latency as a histogram per route, 1 ms to 10 s.
    let route = r#"method="GET",route="/api/v1/suppliers/{id_or_slug}""#;
    for le in ["0.001", "0.01", "0.1", "1.0", "10.0", "+Inf"] {
        let bucket =
            format!("registry_http_request_duration_seconds_bucket{{le=\"{le}\",{route}}}");
        assert!(text.contains(&bucket), "{bucket} in {text}");
    }
    assert!(text.contains(&format!(
        "registry_http_request_duration_seconds_count{{{route}}} 2"
    )));
    // The pool, the backlogs, the log, the key and the process.
    let value = |name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(' ')))
            .unwrap_or_else(|| panic!("{name} in {text}"))
            .parse()
            .unwrap()
    };
    // Read before the scrape takes its own connection: nothing else runs now.
    assert_eq!(value(r#"registry_db_connections{state="in_use"}"#), 0.0);
    assert_eq!(value(r#"registry_db_connections{state="waiting"}"#), 0.0);
    assert_eq!(value("registry_db_pool_size"), 4.0);
    assert!(
        value("registry_log_entries") >= 3.0,
        "registered, signed, verified"
    );
    assert_eq!(
        value("registry_log_entries"),
        value("registry_log_tree_size")
    );
    assert!(value("registry_log_last_entry_timestamp_seconds") > 1.7e9);
    assert_eq!(
        value(r#"registry_webhook_subscriptions{state="active"}"#),
        0.0
    );
    assert_eq!(
        value(r#"registry_webhook_lag_entries{state="disabled"}"#),
        0.0
    );
    assert_eq!(value("registry_checks_due"), 0.0, "no links yet");
    // Registering wrote mail; its age is counted from when it was written.
    let (waiting, age) = (
        value("registry_mail_waiting"),
        value("registry_mail_oldest_age_seconds"),
    );
    assert!(
        if waiting == 0.0 {
            age == 0.0
        } else {
            (0.0..600.0).contains(&age)
        },
        "{waiting} waiting, the oldest {age} s"
    );
    assert!(value("registry_signing_key_age_seconds") >= 0.0);
    assert!(value("process_resident_memory_bytes") > 1e6);
    assert!(value("process_open_fds") > 3.0);
    assert!(value("process_cpu_seconds") > 0.0);
}

#[tokio::test]
async fn a_wrong_method_on_a_known_path_is_405_with_allow() {
    let app = TestApp::spawn().await;
    let res = app
        .req(reqwest::Method::PUT, "/api/v1/pledge", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["allow"], "GET, HEAD");
    problem(res, 405).await;
    let res = app
        .req(reqwest::Method::DELETE, "/api/v1/suppliers/some-slug", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["allow"], "GET, HEAD, PATCH");
    problem(res, 405).await;
    problem(
        app.req(reqwest::Method::PUT, "/api/v1/nowhere", None)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
}

/// Every GET route answers HEAD as it answers GET, without the body: uptime monitors
/// and link checkers send HEAD first.
#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    use reqwest::Method;
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Headed Ltd").await;
    let id = s.id.clone();
    for path in [
        "/".to_owned(),
        format!("/suppliers/{}", s.slug),
        format!("/badge/{}.svg", s.slug),
        "/api/v1/pledge".to_owned(),
        "/api/v1/suppliers?status=active".to_owned(),
        format!("/api/v1/suppliers/{id}"),
        format!("/api/v1/suppliers/{id}/history"),
        format!("/api/v1/suppliers/{id}/attestation"),
        "/api/v1/export".to_owned(),
        "/api/v1/changes?since=0".to_owned(),
        "/api/v1/log/head".to_owned(),
        "/.well-known/jwks.json".to_owned(),
        "/openapi.json".to_owned(),
        "/healthz".to_owned(),
    ] {
        let get = app.get(&path).await;
        assert_eq!(get.status(), 200, "GET {path}");
        let get_type = get.headers()["content-type"].clone();
        let get_length = get.bytes().await.unwrap().len();
        let head = app.req(Method::HEAD, &path, None).send().await.unwrap();
        assert_eq!(head.status(), 200, "HEAD {path}");
        assert_eq!(head.headers()["content-type"], get_type, "HEAD {path}");
        if path == "/api/v1/pledge" {
            assert!(head.headers().contains_key("content-length"));
        }
        if let Some(length) = head.headers().get("content-length") {
            assert_eq!(
                length.to_str().unwrap().parse::<usize>().unwrap(),
                get_length,
                "HEAD {path} names the GET body's length"
            );
        }
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "HEAD {path} has no body"
        );
    }
    let head = app
        .req(Method::HEAD, "/api/v1/suppliers/no-such-supplier", None)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 404);
    // A path that has no GET still answers 405, naming what it allows.
    let head = app
        .req(Method::HEAD, "/api/v1/registrations", None)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 405);
    assert_eq!(head.headers()["allow"], "POST");
    let res = app
        .req(Method::DELETE, "/api/v1/pledge", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "GET, HEAD");
}

/// An unknown query parameter is refused, naming it, on routes that take none as on
/// routes that take some; pages ignore them (shared links carry tracking parameters).
#[tokio::test]
async fn unknown_query_parameters_are_refused_on_every_api_route() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Queried Ltd").await;
    for path in [
        "/api/v1/pledge?foo=1".to_owned(),
        "/api/v1/pledge/versions?foo=1".to_owned(),
        "/api/v1/pledge/versions/2025-09?foo=1".to_owned(),
        "/api/v1/log/head?foo=1".to_owned(),
        format!("/api/v1/suppliers/{}?foo=1", s.slug),
        format!("/api/v1/suppliers/{}/attestation?foo=1", s.slug),
        "/api/v1/suppliers?foo=1".to_owned(),
    ] {
        let p = problem(app.get(&path).await, 400).await;
        assert_eq!(crate::helpers::fields(&p), ["foo"], "{path}: {p}");
    }
    let page = app
        .get(&format!("/suppliers/{}?utm_source=newsletter", s.slug))
        .await;
    assert_eq!(page.status(), 200);
}

/// Browser-based tools on other sites may read, without credentials, and see the
/// revalidation and rate limit fields; they may not write.
#[tokio::test]
async fn browsers_on_other_sites_may_read_but_not_write() {
    let app = TestApp::spawn().await;
    app.active_supplier("Cross Origin Ltd").await;
    let origin = "https://procurement.example";
    let res = app
        .req(reqwest::Method::GET, "/api/v1/suppliers", None)
        .header("Origin", origin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert!(
        res.headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    let exposed = res.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    for name in ["etag", "last-modified", "ratelimit", "retry-after"] {
        assert!(exposed.contains(name), "{name} not exposed: {exposed}");
    }
    let preflight = |method: &'static str, headers: &'static str| {
        app.req(
            reqwest::Method::OPTIONS,
            "/api/v1/suppliers/cross-origin-ltd",
            None,
        )
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", headers)
        .send()
    };
    let res = preflight("GET", "if-none-match").await.unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    // A write needs a preflight (it sends a token and JSON), which is refused, so a
    // browser never sends it.
    let res = preflight("PATCH", "authorization,content-type")
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let res = preflight("GET", "authorization").await.unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
}
