//! Crash safety: writes acknowledged before a SIGKILL are all there after a restart,
//! nothing half-written is visible, and the audit chain verifies.

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, free_port, registration};
use crate::mailbox::Mailbox;

fn start(app: &TestApp, port: u16) -> Child {
    start_with(app, port, &[])
}

pub fn start_with(app: &TestApp, port: u16, env: &[(&str, &str)]) -> Child {
    serve(app, port, env, Stdio::null())
}

/// The binary serving `app`'s database on `port`, with `env` on top, its standard
/// error to `stderr`.
pub fn serve(app: &TestApp, port: u16, env: &[(&str, &str)], stderr: Stdio) -> Child {
    Command::new(env!("CARGO_BIN_EXE_pledge-registry"))
        .arg("serve")
        .envs(env.iter().copied())
        .env("DATABASE_URL", &app.config.database_url)
        .env("REGISTRY_DATA_DIR", &app.config.data_dir)
        .env("REGISTRY_SIGNING_KEY_FILE", &app.config.signing_key_file)
        // The same registry, so the same log: its checkpoints keep their origin.
        .env("REGISTRY_PUBLIC_URL", &app.config.public_url)
        .env("REGISTRY_BIND", format!("127.0.0.1:{port}"))
        .env("REGISTRY_CHECK_INTERVAL", "off")
        .env("REGISTRY_RATE_LIMIT_READS", "off")
        .env("REGISTRY_RATE_LIMIT_REGISTRATIONS", "off")
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

pub async fn ready(http: &reqwest::Client, base: &str) {
    for _ in 0..2400 {
        if http
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{base} never became ready");
}

/// What the server acknowledged: supplier id, whether its signature and evidence were.
#[derive(Debug, Default, Clone)]
struct Acked {
    supplier: String,
    signed: bool,
    evidence: Vec<String>,
}

#[tokio::test]
async fn acknowledged_writes_survive_a_sigkill() {
    let app = TestApp::spawn().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(&app, port);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    ready(&http, &base).await;
    let statements = app.signature_body().await;

    let acked: Arc<Mutex<Vec<Acked>>> = Arc::default();
    // Each acknowledged registration counts here; the kill waits for enough of them,
    // however long a loaded machine takes (bounded), never for a fixed time.
    let (count_tx, mut count_rx) = tokio::sync::watch::channel(0usize);
    let mut workers = Vec::new();
    for w in 0..8 {
        let (http, base, acked, statements, count_tx) = (
            http.clone(),
            base.clone(),
            acked.clone(),
            statements.clone(),
            count_tx.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut i = 0;
            // Until the server is gone: then every request fails and the worker stops.
            loop {
                i += 1;
                let Ok(res) = http.post(format!("{base}/api/v1/registrations")).json(&registration(&format!("Crash {w}-{i}"))).send().await else { return };
                if res.status() != 201 {
                    return;
                }
                let Ok(body) = res.json::<Value>().await else { return };
                let id = body["supplier"]["id"].as_str().unwrap().to_owned();
                let token = body["token"]["token"].as_str().unwrap().to_owned();
                let index = {
                    let mut a = acked.lock().unwrap();
                    a.push(Acked { supplier: id.clone(), ..Default::default() });
                    count_tx.send_replace(a.len());
                    a.len() - 1
                };
                let signed = http.post(format!("{base}/api/v1/suppliers/{id}/signature")).bearer_auth(&token).json(&statements).send().await;
                if !signed.is_ok_and(|r| r.status() == 201) {
                    return;
                }
                acked.lock().unwrap()[index].signed = true;
                let evidence = json!({"url": format!("https://example.org/{w}/{i}"), "title": "Doc", "kind": "report", "commitments": ["safety"]});
                let added = http.post(format!("{base}/api/v1/suppliers/{id}/evidence")).bearer_auth(&token).json(&evidence).send().await;
                match added {
                    Ok(r) if r.status() == 201 => {
                        let e: Value = r.json().await.unwrap_or_default();
                        if let Some(eid) = e["id"].as_str() {
                            acked.lock().unwrap()[index].evidence.push(eid.to_owned());
                        }
                    }
                    _ => return,
                }
            }
        }));
    }
    const ACKED_BEFORE_KILL: usize = 40;
    tokio::time::timeout(
        Duration::from_secs(300),
        count_rx.wait_for(|n| *n >= ACKED_BEFORE_KILL),
    )
    .await
    .expect("the writers had 40 registrations acknowledged within 5 minutes")
    .unwrap();
    server.kill().unwrap(); // SIGKILL, mid-stream
    server.wait().unwrap();
    for w in workers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= ACKED_BEFORE_KILL,
        "the writers got going: {}",
        acked.len()
    );

    let mut server = start(&app, port);
    ready(&http, &base).await;
    for a in &acked {
        let res = http
            .get(format!("{base}/api/v1/suppliers/{}", a.supplier))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            200,
            "acknowledged registration {} is there",
            a.supplier
        );
        let view: Value = res.json().await.unwrap();
        if a.signed {
            assert_eq!(view["signature"]["statements"].as_array().unwrap().len(), 6);
        }
        let ids: Vec<&str> = view["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap())
            .collect();
        for e in &a.evidence {
            assert!(
                ids.contains(&e.as_str()),
                "acknowledged evidence {e} is there"
            );
        }
    }
    // Nothing half-written: every supplier that shows a signature shows all its statements.
    let page: Value = http
        .get(format!("{base}/api/v1/export"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .lines()
        .fold(json!([]), |mut acc, l| {
            acc.as_array_mut()
                .unwrap()
                .push(serde_json::from_str(l).unwrap());
            acc
        });
    for s in page.as_array().unwrap() {
        match s["status"].as_str().unwrap() {
            "unsigned" => assert!(s["signature"].is_null()),
            _ => assert_eq!(
                s["signature"]["statements"].as_array().unwrap().len(),
                6,
                "{}",
                s["slug"]
            ),
        }
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let mut conn = app.pool.get().unwrap();
    let (entries, bad) = pledge_registry::db::models::audit::verify(&mut conn).unwrap();
    assert_eq!(
        bad, None,
        "the audit chain verifies after the crash ({entries} entries)"
    );
}

/// Mail is written in the transaction of what it reports, so a SIGKILL after the
/// commit and before the send loses none: the next instance sends each message once.
#[tokio::test]
async fn mail_committed_before_a_sigkill_is_sent_once_after_it() {
    use diesel::prelude::*;
    use pledge_registry::db::schema::outbox;

    let mailbox = Mailbox::start();
    // The test's own instance sends nothing: only the processes below do.
    let app = TestApp::spawn_with(&[("REGISTRY_MAIL_INTERVAL", "off")]).await;
    let smtp = mailbox.url();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    // The first process commits registrations (and their mail) but is killed before
    // it sends any: its sender is off.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut first = start_with(&app, port, &[("REGISTRY_MAIL_INTERVAL", "off")]);
    ready(&http, &base).await;
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let (count_tx, mut count_rx) = tokio::sync::watch::channel(0usize);
    let mut workers = Vec::new();
    for w in 0..4 {
        let (http, base, acked, count_tx) =
            (http.clone(), base.clone(), acked.clone(), count_tx.clone());
        workers.push(tokio::spawn(async move {
            for i in 0.. {
                let email = format!("owner-{w}-{i}@crash.example");
                let mut body = registration(&format!("Mail Crash {w}-{i}"));
                body["contact_email"] = json!(email);
                let Ok(res) = http
                    .post(format!("{base}/api/v1/registrations"))
                    .json(&body)
                    .send()
                    .await
                else {
                    return;
                };
                if res.status() != 201 {
                    return;
                }
                let mut a = acked.lock().unwrap();
                a.push(email);
                count_tx.send_replace(a.len());
            }
        }));
    }
    tokio::time::timeout(Duration::from_secs(300), count_rx.wait_for(|n| *n >= 12))
        .await
        .expect("registrations acknowledged within 5 minutes")
        .unwrap();
    first.kill().unwrap(); // SIGKILL, with writes in flight
    first.wait().unwrap();
    for w in workers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let unsent = |app: &TestApp| -> i64 {
        let mut conn = app.pool.get().unwrap();
        outbox::table
            .filter(outbox::sent_at.is_null())
            .count()
            .get_result(&mut *conn)
            .unwrap()
    };
    assert!(
        unsent(&app) >= acked.len() as i64,
        "the mail waits in the outbox"
    );
    assert_eq!(mailbox.all().len(), 0, "nothing was sent before the kill");

    // Two instances start and share the sending: each message goes once.
    let (port_a, port_b) = (free_port(), free_port());
    let settings = [
        ("REGISTRY_SMTP_URL", smtp.as_str()),
        ("REGISTRY_MAIL_INTERVAL", "20ms"),
    ];
    let mut a = start_with(&app, port_a, &settings);
    let mut b = start_with(&app, port_b, &settings);
    for email in &acked {
        mailbox
            .wait_for("the confirmation of an acknowledged registration", |m| {
                m.to().contains(email.as_str()) && m.kind() == "confirm_address"
            })
            .await;
    }
    let started = std::time::Instant::now();
    while unsent(&app) > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the outbox empties"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for child in [&mut a, &mut b] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let arrived = mailbox.all();
    let mut ids: Vec<&str> = arrived
        .iter()
        .filter_map(|m| m.header("Message-ID"))
        .collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "no message was sent twice");
    for email in &acked {
        assert_eq!(mailbox.count(email, "confirm_address"), 1, "{email}");
    }
    let sent: i64 = {
        let mut conn = app.pool.get().unwrap();
        outbox::table.count().get_result(&mut *conn).unwrap()
    };
    assert_eq!(sent as usize, total, "every committed message arrived");
}
