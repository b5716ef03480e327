//! The command line against the same database as a running service.

use std::collections::HashSet;
use std::process::Command;

use reqwest::Method;
use serde_json::Value;

use crate::helpers::TestApp;

/// Runs the binary against the same database and key as `app`, off the test's runtime
/// (which also serves the fixture the command may fetch from).
pub async fn cli(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let config = app.config.clone();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_pledge-registry"))
            .args(args)
            .env_clear()
            .envs(env)
            .env("DATABASE_URL", &config.database_url)
            .env("REGISTRY_SIGNING_KEY_FILE", &config.signing_key_file)
            .env("REGISTRY_PUBLIC_URL", &config.public_url)
            .env("REGISTRY_DATA_DIR", &config.data_dir)
            .output()
            .expect("run the binary")
    })
    .await
    .expect("join")
}

#[tokio::test]
async fn token_issue_prints_a_working_admin_token_on_its_last_line() {
    let app = TestApp::spawn().await;
    let out = cli(
        &app,
        &["token", "issue", "--role", "admin", "--days", "1"],
        &[],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.lines().last().unwrap().trim();
    assert_eq!(token.split('.').count(), 3);
    let res = app
        .req(Method::GET, "/api/v1/admin/audit", Some(token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // It is audited as the admin API's tokens are.
    let jti = stdout
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .nth(3)
        .unwrap()
        .to_owned();
    let log = app
        .get_json_as("/api/v1/admin/audit?limit=200", &app.admin_token)
        .await;
    let entry = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "token.issued" && e["entity_id"] == jti.as_str())
        .unwrap_or_else(|| panic!("no token.issued for {jti} in {log}"))
        .clone();
    assert_eq!(entry["actor"], "admin:command-line");
    assert_eq!(entry["after"]["role"], "admin");
    assert_eq!(entry["after"]["label"], "command line");
    // The admin API's rules too, each wrong field named.
    let bad = cli(
        &app,
        &["token", "issue", "--role", "supplier", "--days", "0"],
        &[],
    )
    .await;
    assert!(!bad.status.success(), "a supplier token needs --supplier");
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(
        said.contains("supplier_id") && said.contains("ttl_days"),
        "{said}"
    );
}

#[tokio::test]
async fn seed_demo_loads_varied_realistic_suppliers() {
    let app = TestApp::spawn().await;
    let out = cli(&app, &["seed-demo", "--count", "60"], &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    tokio::time::sleep(pledge_registry::views::cache::BOUND).await;
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get_json(&format!("/api/v1/suppliers?limit=200{cursor}"))
            .await;
        seen.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 60);
    let statuses: HashSet<&str> = seen.iter().map(|s| s["status"].as_str().unwrap()).collect();
    assert!(statuses.len() >= 3, "varied statuses: {statuses:?}");
    let signed: Vec<&Value> = seen.iter().filter(|s| s["status"] == "active").collect();
    assert!(!signed.is_empty());
    let one = app.supplier(signed[0]["slug"].as_str().unwrap()).await;
    assert_eq!(one["signature"]["statements"].as_array().unwrap().len(), 6);
    assert!(!one["evidence"].as_array().unwrap().is_empty());
    let history = app
        .get_json(&format!(
            "/api/v1/suppliers/{}/history",
            one["slug"].as_str().unwrap()
        ))
        .await;
    assert_eq!(history["items"][0]["event"], "signed");

    // Every history reads as the registry would have written it: one event a step, in
    // order, each starting where the last ended and ending where the record stands; a
    // suspension or a withdrawal is its own event, with its reason, and never the
    // signing line's.
    for s in &seen {
        let slug = s["slug"].as_str().unwrap();
        let items = app
            .get_json(&format!("/api/v1/suppliers/{slug}/history?limit=100"))
            .await["items"]
            .as_array()
            .unwrap()
            .clone();
        let status = s["status"].as_str().unwrap();
        if status == "unsigned" {
            assert!(items.is_empty(), "{slug}: {items:?}");
            continue;
        }
        let events: Vec<&str> = items.iter().map(|e| e["event"].as_str().unwrap()).collect();
        assert_eq!(events[0], "signed", "{slug}: {events:?}");
        assert!(
            items[0]["reason"].is_null(),
            "{slug}: the signing line gives no reason"
        );
        let time = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
        let mut at = time(&items[0]["at"]);
        let mut stands = "unsigned";
        for e in &items {
            let when = time(&e["at"]);
            assert!(when >= at, "{slug}: in order: {items:?}");
            assert_eq!(e["from_status"], stands, "{slug}: {items:?}");
            stands = e["to_status"].as_str().unwrap();
            at = when;
        }
        assert_eq!(stands, status, "{slug}: {events:?}");
        match status {
            "suspended" => {
                let last = items.last().unwrap();
                assert_eq!(last["event"], "suspended");
                assert_eq!(last["actor"], "operator");
                assert!(last["reason"].as_str().is_some_and(|r| !r.is_empty()));
                assert!(events.contains(&"verified"));
            }
            "withdrawn" => assert_eq!(events.last(), Some(&"withdrawn")),
            "lapsed" => {
                assert_eq!(events.last(), Some(&"lapsed"));
                assert!(
                    !events.contains(&"reaffirmed"),
                    "{slug}: lapsed, never reaffirmed"
                );
            }
            "active" => assert!(events.contains(&"verified"), "{slug}: {events:?}"),
            _ => {}
        }
        let record = app.supplier(slug).await;
        assert!(
            at <= time(&record["updated_at"]),
            "{slug}: nothing after the record's last change"
        );
        assert!(at <= chrono::Utc::now(), "{slug}: nothing to come");
    }

    // Nobody is reminded of anything the demo made up, today or in the weeks after.
    let instance = app.second_instance().await;
    let now = pledge_registry::db::models::now();
    for days in [0, 7, 30, 60, 400] {
        pledge_registry::jobs::reminders::run_once(
            &instance.database,
            now + chrono::Duration::days(days),
        )
        .await
        .unwrap();
    }
    use diesel::{QueryDsl, RunQueryDsl};
    let mut conn = app.pool.get().unwrap();
    let letters: i64 = pledge_registry::db::schema::outbox::table
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(letters, 0, "no reminder written for a demo contact");
}

#[tokio::test]
async fn check_evidence_prints_counts_per_outcome() {
    let fx = crate::fixture::Fixture::start().await;
    let app = TestApp::spawn().await;
    let s = app.register("Cli Checked Ltd").await;
    for path in ["/ok", "/status/404", "/redirect/1"] {
        app.add_evidence(&s, &fx.url(path)).await;
    }
    let out = cli(&app, &["check-evidence"], crate::checker::FAST).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("checked 3 links"), "{stdout}");
    for line in ["ok           1", "broken       1", "redirected   1"] {
        assert!(
            stdout.lines().any(|l| l.trim_start() == line),
            "{line:?} in {stdout}"
        );
    }
    // Written by another process: served within the bound.
    tokio::time::sleep(pledge_registry::views::cache::BOUND).await;
    let view = app.supplier(&s.slug).await;
    let statuses: Vec<&str> = view["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["health"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["ok", "pending", "redirected"],
        "one 404 does not flag the link yet"
    );
}

#[tokio::test]
async fn verify_log_and_export_from_the_command_line() {
    let app = TestApp::spawn().await;
    app.active_supplier("Cli Export Ltd").await;
    let out = cli(&app, &["verify-log"], &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("chain intact"));
    let out = cli(&app, &["export"], &[]).await;
    assert!(out.status.success());
    let served = app.get("/api/v1/export").await.text().await.unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        served,
        "the same bytes as the API"
    );
    let file = app.config.data_dir.join("export.csv");
    let out = cli(
        &app,
        &[
            "export",
            "--format",
            "csv",
            "--output",
            file.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert!(out.status.success());
    let served = app
        .get("/api/v1/export?format=csv")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), served);
    // A subtree above the leaves is changed, the chain left whole: verify-log says so.
    // The first such subtree is stored once the log has 16 entries (tile level 1).
    use diesel::prelude::*;
    use pledge_registry::db::schema::log_tiles;
    let above_leaves = log_tiles::table
        .filter(log_tiles::level.eq(1i16))
        .filter(log_tiles::idx.eq(0i64));
    let mut more = 0;
    while above_leaves
        .select(log_tiles::hashes)
        .first::<Vec<u8>>(&mut *app.pool.get().unwrap())
        .optional()
        .unwrap()
        .is_none()
    {
        more += 1;
        assert!(more < 20, "16 entries make a subtree of level 4");
        app.active_supplier(&format!("Cli Export {more} Ltd")).await;
    }
    let original: Vec<u8> = {
        let mut conn = app.pool.get().unwrap();
        let original: Vec<u8> = above_leaves
            .select(log_tiles::hashes)
            .first(&mut *conn)
            .unwrap();
        let mut changed = original.clone();
        changed[0] ^= 1;
        diesel::update(above_leaves)
            .set(log_tiles::hashes.eq(changed))
            .execute(&mut *conn)
            .unwrap();
        original
    };
    let out = cli(&app, &["verify-log"], &[]).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("subtree at level 4, index 0"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    diesel::update(above_leaves)
        .set(log_tiles::hashes.eq(original))
        .execute(&mut *app.pool.get().unwrap())
        .unwrap();
    let out = cli(&app, &["verify-log"], &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Tamper with history: verify-log names the entry and fails.
    {
        use diesel::prelude::*;
        use pledge_registry::db::schema::audit_log;
        let mut conn = app.pool.get().unwrap();
        diesel::update(audit_log::table.find(3))
            .set(audit_log::after_json.eq(Some("{}")))
            .execute(&mut *conn)
            .unwrap();
    }
    let out = cli(&app, &["verify-log"], &[]).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("entry 3 is bad"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// `reproject` rebuilds every stored record from the tables and says how many were
/// stale; a service started on a database without them (an upgrade) builds them first.
#[tokio::test]
async fn reproject_rebuilds_stored_records_and_startup_builds_missing_ones() {
    use diesel::prelude::*;
    use pledge_registry::db::schema::{supplier_records, suppliers};
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Reprojected Ltd").await;
    app.register("Second Ltd").await;
    let before = app.supplier(&s.slug).await;
    let out = cli(&app, &["reproject"], &[]).await;
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("2 records rebuilt; 0 differed"), "{said}");
    // A change made underneath the service (as a repair by hand would) is stale until
    // rebuilt.
    {
        let mut conn = app.pool.get().unwrap();
        diesel::update(suppliers::table.find(&s.id))
            .set(suppliers::description.eq("Repaired by hand"))
            .execute(&mut *conn)
            .unwrap();
    }
    assert_eq!(
        app.supplier(&s.slug).await["description"],
        before["description"]
    );
    let out = cli(&app, &["reproject"], &[]).await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 differed"));
    // Rebuilt by another process: served within the bound.
    tokio::time::sleep(pledge_registry::views::cache::BOUND).await;
    assert_eq!(
        app.supplier(&s.slug).await["description"],
        "Repaired by hand"
    );
    // No stored records at all, as before the read model: starting builds them.
    {
        let mut conn = app.pool.get().unwrap();
        diesel::delete(supplier_records::table)
            .execute(&mut *conn)
            .unwrap();
    }
    let again = app.second_instance().await;
    let mut conn = again.database.pool().get().unwrap();
    let stored: i64 = supplier_records::table
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(stored, 2);
    assert_eq!(
        app.supplier(&s.slug).await["description"],
        "Repaired by hand"
    );
}

#[tokio::test]
async fn ready_says_whether_the_instance_answers_with_its_database() {
    let app = TestApp::spawn().await;
    let port = crate::helpers::free_port();
    let mut server = crate::crash::start_with(&app, port, &[]);
    crate::crash::ready(&reqwest::Client::new(), &format!("http://127.0.0.1:{port}")).await;
    let bind = format!("0.0.0.0:{port}");
    let out = cli(&app, &["ready"], &[("REGISTRY_BIND", &bind)]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ready");
    server.kill().unwrap();
    server.wait().unwrap();
    let out = cli(&app, &["ready"], &[("REGISTRY_BIND", &bind)]).await;
    assert!(!out.status.success(), "nothing listens any more");
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing answers"));
}

#[tokio::test]
async fn doctor_says_in_plain_words_what_is_wrong() {
    let app = TestApp::spawn().await;
    let doctor = |extra: Vec<(&'static str, String)>| {
        let config = app.config.clone();
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_pledge-registry"))
                .arg("doctor")
                .env_clear()
                .env("DATABASE_URL", &config.database_url)
                .env("REGISTRY_SIGNING_KEY_FILE", &config.signing_key_file)
                .env("REGISTRY_DATA_DIR", &config.data_dir)
                .envs(extra)
                .output()
                .expect("run the binary")
        })
    };
    let out = doctor(vec![]).await.unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{said}");
    for line in [
        "ok      database: it answers",
        "ok      database: its schema is this release's",
        "is the registry's current key",
        "ok      mail: no mail server is set",
        "ok      disk:",
        "ok      clock:",
        "nothing to fix",
    ] {
        assert!(said.contains(line), "{line:?} in {said}");
    }

    // A mail server that does not answer, a key that is not the registry's, a setting
    // that cannot be read: each named, and the exit says so.
    let closed = crate::fixture::closed_port_url().replace("http://", "smtp://");
    let stranger = app.config.data_dir.join("stranger-key.pem");
    pledge_registry::auth::keys::Keys::load_or_generate(&stranger).unwrap();
    let out = doctor(vec![
        ("REGISTRY_SMTP_URL", closed),
        (
            "REGISTRY_SIGNING_KEY_FILE",
            stranger.to_string_lossy().into_owned(),
        ),
    ])
    .await
    .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success());
    assert!(
        said.contains("PROBLEM mail: the mail server (REGISTRY_SMTP_URL) cannot be reached"),
        "{said}"
    );
    assert!(said.contains("which the registry has never used"), "{said}");
    assert!(
        said.contains("ok      database: it answers"),
        "the rest is still checked: {said}"
    );
    let out = doctor(vec![("REGISTRY_TOKEN_DAYS", "a fortnight".into())])
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success());
    assert!(
        said.contains("PROBLEM settings:") && said.contains("REGISTRY_TOKEN_DAYS"),
        "{said}"
    );
}

/// `witness serve` as its operator runs it: it prints its verifier key, cosigns the
/// registry's checkpoint with it, and keeps what it cosigned in its state file.
#[tokio::test]
async fn a_witness_started_from_the_command_line_cosigns_the_registry_log() {
    use std::io::BufRead;
    let app = TestApp::spawn().await;
    app.active_supplier("Witnessed By Hand Ltd").await;
    let dir = tempfile::tempdir().unwrap();
    let key = app.get_json("/api/v1/log/key").await;
    let vkey = key["verifier_key"].as_str().unwrap().to_owned();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pledge-registry"))
        .args([
            "witness",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--name",
            "witness.example/cli",
        ])
        .arg("--key")
        .arg(dir.path().join("w.pem"))
        .arg("--state")
        .arg(dir.path().join("w.json"))
        .args(["--log", &vkey])
        .env_clear()
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let (url, witness_key) = line
        .trim()
        .strip_prefix("witness witness.example/cli on ")
        .and_then(|rest| rest.split_once("; its verifier key: "))
        .unwrap_or_else(|| panic!("{line}"));
    let witness = pledge_registry::tlog::cosignature::Witness::parse(witness_key).unwrap();
    let note = app.get("/checkpoint").await.text().await.unwrap();
    let size: u64 = note.lines().nth(1).unwrap().parse().unwrap();
    let res = app
        .http
        .post(format!("{url}/add-checkpoint"))
        .body(pledge_registry::witness::request(0, &[], &note))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cosignature = res.text().await.unwrap();
    assert!(
        witness.cosigned(&format!("{note}{cosignature}")).is_some(),
        "{cosignature}"
    );
    // Asked again from nothing, it answers with the size it holds.
    let res = app
        .http
        .post(format!("{url}/add-checkpoint"))
        .body(pledge_registry::witness::request(0, &[], &note))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert_eq!(res.headers()["content-type"], "text/x.tlog.size");
    assert_eq!(res.text().await.unwrap(), format!("{size}\n"));
    let kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("w.json")).unwrap()).unwrap();
    let origin = vkey.split('+').next().unwrap();
    assert_eq!(kept[origin]["size"], size);
    child.kill().unwrap();
    child.wait().unwrap();
}
