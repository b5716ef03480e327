//! Evidence snapshots against the local fixture: a document's words kept and compared
//! with what was signed, hostile bodies bounded, text kept private when the operator
//! says so.

use diesel::prelude::*;
use pledge_registry::db::models::checks::Scope;
use pledge_registry::domain::{EvidenceId, SupplierId};
use serde_json::Value;

use crate::checker::FAST;
use crate::fixture::Fixture;
use crate::helpers::{Supplier, TestApp};

const SIGNED: &str = "<html><head><title>AI policy</title><script>track()</script></head><body>\
    <h1>Our AI policy</h1><p>We never use care records to train models.</p>\
    <p>Every suggestion can be overridden by a carer.</p></body></html>";

/// The same words, laid out and scripted differently.
const RESTYLED: &str = "<html><head><style>h1{color:teal}</style><script src='/v2.js'></script></head>\n<body>\n\n\
    <h1 class='title'>Our   AI policy</h1>\n<p>We never use care records\n to train models.</p>\n\
    <p>Every suggestion can be overridden\n by a carer.</p><script>track('again')</script></body></html>";

const REWORDED: &str = "<html><body><h1>Our AI policy</h1><p>We rarely use care records to train models.</p>\
    <p>Every suggestion can be overridden by a carer.</p></body></html>";

/// Checks one link now, on an instance of the test's own, whenever it was last checked.
pub async fn check(instance: &pledge_registry::state::AppState, supplier: &str, link: &str) {
    let scope = Scope {
        supplier_id: Some(supplier.parse::<SupplierId>().unwrap()),
        evidence_id: Some(link.parse::<EvidenceId>().unwrap()),
        due_before: Some(pledge_registry::db::models::now() + chrono::Duration::seconds(1)),
    };
    let summary = pledge_registry::usecases::checks::round(
        &instance.database,
        &instance.checker,
        scope,
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.checked, 1, "the link was checked");
}

/// The link's content as the supplier's own (uncached) read shows it: the checks ran on
/// another instance.
async fn content(app: &TestApp, s: &Supplier, link: &str) -> Value {
    let record = app
        .get_json_as(&format!("/api/v1/suppliers/{}", s.id), &s.token)
        .await;
    record["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == link)
        .unwrap_or_else(|| panic!("{link} on the record"))["content"]
        .clone()
}

async fn page_says(app: &TestApp, s: &Supplier, words: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let page = app.page(s).await;
        if page.contains(words) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never said {words:?}: {page}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn mails(app: &TestApp, kind: &str) -> i64 {
    use pledge_registry::db::schema::outbox;
    let mut conn = app.pool.get().unwrap();
    outbox::table
        .filter(outbox::kind.eq(kind))
        .count()
        .get_result(&mut *conn)
        .unwrap()
}

#[tokio::test]
async fn a_page_reworded_after_signing_is_flagged_with_its_word_diff_and_restyling_is_not() {
    let fx = Fixture::start().await;
    let app = TestApp::spawn_with(FAST).await;
    let instance = app.second_instance().await;
    let s = app.register("Snapshot Care Ltd").await;
    fx.set_page("policy", "text/html; charset=utf-8", SIGNED);
    let link = app.add_evidence(&s, &fx.url("/page/policy")).await;
    assert_eq!(content(&app, &s, &link).await["since"], "unknown");

    check(&instance, &s.id, &link).await;
    let first = content(&app, &s, &link).await;
    assert_eq!(first["since"], "unchanged", "{first}");
    assert_eq!(first["baseline"]["reason"], "first_kept");
    let signed_hash = first["current"]["text_sha256"].clone();
    assert_eq!(signed_hash.as_str().map(str::len), Some(64));

    assert_eq!(app.sign(&s).await.status(), 201);
    let at_signing = content(&app, &s, &link).await;
    assert_eq!(at_signing["baseline"]["reason"], "signed", "{at_signing}");
    assert_eq!(at_signing["since"], "unchanged");

    // Layout, whitespace and scripts change: the words do not, and nothing is flagged.
    fx.set_page("policy", "text/html", RESTYLED);
    check(&instance, &s.id, &link).await;
    let restyled = content(&app, &s, &link).await;
    assert_eq!(restyled["since"], "unchanged", "{restyled}");
    assert_eq!(restyled["current"]["text_sha256"], signed_hash);
    assert_eq!(
        restyled["current"]["body_sha256"], first["current"]["body_sha256"],
        "the body signed with is the one kept while the words stay"
    );
    let feed = app.get_json("/api/v1/changes?limit=200").await;
    let content_changes = |feed: &Value| {
        feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["type"] == "evidence.content_changed")
            .count()
    };
    assert_eq!(content_changes(&feed), 0);

    // The words change.
    fx.set_page("policy", "text/html", REWORDED);
    check(&instance, &s.id, &link).await;
    let reworded = content(&app, &s, &link).await;
    assert_eq!(reworded["since"], "changed", "{reworded}");
    assert_eq!(reworded["baseline"]["reason"], "signed");
    assert_eq!(reworded["baseline"]["snapshot"]["text_sha256"], signed_hash);
    assert!(reworded["changed_at"].is_string());
    let changes = app
        .get_json(&format!(
            "/api/v1/suppliers/{}/evidence/{link}/changes",
            s.slug
        ))
        .await;
    assert_eq!(changes["text_shown"], true);
    let diff: Vec<(String, String)> = changes["diff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["op"].as_str().unwrap().to_owned(),
                p["text"].as_str().unwrap().to_owned(),
            )
        })
        .filter(|(op, _)| op != "equal")
        .collect();
    assert_eq!(
        diff,
        vec![
            ("delete".to_owned(), "never".to_owned()),
            ("insert".to_owned(), "rarely".to_owned())
        ]
    );
    assert_eq!(
        (
            changes["inserted_words"].as_u64(),
            changes["deleted_words"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let feed = app.get_json("/api/v1/changes?limit=200").await;
    assert_eq!(content_changes(&feed), 1, "one change of words in the feed");
    assert_eq!(
        mails(&app, "evidence_content_changed"),
        1,
        "the member is told"
    );

    // Care managers read it on the pages (served from memory, so once this instance
    // has heard of the check on the other).
    page_says(&app, &s, "Document changed since signed on").await;
    page_says(&app, &s, "1 document changed since signed").await;
    let diff_page = app
        .get(&format!("/suppliers/{}/evidence/{link}/changes", s.slug))
        .await
        .text()
        .await
        .unwrap();
    assert!(diff_page.contains("<del>never</del>"), "{diff_page}");
    assert!(diff_page.contains("<ins>rarely</ins>"), "{diff_page}");

    // Reaffirming makes the document as it is now the one the supplier stands by.
    assert!(app.reaffirm(&s).await.status().is_success());
    let reaffirmed = content(&app, &s, &link).await;
    assert_eq!(
        reaffirmed["baseline"]["reason"], "reaffirmed",
        "{reaffirmed}"
    );
    assert_eq!(reaffirmed["since"], "unchanged");
    page_says(&app, &s, "Document unchanged since reaffirmed on").await;
}

#[tokio::test]
async fn hostile_bodies_are_bounded_and_recorded_as_not_kept() {
    let fx = Fixture::start().await;
    let app = TestApp::spawn_with(FAST).await;
    let instance = app.second_instance().await;
    let s = app.register("Hostile Pages Ltd").await;
    fx.set_page(
        "report.pdf",
        "application/pdf",
        b"%PDF-1.7\n% a report\n".to_vec(),
    );
    let cases: &[(&str, &str)] = &[
        ("/big", "not kept: larger than 5 MiB"),
        ("/big-unsaid", "not kept: larger than 5 MiB"),
        ("/endless", "not kept: larger than 5 MiB"),
        (
            "/drip",
            "not kept: the body did not arrive within the check's time",
        ),
        ("/bomb", "not kept: larger than 5 MiB once decompressed"),
        (
            "/octets",
            "not kept: application/octet-stream is not a document the registry keeps",
        ),
    ];
    for (path, note) in cases {
        let link = app.add_evidence(&s, &fx.url(path)).await;
        check(&instance, &s.id, &link).await;
        let c = content(&app, &s, &link).await;
        assert_eq!(c["note"], *note, "{path}: {c}");
        assert_eq!(c["since"], "unknown", "{path}");
        assert!(c["current"].is_null(), "{path}");
    }
    // Junk said to be HTML is read as what html5ever makes of it: kept, with text.
    let junk = app.add_evidence(&s, &fx.url("/junk")).await;
    check(&instance, &s.id, &junk).await;
    let c = content(&app, &s, &junk).await;
    assert_eq!(c["since"], "unchanged", "{c}");
    assert_eq!(c["current"]["size"], 300_000);
    // A PDF is kept by its hash alone.
    let pdf = app.add_evidence(&s, &fx.url("/page/report.pdf")).await;
    check(&instance, &s.id, &pdf).await;
    let c = content(&app, &s, &pdf).await;
    assert_eq!(c["since"], "unchanged", "{c}");
    assert!(c["current"]["text_sha256"].is_null());
    assert_eq!(c["current"]["content_type"], "application/pdf");
}

#[tokio::test]
async fn the_operator_can_keep_snapshot_text_to_the_supplier() {
    let fx = Fixture::start().await;
    let settings: Vec<(&str, &str)> = FAST
        .iter()
        .copied()
        .chain([("REGISTRY_SNAPSHOTS_PUBLIC", "off")])
        .collect();
    let app = TestApp::spawn_with(&settings).await;
    let instance = app.second_instance().await;
    let s = app.register("Private Words Ltd").await;
    fx.set_page("p", "text/plain", "We keep records in the UK.");
    let link = app.add_evidence(&s, &fx.url("/page/p")).await;
    check(&instance, &s.id, &link).await;
    assert_eq!(app.sign(&s).await.status(), 201);
    fx.set_page("p", "text/plain", "We keep records in the EU.");
    check(&instance, &s.id, &link).await;
    let path = format!("/api/v1/suppliers/{}/evidence/{link}/changes", s.id);
    let public = app.get_json(&path).await;
    assert_eq!(
        public["since"], "changed",
        "hashes and dates are public: {public}"
    );
    assert_eq!(public["text_shown"], false);
    assert!(public["diff"].is_null());
    let own = app.get_json_as(&path, &s.token).await;
    assert_eq!(own["text_shown"], true);
    let words: Vec<&str> = own["diff"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["op"] != "equal")
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert_eq!(words, vec!["UK.", "EU."]);
    let page = app
        .get(&format!("/suppliers/{}/evidence/{link}/changes", s.slug))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("only to the supplier"), "{page}");
    assert!(!page.contains("EU."), "{page}");
}
