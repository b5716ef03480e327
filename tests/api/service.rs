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
