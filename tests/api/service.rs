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
    let res = app.get("/docs").await;
    assert_eq!(res.status(), 308);
    assert_eq!(res.headers()["location"], "/docs/");
    let res = app.get("/docs/").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "Swagger UI page");
    assert!(!html.contains("cdn."), "nothing loaded from a CDN");
    let js = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(js.status(), 200);
    assert!(
        js.text().await.unwrap().len() > 100_000,
        "the bundle itself is served"
    );
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
            .starts_with("text/plain")
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
}

#[tokio::test]
async fn a_wrong_method_on_a_known_path_is_405_with_allow() {
    let app = TestApp::spawn().await;
    let res = app
        .req(reqwest::Method::PUT, "/api/v1/pledge", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["allow"], "GET");
    problem(res, 405).await;
    let res = app
        .req(reqwest::Method::DELETE, "/api/v1/suppliers/some-slug", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["allow"], "GET, PATCH");
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
