//! The verifiable log: its head, its chain, and the public change feed.

use std::collections::BTreeMap;

use diesel::prelude::*;
use pledge_registry::db::models::audit;
use pledge_registry::db::schema::audit_log;
use pledge_registry::tlog::verify::{self, LogKey};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem};

#[tokio::test]
async fn the_head_moves_with_every_change_and_the_chain_verifies() {
    let app = TestApp::spawn().await;
    let first = app.get_json("/api/v1/log/head").await;
    assert_eq!(first["seq"], 1, "the first pledge version");
    assert_eq!(first["hash"].as_str().unwrap().len(), 64);
    app.active_supplier("Chained Ltd").await;
    let head = app.get_json("/api/v1/log/head").await;
    assert!(head["seq"].as_i64().unwrap() > 1);
    let mut conn = app.pool.get().unwrap();
    let (n, bad) = audit::verify(&mut conn).unwrap();
    assert_eq!((n, bad), (head["seq"].as_i64().unwrap(), None));
    // Rewriting history is detected at the entry rewritten.
    diesel::update(audit_log::table.find(2))
        .set(audit_log::actor.eq("someone-else"))
        .execute(&mut *conn)
        .unwrap();
    let (n, bad) = audit::verify(&mut conn).unwrap();
    assert_eq!(n, 1);
    assert_eq!(bad.unwrap().0, 2);
}

#[tokio::test]
async fn concurrent_writers_never_fork_or_skip_the_chain() {
    let app = TestApp::spawn().await;
    let mut handles = Vec::new();
    for i in 0..24 {
        let http = app.http.clone();
        let url = app.url("/api/v1/registrations");
        handles.push(tokio::spawn(async move {
            http.post(url)
                .json(&crate::helpers::registration(&format!("Racer {i}")))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for h in handles {
        assert_eq!(h.await.unwrap(), 201);
    }
    let mut conn = app.pool.get().unwrap();
    let (n, bad) = audit::verify(&mut conn).unwrap();
    assert_eq!(bad, None);
    assert_eq!(
        n, 25,
        "one entry per registration after the pledge, numbered without gaps"
    );
}

/// Applies the feed from `since` to a mirror, page by page; returns where it stopped.
async fn sync(app: &TestApp, mirror: &mut BTreeMap<String, Value>, mut since: i64) -> i64 {
    loop {
        let page = app
            .get_json(&format!("/api/v1/changes?since={since}&limit=7"))
            .await;
        for change in page["items"].as_array().unwrap() {
            assert!(change["seq"].as_i64().unwrap() > since);
            mirror.insert(
                change["supplier_id"].as_str().unwrap().to_owned(),
                change["supplier"].clone(),
            );
        }
        since = page["next_since"].as_i64().unwrap();
        if page["more"] == false {
            return since;
        }
    }
}

async fn listed(app: &TestApp) -> BTreeMap<String, Value> {
    let list = app.get_json("/api/v1/suppliers?limit=200").await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap().to_owned(), s.clone()))
        .collect()
}

#[tokio::test]
async fn a_mirror_fed_from_the_change_feed_equals_the_list() {
    let app = TestApp::spawn().await;
    let a = app.active_supplier("Mirror A Ltd").await;
    let b = app.register("Mirror B Ltd").await;
    assert_eq!(app.sign(&b).await.status(), 201);
    let mut mirror = BTreeMap::new();
    let since = sync(&app, &mut mirror, 0).await;
    assert_eq!(mirror, listed(&app).await);

    // More changes of every kind; the mirror catches up incrementally.
    let evidence = json!({"url": "https://example.org/p", "title": "P", "kind": "policy", "commitments": ["safety"]});
    let e: Value = app
        .post(
            &format!("/api/v1/suppliers/{}/evidence", a.id),
            Some(&a.token),
            evidence,
        )
        .await
        .json()
        .await
        .unwrap();
    app.send(
        Method::PATCH,
        &format!("/api/v1/suppliers/{}", b.id),
        Some(&b.token),
        Some(json!({"name": "Mirror B Group"})),
    )
    .await;
    app.lifecycle(&a, "suspend", Some(json!({"reason": "Review"})))
        .await;
    app.withdraw(&b, "Leaving").await;
    app.send(
        Method::DELETE,
        &format!(
            "/api/v1/suppliers/{}/evidence/{}",
            a.id,
            e["id"].as_str().unwrap()
        ),
        Some(&a.token),
        None,
    )
    .await;
    let c = app.register("Mirror C Ltd").await;
    let since = sync(&app, &mut mirror, since).await;
    assert_eq!(mirror, listed(&app).await);
    assert_eq!(mirror[&c.id]["status"], "unsigned");
    assert_eq!(mirror[&b.id]["name"], "Mirror B Group");
    assert_eq!(mirror[&a.id]["status"], "suspended");

    // Nothing new: an empty page that keeps the position.
    let page = app
        .get_json(&format!("/api/v1/changes?since={since}"))
        .await;
    assert_eq!(page["items"], json!([]));
    assert_eq!(page["next_since"], since);
}

#[tokio::test]
async fn the_feed_never_shows_private_fields_or_tokens() {
    let app = TestApp::spawn().await;
    let s = app.register("Private Ltd").await;
    app.post(
        "/api/v1/admin/tokens",
        Some(&app.admin_token),
        json!({"role": "supplier", "supplier_id": s.id}),
    )
    .await;
    let raw = app
        .get("/api/v1/changes?limit=200")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !raw.contains("jo@example.org") && !raw.contains("Jo Bloggs"),
        "{raw}"
    );
    let page: Value = serde_json::from_str(&raw).unwrap();
    let kinds: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["supplier.registered"]);
    problem(app.get("/api/v1/changes?since=-1").await, 400).await;
    problem(app.get("/api/v1/changes?since=abc").await, 400).await;
}

#[tokio::test]
async fn lapsing_happens_once_even_with_two_instances() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Lapsing Ltd").await;
    app.backdate_reaffirm_by(&s);
    // A second instance on the same database.
    let config = app.config.clone();
    let other =
        tokio::task::spawn_blocking(move || pledge_registry::app::bootstrap::prepare(config))
            .await
            .unwrap()
            .unwrap();
    let this = app.second_instance().await;
    let (x, y) = tokio::join!(
        pledge_registry::jobs::lapse::run_once(&this.database, this.config.reaffirm_months),
        pledge_registry::jobs::lapse::run_once(&other.database, other.config.reaffirm_months)
    );
    assert_eq!(x.unwrap() + y.unwrap(), 1);
    let view = app.supplier(&s.slug).await;
    assert_eq!(view["status"], "lapsed");
    let history = app
        .get_json(&format!("/api/v1/suppliers/{}/history", s.slug))
        .await;
    let lapses: Vec<&Value> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "lapsed")
        .collect();
    assert_eq!(lapses.len(), 1);
    assert_eq!(lapses[0]["actor"], "system");
    assert!(lapses[0]["reason"].as_str().unwrap().contains("reaffirm"));
    assert_eq!(
        pledge_registry::jobs::lapse::run_once(&this.database, this.config.reaffirm_months)
            .await
            .unwrap(),
        0,
        "nothing left to lapse"
    );
    // Reaffirming brings it back.
    let res = app.reaffirm(&s).await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "active");
}

/// Every supplier's stored record and list item are what the tables say now.
fn stored_records_match_the_tables(app: &TestApp, step: usize) {
    use pledge_registry::db::models::{records, supplier};
    let mut conn = app.pool.get().unwrap();
    let at = pledge_registry::db::models::now();
    for id in supplier::all_ids(&mut conn).unwrap() {
        let fresh = pledge_registry::views::records::assemble(&mut conn, id, at).unwrap();
        let stored = records::get(&mut conn, id)
            .unwrap()
            .expect("a stored record");
        let stored = records::RecordRow {
            projected_at: at,
            ..stored
        };
        assert!(
            stored == fresh,
            "step {step}: {id}'s stored record is stale:\n{stored:?}\n{fresh:?}"
        );
    }
}

/// Every change of status a supplier's members must hear of is in the outbox once per
/// member, and nothing else of those kinds is: the mail follows the public history.
fn members_were_told_of_every_change(app: &TestApp, step: usize) {
    use diesel::dsl::count_star;
    use pledge_registry::db::schema::{members, outbox, status_events};
    let mut conn = app.pool.get().unwrap();
    let told = [
        ("verified", "verified"),
        ("suspended", "suspended"),
        ("reinstated", "reinstated"),
        ("lapsed", "lapsed"),
    ];
    let events: Vec<(String, String, i64)> = status_events::table
        .group_by((status_events::supplier_id, status_events::event))
        .select((
            status_events::supplier_id,
            status_events::event,
            count_star(),
        ))
        .load(&mut *conn)
        .unwrap();
    let mails: Vec<(Option<String>, String, i64)> = outbox::table
        .group_by((outbox::supplier_id, outbox::kind))
        .select((outbox::supplier_id, outbox::kind, count_star()))
        .load(&mut *conn)
        .unwrap();
    // Who hears of a supplier: members who accepted, and its contact; never an
    // invitation nobody accepted.
    use pledge_registry::db::schema::suppliers;
    let people: Vec<(String, i64)> = members::table
        .inner_join(suppliers::table.on(suppliers::id.eq(members::supplier_id)))
        .filter(
            members::confirmed_at
                .is_not_null()
                .or(members::email.eq(suppliers::contact_email)),
        )
        .group_by(members::supplier_id)
        .select((members::supplier_id, count_star()))
        .load(&mut *conn)
        .unwrap();
    for (supplier, n) in &people {
        for (event, kind) in told {
            let happened = events
                .iter()
                .find(|(s, e, _)| s == supplier && e == event)
                .map_or(0, |r| r.2);
            let written = mails
                .iter()
                .find(|(s, k, _)| s.as_deref() == Some(supplier.as_str()) && k == kind)
                .map_or(0, |r| r.2);
            assert_eq!(
                written,
                happened * n,
                "step {step}: {supplier} had {happened} {event} and {written} {kind} messages"
            );
        }
    }
}

/// Every snapshot pinned at a signature or reaffirmation is still there, with the
/// words it had when pinned: `seen` holds each pin's snapshot and key from the step it
/// first appeared.
fn pins_hold(app: &TestApp, seen: &mut BTreeMap<i64, (i64, String)>, step: usize) -> usize {
    use pledge_registry::db::models::snapshots;
    let mut conn = app.pool.get().unwrap();
    let pins = snapshots::all_pins(&mut conn).unwrap();
    for (id, (snapshot, _)) in seen.iter() {
        let pin = pins
            .iter()
            .find(|p| p.id == *id)
            .unwrap_or_else(|| panic!("step {step}: pin {id} is gone"));
        assert_eq!(pin.snapshot_id, *snapshot, "step {step}: pin {id} moved");
    }
    for pin in &pins {
        let kept = snapshots::of_link(&mut conn, pin.evidence_id).unwrap();
        let snap = kept
            .iter()
            .find(|s| s.id == pin.snapshot_id)
            .unwrap_or_else(|| panic!("step {step}: pin {}'s snapshot was thinned", pin.id));
        let (_, key) = seen
            .entry(pin.id)
            .or_insert((pin.snapshot_id, snap.key().to_owned()));
        assert_eq!(
            snap.key(),
            key,
            "step {step}: pin {}'s words changed",
            pin.id
        );
    }
    pins.len()
}

/// Random sequences of every kind of write, by the supplier, the operator (with the API
/// and on the console, turn about) and time, legal or not (the lifecycle and identity rules, evidence, a new pledge version,
/// lapsing, a certification expiring, invitations made and withdrawn, evidence documents
/// reworded and checked): after each, every stored record equals the one
/// assembled from the tables, a mirror fed from the change feed equals the list, no
/// supplier is active without a verified identity, every snapshot pinned at a signature
/// stays as pinned, and the audit chain verifies.
#[tokio::test]
async fn random_writes_keep_the_feed_the_list_and_the_rules_in_step() {
    let app = TestApp::spawn_with(crate::checker::FAST).await;
    let fx = crate::fixture::Fixture::start().await;
    let mut pinned = BTreeMap::new();
    let mut reword = crate::helpers::choices(0x2545_f491_4f6c_dd1d);
    let mut next = crate::helpers::choices(0x9e37_79b9_7f4a_7c15);
    let numbers = ["01234567", "SC123456", "07654321"];
    let mut suppliers = Vec::new();
    for i in 0..3 {
        let s = app.register(&format!("Random {i} Ltd")).await;
        suppliers.push(s);
    }
    // Signers from the start, so that whatever changes many records at once has some.
    assert_eq!(app.sign(&suppliers[0]).await.status(), 201);
    assert_eq!(app.sign(&suppliers[1]).await.status(), 201);
    let mut mirror = BTreeMap::new();
    let mut since = 0;
    let mut versions = 0;
    let instance = app.second_instance().await;
    let jwks: jsonwebtoken::jwk::JwkSet = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let log_key = LogKey::parse(
        app.get_json("/api/v1/log/key").await["verifier_key"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let console = crate::console::session_without_mail(&app, "random.ops@registry.example").await;
    for (i, s) in suppliers.iter().enumerate() {
        fx.set_page(&format!("doc{i}"), "text/html", "<p>Policy words 0</p>");
        let link = app.add_evidence(s, &fx.url(&format!("/page/doc{i}"))).await;
        crate::snapshots::check(&instance, &s.id, &link).await;
    }
    // The signers reaffirm with their documents kept: the first pins.
    for s in &suppliers[..2] {
        assert!(app.reaffirm(s).await.status().is_success());
    }
    assert_eq!(pins_hold(&app, &mut pinned, 0), 2);
    for step in 0..90 {
        let pick = next(suppliers.len());
        let s = &suppliers[pick];
        let reason = Some(json!({"reason": format!("Step {step}")}));
        let path = |tail: &str| format!("/api/v1/suppliers/{}{tail}", s.id);
        if step % 5 == 4 {
            // A supplier's document is reworded (or not) and checked, besides the write.
            let (who, words) = (reword(suppliers.len()), reword(4));
            fx.set_page(
                &format!("doc{who}"),
                "text/html",
                format!("<p>Policy words {words}</p><script>v{step}()</script>"),
            );
            let record = app
                .get_json_as(
                    &format!("/api/v1/suppliers/{}", suppliers[who].id),
                    &suppliers[who].token,
                )
                .await;
            let live = record["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["url"].as_str().is_some_and(|u| u.starts_with(&fx.base)));
            if let Some(e) = live {
                crate::snapshots::check(&instance, &suppliers[who].id, e["id"].as_str().unwrap())
                    .await;
            }
        }
        let status = match next(17) {
            13 => {
                // Someone is invited (and never accepts): they hear nothing of it.
                app.post(
                    &path("/members"),
                    Some(&s.token),
                    json!({"email": format!("invitee{step}@random.example"), "name": "Invitee", "role": "editor"}),
                )
                .await
                .status()
            }
            14 => {
                // An invitation is withdrawn.
                let listed = app.get_json_as(&path("/members"), &s.token).await;
                let invited = listed["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|m| m["confirmed"] == false && m["email"] != "jo@example.org")
                    .and_then(|m| m["id"].as_str().map(str::to_owned));
                match invited {
                    Some(m) => app
                        .send(
                            Method::DELETE,
                            &path(&format!("/members/{m}")),
                            Some(&s.token),
                            None,
                        )
                        .await
                        .status(),
                    None => reqwest::StatusCode::OK,
                }
            }
            9 if versions < 2 => {
                versions += 1;
                app.publish_version(&format!("2027-0{versions}")).await
            }
            10 => {
                // A certification that expires: added ahead of its date, then the date
                // passes and the instance's time job records it.
                let res = app
                    .post(
                        &path("/evidence"),
                        Some(&s.token),
                        json!({"url": format!("https://example.org/cert-{step}"), "title": "Cert",
                               "kind": "certification", "scheme": "dspt",
                               "expires_on": "2099-12-31", "commitments": ["safety"]}),
                    )
                    .await;
                app.expire_certifications(s);
                pledge_registry::jobs::lapse::note_expiries(&instance.database)
                    .await
                    .unwrap();
                // Written by another instance: served here within the bound.
                tokio::time::sleep(pledge_registry::views::cache::BOUND).await;
                res.status()
            }
            11 if app.supplier(&s.id).await["status"] == "active" => {
                // Its reaffirm-by date passes (written as if it had been that date all
                // along), and the instance's time job lapses it.
                app.backdate_reaffirm_by(s);
                app.project(&s.id).await;
                pledge_registry::jobs::lapse::run_once(
                    &instance.database,
                    instance.config.reaffirm_months,
                )
                .await
                .unwrap();
                tokio::time::sleep(pledge_registry::views::cache::BOUND).await;
                reqwest::StatusCode::OK
            }
            12 => {
                let record = app.supplier(&s.id).await;
                match record["evidence"][0]["id"].as_str() {
                    Some(e) => app
                        .send(
                            Method::DELETE,
                            &path(&format!("/evidence/{e}")),
                            Some(&s.token),
                            None,
                        )
                        .await
                        .status(),
                    None => reqwest::StatusCode::OK,
                }
            }
            0 => app.sign(s).await.status(),
            1..=3 if step % 2 == 1 => {
                let action = ["verify", "suspend", "reinstate"][(step / 2) % 3];
                let why = format!("Step {step}");
                crate::console::supplier_action(&app, &console, &s.id, action, &why).await
            }
            1 => app.lifecycle(s, "verify", None).await.status(),
            2 => app.lifecycle(s, "suspend", reason).await.status(),
            3 => app.lifecycle(s, "reinstate", reason).await.status(),
            4 => app
                .post(
                    &path("/signature/withdraw"),
                    Some(&s.token),
                    json!({"reason": "Out"}),
                )
                .await
                .status(),
            5 => app.reaffirm(s).await.status(),
            16 => app
                .post(
                    &path("/signature/reaffirm"),
                    Some(&s.token),
                    json!({"statements": {"safety": format!("Corrected at step {step}: what we do.")}}),
                )
                .await
                .status(),
            6 => app
                .send(
                    Method::PATCH,
                    &path(""),
                    Some(&s.token),
                    Some(json!({"company_number": numbers[next(numbers.len())]})),
                )
                .await
                .status(),
            7 => app
                .send(
                    Method::PATCH,
                    &path(""),
                    Some(&s.token),
                    Some(json!({"website": format!("https://site{}.example", next(3))})),
                )
                .await
                .status(),
            _ => app
                .post(
                    &path("/evidence"),
                    Some(&s.token),
                    json!({"url": format!("https://example.org/{step}"), "title": "Doc",
                           "kind": "report", "commitments": ["safety"]}),
                )
                .await
                .status(),
        };
        assert!(
            status.is_success() || status == 409,
            "step {step}: {status}"
        );
        stored_records_match_the_tables(&app, step);
        members_were_told_of_every_change(&app, step);
        pins_hold(&app, &mut pinned, step);
        since = sync(&app, &mut mirror, since).await;
        let list = listed(&app).await;
        assert_eq!(mirror, list, "step {step}");
        for (id, item) in &list {
            attested_as_listed(&app, &jwks, &log_key, id, item, step).await;
        }
        let mut held = Vec::new();
        for (id, s) in &list {
            let full = app.supplier(id).await;
            assert!(
                full["status"] != "active" || full["identity_verified"] == true,
                "step {step}: {id} is active unverified"
            );
            assert_eq!(s["status"], full["status"]);
            if full["identity_verified"] == true && full["company_number"].is_string() {
                assert!(
                    !held.contains(&full["company_number"]),
                    "step {step}: two verified suppliers hold one number"
                );
                held.push(full["company_number"].clone());
            }
        }
    }
    assert!(
        pins_hold(&app, &mut pinned, 90) >= 2,
        "signatures and reaffirmations pinned snapshots"
    );
    let mut conn = app.pool.get().unwrap();
    let (_, bad) = audit::verify(&mut conn).unwrap();
    assert_eq!(bad, None);
    // The sequence told members of most kinds of change, so the check above had work.
    let kinds: Vec<&str> = ["verified", "suspended", "reinstated", "lapsed"]
        .into_iter()
        .filter(|kind| {
            use diesel::prelude::*;
            use pledge_registry::db::schema::outbox;
            outbox::table
                .filter(outbox::kind.eq(*kind))
                .count()
                .get_result::<i64>(&mut *conn)
                .unwrap()
                > 0
        })
        .collect();
    let events: Vec<String> = {
        use diesel::prelude::*;
        use pledge_registry::db::schema::status_events;
        status_events::table
            .select(status_events::event)
            .load(&mut *conn)
            .unwrap()
    };
    assert!(
        kinds.len() >= 3,
        "members were told only of {kinds:?}; events {events:?}"
    );
}

/// The supplier's attestation says what the list says, and checks offline: its
/// checkpoint, its entry's proof, and the entry's public form recording its claims.
async fn attested_as_listed(
    app: &TestApp,
    jwks: &jsonwebtoken::jwk::JwkSet,
    key: &LogKey,
    id: &str,
    item: &Value,
    step: usize,
) {
    let token = String::from_utf8(
        app.get_bytes(&format!("/api/v1/suppliers/{id}/attestation"))
            .await,
    )
    .unwrap();
    let cited = verify::attestation(&token, jwks, key, None)
        .unwrap_or_else(|e| panic!("step {step}: {id}: {e}"));
    let seq = cited.claims.log.as_ref().unwrap().seq;
    let leaf = app.get_bytes(&format!("/api/v1/log/leaves/{seq}")).await;
    let c = verify::attestation(&token, jwks, key, Some(&leaf))
        .unwrap_or_else(|e| panic!("step {step}: {id}: {e}"))
        .claims;
    let said = json!([
        c.status,
        c.pledge_version,
        c.signed_current_version,
        c.evidence_health,
        c.identity_verified,
        c.supplier_name
    ]);
    let listed = json!([
        item["status"],
        item["pledge_version"],
        item["signed_current_version"],
        item["evidence_summary"],
        item["identity_verified"],
        item["name"]
    ]);
    assert_eq!(said, listed, "step {step}: {id}");
}

/// A mirror can start from an export and follow the feed from the position the export
/// names: nothing is missed, and the mirror ends equal to the list.
#[tokio::test]
async fn a_mirror_started_from_an_export_resumes_from_the_feed_without_a_gap() {
    let app = TestApp::spawn().await;
    let a = app.active_supplier("Exported A Ltd").await;
    let b = app.register("Exported B Ltd").await;
    let res = app.get("/api/v1/export").await;
    assert_eq!(res.status(), 200);
    let since: i64 = res.headers()["changes-since"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let head = app.get_json("/api/v1/log/head").await;
    assert_eq!(
        since,
        head["seq"].as_i64().unwrap(),
        "nothing written meanwhile"
    );
    let fields = |v: &Value| json!([v["status"], v["evidence_summary"], v["updated_at"]]);
    let mut mirror: BTreeMap<String, Value> = res
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| (v["id"].as_str().unwrap().to_owned(), fields(&v)))
        .collect();
    // Changes after the export: a new supplier, a signature, a withdrawal.
    let c = app.register("Exported C Ltd").await;
    assert_eq!(app.sign(&b).await.status(), 201);
    assert_eq!(app.withdraw(&a, "Leaving").await.status(), 200);
    let mut feed = BTreeMap::new();
    sync(&app, &mut feed, since).await;
    for (id, summary) in feed {
        mirror.insert(id, fields(&summary));
    }
    let list: BTreeMap<String, Value> = listed(&app)
        .await
        .into_iter()
        .map(|(id, s)| (id, fields(&s)))
        .collect();
    assert_eq!(mirror, list);
    assert!(list.contains_key(&c.id));
}

/// The export takes the list's filters.
#[tokio::test]
async fn the_export_takes_the_lists_filters() {
    let app = TestApp::spawn().await;
    let active = app.active_supplier("Filtered Active Ltd").await;
    app.register("Filtered Unsigned Ltd").await;
    let ids = |body: String| -> Vec<String> {
        body.lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let res = app.get("/api/v1/export?status=active&status=lapsed").await;
    assert_eq!(ids(res.text().await.unwrap()), vec![active.id.clone()]);
    let res = app.get("/api/v1/export?q=filtered&format=csv").await;
    assert_eq!(
        res.text().await.unwrap().lines().count(),
        3,
        "header and two rows"
    );
    let res = app.get("/api/v1/export?status=sleeping").await;
    assert_eq!(crate::helpers::fields(&problem(res, 400).await), ["status"]);
}

/// A damaged feed entry is reported, never silently left out: a mirror that skipped it
/// would differ from the list without knowing.
#[tokio::test]
async fn a_damaged_feed_entry_is_an_error_not_a_gap() {
    let app = TestApp::spawn().await;
    app.register("Damaged Ltd").await;
    let page = app.get_json("/api/v1/changes").await;
    let seq = page["items"][0]["seq"].as_i64().unwrap();
    {
        let mut conn = app.pool.get().unwrap();
        diesel::update(audit_log::table.find(seq))
            .set(audit_log::public_json.eq(Some("{not json")))
            .execute(&mut *conn)
            .unwrap();
    }
    let body = problem(app.get("/api/v1/changes").await, 500).await;
    assert_eq!(body["type"], "urn:pledge-registry:problem:internal");
    assert!(
        !body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("not json"),
        "no internals in the answer"
    );
}
