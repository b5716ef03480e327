//! Webhook messages as a receiver written with the `standardwebhooks` library (PyPI,
//! the reference implementation, not ours) sees them: every signature verifies, a
//! rotated secret and its successor both do, redirects are not followed, answers are
//! read only so far, and non-public addresses are refused.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pledge_registry::webhooks::Secret;
use pledge_registry::webhooks::send::{RESPONSE_KEPT, Sender};
use serde_json::Value;

const STANDARDWEBHOOKS: &str = "standardwebhooks==1.1.0";

struct Receiver {
    port: u16,
    log: tempfile::NamedTempFile,
    child: Child,
}

impl Receiver {
    fn start(secret: &Secret) -> Receiver {
        static READY: std::sync::OnceLock<()> = std::sync::OnceLock::new();
        READY.get_or_init(|| {
            let present = Command::new("python3")
                .args(["-c", "import standardwebhooks"])
                .status()
                .is_ok_and(|s| s.success());
            if !present {
                let ok = Command::new("python3")
                    .args(["-m", "pip", "install", "-q", STANDARDWEBHOOKS])
                    .status()
                    .is_ok_and(|s| s.success());
                assert!(ok, "cannot install {STANDARDWEBHOOKS}");
            }
        });
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = tempfile::NamedTempFile::new().unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/webhook_receiver.py");
        let child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(secret.expose())
            .arg(log.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with standardwebhooks");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the receiver did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Receiver { port, log, child }
    }

    fn url(&self, path: &str) -> url::Url {
        url::Url::parse(&format!("http://127.0.0.1:{}{path}", self.port)).unwrap()
    }

    /// What the receiver saw, oldest first.
    fn seen(&self) -> Vec<Value> {
        std::fs::read_to_string(self.log.path())
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sender(allow_loopback: bool) -> Sender {
    Sender::new(
        Duration::from_secs(2),
        Duration::from_secs(5),
        allow_loopback,
    )
    .unwrap()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn every_message_verifies_with_the_reference_library() {
    let secret = Secret::generate();
    let receiver = Receiver::start(&secret);
    let sender = sender(true);
    for seq in 1..=3 {
        let body = format!(r#"{{"seq":{seq},"type":"supplier.verified"}}"#);
        let attempt = sender
            .deliver(
                &receiver.url("/ok"),
                &format!("msg_{seq}"),
                now(),
                body.as_bytes(),
                &[&secret],
            )
            .await;
        assert!(attempt.delivered(), "{attempt:?}");
        assert_eq!(attempt.status, Some(204));
    }
    let seen = receiver.seen();
    assert_eq!(seen.len(), 3);
    for (i, m) in seen.iter().enumerate() {
        assert_eq!(m["verified"], true, "{m}");
        assert_eq!(m["id"], format!("msg_{}", i + 1));
        assert!(
            m["user_agent"]
                .as_str()
                .unwrap()
                .starts_with("TechPledgeRegistry-Webhooks/")
        );
    }

    // Signed with another secret: the receiver refuses it, and the attempt says so.
    let attempt = sender
        .deliver(
            &receiver.url("/ok"),
            "msg_4",
            now(),
            b"{}",
            &[&Secret::generate()],
        )
        .await;
    assert_eq!(attempt.status, Some(401));
    assert!(!attempt.delivered());
    assert_eq!(receiver.seen()[3]["verified"], false);
}

#[tokio::test]
async fn during_a_rotation_both_secrets_sign_and_either_receiver_verifies() {
    let (old, new) = (Secret::generate(), Secret::generate());
    let on_old = Receiver::start(&old);
    let on_new = Receiver::start(&new);
    let sender = sender(true);
    for receiver in [&on_old, &on_new] {
        let attempt = sender
            .deliver(
                &receiver.url("/ok"),
                "msg_rot",
                now(),
                b"{\"seq\":9}",
                &[&old, &new],
            )
            .await;
        assert!(attempt.delivered(), "{attempt:?}");
        assert_eq!(receiver.seen()[0]["verified"], true);
    }
}

#[tokio::test]
async fn redirects_are_not_followed_and_answers_are_read_only_so_far() {
    let secret = Secret::generate();
    let receiver = Receiver::start(&secret);
    let sender = sender(true);
    let attempt = sender
        .deliver(
            &receiver.url("/redirect"),
            "msg_r",
            now(),
            b"{}",
            &[&secret],
        )
        .await;
    assert_eq!(attempt.status, Some(302));
    assert!(!attempt.delivered());
    assert!(
        attempt
            .error
            .unwrap()
            .contains("redirects are not followed")
    );
    let attempt = sender
        .deliver(&receiver.url("/big"), "msg_b", now(), b"{}", &[&secret])
        .await;
    assert_eq!(attempt.status, Some(500));
    assert_eq!(attempt.response.len(), RESPONSE_KEPT);
    assert_eq!(
        receiver.seen().len(),
        2,
        "one request each, the redirect not followed"
    );
}

#[tokio::test]
async fn only_public_https_endpoints_are_taken() {
    let strict = sender(false);
    for (url, why) in [
        ("http://example.org/hook", "https"),
        ("https://10.0.0.1/hook", "private"),
        ("https://169.254.169.254/latest", "link-local"),
        ("https://[::1]/hook", "loopback"),
        ("https://user:pw@example.org/hook", "password"),
        ("https://example.org/hook#x", "fragment"),
        ("not a url", "https URL"),
    ] {
        let refused = strict.endpoint(url).unwrap_err();
        assert!(refused.contains(why), "{url}: {refused}");
    }
    assert!(
        strict
            .endpoint("https://hooks.example.org/registry")
            .is_ok()
    );
    // A name that resolves to a private address is refused when it is resolved, before
    // any connection.
    let secret = Secret::generate();
    let receiver = Receiver::start(&secret);
    let by_name = url::Url::parse(&format!("https://localhost:{}/ok", receiver.port)).unwrap();
    let attempt = strict
        .deliver(&by_name, "msg_x", now(), b"{}", &[&secret])
        .await;
    assert_eq!(attempt.status, None);
    assert!(
        attempt.error.as_deref().unwrap().starts_with("refused"),
        "{attempt:?}"
    );
    assert!(receiver.seen().is_empty());
}
