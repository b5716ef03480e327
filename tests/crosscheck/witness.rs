//! A third party's checks with `pledge-registry verify` and the documented Python
//! script: attestations proven in their checkpoint offline, the change feed proven in
//! its own, and witnesses that refuse a log that shrank, forked or was rewritten.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use diesel::prelude::*;
use pledge_registry::db::schema::{audit_log, log_checkpoints};
use pledge_registry::tlog::checkpoint::Checkpoint;
use pledge_registry::tlog::verify::LogKey;
use serde_json::Value;

use crate::helpers::TestApp;

/// What a third party saves from the registry, in files.
struct Saved {
    dir: tempfile::TempDir,
    log_key: String,
}

impl Saved {
    async fn from(app: &TestApp) -> Saved {
        let dir = tempfile::tempdir().unwrap();
        let jwks = app
            .get("/.well-known/jwks.json")
            .await
            .text()
            .await
            .unwrap();
        std::fs::write(dir.path().join("jwks.json"), jwks).unwrap();
        let key = app.get_json("/api/v1/log/key").await;
        Saved {
            dir,
            log_key: key["verifier_key"].as_str().unwrap().to_owned(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    async fn save(&self, app: &TestApp, path: &str, name: &str) -> PathBuf {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        let file = self.path(name);
        std::fs::write(&file, res.bytes().await.unwrap()).unwrap();
        file
    }
}

/// Runs `pledge-registry verify ...` as a third party would: no settings, no database.
async fn verify(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_pledge-registry"))
            .arg("verify")
            .args(args)
            .env_clear()
            .output()
            .expect("run the binary")
    })
    .await
    .unwrap()
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn args(list: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<String> {
    list.iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect()
}

/// The documented Python verifier (docs/verify_log.py), with only `cryptography`.
async fn python(args: Vec<String>) -> Output {
    crate::ensure_python_module("cryptography");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/verify_log.py");
    tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script)
            .args(args)
            .output()
            .expect("python3 runs")
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn an_attestation_checks_offline_against_its_checkpoint_and_a_later_one() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Offline Proof Ltd").await;
    app.add_evidence(&s, "https://offline.example/policy").await;
    let saved = Saved::from(&app).await;
    let jwt = saved
        .save(
            &app,
            &format!("/api/v1/suppliers/{}/attestation", s.slug),
            "attestation.jwt",
        )
        .await;
    let jwks = saved.path("jwks.json");
    let claims: Value = {
        let payload = std::fs::read_to_string(&jwt).unwrap();
        let part = payload.split('.').nth(1).unwrap().to_owned();
        use base64::Engine;
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .unwrap(),
        )
        .unwrap()
    };
    // It cites the newest public entry about the supplier: the evidence it added.
    let seq = claims["log"]["seq"].as_u64().unwrap();
    let feed = app.get_json("/api/v1/changes?limit=200").await;
    let newest = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|c| c["supplier_id"] == s.id.as_str())
        .unwrap();
    assert_eq!(newest["seq"].as_u64(), Some(seq));
    assert_eq!(newest["type"], "evidence.added");
    let leaf = saved
        .save(&app, &format!("/api/v1/log/leaves/{seq}"), "leaf.json")
        .await;

    let out = verify(args(&[
        &"attestation",
        &jwt,
        &"--jwks",
        &jwks,
        &"--log-key",
        &saved.log_key,
        &"--leaf",
        &leaf,
    ]))
    .await;
    assert!(out.status.success(), "{}", said(&out));
    assert!(said(&out).contains("Offline Proof Ltd"), "{}", said(&out));
    assert!(
        said(&out).contains(&format!("entry {seq} records what the attestation says")),
        "{}",
        said(&out)
    );

    // The log grows; the checkpoint a witness holds later still holds the entry.
    for i in 0..4 {
        app.active_supplier(&format!("Later {i} Ltd")).await;
    }
    let attested = LogKey::parse(&saved.log_key)
        .unwrap()
        .checkpoint(claims["log"]["checkpoint"].as_str().unwrap())
        .unwrap();
    let later = saved
        .save(&app, "/api/v1/log/checkpoint", "later.checkpoint")
        .await;
    let later_size = std::fs::read_to_string(&later).unwrap();
    let later_size: u64 = later_size.lines().nth(1).unwrap().parse().unwrap();
    assert!(later_size > attested.size);
    let proof = saved
        .save(
            &app,
            &format!(
                "/api/v1/log/proofs/consistency?from={}&to={later_size}",
                attested.size
            ),
            "consistency.json",
        )
        .await;
    let with_later = |jwt: &Path, leaf: &Path| {
        args(&[
            &"attestation",
            &jwt.to_owned(),
            &"--jwks",
            &jwks,
            &"--log-key",
            &saved.log_key,
            &"--leaf",
            &leaf.to_owned(),
            &"--checkpoint",
            &later,
            &"--consistency",
            &proof,
        ])
    };
    let out = verify(with_later(&jwt, &leaf)).await;
    assert!(out.status.success(), "{}", said(&out));
    assert!(said(&out).contains(&format!("{later_size} entries you hold extends it")));

    // The documented script agrees, and refuses what the command refuses.
    let py = |jwt: &Path, leaf: &Path| {
        args(&[
            &"attestation",
            &jwt.to_owned(),
            &jwks,
            &saved.log_key,
            &leaf.to_owned(),
        ])
    };
    let out = python(py(&jwt, &leaf)).await;
    assert!(out.status.success(), "{}", said(&out));
    assert!(said(&out).contains("Offline Proof Ltd"), "{}", said(&out));

    // Another entry's public form is not the cited one.
    let other = saved
        .save(
            &app,
            &format!("/api/v1/log/leaves/{}", seq - 1),
            "other.json",
        )
        .await;
    let out = verify(with_later(&jwt, &other)).await;
    assert!(!out.status.success());
    assert!(said(&out).contains("REFUSED"), "{}", said(&out));
    assert!(!python(py(&jwt, &other)).await.status.success());

    // The cited entry, edited so that it claims another status, no longer hashes to
    // the leaf: the checkpoint's signature binds the entry as it was.
    let text = std::fs::read_to_string(&leaf).unwrap();
    assert!(text.contains("\"status\":\"active\""));
    let edited = saved.path("edited.json");
    std::fs::write(
        &edited,
        text.replace("\"status\":\"active\"", "\"status\":\"suspended\""),
    )
    .unwrap();
    let out = verify(with_later(&jwt, &edited)).await;
    assert!(said(&out).contains("does not hash"), "{}", said(&out));
    assert!(!python(py(&jwt, &edited)).await.status.success());

    // A changed inclusion proof inside the attestation breaks its signature.
    let token = std::fs::read_to_string(&jwt).unwrap();
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = parts[1].replacen('A', "B", 1);
    let forged = saved.path("forged.jwt");
    std::fs::write(&forged, parts.join(".")).unwrap();
    let out = verify(with_later(&forged, &leaf)).await;
    assert!(said(&out).contains("signature"), "{}", said(&out));
    assert!(!python(py(&forged, &leaf)).await.status.success());
}

#[tokio::test]
async fn every_change_in_the_feed_proves_in_the_checkpoint_its_page_carries() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Fed Ltd").await;
    app.add_evidence(&s, "https://fed.example/policy").await;
    app.active_supplier("Fed Too Ltd").await;
    let key = LogKey::parse(
        app.get_json("/api/v1/log/key").await["verifier_key"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let mut since = 0;
    let mut seen = 0;
    loop {
        let page = app
            .get_json(&format!("/api/v1/changes?since={since}&limit=3"))
            .await;
        let c: Checkpoint = key
            .checkpoint(page["checkpoint"].as_str().unwrap())
            .unwrap();
        for item in page["items"].as_array().unwrap() {
            let seq = item["seq"].as_u64().unwrap();
            assert!(seq <= c.size);
            let leaf = app.get_bytes(&format!("/api/v1/log/leaves/{seq}")).await;
            let form: Value = serde_json::from_slice(&leaf).unwrap();
            assert_eq!(form["public"], item["supplier"], "entry {seq}");
            assert_eq!(form["action"], item["type"]);
            assert_eq!(form["supplier_id"], item["supplier_id"]);
            crate::helpers::included(&app, seq, &c)
                .await
                .unwrap_or_else(|e| panic!("entry {seq}: {e}"));
            seen += 1;
        }
        since = page["next_since"].as_i64().unwrap();
        if !page["more"].as_bool().unwrap() {
            break;
        }
    }
    assert!(seen >= 7, "{seen}");
}

fn checkpoint_size(file: &Path) -> u64 {
    let note = std::fs::read_to_string(file).unwrap();
    note.lines().nth(1).unwrap().parse().unwrap()
}

/// Drops the stored tree, builds it again from the entries as they now are and
/// publishes a checkpoint of it signed with the registry's key, as someone rewriting
/// the log with the database and the key file would (the registry's own guard refuses
/// to sign it): what outside readers must catch.
fn rebuild_tree(app: &TestApp) {
    use pledge_registry::db::models::{checkpoints, log_tree, now};
    let mut conn = app.pool.get().unwrap();
    conn.transaction(|c| {
        let size = pledge_registry::db::models::audit::replace_tree(c)?;
        let forged = Checkpoint {
            origin: pledge_registry::tlog::checkpoint::origin(&app.config.public_url),
            size,
            root: log_tree::root(c, size)?,
        };
        diesel::delete(log_checkpoints::table).execute(c)?;
        checkpoints::insert(
            c,
            &checkpoints::CheckpointRow {
                size: size as i64,
                root: forged.root.to_vec(),
                note: forged.sign(&app.keys.signing),
                published_at: now(),
            },
        )
    })
    .unwrap();
}

/// An entry appended behind the registry's back, as the insider of [`rebuild_tree`]
/// would to grow the rewritten log.
fn append_behind(app: &TestApp) {
    use pledge_registry::db::models::{audit, now};
    let mut conn = app.pool.get().unwrap();
    audit::record(
        &mut conn,
        now(),
        audit::Entry::new(
            "system",
            pledge_registry::domain::Action::SupplierProfileUpdated,
            "supplier",
            "after",
        ),
    )
    .unwrap();
}

async fn witness(saved: &Saved, state: &str, app: &TestApp) -> Output {
    verify(args(&[
        &"witness",
        &"--state",
        &saved.path(state),
        &"--log-key",
        &saved.log_key,
        &"--url",
        &app.base,
    ]))
    .await
}

#[tokio::test]
async fn a_witness_takes_a_grown_log_and_refuses_a_rewritten_entry() {
    let app = TestApp::spawn().await;
    app.active_supplier("Witnessed Ltd").await;
    let saved = Saved::from(&app).await;
    let out = witness(&saved, "a.state", &app).await;
    assert!(
        said(&out).contains("first checkpoint kept"),
        "{}",
        said(&out)
    );
    let out = witness(&saved, "a.state", &app).await;
    assert!(said(&out).contains("unchanged"), "{}", said(&out));
    let first = saved
        .save(&app, "/api/v1/log/checkpoint", "first.checkpoint")
        .await;
    let out = python(args(&[
        &"witness",
        &saved.path("p.state"),
        &first,
        &"-",
        &saved.log_key,
    ]))
    .await;
    assert!(out.status.success(), "{}", said(&out));
    app.active_supplier("Grows Ltd").await;
    // The documented script takes the grown log with its proof.
    let (from, grown) = (
        checkpoint_size(&first),
        saved
            .save(&app, "/api/v1/log/checkpoint", "grown.checkpoint")
            .await,
    );
    let proof = saved
        .save(
            &app,
            &format!(
                "/api/v1/log/proofs/consistency?from={from}&to={}",
                checkpoint_size(&grown)
            ),
            "grown.json",
        )
        .await;
    let out = python(args(&[
        &"witness",
        &saved.path("p.state"),
        &grown,
        &proof,
        &saved.log_key,
    ]))
    .await;
    assert!(out.status.success(), "{}", said(&out));
    assert!(said(&out).contains("consistent"), "{}", said(&out));
    let out = witness(&saved, "a.state", &app).await;
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        said(&out).contains("consistent: the log grew"),
        "{}",
        said(&out)
    );
    let kept = std::fs::read_to_string(saved.path("a.state")).unwrap();

    // An early entry rewritten, the tree rebuilt over it and the log grown: signed
    // anew, but not an extension of what the witness kept.
    {
        let mut conn = app.pool.get().unwrap();
        diesel::update(audit_log::table.find(2i64))
            .set(audit_log::entity_id.eq("someone else"))
            .execute(&mut *conn)
            .unwrap();
    }
    rebuild_tree(&app);
    append_behind(&app);
    rebuild_tree(&app);
    let out = witness(&saved, "a.state", &app).await;
    assert!(!out.status.success());
    assert!(said(&out).contains("REFUSED"), "{}", said(&out));
    assert!(said(&out).contains("rewritten"), "{}", said(&out));
    assert_eq!(
        std::fs::read_to_string(saved.path("a.state")).unwrap(),
        kept,
        "a refused checkpoint is not kept"
    );
    // The documented script refuses it too.
    let newest = saved
        .save(&app, "/api/v1/log/checkpoint", "newest.checkpoint")
        .await;
    let old_size: u64 = kept.lines().nth(1).unwrap().parse().unwrap();
    let new_size: u64 = std::fs::read_to_string(&newest)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let proof = saved
        .save(
            &app,
            &format!("/api/v1/log/proofs/consistency?from={old_size}&to={new_size}"),
            "proof.json",
        )
        .await;
    let out = python(args(&[
        &"witness",
        &saved.path("a.state"),
        &newest,
        &proof,
        &saved.log_key,
    ]))
    .await;
    assert!(!out.status.success(), "{}", said(&out));
    assert!(said(&out).contains("REFUSED"), "{}", said(&out));
}

#[tokio::test]
async fn a_fork_between_two_readers_and_a_deleted_tail_are_refused() {
    let app = TestApp::spawn().await;
    app.active_supplier("Forked Ltd").await;
    app.active_supplier("Tail Ltd").await;
    let saved = Saved::from(&app).await;
    assert!(witness(&saved, "a.state", &app).await.status.success());
    let a = std::fs::read_to_string(saved.path("a.state")).unwrap();
    let size: i64 = a.lines().nth(1).unwrap().parse().unwrap();

    // The newest entry rewritten and the tree rebuilt: reader B, new, takes the log
    // it is now shown; the two readers hold different logs of one size.
    {
        let mut conn = app.pool.get().unwrap();
        diesel::update(audit_log::table.find(size))
            .set(audit_log::entity_id.eq("another signature"))
            .execute(&mut *conn)
            .unwrap();
    }
    rebuild_tree(&app);
    assert!(witness(&saved, "b.state", &app).await.status.success());
    let b = std::fs::read_to_string(saved.path("b.state")).unwrap();
    assert_eq!(b.lines().nth(1), a.lines().nth(1), "one size");
    assert_ne!(b, a);

    // Comparing notes, each refuses the other's: a fork.
    for (state, other) in [("a.state", "b.state"), ("b.state", "a.state")] {
        let out = verify(args(&[
            &"witness",
            &"--state",
            &saved.path(state),
            &"--log-key",
            &saved.log_key,
            &"--checkpoint",
            &saved.path(other),
        ]))
        .await;
        assert!(!out.status.success());
        assert!(said(&out).contains("fork"), "{}", said(&out));
        let out = python(args(&[
            &"witness",
            &saved.path(state),
            &saved.path(other),
            &"-",
            &saved.log_key,
        ]))
        .await;
        assert!(!out.status.success());
        assert!(said(&out).contains("fork"), "{}", said(&out));
    }
    // And reader A's witness, asking the registry, is refused as well.
    let out = witness(&saved, "a.state", &app).await;
    assert!(said(&out).contains("fork"), "{}", said(&out));
    assert_eq!(std::fs::read_to_string(saved.path("a.state")).unwrap(), a);

    // The newest entries deleted: both witnesses see the log shrink.
    {
        let mut conn = app.pool.get().unwrap();
        diesel::delete(audit_log::table.filter(audit_log::seq.gt(size - 3)))
            .execute(&mut *conn)
            .unwrap();
    }
    rebuild_tree(&app);
    for state in ["a.state", "b.state"] {
        let out = witness(&saved, state, &app).await;
        assert!(!out.status.success());
        assert!(said(&out).contains("deleted"), "{}", said(&out));
    }
    assert_eq!(std::fs::read_to_string(saved.path("a.state")).unwrap(), a);
    assert_eq!(std::fs::read_to_string(saved.path("b.state")).unwrap(), b);
}
