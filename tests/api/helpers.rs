//! `TestApp`: the real service on a random port against a fresh database.
//!
//! SQLite by default (a temp file per test); with `TEST_DATABASE_URL=postgres://...`
//! each test gets a fresh PostgreSQL database, dropped afterwards.

use std::collections::HashMap;

use chrono::Duration;
use diesel::{Connection, PgConnection, RunQueryDsl};
use pledge_registry::app::{self, bootstrap};
use pledge_registry::auth::{Keys, Role, tokens};
use pledge_registry::config::Config;
use pledge_registry::db::DbPool;
use pledge_registry::domain::SupplierId;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub pool: DbPool,
    pub keys: Keys,
    pub admin_token: String,
    pub config: Config,
    _dir: tempfile::TempDir,
    pg_drop: Option<(String, String)>,
}

/// A registered supplier, as a test holds it.
#[derive(Debug, Clone)]
pub struct Supplier {
    pub id: String,
    pub slug: String,
    pub token: String,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[]).await
    }

    /// Starts the service with extra settings.
    pub async fn spawn_with(settings: &[(&str, &str)]) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut env: HashMap<String, String> = HashMap::new();
        env.insert(
            "REGISTRY_DATA_DIR".into(),
            dir.path().to_string_lossy().into(),
        );
        env.insert("REGISTRY_BIND".into(), "127.0.0.1:0".into());
        env.insert("REGISTRY_DB_POOL_SIZE".into(), "4".into());
        env.insert("REGISTRY_CHECK_INTERVAL".into(), "off".into());
        env.insert("REGISTRY_LAPSE_INTERVAL".into(), "off".into());
        env.insert("REGISTRY_RATE_LIMIT_READS".into(), "off".into());
        env.insert("REGISTRY_RATE_LIMIT_REGISTRATIONS".into(), "off".into());
        let mut pg_drop = None;
        if let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") {
            let name = format!("registry_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn =
                PgConnection::establish(&admin_url).expect("TEST_DATABASE_URL reachable");
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .expect("create test database");
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b.to_owned())
                .unwrap_or(admin_url.clone());
            // Loopback needs no TLS; without it no connection thread is inside OpenSSL
            // when the test process exits (libpq's OpenSSL teardown at exit can crash a
            // thread still using it, such as a pool re-opening a connection).
            env.insert(
                "DATABASE_URL".into(),
                format!("{base}/{name}?sslmode=disable"),
            );
            pg_drop = Some((admin_url, name));
        }
        for (k, v) in settings {
            env.insert((*k).into(), (*v).into());
        }
        let config = Config::from_lookup(|k| env.get(k).cloned()).expect("config");
        let state = prepare(config.clone()).await;
        let pool = state.database.pool().clone();
        let (keys, _) = Keys::load_or_generate(&config.signing_key_file).expect("keys");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = app::serve(state, listener).expect("serve");
        tokio::spawn(server);
        let mut app = TestApp {
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            pool,
            keys,
            admin_token: String::new(),
            config,
            _dir: dir,
            pg_drop,
        };
        app.admin_token = app.token(Role::Admin, None, Duration::days(1));
        app
    }

    /// Issues a token straight through the registry's own code, as the CLI does.
    pub fn token(&self, role: Role, supplier: Option<SupplierId>, ttl: Duration) -> String {
        let mut conn = self.pool.get().expect("conn");
        tokens::issue(
            &mut conn,
            &self.keys,
            &self.config.public_url,
            tokens::Grant {
                role,
                supplier_id: supplier,
                label: Some("test"),
                ..tokens::Grant::operator(ttl)
            },
        )
        .expect("issue")
        .token
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn req(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let r = self.http.request(method, self.url(path));
        match token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.req(Method::GET, path, None)
            .send()
            .await
            .expect("request")
    }

    /// A read with `token`, as JSON; asserts a 200.
    pub async fn get_json_as(&self, path: &str, token: &str) -> Value {
        let res = self
            .req(Method::GET, path, Some(token))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.expect("json")
    }

    /// The body of a GET that must succeed, as bytes.
    pub async fn get_bytes(&self, path: &str) -> Vec<u8> {
        let res = self.get(path).await;
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.bytes().await.unwrap().to_vec()
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let res = self.get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.expect("json")
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut r = self.req(method, path, token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send().await.expect("request")
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.send(Method::POST, path, token, Some(body)).await
    }

    pub async fn admin_post(&self, path: &str, body: Option<Value>) -> Response {
        self.send(Method::POST, path, Some(&self.admin_token.clone()), body)
            .await
    }

    /// Another instance of the service's state on the same database and key, as a second
    /// server behind a load balancer would have.
    pub async fn second_instance(&self) -> pledge_registry::state::AppState {
        prepare(self.config.clone()).await
    }

    /// Another instance serving HTTP on the same database and key, as a second server
    /// behind a load balancer: its own memory, its own change-signal watcher.
    pub async fn second_server(&self) -> Instance {
        self.serve_another(self.config.clone()).await
    }

    /// Another instance that keeps nothing in memory (`REGISTRY_READ_CACHE=0`): every
    /// read is built from the stored records.
    pub async fn uncached_server(&self) -> Instance {
        let config = Config {
            read_cache_bytes: 0,
            ..self.config.clone()
        };
        self.serve_another(config).await
    }

    async fn serve_another(&self, config: Config) -> Instance {
        let state = prepare(config).await;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(app::serve(state, listener).expect("serve"));
        Instance {
            base: format!("http://127.0.0.1:{port}"),
            http: self.http.clone(),
        }
    }

    /// Adds a policy link for the safety commitment; returns the evidence id.
    pub async fn add_evidence(&self, s: &Supplier, url: &str) -> String {
        let body =
            json!({"url": url, "title": "Policy", "kind": "policy", "commitments": ["safety"]});
        let res = self
            .post(
                &format!("/api/v1/suppliers/{}/evidence", s.id),
                Some(&s.token),
                body,
            )
            .await;
        assert_eq!(res.status(), 201, "add evidence {url}");
        res.json::<Value>().await.expect("json")["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }

    /// The supplier edits its profile (a PATCH without `If-Match`).
    pub async fn patch_profile(&self, s: &Supplier, body: Value) -> Response {
        let path = format!("/api/v1/suppliers/{}", s.id);
        self.send(Method::PATCH, &path, Some(&s.token), Some(body))
            .await
    }

    /// The supplier withdraws its signature, with a reason.
    pub async fn withdraw(&self, s: &Supplier, reason: &str) -> Response {
        let path = format!("/api/v1/suppliers/{}/signature/withdraw", s.id);
        self.post(&path, Some(&s.token), json!({ "reason": reason }))
            .await
    }

    /// The supplier's public page, as HTML.
    pub async fn page(&self, s: &Supplier) -> String {
        let res = self.get(&format!("/suppliers/{}", s.slug)).await;
        assert_eq!(res.status(), 200);
        res.text().await.expect("text")
    }

    /// The supplier reaffirms its signature.
    pub async fn reaffirm(&self, s: &Supplier) -> Response {
        self.post(
            &format!("/api/v1/suppliers/{}/signature/reaffirm", s.id),
            Some(&s.token),
            json!({}),
        )
        .await
    }

    /// Moves the supplier's reaffirm-by date into the past, as time passing would.
    pub fn backdate_reaffirm_by(&self, s: &Supplier) {
        use diesel::{ExpressionMethods, QueryDsl};
        use pledge_registry::db::schema::signatures;
        let now = chrono::Utc::now().naive_utc();
        let past = now - chrono::Duration::hours(1);
        let mut conn = self.pool.get().expect("conn");
        // Only a date still to come moves: one that passed already stays as it was.
        diesel::update(
            signatures::table
                .filter(signatures::supplier_id.eq(&s.id))
                .filter(signatures::reaffirm_by.gt(now)),
        )
        .set(signatures::reaffirm_by.eq(past))
        .execute(&mut *conn)
        .expect("backdate");
    }

    /// `s`'s record as the supplier itself reads it (with its token: contact details,
    /// check details).
    pub async fn own_record(&self, s: &Supplier) -> Value {
        self.req(
            Method::GET,
            &format!("/api/v1/suppliers/{}", s.id),
            Some(&s.token),
        )
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
    }

    /// Rewrites `supplier_id`'s stored record from the tables, as every write does: for
    /// a test that changed the tables underneath the service. Written outside the
    /// service, it is served within the bound, which this waits out.
    pub async fn project(&self, supplier_id: &str) {
        {
            let mut conn = self.pool.get().expect("conn");
            pledge_registry::usecases::projection::project(
                &mut conn,
                supplier_id.parse().expect("a supplier id"),
                pledge_registry::db::models::now(),
            )
            .expect("project");
        }
        tokio::time::sleep(pledge_registry::views::cache::BOUND).await;
    }

    /// Time passes until `s`'s certifications expired yesterday: their date, and the
    /// date its stored record awaits, move to yesterday, as if both had been written
    /// when that day was still to come.
    pub fn expire_certifications(&self, s: &Supplier) {
        use diesel::{ExpressionMethods, QueryDsl};
        use pledge_registry::db::schema::{evidence, supplier_records};
        let yesterday = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
        let mut conn = self.pool.get().expect("conn");
        diesel::update(evidence::table.filter(evidence::supplier_id.eq(&s.id)))
            .filter(evidence::expires_on.is_not_null())
            .set(evidence::expires_on.eq(Some(yesterday)))
            .execute(&mut *conn)
            .expect("expire");
        diesel::update(supplier_records::table.find(&s.id))
            .set(supplier_records::expires_next.eq(Some(yesterday)))
            .execute(&mut *conn)
            .expect("await");
    }

    /// Publishes a new pledge version with the current one's commitments; its status.
    pub async fn publish_version(&self, version: &str) -> reqwest::StatusCode {
        let pledge = self.get_json("/api/v1/pledge").await;
        let mut commitments = pledge["commitments"].clone();
        for c in commitments.as_array_mut().expect("commitments") {
            c.as_object_mut()
                .expect("a commitment")
                .retain(|k, _| ["code", "title", "description"].contains(&k.as_str()));
        }
        let body = json!({"version": version, "title": "Tech Pledge", "summary": "Next.",
                          "source_url": "https://example.org/pledge", "published_on": "2027-01-01",
                          "commitments": commitments});
        self.admin_post("/api/v1/admin/pledge/versions", Some(body))
            .await
            .status()
    }

    /// An operator lifecycle action (`verify`, `suspend`, `reinstate`) on `s`.
    pub async fn lifecycle(&self, s: &Supplier, action: &str, body: Option<Value>) -> Response {
        self.admin_post(&format!("/api/v1/admin/suppliers/{}/{action}", s.id), body)
            .await
    }

    /// The audit log about `s`: its actions in order, and the whole page.
    pub async fn audit_of(&self, s: &Supplier) -> (Vec<String>, Value) {
        let path = format!("/api/v1/admin/audit?limit=200&supplier_id={}", s.id);
        let res = self
            .req(Method::GET, &path, Some(&self.admin_token))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 200);
        let page: Value = res.json().await.expect("json");
        let actions = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|e| e["action"].as_str().expect("action").to_owned())
            .collect();
        (actions, page)
    }

    /// Registers a supplier with a valid profile named `name`.
    pub async fn register(&self, name: &str) -> Supplier {
        let res = self
            .post("/api/v1/registrations", None, registration(name))
            .await;
        assert_eq!(res.status(), 201, "register {name}");
        let body: Value = res.json().await.expect("json");
        Supplier {
            id: body["supplier"]["id"].as_str().expect("id").to_owned(),
            slug: body["supplier"]["slug"].as_str().expect("slug").to_owned(),
            token: body["token"]["token"].as_str().expect("token").to_owned(),
        }
    }

    /// Signs the current version with a statement for every commitment.
    pub async fn sign(&self, s: &Supplier) -> Response {
        let body = self.signature_body().await;
        self.post(
            &format!("/api/v1/suppliers/{}/signature", s.id),
            Some(&s.token),
            body,
        )
        .await
    }

    pub async fn signature_body(&self) -> Value {
        let pledge = self.get_json("/api/v1/pledge").await;
        let statements: serde_json::Map<String, Value> = pledge["commitments"]
            .as_array()
            .expect("commitments")
            .iter()
            .map(|c| {
                let code = c["code"].as_str().expect("code").to_owned();
                (
                    code.clone(),
                    json!(format!(
                        "What we do for {code}: a clear, specific statement."
                    )),
                )
            })
            .collect();
        json!({
            "signatory_name": "Sam Patel",
            "signatory_role": "Chief Executive",
            "statements": statements,
        })
    }

    /// A registered, signed and verified (active) supplier.
    pub async fn active_supplier(&self, name: &str) -> Supplier {
        let s = self.register(name).await;
        assert_eq!(self.sign(&s).await.status(), 201);
        let res = self
            .admin_post(&format!("/api/v1/admin/suppliers/{}/verify", s.id), None)
            .await;
        assert_eq!(res.status(), 200);
        s
    }

    pub async fn supplier(&self, key: &str) -> Value {
        self.get_json(&format!("/api/v1/suppliers/{key}")).await
    }
}

/// A registry's state ready to serve (migrated, keys loaded), prepared off the runtime.
async fn prepare(config: Config) -> pledge_registry::state::AppState {
    tokio::task::spawn_blocking(move || bootstrap::prepare(config))
        .await
        .expect("join")
        .expect("prepare")
}

/// A second instance serving HTTP (see [`TestApp::second_server`]).
pub struct Instance {
    pub base: String,
    pub http: reqwest::Client,
}

impl Instance {
    pub async fn get(&self, path: &str) -> Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let res = self.get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.expect("json")
    }

    pub async fn get_text(&self, path: &str) -> String {
        let res = self.get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.text().await.expect("text")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg_drop.take()
            && let Ok(mut conn) = PgConnection::establish(&admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

pub fn registration(name: &str) -> Value {
    json!({
        "name": name,
        "website": "https://example.org",
        "description": "Digital care records for home care.",
        "products": ["Care records"],
        "contact_name": "Jo Bloggs",
        "contact_email": "jo@example.org",
    })
}

/// Asserts a problem+json answer with this status, and returns its body.
pub async fn problem(res: Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(ct, "application/problem+json", "content type");
    let body: Value = res.json().await.expect("problem json");
    assert_eq!(body["status"], status);
    assert!(
        body["type"]
            .as_str()
            .expect("type")
            .starts_with("urn:pledge-registry:problem:")
    );
    assert!(body["title"].is_string() && body["detail"].is_string());
    body
}

/// The fields a validation problem names.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A loopback port that was free when chosen.
/// A repeatable stream of choices (xorshift64) for tests of random sequences of writes:
/// `next(n)` is in `0..n`.
pub fn choices(mut seed: u64) -> impl FnMut(usize) -> usize {
    move |n| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The service with its mail going to `mailbox`, sent every 50 ms, and `extra` settings.
pub async fn app_with_mail(mailbox: &crate::mailbox::Mailbox, extra: &[(&str, &str)]) -> TestApp {
    let url = mailbox.url();
    let mut settings: Vec<(&str, &str)> = vec![
        ("REGISTRY_SMTP_URL", &url),
        ("REGISTRY_MAIL_INTERVAL", "50ms"),
        (
            "REGISTRY_MAIL_FROM",
            "Tech Pledge registry <registry@registry.example>",
        ),
    ];
    settings.extend_from_slice(extra);
    TestApp::spawn_with(&settings).await
}

pub fn hash(v: &Value) -> pledge_registry::tlog::merkle::Hash {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

pub fn hashes(v: &Value) -> Vec<pledge_registry::tlog::merkle::Hash> {
    v.as_array().unwrap().iter().map(hash).collect()
}

/// Checks, as an outsider, that entry `seq` is in the tree of `c`.
pub async fn included(
    app: &TestApp,
    seq: u64,
    c: &pledge_registry::tlog::checkpoint::Checkpoint,
) -> Result<(), String> {
    let leaf = app.get_bytes(&format!("/api/v1/log/leaves/{seq}")).await;
    let form: Value = serde_json::from_slice(&leaf).unwrap();
    assert_eq!(form["seq"], seq, "the leaf is the entry's");
    let proof = app
        .get_json(&format!(
            "/api/v1/log/proofs/inclusion?seq={seq}&tree_size={}",
            c.size
        ))
        .await;
    pledge_registry::tlog::merkle::verify_inclusion(
        &pledge_registry::tlog::merkle::leaf_hash(&leaf),
        seq - 1,
        c.size,
        &hashes(&proof["hashes"]),
        &c.root,
    )
    .map_err(|e| e.to_string())
}
