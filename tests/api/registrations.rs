use serde_json::{Value, json};

use crate::helpers::{TestApp, fields, problem, registration};

#[tokio::test]
async fn a_supplier_registers_and_gets_its_token_once() {
    let app = TestApp::spawn().await;
    let mut body = registration("Care & Data Ltd");
    body["company_number"] = json!(" sc012345 ");
    let res = app.post("/api/v1/registrations", None, body).await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = res.json().await.unwrap();
    let s = &body["supplier"];
    assert_eq!(
        location,
        format!("/api/v1/suppliers/{}", s["id"].as_str().unwrap())
    );
    assert_eq!(s["slug"], "care-and-data-ltd");
    assert_eq!(
        s["company_number"], "SC012345",
        "upper-case, leading zeros kept"
    );
    assert_eq!(s["status"], "unsigned");
    assert_eq!(s["identity_verified"], false);
    assert_eq!(s["contact"]["email"], "jo@example.org");
    assert_eq!(body["token"]["role"], "supplier");
    assert!(body["token"]["token"].as_str().unwrap().split('.').count() == 3);
    // The public view has no contact details; the supplier's own view has them.
    let public = app.supplier("care-and-data-ltd").await;
    assert!(public.get("contact").is_none());
    let own: Value = app
        .req(
            reqwest::Method::GET,
            "/api/v1/suppliers/care-and-data-ltd",
            body["token"]["token"].as_str(),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(own["contact"]["name"], "Jo Bloggs");
}

#[tokio::test]
async fn slugs_stay_unique_and_only_verification_settles_a_company_number() {
    let app = TestApp::spawn().await;
    let a = app.register("Same Name Ltd").await;
    let b = app.register("Same Name Ltd").await;
    assert_eq!(a.slug, "same-name-ltd");
    assert_eq!(b.slug, "same-name-ltd-2");
    // Someone registers first with another company's number: the real company is not
    // locked out, and neither claim is verified.
    let register = |name: &str| {
        let mut body = registration(name);
        body["company_number"] = json!("01234567");
        body
    };
    let squatter = app
        .post("/api/v1/registrations", None, register("Squatter Co"))
        .await;
    assert_eq!(squatter.status(), 201);
    let squatter: Value = squatter.json().await.unwrap();
    let real = app
        .post("/api/v1/registrations", None, register("Real Co"))
        .await;
    assert_eq!(real.status(), 201);
    let real: Value = real.json().await.unwrap();
    let real_id = real["supplier"]["id"].as_str().unwrap();
    let squatter_slug = squatter["supplier"]["slug"].as_str().unwrap();
    for s in [&squatter, &real] {
        assert_eq!(s["supplier"]["identity_verified"], false);
    }
    // The operator verifies the real one: the number is now its own.
    let res = app
        .admin_post(&format!("/api/v1/admin/suppliers/{real_id}/verify"), None)
        .await;
    assert_eq!(res.status(), 200);
    let other = app.supplier(squatter_slug).await;
    assert_eq!(other["company_number"], Value::Null);
    let history = app
        .get_json(&format!("/api/v1/suppliers/{squatter_slug}/history"))
        .await;
    let told = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "company_number_refused")
        .expect("the other claimant is told why");
    assert!(told["reason"].as_str().unwrap().contains("Real Co"));
    // From now on the number is refused to anyone else, naming its holder.
    let body = problem(
        app.post("/api/v1/registrations", None, register("Third Co"))
            .await,
        409,
    )
    .await;
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("01234567") && detail.contains("Real Co"),
        "{detail}"
    );
    let list = app.get_json("/api/v1/suppliers?q=third").await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "nothing half-stored"
    );
}

#[tokio::test]
async fn every_invalid_field_is_named() {
    let app = TestApp::spawn().await;
    let cases: Vec<(&str, Value)> = vec![
        ("name", json!("")),
        ("name", json!("x".repeat(201))),
        ("website", json!("ftp://example.org")),
        ("website", json!("not a url")),
        ("company_number", json!("1234")),
        ("company_number", json!("XX123456")),
        ("contact_email", json!("not-an-email")),
        ("contact_name", json!("   ")),
        ("description", json!("d".repeat(4001))),
        ("products", json!(["ok", ""])),
    ];
    for (field, value) in cases {
        let mut body = registration("Valid Name Ltd");
        body[field] = value.clone();
        let p = problem(app.post("/api/v1/registrations", None, body).await, 422).await;
        assert_eq!(fields(&p), [field], "{field} = {value}");
        assert_eq!(p["type"], "urn:pledge-registry:problem:validation");
    }
    // Several at once are all reported.
    let mut body = registration("");
    body["website"] = json!("javascript:alert(1)");
    let p = problem(app.post("/api/v1/registrations", None, body).await, 422).await;
    assert_eq!(fields(&p), ["name", "website"]);
    assert_eq!(
        app.get_json("/api/v1/suppliers").await["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn malformed_bodies_get_precise_problems() {
    let app = TestApp::spawn().await;
    let raw = |body: &'static str, ct: &'static str| {
        app.http
            .post(app.url("/api/v1/registrations"))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    problem(raw("{\"name\": ", "application/json").await.unwrap(), 400).await;
    problem(raw("", "application/json").await.unwrap(), 400).await;
    problem(
        raw("name=x", "application/x-www-form-urlencoded")
            .await
            .unwrap(),
        415,
    )
    .await;
    let mut unknown = registration("A Ltd");
    unknown["admin"] = json!(true);
    let p = problem(app.post("/api/v1/registrations", None, unknown).await, 422).await;
    assert_eq!(fields(&p), ["admin"]);
    let mut wrong_type = registration("A Ltd");
    wrong_type["products"] = json!("not a list");
    let p = problem(
        app.post("/api/v1/registrations", None, wrong_type).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["products"]);
    let mut missing = registration("A Ltd");
    missing.as_object_mut().unwrap().remove("contact_email");
    let p = problem(app.post("/api/v1/registrations", None, missing).await, 422).await;
    assert_eq!(fields(&p), ["contact_email"]);
    let mut huge = registration("A Ltd");
    huge["description"] = json!("x".repeat(200_000));
    problem(app.post("/api/v1/registrations", None, huge).await, 413).await;
}

#[tokio::test]
async fn concurrent_registrations_all_succeed() {
    let app = TestApp::spawn().await;
    let mut handles = Vec::new();
    for i in 0..32 {
        let http = app.http.clone();
        let url = app.url("/api/v1/registrations");
        handles.push(tokio::spawn(async move {
            let res = http
                .post(url)
                .json(&registration(&format!("Concurrent {i}")))
                .send()
                .await
                .unwrap();
            res.status().as_u16()
        }));
    }
    for h in handles {
        assert_eq!(h.await.unwrap(), 201);
    }
    let page = app.get_json("/api/v1/suppliers?limit=200").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 32);
}

#[tokio::test]
async fn concurrent_registrations_of_one_name_get_distinct_slugs() {
    let app = TestApp::spawn().await;
    let mut handles = Vec::new();
    for _ in 0..12 {
        let req = app
            .http
            .post(app.url("/api/v1/registrations"))
            .json(&registration("Twin Care Ltd"));
        handles.push(tokio::spawn(async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.unwrap()["supplier"]["slug"]
                .as_str()
                .unwrap()
                .to_owned()
        }));
    }
    let mut slugs = Vec::new();
    for h in handles {
        slugs.push(h.await.unwrap());
    }
    slugs.sort();
    slugs.dedup();
    assert_eq!(slugs.len(), 12);
    assert!(slugs.contains(&"twin-care-ltd".to_owned()));
}

/// The ETag a registration answers is the one the supplier's own read gives, so the
/// first profile update can send it as `If-Match` straight away.
#[tokio::test]
async fn the_registrations_etag_is_the_records() {
    let app = TestApp::spawn().await;
    let res = app
        .post("/api/v1/registrations", None, registration("Tagged Ltd"))
        .await;
    assert_eq!(res.status(), 201);
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let body: serde_json::Value = res.json().await.unwrap();
    let token = body["token"]["token"].as_str().unwrap();
    let id = body["supplier"]["id"].as_str().unwrap();
    let own = app
        .req(
            reqwest::Method::GET,
            &format!("/api/v1/suppliers/{id}"),
            Some(token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(own.headers()["etag"].to_str().unwrap(), etag);
    let res = app
        .req(
            reqwest::Method::PATCH,
            &format!("/api/v1/suppliers/{id}"),
            Some(token),
        )
        .header("If-Match", &etag)
        .json(&serde_json::json!({ "description": "First edit" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
