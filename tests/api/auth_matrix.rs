//! Every write route against every kind of caller (SPEC §7).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use pledge_registry::auth::{Keys, Role};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Supplier, TestApp, problem};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stage {
    Registered,
    Signed,
    Active,
    Suspended,
    WithEvidence,
}

struct Fixture {
    victim: Supplier,
    evidence_id: String,
    jti: String,
}

async fn prepare(app: &TestApp, stage: Stage, n: &mut u32) -> Fixture {
    *n += 1;
    let victim = app.register(&format!("Victim {n}")).await;
    if stage != Stage::Registered {
        assert_eq!(app.sign(&victim).await.status(), 201);
    }
    if matches!(stage, Stage::Active | Stage::Suspended) {
        assert_eq!(
            app.admin_post(
                &format!("/api/v1/admin/suppliers/{}/verify", victim.id),
                None
            )
            .await
            .status(),
            200
        );
    }
    if stage == Stage::Suspended {
        let res = app
            .admin_post(
                &format!("/api/v1/admin/suppliers/{}/suspend", victim.id),
                Some(json!({"reason": "x"})),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    let mut evidence_id = String::new();
    if stage == Stage::WithEvidence {
        let body = json!({"url": "https://example.org/p", "title": "Policy", "kind": "policy", "commitments": ["safety"]});
        let res = app
            .post(
                &format!("/api/v1/suppliers/{}/evidence", victim.id),
                Some(&victim.token),
                body,
            )
            .await;
        evidence_id = res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    let issued = app
        .post(
            "/api/v1/admin/tokens",
            Some(&app.admin_token),
            json!({"role": "supplier", "supplier_id": victim.id}),
        )
        .await;
    let jti = issued.json::<Value>().await.unwrap()["jti"]
        .as_str()
        .unwrap()
        .to_owned();
    Fixture {
        victim,
        evidence_id,
        jti,
    }
}

struct Route {
    method: Method,
    path: &'static str,
    body: Option<Value>,
    stage: Stage,
    /// Status for the right supplier; None when suppliers may not call it.
    supplier: Option<u16>,
    /// Status for an admin; None when admins may not call it.
    admin: Option<u16>,
}

fn routes() -> Vec<Route> {
    let reason = || Some(json!({"reason": "Because"}));
    let r =
        |method: Method, path: &'static str, body: Option<Value>, stage, supplier, admin| Route {
            method,
            path,
            body,
            stage,
            supplier,
            admin,
        };
    vec![
        r(
            Method::PATCH,
            "/api/v1/suppliers/{id}",
            Some(json!({"description": "changed"})),
            Stage::Registered,
            Some(200),
            Some(200),
        ),
        r(
            Method::POST,
            "/api/v1/suppliers/{id}/signature",
            None,
            Stage::Registered,
            Some(201),
            None,
        ),
        r(
            Method::POST,
            "/api/v1/suppliers/{id}/signature/reaffirm",
            Some(json!({})),
            Stage::Active,
            Some(200),
            None,
        ),
        r(
            Method::POST,
            "/api/v1/suppliers/{id}/signature/withdraw",
            reason(),
            Stage::Signed,
            Some(200),
            Some(200),
        ),
        r(
            Method::POST,
            "/api/v1/suppliers/{id}/evidence",
            Some(
                json!({"url": "https://example.org/x", "title": "X", "kind": "report", "commitments": ["fairness"]}),
            ),
            Stage::Registered,
            Some(201),
            None,
        ),
        r(
            Method::PATCH,
            "/api/v1/suppliers/{id}/evidence/{evidence}",
            Some(json!({"title": "New"})),
            Stage::WithEvidence,
            Some(200),
            None,
        ),
        r(
            Method::DELETE,
            "/api/v1/suppliers/{id}/evidence/{evidence}",
            None,
            Stage::WithEvidence,
            Some(204),
            None,
        ),
        r(
            Method::POST,
            "/api/v1/admin/pledge/versions",
            Some(
                json!({"version": "v-{n}", "title": "T", "summary": "S", "source_url": "https://example.org", "published_on": "2026-01-01",
                "commitments": [{"code": "safety", "title": "Safety", "description": "Safe."}]}),
            ),
            Stage::Registered,
            None,
            Some(201),
        ),
        r(
            Method::POST,
            "/api/v1/admin/suppliers/{id}/verify",
            None,
            Stage::Signed,
            None,
            Some(200),
        ),
        r(
            Method::POST,
            "/api/v1/admin/suppliers/{id}/suspend",
            reason(),
            Stage::Active,
            None,
            Some(200),
        ),
        r(
            Method::POST,
            "/api/v1/admin/suppliers/{id}/reinstate",
            reason(),
            Stage::Suspended,
            None,
            Some(200),
        ),
        r(
            Method::POST,
            "/api/v1/admin/tokens",
            Some(json!({"role": "admin"})),
            Stage::Registered,
            None,
            Some(201),
        ),
        r(
            Method::DELETE,
            "/api/v1/admin/tokens/{jti}",
            None,
            Stage::Registered,
            None,
            Some(204),
        ),
        r(
            Method::GET,
            "/api/v1/admin/audit",
            None,
            Stage::Registered,
            None,
            Some(200),
        ),
    ]
}

fn alg_none_token() -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let exp = chrono::Utc::now().timestamp() + 3600;
    let claims = json!({"iss": "x", "aud": "pledge-registry:api", "sub": "admin", "role": "admin", "jti": "forged", "iat": 0, "exp": exp});
    format!("{header}.{}.", URL_SAFE_NO_PAD.encode(claims.to_string()))
}

#[tokio::test]
async fn every_write_route_checks_the_caller() {
    let app = TestApp::spawn().await;
    let other = app.register("Bystander Ltd").await;
    let expired = app.token(Role::Admin, None, Duration::seconds(-3600));
    let foreign_dir = tempfile::tempdir().unwrap();
    let (foreign, _) = Keys::load_or_generate(&foreign_dir.path().join("k.pem")).unwrap();
    let wrong_key = {
        let mut conn = app.pool.get().unwrap();
        pledge_registry::auth::tokens::issue(
            &mut conn,
            &foreign,
            &app.config.public_url,
            pledge_registry::auth::tokens::Grant::operator(Duration::days(1)),
        )
        .unwrap()
        .token
    };
    let revoked = app
        .post(
            "/api/v1/admin/tokens",
            Some(&app.admin_token),
            json!({"role": "admin"}),
        )
        .await;
    let revoked: Value = revoked.json().await.unwrap();
    let res = app
        .send(
            Method::DELETE,
            &format!("/api/v1/admin/tokens/{}", revoked["jti"].as_str().unwrap()),
            Some(&app.admin_token),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let revoked = revoked["token"].as_str().unwrap().to_owned();
    let denied: Vec<(&str, Option<String>, u16)> = vec![
        ("no token", None, 401),
        ("malformed", Some("not.a.jwt".into()), 401),
        ("expired", Some(expired), 401),
        ("wrongly signed", Some(wrong_key), 401),
        ("alg none", Some(alg_none_token()), 401),
        ("revoked", Some(revoked), 401),
        ("another supplier", Some(other.token.clone()), 403),
    ];
    let sign_body = app.signature_body().await;
    let mut n = 0;
    for route in routes() {
        let fx = prepare(&app, route.stage, &mut n).await;
        let path_for = |fx: &Fixture| {
            route
                .path
                .replace("{id}", &fx.victim.id)
                .replace("{evidence}", &fx.evidence_id)
                .replace("{jti}", &fx.jti)
        };
        let body_for = |n: u32| {
            let b = if route.path.ends_with("/signature") {
                Some(sign_body.clone())
            } else {
                route.body.clone()
            };
            b.map(|b| {
                serde_json::from_str::<Value>(&b.to_string().replace("{n}", &n.to_string()))
                    .unwrap()
            })
        };
        let path = path_for(&fx);
        let before = app.supplier(&fx.victim.id).await;
        for (who, token, status) in &denied {
            let res = app
                .send(route.method.clone(), &path, token.as_deref(), body_for(n))
                .await;
            let p = problem(res, *status).await;
            assert!(
                !p["detail"].as_str().unwrap().is_empty(),
                "{} {} as {who}",
                route.method,
                route.path
            );
        }
        assert_eq!(
            app.supplier(&fx.victim.id).await,
            before,
            "{} {}: refused calls changed nothing",
            route.method,
            route.path
        );
        let res = app
            .send(
                route.method.clone(),
                &path,
                Some(&fx.victim.token),
                body_for(n),
            )
            .await;
        match route.supplier {
            Some(ok) => assert_eq!(
                res.status().as_u16(),
                ok,
                "{} {} as the supplier",
                route.method,
                route.path
            ),
            None => {
                problem(res, 403).await;
            }
        }
        let fx = prepare(&app, route.stage, &mut n).await;
        let res = app
            .send(
                route.method.clone(),
                &path_for(&fx),
                Some(&app.admin_token),
                body_for(n),
            )
            .await;
        match route.admin {
            Some(ok) => assert_eq!(
                res.status().as_u16(),
                ok,
                "{} {} as admin",
                route.method,
                route.path
            ),
            None => {
                problem(res, 403).await;
            }
        }
    }
}

#[tokio::test]
async fn a_supplier_token_is_refused_once_its_supplier_token_is_revoked() {
    let app = TestApp::spawn().await;
    let s = app.register("Revokable Ltd").await;
    let path = format!("/api/v1/suppliers/{}", s.id);
    let ok = app
        .send(
            Method::PATCH,
            &path,
            Some(&s.token),
            Some(json!({"description": "a"})),
        )
        .await;
    assert_eq!(ok.status(), 200);
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(s.token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let jti = claims["jti"].as_str().unwrap();
    assert_eq!(
        app.send(
            Method::DELETE,
            &format!("/api/v1/admin/tokens/{jti}"),
            Some(&app.admin_token),
            None
        )
        .await
        .status(),
        204
    );
    let p = problem(
        app.send(
            Method::PATCH,
            &path,
            Some(&s.token),
            Some(json!({"description": "b"})),
        )
        .await,
        401,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("revoked"));
    problem(
        app.send(
            Method::DELETE,
            "/api/v1/admin/tokens/unknown",
            Some(&app.admin_token),
            None,
        )
        .await,
        404,
    )
    .await;
}

/// Writes anyone may make: registering (on the API or the pages), asking for and
/// using a link, raising a concern, and the pages' forms (which carry their session in a cookie and a form
/// token, proven in `page_guards`). Every other operation that is not a read must
/// say in the OpenAPI document that it needs a token, or this test fails.
const PUBLIC_WRITES: &[&str] = &[
    "POST /account/{form}",
    "POST /account/{list}/{item}/{action}",
    "POST /api/v1/registrations",
    "POST /api/v1/sign-in",
    "POST /api/v1/sign-in/confirm",
    "POST /api/v1/webhooks/subscribers",
    "POST /api/v1/webhooks/subscribers/confirm",
    "POST /concerns",
    "POST /operator/concerns/{id}/{action}",
    "POST /operator/keys/rotate",
    "POST /operator/sign-in",
    "POST /operator/sign-in/confirm",
    "POST /operator/sign-out",
    "POST /operator/subscribers",
    "POST /operator/subscribers/{id}/disable",
    "POST /operator/suppliers/{id}/{action}",
    "POST /register",
    "POST /register/change",
    "POST /register/details",
    "POST /sign-in",
    "POST /sign-in/confirm",
    "POST /sign-in/decline",
    "POST /sign-out",
    "POST /unsubscribe/{member_id}",
    "POST /webhooks/confirm",
];

/// Every operation the OpenAPI document says needs a token, generated from the
/// document the service serves: (method, path template).
fn secured_operations(doc: &Value) -> (Vec<(Method, String)>, Vec<String>) {
    let mut secured = Vec::new();
    let mut public_writes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let needs_token = op["security"].as_array().is_some_and(|s| {
                !s.is_empty()
                    && s.iter()
                        .all(|r| r.as_object().is_some_and(|o| !o.is_empty()))
            });
            let method: Method = method.to_uppercase().parse().unwrap();
            if needs_token {
                secured.push((method, path.clone()));
            } else if method != Method::GET && method != Method::HEAD {
                public_writes.push(format!("{method} {path}"));
            }
        }
    }
    (secured, public_writes)
}

/// Built from the OpenAPI document, so a route added tomorrow is covered the day it is
/// added: every operation that needs a token refuses each kind of bad token with 401
/// and another supplier's token with 403, and changes nothing; no write goes without
/// a token unless it is one of the few that are public by design.
#[tokio::test]
async fn every_operation_that_needs_a_token_refuses_every_bad_caller() {
    let app = TestApp::spawn().await;
    let doc = app.get_json("/openapi.json").await;
    let (secured, mut public_writes) = secured_operations(&doc);
    public_writes.sort();
    assert_eq!(public_writes, PUBLIC_WRITES, "writes that take no token");
    let writes = secured.iter().filter(|(m, _)| *m != Method::GET).count();
    assert!(
        writes >= routes().len(),
        "{writes} write operations need a token"
    );
    for r in routes() {
        assert!(
            secured.iter().any(|(m, p)| *m == r.method
                && p.replace("{id_or_slug}", "{id}")
                    .replace("{evidence_id}", "{evidence}")
                    == r.path),
            "{} {} is not in the document as needing a token",
            r.method,
            r.path
        );
    }
    let other = app.register("Bystander Two Ltd").await;
    let expired = app.token(Role::Admin, None, Duration::seconds(-3600));
    let denied: Vec<(&str, Option<String>, u16)> = vec![
        ("no token", None, 401),
        ("malformed", Some("not.a.jwt".into()), 401),
        ("expired", Some(expired), 401),
        ("alg none", Some(alg_none_token()), 401),
        ("another supplier", Some(other.token.clone()), 403),
    ];
    let mut n = 100;
    let fx = prepare(&app, Stage::WithEvidence, &mut n).await;
    let before = app.supplier(&fx.victim.id).await;
    for (method, template) in &secured {
        let path = template
            .replace("{id_or_slug}", &fx.victim.id)
            .replace("{id}", &uuid::Uuid::new_v4().to_string())
            .replace("{evidence_id}", &fx.evidence_id)
            .replace("{jti}", &fx.jti)
            .replace("{member_id}", &uuid::Uuid::new_v4().to_string())
            .replace("{subscription_id}", &uuid::Uuid::new_v4().to_string())
            .replace("{seq}", "1");
        assert!(
            !path.contains('{'),
            "a parameter of {template} is not filled"
        );
        let body = (*method != Method::GET && *method != Method::DELETE).then(|| json!({}));
        for (who, token, status) in &denied {
            let res = app
                .send(method.clone(), &path, token.as_deref(), body.clone())
                .await;
            let got = res.status().as_u16();
            assert_eq!(got, *status, "{method} {template} as {who}");
            let p = problem(res, *status).await;
            assert!(!p["detail"].as_str().unwrap().is_empty());
        }
    }
    assert_eq!(
        app.supplier(&fx.victim.id).await,
        before,
        "refused calls changed nothing"
    );
}
