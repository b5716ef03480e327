use serde_json::{Value, json};

use crate::helpers::{TestApp, problem, registration};

#[tokio::test]
async fn ndjson_has_every_supplier_with_signature_statements_and_evidence() {
    let app = TestApp::spawn().await;
    let a = app.active_supplier("Export A Ltd").await;
    app.register("Export B Ltd").await;
    let body = json!({"url": "https://example.org/p", "title": "P", "kind": "policy", "commitments": ["safety"]});
    assert_eq!(
        app.post(
            &format!("/api/v1/suppliers/{}/evidence", a.id),
            Some(&a.token),
            body
        )
        .await
        .status(),
        201
    );
    let res = app.get("/api/v1/export").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    let text = res.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["slug"], "export-a-ltd");
    assert_eq!(
        lines[0]["signature"]["statements"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    assert_eq!(lines[0]["evidence"][0]["url"], "https://example.org/p");
    assert!(
        lines.iter().all(|l| l.get("contact").is_none()),
        "no private fields"
    );
    // Each line is the public supplier view, without the check history.
    let mut one = app.supplier(&a.slug).await;
    for e in one["evidence"].as_array_mut().unwrap() {
        e["health"]["recent_checks"] = json!([]);
    }
    assert_eq!(lines[0], one);
}

#[tokio::test]
async fn export_pages_through_more_than_one_page_in_order() {
    let app = TestApp::spawn().await;
    let mut conn = app.pool.get().unwrap();
    pledge_registry::cli::seed::seed_demo(&mut conn, 1200, 12).unwrap();
    drop(conn);
    let text = app.get("/api/v1/export").await.text().await.unwrap();
    let slugs: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["slug"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(slugs.len(), 1200);
    let mut sorted = slugs.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(slugs, sorted, "slug order, no duplicates across pages");
}

#[tokio::test]
async fn csv_is_one_row_per_supplier_and_safe_in_a_spreadsheet() {
    let app = TestApp::spawn().await;
    let mut evil = registration("=HYPERLINK(\"http://evil.example\",\"click\")");
    evil["company_number"] = json!("01234567");
    assert_eq!(
        app.post("/api/v1/registrations", None, evil).await.status(),
        201
    );
    let s = app.active_supplier("Plain, \"Quoted\" Ltd").await;
    let by_accept = app
        .req(reqwest::Method::GET, "/api/v1/export", None)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_accept.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let text = by_accept.text().await.unwrap();
    assert_eq!(
        text,
        app.get("/api/v1/export?format=csv")
            .await
            .text()
            .await
            .unwrap()
    );
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(&header[..3], ["id", "slug", "name"]);
    assert!(header.contains(&"statement_transparency".to_owned()));
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    let name_of = |slug: &str| rows.iter().find(|r| &r[1] == slug).unwrap()[2].to_owned();
    assert_eq!(name_of(&s.slug), "Plain, \"Quoted\" Ltd");
    let evil_name = rows.iter().find(|r| r[2].contains("HYPERLINK")).unwrap()[2].to_owned();
    assert!(evil_name.starts_with("'="), "formula defused: {evil_name}");
    let status_col = header.iter().position(|h| h == "status").unwrap();
    assert_eq!(
        &rows.iter().find(|r| &r[1] == s.slug.as_str()).unwrap()[status_col],
        "active"
    );
    problem(app.get("/api/v1/export?format=xml").await, 400).await;
}
