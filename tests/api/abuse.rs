//! Hostile and careless input: oversize headers, secrets in logs.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{free_port, registration};

#[tokio::test]
async fn tokens_and_keys_never_reach_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let env = [
        ("REGISTRY_DATA_DIR", dir.path().to_str().unwrap().to_owned()),
        ("REGISTRY_BIND", format!("127.0.0.1:{port}")),
        ("REGISTRY_CHECK_INTERVAL", "off".into()),
        ("RUST_LOG", "trace".into()),
    ];
    let log = dir.path().join("service.log");
    let mut server = Command::new(env!("CARGO_BIN_EXE_pledge-registry"))
        .arg("serve")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stderr(std::fs::File::create(&log).unwrap())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    pledge_registry::checker::install_crypto();
    let http = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..2400 {
        if http.get(format!("{base}/readyz")).send().await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "the service never became ready");
    let issued = Command::new(env!("CARGO_BIN_EXE_pledge-registry"))
        .args(["token", "issue", "--role", "admin"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    let admin = String::from_utf8(issued.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned();
    let reg: Value = http
        .post(format!("{base}/api/v1/registrations"))
        .json(&registration("Logged Ltd"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let supplier_token = reg["token"]["token"].as_str().unwrap().to_owned();
    http.get(format!("{base}/api/v1/admin/audit"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    http.get(format!("{base}/api/v1/admin/audit"))
        .bearer_auth(format!("{admin}x"))
        .send()
        .await
        .unwrap();
    http.get(format!("{base}/api/v1/suppliers/logged-ltd"))
        .bearer_auth(&supplier_token)
        .send()
        .await
        .unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    let logged = std::fs::read_to_string(&log).unwrap() + &String::from_utf8_lossy(&issued.stderr);
    assert!(
        logged.contains("/api/v1/admin/audit"),
        "requests were logged"
    );
    let key = std::fs::read_to_string(dir.path().join("signing-key.pem")).unwrap();
    let key_body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
    for (what, secret) in [
        ("admin token", admin.as_str()),
        ("supplier token", supplier_token.as_str()),
        ("signing key", key_body.as_str()),
    ] {
        // Any long piece of a secret would do; the signature part is the tell-tale.
        let tail = &secret[secret.len() - 40..];
        assert!(!logged.contains(tail), "the {what} appears in the log");
    }
    assert!(
        !logged.to_lowercase().contains("bearer ey"),
        "an Authorization header was logged"
    );
}

#[tokio::test]
async fn oversize_headers_are_refused_cleanly() {
    let app = crate::helpers::TestApp::spawn().await;
    let big = "x".repeat(20_000);
    let res = app
        .http
        .get(app.url("/api/v1/pledge"))
        .header("X-Padding", big)
        .send()
        .await
        .unwrap();
    let p = crate::helpers::problem(res, 431).await;
    assert_eq!(p["type"], "urn:pledge-registry:problem:headers-too-large");
    let huge = "x".repeat(200_000);
    match app
        .http
        .get(app.url("/api/v1/pledge"))
        .header("X-Padding", huge)
        .send()
        .await
    {
        Ok(r) => assert!(r.status().is_client_error(), "{}", r.status()),
        Err(e) => assert!(
            !e.is_timeout(),
            "the connection is closed, not left hanging: {e}"
        ),
    }
    // The service carries on (on a new connection: that one was closed).
    let fresh = reqwest::Client::new();
    let res = fresh.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn reads_and_registrations_are_rate_limited_per_client() {
    let app = crate::helpers::TestApp::spawn_with(&[
        ("REGISTRY_RATE_LIMIT_READS", "5/min"),
        ("REGISTRY_RATE_LIMIT_REGISTRATIONS", "2/h"),
    ])
    .await;
    let header = |res: &reqwest::Response, name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let first = app.get("/api/v1/pledge").await;
    assert_eq!(first.status(), 200);
    assert_eq!(header(&first, "ratelimit-policy"), r#""reads";q=5;w=60"#);
    assert!(header(&first, "ratelimit").starts_with(r#""reads";r=4;t="#));
    // Revalidating with the ETag costs nothing: the 304 is not counted.
    let etag = header(&first, "etag");
    for _ in 0..3 {
        let res = app
            .req(reqwest::Method::GET, "/api/v1/pledge", None)
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 304);
        assert!(header(&res, "ratelimit").starts_with(r#""reads";r=4;t="#));
    }
    for left in (0..4).rev() {
        let res = app.get("/api/v1/pledge").await;
        assert_eq!(res.status(), 200);
        assert!(header(&res, "ratelimit").starts_with(&format!(r#""reads";r={left};"#)));
    }
    // A person's browser gets a page; an API client a problem document.
    let res = app
        .req(reqwest::Method::GET, "/", None)
        .header("Accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert!(header(&res, "content-type").starts_with("text/html"));
    assert!(!header(&res, "retry-after").is_empty());
    assert!(res.text().await.unwrap().contains("Try again in"));
    let res = app.get("/api/v1/suppliers").await;
    assert!(header(&res, "ratelimit").starts_with(r#""reads";r=0;t="#));
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let p = crate::helpers::problem(res, 429).await;
    assert_eq!(p["type"], "urn:pledge-registry:problem:too-many-requests");
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "health checks are never limited"
    );
    for (name, left) in [("One Ltd", 1), ("Two Ltd", 0)] {
        let res = app
            .post("/api/v1/registrations", None, registration(name))
            .await;
        assert_eq!(res.status(), 201);
        assert_eq!(
            header(&res, "ratelimit-policy"),
            r#""registrations";q=2;w=3600"#
        );
        assert!(header(&res, "ratelimit").starts_with(&format!(r#""registrations";r={left};"#)));
    }
    crate::helpers::problem(
        app.post("/api/v1/registrations", None, registration("Three Ltd"))
            .await,
        429,
    )
    .await;
    // Other spellings of the same route count against the same limit.
    for path in [
        "/api/v1/%72egistrations",
        "/api/v1/registration%73",
        "/api/%761/registrations",
        "/%61pi/v1/registrations",
        "/api/v1/%72%65gistrations",
    ] {
        let res = app.post(path, None, registration("Encoded Ltd")).await;
        crate::helpers::problem(res, 429).await;
    }
}

#[tokio::test]
async fn thirty_two_sustained_writers_get_no_errors() {
    let app = crate::helpers::TestApp::spawn().await;
    let suppliers: Vec<crate::helpers::Supplier> = {
        let mut v = Vec::new();
        for i in 0..8 {
            v.push(app.register(&format!("Writer {i} Ltd")).await);
        }
        v
    };
    // A fixed number of writes, not a fixed time: a loaded machine takes longer.
    const WRITES_PER_WORKER: usize = 12;
    let mut workers = Vec::new();
    for w in 0..32 {
        let http = app.http.clone();
        let base = app.base.clone();
        let s = suppliers[w % suppliers.len()].clone();
        workers.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            let mut i = 0;
            while i < WRITES_PER_WORKER {
                i += 1;
                let res = match i % 3 {
                    0 => http.post(format!("{base}/api/v1/registrations")).json(&registration(&format!("Sustained {w}-{i}"))),
                    1 => http.post(format!("{base}/api/v1/suppliers/{}/evidence", s.id)).bearer_auth(&s.token).json(&serde_json::json!({
                        "url": format!("https://example.org/{w}/{i}"), "title": "Doc", "kind": "report", "commitments": ["safety"]
                    })),
                    _ => http.patch(format!("{base}/api/v1/suppliers/{}", s.id)).bearer_auth(&s.token).json(&serde_json::json!({"description": format!("Edit {w}-{i}")})),
                }
                .send()
                .await
                .unwrap();
                statuses.push(res.status().as_u16());
            }
            statuses
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    assert_eq!(
        all.len(),
        32 * WRITES_PER_WORKER,
        "every write was answered"
    );
    let failed: Vec<&u16> = all.iter().filter(|s| !(200..300).contains(*s)).collect();
    assert!(
        failed.is_empty(),
        "{} of {} writes failed: {:?}",
        failed.len(),
        all.len(),
        &failed[..failed.len().min(10)]
    );
}
