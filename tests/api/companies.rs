//! Companies House checks against a local stand-in that serves the public data API's
//! documented JSON: active, dissolved, renamed, in liquidation, 404, 429 with
//! Retry-After, 500 and a slow answer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use diesel::prelude::*;
use pledge_registry::companies_house::{Answer, Client};
use pledge_registry::usecases::companies;
use serde_json::{Value, json};

use crate::helpers::{Supplier, TestApp, registration};

const KEY: &str = "ch-test-key-0123456789";

/// Requests per company number, and the Authorization headers seen.
#[derive(Default)]
struct Seen(Mutex<HashMap<String, u32>>, Mutex<Vec<String>>);

async fn company(req: HttpRequest, seen: web::Data<Seen>) -> HttpResponse {
    let number = req.match_info().get("n").unwrap_or("").to_owned();
    let n = {
        let mut m = seen.0.lock().unwrap();
        let n = m.entry(number.clone()).or_default();
        *n += 1;
        *n
    };
    if let Some(auth) = req.headers().get("Authorization") {
        seen.1
            .lock()
            .unwrap()
            .push(auth.to_str().unwrap_or("").to_owned());
    }
    let profile = |name: &str, status: &str| {
        HttpResponse::Ok().json(json!({
            "company_name": name,
            "company_number": number,
            "company_status": status,
            "date_of_creation": "2011-04-12",
            "type": "ltd",
            "registered_office_address": {"postal_code": "LS1 4AP", "locality": "Leeds"},
            "has_insolvency_history": status == "liquidation",
            "jurisdiction": "england-wales",
            "can_file": true,
        }))
    };
    match number.as_str() {
        "10000001" => profile("ACTIVE CARE TECH LIMITED", "active"),
        "10000002" => profile("DISSOLVED CARE TECH LIMITED", "dissolved"),
        "10000003" => profile("A QUITE DIFFERENT NAME LIMITED", "active"),
        "10000004" => profile("INSOLVENT CARE TECH LTD", "liquidation"),
        "10000006" if n == 1 => HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", "1"))
            .finish(),
        "10000006" => profile("PATIENT CARE TECH LIMITED", "active"),
        "10000007" => HttpResponse::InternalServerError().finish(),
        "10000008" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            profile("SLOW CARE TECH LIMITED", "active")
        }
        _ => HttpResponse::NotFound().json(
            json!({"errors": [{"error": "company-profile-not-found", "type": "ch:service"}]}),
        ),
    }
}

async fn stand_in() -> (String, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let data = web::Data::from(seen.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/company/{n}", web::get().to(company))
    })
    .workers(2)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (format!("http://127.0.0.1:{port}"), seen)
}

async fn supplier(app: &TestApp, name: &str, number: &str) -> Supplier {
    let mut body = registration(name);
    body["company_number"] = json!(number);
    body["contact_email"] = json!(format!("{}@care.example", number));
    let res = app.post("/api/v1/registrations", None, body).await;
    assert_eq!(res.status(), 201, "register {name}");
    let body: Value = res.json().await.unwrap();
    Supplier {
        id: body["supplier"]["id"].as_str().unwrap().to_owned(),
        slug: body["supplier"]["slug"].as_str().unwrap().to_owned(),
        token: body["token"]["token"].as_str().unwrap().to_owned(),
    }
}

fn operator_mail(app: &TestApp) -> Vec<String> {
    use pledge_registry::db::schema::outbox;
    let mut conn = app.pool.get().unwrap();
    outbox::table
        .filter(outbox::kind.eq("company_flagged"))
        .select(outbox::recipient)
        .load(&mut *conn)
        .unwrap()
}

#[tokio::test]
async fn every_answer_is_recorded_flagged_and_told() {
    let (base, seen) = stand_in().await;
    let settings = [
        ("REGISTRY_COMPANIES_HOUSE_KEY", KEY),
        ("REGISTRY_COMPANIES_HOUSE_URL", base.as_str()),
        ("REGISTRY_COMPANIES_HOUSE_TIMEOUT", "2s"),
        ("REGISTRY_OPERATOR_EMAIL", "ops@registry.example"),
    ];
    let app = TestApp::spawn_with(&settings).await;
    let instance = app.second_instance().await;
    let client = Client::new(&app.config.companies_house)
        .unwrap()
        .expect("a key is set");
    let active = supplier(&app, "Active Care Tech Ltd", "10000001").await;
    let dissolved = supplier(&app, "Dissolved Care Tech Ltd", "10000002").await;
    let renamed = supplier(&app, "Renamed Care Tech Ltd", "10000003").await;
    let insolvent = supplier(&app, "Insolvent Care Tech Ltd", "10000004").await;
    let missing = supplier(&app, "Missing Care Tech Ltd", "10000005").await;
    let patient = supplier(&app, "Patient Care Tech Ltd", "10000006").await;
    let failing = supplier(&app, "Failing Care Tech Ltd", "10000007").await;
    let slow = supplier(&app, "Slow Care Tech Ltd", "10000008").await;
    // Before any answer: nothing to show, and the page says so.
    assert!(app.supplier(&active.id).await["company_check"].is_null());
    assert!(
        app.page(&active)
            .await
            .contains("Not checked with Companies House")
    );

    let ops = Some("ops@registry.example");
    let s = companies::round(&instance.database, &client, ops)
        .await
        .unwrap();
    assert_eq!(
        (s.asked, s.found, s.not_found, s.failed),
        (8, 5, 1, 2),
        "{s:?}"
    );
    let own = |s: &Supplier| {
        let (app, s) = (&app, s.clone());
        async move {
            app.get_json_as(&format!("/api/v1/suppliers/{}", s.id), &s.token)
                .await["company_check"]
                .clone()
        }
    };
    let a = own(&active).await;
    assert_eq!(a["registered_name"], "ACTIVE CARE TECH LIMITED", "{a}");
    assert_eq!(a["company_status"], "active");
    assert_eq!(a["incorporated_on"], "2011-04-12");
    assert_eq!(a["flags"], json!([]));
    assert_eq!(own(&dissolved).await["flags"], json!(["dissolved"]));
    assert_eq!(own(&renamed).await["flags"], json!(["name_mismatch"]));
    assert_eq!(own(&insolvent).await["flags"], json!(["insolvency"]));
    let m = own(&missing).await;
    assert_eq!(
        (m["outcome"].clone(), m["flags"].clone()),
        (json!("not_found"), json!(["not_found"]))
    );
    assert_eq!(
        own(&patient).await["flags"],
        json!([]),
        "waited out the 429 and asked again"
    );
    assert!(own(&failing).await.is_null(), "a 500 is no answer");
    assert!(own(&slow).await.is_null(), "nor is one that never comes");

    // The key went as HTTP Basic's user name, and nowhere else.
    let auth = seen.1.lock().unwrap().clone();
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{KEY}:")
        )
    );
    assert!(
        !auth.is_empty() && auth.iter().all(|a| *a == basic),
        "{auth:?}"
    );

    // Flags reach the feed (and so webhooks), and the operator's mail.
    let feed = app.get_json("/api/v1/changes?limit=200").await;
    let flagged: Vec<(String, Value)> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "supplier.company_flagged")
        .map(|c| {
            (
                c["supplier_id"].as_str().unwrap().to_owned(),
                c["supplier"]["company_flags"].clone(),
            )
        })
        .collect();
    assert_eq!(flagged.len(), 4, "{flagged:?}");
    assert!(flagged.contains(&(dissolved.id.clone(), json!(["dissolved"]))));
    assert_eq!(operator_mail(&app).len(), 4);
    assert!(
        operator_mail(&app)
            .iter()
            .all(|to| to == "ops@registry.example")
    );

    // Asked again within the day: nobody is due but those that got no answer, and
    // they wait their retry interval.
    let again = companies::round(&instance.database, &client, ops)
        .await
        .unwrap();
    assert_eq!(again.asked, 0, "{again:?}");

    // A number change is asked about at once; the flag clears and says so.
    let res = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/suppliers/{}", renamed.id),
            Some(&renamed.token),
            Some(json!({"company_number": "10000001", "name": "Active Care Tech Ltd"})),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    assert!(
        own(&renamed).await.is_null(),
        "the old number's answer is not shown"
    );
    let after = companies::round(&instance.database, &client, ops)
        .await
        .unwrap();
    assert_eq!(after.asked, 1, "{after:?}");
    assert_eq!(own(&renamed).await["flags"], json!([]));
    assert_eq!(operator_mail(&app).len(), 4, "a cleared flag needs no mail");

    // The pages say it.
    let page = app.page(&dissolved).await;
    assert!(
        page.contains("no longer live on the Companies House register"),
        "{page}"
    );
}

#[tokio::test]
async fn without_a_key_nothing_is_asked() {
    let app = TestApp::spawn().await;
    assert!(Client::new(&app.config.companies_house).unwrap().is_none());
}

#[tokio::test]
async fn answers_read_as_the_api_documents_them() {
    let (base, _) = stand_in().await;
    let config = pledge_registry::config::Config::from_lookup(|k| match k {
        "REGISTRY_COMPANIES_HOUSE_KEY" => Some(KEY.into()),
        "REGISTRY_COMPANIES_HOUSE_URL" => Some(base.clone()),
        "REGISTRY_COMPANIES_HOUSE_TIMEOUT" => Some("1s".into()),
        _ => None,
    })
    .unwrap();
    let client = Client::new(&config.companies_house).unwrap().unwrap();
    assert!(
        matches!(client.company("10000002").await, Answer::Found(p) if p.status.as_deref() == Some("dissolved"))
    );
    assert_eq!(client.company("10000009").await, Answer::NotFound);
    assert_eq!(
        client.company("10000007").await,
        Answer::Failed("Companies House answered HTTP 500".into())
    );
    assert_eq!(
        client.company("10000008").await,
        Answer::Failed("Companies House did not answer in time".into())
    );
}
