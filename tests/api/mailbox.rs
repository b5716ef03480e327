//! A real SMTP server for the tests: aiosmtpd (from PyPI), delivering into a Maildir
//! that the tests read. Nothing here imitates the registry's own mail code.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Mailbox {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

/// One message as it arrived.
#[derive(Debug, Clone)]
pub struct Arrived {
    pub headers: Vec<(String, String)>,
    /// The decoded text of every part, one after the other.
    pub text: String,
}

impl Arrived {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn to(&self) -> &str {
        self.header("To").unwrap_or_default()
    }

    pub fn kind(&self) -> &str {
        self.header("X-Registry-Message").unwrap_or_default()
    }

    /// The `token` of the sign-in link in the message.
    pub fn link_token(&self) -> String {
        self.token_of("/sign-in/confirm")
    }

    /// The `token` of the link to `page` in the message.
    pub fn token_of(&self, page: &str) -> String {
        let link = format!("{page}?token=");
        let at = self
            .text
            .find(&link)
            .unwrap_or_else(|| panic!("no link to {page} in {}", self.text));
        self.text[at + link.len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }
}

/// The SMTP server the tests use (tests/requirements.txt).
fn ensure_installed() {
    crate::helpers::ensure_python_module("aiosmtpd");
}

impl Mailbox {
    pub fn start() -> Mailbox {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        Self::start_at(port)
    }

    /// A server on `port` (one the registry was already told of).
    pub fn start_at(port: u16) -> Mailbox {
        ensure_installed();
        let dir = tempfile::tempdir().expect("maildir");
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd (pip install aiosmtpd)");
        // Ready when this server greets on the port: another process that took the
        // port first (the port was free when chosen) would not answer as SMTP does.
        let greets = || {
            use std::io::Read;
            let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
            stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
            let mut banner = [0u8; 4];
            stream.read_exact(&mut banner).ok()?;
            (&banner[..3] == b"220").then_some(())
        };
        let mut mailbox = Mailbox { port, dir, child };
        let started = Instant::now();
        while greets().is_none() {
            assert!(
                mailbox.child.try_wait().ok().flatten().is_none(),
                "aiosmtpd exited (port {port} taken?)"
            );
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "aiosmtpd did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        mailbox
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn folder(&self) -> PathBuf {
        self.dir.path().join("mail").join("new")
    }

    /// Every message that has arrived, oldest first.
    pub fn all(&self) -> Vec<Arrived> {
        let mut files: Vec<_> = std::fs::read_dir(self.folder())
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .map(|raw| parse(&raw))
            .collect()
    }

    /// Waits until a message matching `f` has arrived, and returns it.
    pub async fn wait_for(&self, what: &str, f: impl Fn(&Arrived) -> bool) -> Arrived {
        let started = Instant::now();
        loop {
            if let Some(m) = self.all().into_iter().find(|m| f(m)) {
                return m;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no {what} arrived; the mailbox has {:#?}",
                self.all()
                    .iter()
                    .map(|m| (m.to().to_owned(), m.kind().to_owned()))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Messages of `kind` to `to`.
    pub fn count(&self, to: &str, kind: &str) -> usize {
        self.all()
            .iter()
            .filter(|m| m.to().contains(to) && m.kind() == kind)
            .count()
    }
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Headers (unfolded) and every part's body, quoted-printable decoded.
fn parse(raw: &str) -> Arrived {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((n, v)) = line.split_once(':') {
            headers.push((n.trim().to_owned(), v.trim().to_owned()));
        }
    }
    Arrived {
        headers,
        text: quoted_printable(body),
    }
}

fn quoted_printable(s: &str) -> String {
    let joined = s.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
