//! Backups: taken while 32 writers run, restored elsewhere, with every write
//! acknowledged before the backup began, the signing keys, and a log that verifies.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::cli::cli;
use crate::helpers::{TestApp, registration};

fn run(args: &[&str], env: &[(&str, String)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pledge-registry"))
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("run the binary")
}

#[tokio::test]
async fn a_backup_taken_under_32_writers_restores_every_acknowledged_write() {
    let app = TestApp::spawn().await;
    let here = tempfile::tempdir().unwrap();
    let backup = here.path().join("backup");
    if app.config.database_url.starts_with("postgres") {
        // PostgreSQL is copied with its own tools; the command says so, and checks a
        // database in place.
        let out = cli(&app, &["backup", backup.to_str().unwrap()], &[]).await;
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
        app.active_supplier("Checked In Place Ltd").await;
        let out = cli(&app, &["restore", "--check"], &[]).await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("the log verifies"));
        return;
    }

    // 32 writers register suppliers until told to stop; each acknowledged one counts.
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let (count_tx, mut count_rx) = tokio::sync::watch::channel(0usize);
    let mut writers = Vec::new();
    for w in 0..32 {
        let (http, base, acked, stop, count_tx) = (
            app.http.clone(),
            app.url(""),
            acked.clone(),
            stop.clone(),
            count_tx.clone(),
        );
        writers.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let res = http
                    .post(format!("{base}/api/v1/registrations"))
                    .json(&registration(&format!("Backup Writer {w} No {n} Ltd")))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
                let body: Value = res.json().await.unwrap();
                let mut all = acked.lock().unwrap();
                all.push(body["supplier"]["id"].as_str().unwrap().to_owned());
                count_tx.send_replace(all.len());
                n += 1;
            }
        }));
    }
    count_rx.wait_for(|n| *n >= 64).await.unwrap();
    // Everything acknowledged before the backup starts must be in it.
    let before: Vec<String> = acked.lock().unwrap().clone();
    let out = cli(&app, &["backup", backup.to_str().unwrap()], &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("backed up"));
    // The writers go on a little after it, then stop.
    let at_backup = acked.lock().unwrap().len();
    count_rx.wait_for(|n| *n >= at_backup + 32).await.unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }

    // Restored on another machine's paths: the database and the keys.
    let elsewhere = here.path().join("restored");
    let url = elsewhere
        .join("registry.sqlite3")
        .to_string_lossy()
        .into_owned();
    let key = elsewhere.join("signing-key.pem");
    let env = [
        ("DATABASE_URL", url.clone()),
        (
            "REGISTRY_SIGNING_KEY_FILE",
            key.to_string_lossy().into_owned(),
        ),
        (
            "REGISTRY_DATA_DIR",
            elsewhere.to_string_lossy().into_owned(),
        ),
        // The same registry: its log keeps its name.
        ("REGISTRY_PUBLIC_URL", app.config.public_url.clone()),
    ];
    let out = run(&["restore", backup.to_str().unwrap()], &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("the log verifies"), "{said}");
    assert_eq!(
        std::fs::read(&key).unwrap(),
        std::fs::read(&app.config.signing_key_file).unwrap(),
        "the signing key comes back"
    );
    let restored: Vec<String> = {
        use diesel::{QueryDsl, RunQueryDsl};
        use pledge_registry::db::schema::suppliers;
        let pool = pledge_registry::db::connect(&url, 1).unwrap();
        let mut conn = pool.get().unwrap();
        suppliers::table
            .select(suppliers::id)
            .load::<String>(&mut *conn)
            .unwrap()
    };
    let missing: Vec<&String> = before.iter().filter(|id| !restored.contains(id)).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup, lost: {missing:?}"
    );

    // The restored copy serves: verify-log passes there too.
    let out = run(&["verify-log"], &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Restoring over a database that is there is refused without --replace.
    let out = run(&["restore", backup.to_str().unwrap()], &env);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--replace"));
    let out = run(&["restore", "--replace", backup.to_str().unwrap()], &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A backup never goes into a folder that holds something.
    let out = cli(&app, &["backup", backup.to_str().unwrap()], &[]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
}
