//! A hostile insider with the database: each way of rewriting the log, and what
//! catches it. Every row starts from a log whose checkpoint two local witnesses have
//! cosigned, tampers with the tables as the insider would, then asks three parties:
//! the service (a new instance starting on the tampered database, and the running
//! one), the witnesses (shown the checkpoint a registry re-deriving the log would
//! sign), and `verify-log`. The operator guide's table is this file.

use diesel::prelude::*;
use pledge_registry::db::models::{audit, log_tree};
use pledge_registry::db::schema::{audit_log, log_checkpoints, log_tiles};
use pledge_registry::tlog::checkpoint::Checkpoint;
use pledge_registry::tlog::cosignature::Witness;
use pledge_registry::tlog::verify::LogKey;
use pledge_registry::witness::server::WitnessState;
use serde_json::Value;

use crate::cli::cli;
use crate::helpers::{Instance, TestApp, included, problem, registration};

/// A witness on a loopback port, started once the registry's key is known.
pub struct LocalWitness {
    pub name: String,
    pub url: String,
    pub witness: Witness,
    listener: Option<std::net::TcpListener>,
    dir: tempfile::TempDir,
    pub state: Option<actix_web::web::Data<WitnessState>>,
}

impl LocalWitness {
    /// Reserves a port and makes the witness's key.
    pub fn reserve(name: &str) -> LocalWitness {
        let dir = tempfile::tempdir().unwrap();
        let key = ed25519_dalek::SigningKey::from_bytes(&rand_bytes());
        let pem =
            ed25519_dalek::pkcs8::EncodePrivateKey::to_pkcs8_pem(&key, Default::default()).unwrap();
        std::fs::write(dir.path().join("key.pem"), pem.as_bytes()).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        LocalWitness {
            name: name.into(),
            url: format!("http://{}", listener.local_addr().unwrap()),
            witness: Witness {
                name: name.into(),
                public: key.verifying_key().to_bytes(),
            },
            listener: Some(listener),
            dir,
            state: None,
        }
    }

    /// `REGISTRY_WITNESSES`'s entry for it.
    pub fn setting(&self) -> String {
        format!("{} {}", self.witness.verifier_key(), self.url)
    }

    /// Starts serving, following the log whose verifier key is `log`.
    pub fn start(&mut self, log: &str) {
        let state = actix_web::web::Data::new(
            WitnessState::open(
                &self.name,
                &self.dir.path().join("key.pem"),
                &self.dir.path().join("state.json"),
                &[log.to_owned()],
            )
            .unwrap(),
        );
        let server =
            pledge_registry::witness::server::run(self.listener.take().unwrap(), state.clone())
                .unwrap();
        tokio::spawn(server);
        self.state = Some(state);
    }

    /// The size of the newest checkpoint it cosigned of `origin`.
    pub fn kept(&self, origin: &str) -> u64 {
        self.state
            .as_ref()
            .and_then(|s| s.kept(origin))
            .map_or(0, |k| k.size)
    }
}

fn rand_bytes() -> [u8; 32] {
    let mut b = [0u8; 32];
    for (i, x) in uuid::Uuid::new_v4()
        .as_bytes()
        .iter()
        .chain(uuid::Uuid::new_v4().as_bytes())
        .enumerate()
    {
        b[i] = *x;
    }
    b
}

/// A registry whose log two witnesses have cosigned.
pub struct Witnessed {
    pub app: TestApp,
    pub witnesses: Vec<LocalWitness>,
    pub log_key: LogKey,
    pub origin: String,
    /// The cosigned checkpoint.
    pub published: Checkpoint,
}

/// The newest checkpoint and its note, verified with the registry's key.
pub async fn served(base: &str, http: &reqwest::Client, key: &LogKey) -> (Checkpoint, String) {
    let res = http.get(format!("{base}/checkpoint")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    let note = res.text().await.unwrap();
    (
        key.checkpoint(&note)
            .unwrap_or_else(|e| panic!("{e}: {note}")),
        note,
    )
}

pub async fn witnessed() -> Witnessed {
    let mut witnesses = vec![
        LocalWitness::reserve("witness.example/one"),
        LocalWitness::reserve("witness.example/two"),
    ];
    let setting = witnesses
        .iter()
        .map(LocalWitness::setting)
        .collect::<Vec<_>>()
        .join(", ");
    let app = TestApp::spawn_with(&[("REGISTRY_WITNESSES", &setting)]).await;
    let key = app.get_json("/api/v1/log/key").await;
    let vkey = key["verifier_key"].as_str().unwrap().to_owned();
    for w in &mut witnesses {
        w.start(&vkey);
    }
    let log_key = LogKey::parse(&vkey).unwrap();
    app.active_supplier("Witnessed One Ltd").await;
    app.active_supplier("Witnessed Two Ltd").await;
    // Reading the checkpoint publishes the grown log and has it cosigned; the job asks
    // again a witness that was not serving yet.
    let mut tries = 0;
    let (published, note) = loop {
        let (c, note) = served(&app.base, &app.http, &log_key).await;
        if witnesses
            .iter()
            .all(|w| w.witness.cosigned(&note).is_some())
            && c.size == audit_size(&app)
        {
            break (c, note);
        }
        tries += 1;
        assert!(tries < 600, "the witnesses never cosigned: {note}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    for w in &witnesses {
        assert_eq!(w.kept(&log_key.name), published.size, "{note}");
    }
    Witnessed {
        origin: log_key.name.clone(),
        app,
        witnesses,
        log_key,
        published,
    }
}

fn audit_size(app: &TestApp) -> u64 {
    audit::last_seq(&mut app.pool.get().unwrap()).unwrap()
}

/// A write through `instance`: a registration, which appends to the log.
async fn write(instance: &Instance, name: &str) -> reqwest::Response {
    instance
        .http
        .post(format!("{}/api/v1/registrations", instance.base))
        .json(&registration(name))
        .send()
        .await
        .unwrap()
}

/// What a new instance starting on the tampered database does: it serves the last
/// published checkpoint, and refuses a write naming why.
async fn a_new_instance_refuses(w: &Witnessed, why: &str) -> Instance {
    let other = w.app.second_server().await;
    let (c, _) = served(&other.base, &other.http, &w.log_key).await;
    assert_eq!(
        c, w.published,
        "the published checkpoint is served, nothing new is signed"
    );
    let refused = problem(write(&other, "After Tampering Ltd").await, 503).await;
    assert_eq!(refused["type"], "urn:pledge-registry:problem:log-refused");
    let detail = refused["detail"].as_str().unwrap();
    assert!(detail.contains(why), "{detail}");
    other
}

/// What the registry would sign if it re-derived the log from the tampered tables.
fn re_derived(w: &Witnessed) -> (Checkpoint, String) {
    let mut conn = w.app.pool.get().unwrap();
    let size = log_tree::size(&mut conn).unwrap();
    let c = Checkpoint {
        origin: w.origin.clone(),
        size,
        root: log_tree::root(&mut conn, size).unwrap(),
    };
    let note = c.sign(&w.app.keys.signing);
    (c, note)
}

/// Each witness is shown `note` as the next checkpoint after the one it cosigned, with
/// the proof the tampered tree gives (none when it cannot give one): it refuses with
/// `status` and keeps what it had.
fn witnesses_refuse(w: &Witnessed, c: &Checkpoint, note: &str, status: u16) {
    let proof = if c.size > w.published.size {
        log_tree::consistency_answer(&mut w.app.pool.get().unwrap(), w.published.size, c.size)
            .map(|p| p.0)
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    for witness in &w.witnesses {
        let body = pledge_registry::witness::request(w.published.size, &proof, note);
        let (got, why) = witness.state.as_ref().unwrap().add_checkpoint(&body);
        assert_eq!(got, status, "{}: {why}", witness.name);
        assert_eq!(witness.kept(&w.origin), w.published.size);
    }
}

async fn verify_log_fails(w: &Witnessed, why: &str) {
    let out = cli(&w.app, &["verify-log"], &[]).await;
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains(why), "{said}");
}

/// Rewrites entry `seq` and, with `rehash`, its hash and every later entry's chain so
/// that the chain verifies again.
fn edit(app: &TestApp, seq: i64, rehash: bool) {
    let mut conn = app.pool.get().unwrap();
    diesel::update(audit_log::table.find(seq))
        .set(audit_log::entity_id.eq("someone else"))
        .execute(&mut *conn)
        .unwrap();
    if !rehash {
        return;
    }
    let mut prev = audit::entry(&mut conn, seq - 1)
        .unwrap()
        .and_then(|r| r.hash)
        .unwrap_or(audit::GENESIS.to_owned());
    let last = audit::last_seq(&mut conn).unwrap() as i64;
    for n in seq..=last {
        let mut row = audit::entry(&mut conn, n).unwrap().unwrap();
        row.prev_hash = Some(prev.clone());
        let hash = audit::hash_of(&row);
        diesel::update(audit_log::table.find(n))
            .set((audit_log::prev_hash.eq(&prev), audit_log::hash.eq(&hash)))
            .execute(&mut *conn)
            .unwrap();
        prev = hash;
    }
}

fn delete_tail(app: &TestApp, n: i64) {
    let mut conn = app.pool.get().unwrap();
    let last = audit::last_seq(&mut conn).unwrap() as i64;
    diesel::delete(audit_log::table.filter(audit_log::seq.gt(last - n)))
        .execute(&mut *conn)
        .unwrap();
}

/// What the service did on every start before the guard: a tree made again from the
/// entries as they are.
fn rebuild_behind_its_back(app: &TestApp) {
    let mut conn = app.pool.get().unwrap();
    conn.transaction(|c| audit::replace_tree(c)).unwrap();
}

#[tokio::test]
async fn an_edited_entry_is_refused_at_start_and_fails_its_proof_and_verify_log() {
    let w = witnessed().await;
    edit(&w.app, 2, false);
    a_new_instance_refuses(&w, "entry 2 is not the leaf its Merkle tree holds").await;
    // The tree is unchanged: a registry re-deriving would sign the same checkpoint,
    // which the witnesses already hold. Whoever checks entry 2 against it sees the edit.
    let (c, _) = re_derived(&w);
    assert_eq!(c, w.published);
    assert!(included(&w.app, 2, &w.published).await.is_err());
    assert!(included(&w.app, 1, &w.published).await.is_ok());
    verify_log_fails(&w, "entry 2 is bad: hash does not match").await;
}

#[tokio::test]
async fn an_edit_with_the_chain_rehashed_is_refused_at_start_and_by_verify_log() {
    let w = witnessed().await;
    edit(&w.app, 3, true);
    a_new_instance_refuses(&w, "entry 3 is not the leaf its Merkle tree holds").await;
    assert!(included(&w.app, 3, &w.published).await.is_err());
    verify_log_fails(
        &w,
        "entry 3 is bad: its leaf in the Merkle tree is not the hash of its public form",
    )
    .await;
}

#[tokio::test]
async fn a_deleted_tail_is_refused_and_its_numbers_are_never_used_again() {
    let w = witnessed().await;
    let before = w.published.size as i64;
    delete_tail(&w.app, 5);
    // The instance that was running takes no write: the tree holds entries the log
    // lost, so the next number would be one the tree already signed for.
    let running = Instance {
        base: w.app.base.clone(),
        http: w.app.http.clone(),
    };
    let refused = problem(write(&running, "Reused Number Ltd").await, 503).await;
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("its Merkle tree holds"),
        "{refused}"
    );
    assert_eq!(
        audit_size(&w.app),
        (before - 5) as u64,
        "no number is used again"
    );
    a_new_instance_refuses(&w, "its Merkle tree holds").await;
    verify_log_fails(&w, "the Merkle tree holds").await;
    // The registry publishes nothing smaller: its checkpoint is still the cosigned one.
    let (c, _) = served(&w.app.base, &w.app.http, &w.log_key).await;
    assert_eq!(c, w.published);
}

#[tokio::test]
async fn a_tail_deleted_and_the_tree_rebuilt_is_a_shrink_everyone_refuses() {
    let w = witnessed().await;
    delete_tail(&w.app, 5);
    rebuild_behind_its_back(&w.app);
    a_new_instance_refuses(&w, "fewer than the").await;
    let (shrunk, note) = re_derived(&w);
    assert_eq!(shrunk.size, w.published.size - 5);
    witnesses_refuse(&w, &shrunk, &note, 400);
    verify_log_fails(&w, "fewer than the").await;
    let out = cli(&w.app, &["rebuild-tree"], &[]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("fewer than the"));
}

#[tokio::test]
async fn an_edit_with_the_tree_rebuilt_is_a_fork_everyone_refuses() {
    let w = witnessed().await;
    edit(&w.app, 2, true);
    rebuild_behind_its_back(&w.app);
    a_new_instance_refuses(&w, "is not the root published for that size").await;
    let (fork, note) = re_derived(&w);
    assert_eq!(fork.size, w.published.size);
    assert_ne!(fork.root, w.published.root);
    witnesses_refuse(&w, &fork, &note, 422);
    verify_log_fails(&w, "is not the root published for that size").await;
    // Rebuilding on purpose is refused too: the entries make another root.
    let out = cli(&w.app, &["rebuild-tree"], &[]).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not the one published"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn deleting_the_published_checkpoints_too_is_caught_by_the_copy_kept_apart() {
    let w = witnessed().await;
    delete_tail(&w.app, 5);
    rebuild_behind_its_back(&w.app);
    diesel::delete(log_checkpoints::table)
        .execute(&mut *w.app.pool.get().unwrap())
        .unwrap();
    // The copy in the data folder (not in the database) still holds the published
    // size; a new instance there refuses, and so do the witnesses.
    let other = w.app.second_server().await;
    let refused = problem(write(&other, "After Tampering Ltd").await, 503).await;
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("published checkpoints were deleted"),
        "{refused}"
    );
    let (shrunk, note) = re_derived(&w);
    witnesses_refuse(&w, &shrunk, &note, 400);
}

#[tokio::test]
async fn a_missing_tree_is_built_again_only_by_the_command_and_to_the_published_root() {
    let w = witnessed().await;
    diesel::delete(log_tiles::table)
        .execute(&mut *w.app.pool.get().unwrap())
        .unwrap();
    a_new_instance_refuses(&w, "its Merkle tree holds 0 entries").await;
    let out = cli(&w.app, &["rebuild-tree"], &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Started again, the registry takes writes, and its next checkpoint extends the
    // cosigned one: the witnesses cosign it.
    let other = w.app.second_server().await;
    assert_eq!(write(&other, "After Rebuild Ltd").await.status(), 201);
    let mut tries = 0;
    loop {
        let (c, note) = served(&other.base, &other.http, &w.log_key).await;
        if c.size > w.published.size
            && w.witnesses
                .iter()
                .all(|x| x.witness.cosigned(&note).is_some())
        {
            break;
        }
        tries += 1;
        assert!(tries < 600, "{note}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_reader_requiring_a_quorum_rejects_a_checkpoint_without_it() {
    let w = witnessed().await;
    let witnesses: Vec<Witness> = w.witnesses.iter().map(|x| x.witness.clone()).collect();
    let (_, note) = served(&w.app.base, &w.app.http, &w.log_key).await;
    let quorum = |note: &str, n: usize| {
        pledge_registry::tlog::verify::cosigned(&w.log_key, note, &witnesses, n)
    };
    assert_eq!(quorum(&note, 2).map(|c| c.size), Ok(w.published.size));
    // The registry's signature alone, or one cosignature, is not a quorum of two.
    let (body, _) = note.split_once("\n\n").unwrap();
    let own = note
        .lines()
        .find(|l| l.starts_with(&format!("\u{2014} {} ", w.origin)))
        .unwrap();
    let alone = format!("{body}\n\n{own}\n");
    assert!(w.log_key.checkpoint(&alone).is_ok());
    assert!(quorum(&alone, 1).is_err());
    let one = note
        .lines()
        .find(|l| l.starts_with("\u{2014} witness.example/one "))
        .unwrap();
    assert!(quorum(&format!("{alone}{one}\n"), 1).is_ok());
    assert!(
        quorum(&format!("{alone}{one}\n{one}\n"), 2).is_err(),
        "one witness counts once"
    );
    // Attestations and the change feed carry the cosigned checkpoint.
    let s = w.app.active_supplier("Attested Ltd").await;
    let token = w
        .app
        .get(&format!("/api/v1/suppliers/{}/attestation", s.id))
        .await
        .text()
        .await
        .unwrap();
    let claims: Value = {
        use base64::Engine;
        let payload = token.split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap()
    };
    let carried = claims["log"]["checkpoint"].as_str().unwrap();
    assert!(quorum(carried, 2).is_ok(), "{carried}");
    let feed = w.app.get_json("/api/v1/changes").await;
    assert!(quorum(feed["checkpoint"].as_str().unwrap(), 2).is_ok());
}
