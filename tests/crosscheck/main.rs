//! Cross-checks with libraries written by others in Python, pinned in
//! tests/requirements.txt and installed before this runs (CI does it in its own step):
//! the Standard Webhooks reference library verifies our messages, aiosmtpd takes our
//! mail, `cryptography` reads the key the registry generates, Prometheus's client parses
//! `/metrics` as OpenMetrics, and the documented
//! verifier (docs/verify_log.py) checks attestations, proofs and checkpoints.
//!
//!     python3 -m pip install -r tests/requirements.txt
//!     cargo test --features crosscheck --test crosscheck
//!
//! A missing library fails the test that needs it, naming the requirements file.

#![allow(dead_code)]

#[path = "../api/helpers.rs"]
mod helpers;
mod libraries;
#[path = "../api/loopback.rs"]
mod loopback;
#[path = "../api/mailbox.rs"]
mod mailbox;
mod witness;

/// Makes sure python3 can import `module` (pinned in tests/requirements.txt); fails
/// the test, naming that file, when it cannot. Tests never install anything.
pub fn ensure_python_module(module: &str) {
    static READY: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut ready = READY.lock().unwrap_or_else(|e| e.into_inner());
    if ready.iter().any(|m| m == module) {
        return;
    }
    let importable = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        importable,
        "python3 cannot import {module}: install the test requirements first, \
         `python3 -m pip install -r tests/requirements.txt`"
    );
    ready.push(module.to_owned());
}
