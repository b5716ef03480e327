//! A real SMTP server for the tests, in Rust: it speaks the protocol over loopback TCP
//! (greeting, EHLO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT) and keeps
//! each message as it arrived, byte for byte, for the tests to read. It shares no code
//! with the registry's mail sending. (A cross-check against aiosmtpd, a server written
//! by others, runs as its own CI step: tests/crosscheck.)

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::loopback::Loopback;

/// Stops, as a killed server would, when dropped.
pub struct Mailbox {
    pub port: u16,
    messages: Arc<Mutex<Vec<String>>>,
    _server: Loopback,
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

impl Mailbox {
    pub fn start() -> Mailbox {
        Self::start_at(crate::helpers::free_port())
    }

    /// A server on `port` (one the registry was already told of).
    pub fn start_at(port: u16) -> Mailbox {
        let messages: Arc<Mutex<Vec<String>>> = Arc::default();
        let kept = messages.clone();
        let server = Loopback::start_at(port, move |stream| {
            let _ = serve(stream, &kept);
        });
        Mailbox {
            port,
            messages,
            _server: server,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message that has arrived, oldest first.
    pub fn all(&self) -> Vec<Arrived> {
        let raw = self.messages.lock().unwrap().clone();
        raw.iter().map(|m| parse(m)).collect()
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

/// One SMTP session: replies to each command, and keeps each message's data.
fn serve(stream: TcpStream, messages: &Mutex<Vec<String>>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut out = stream.try_clone()?;
    let mut lines = BufReader::new(stream);
    out.write_all(b"220 127.0.0.1 ESMTP test sink\r\n")?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 127.0.0.1\r\n",
            "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 OK\r\n",
            "DATA" => {
                out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
                let mut message = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    // RFC 5321 4.5.2: a leading dot was doubled by the client.
                    message.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                messages.lock().unwrap().push(message);
                b"250 OK: queued\r\n"
            }
            "QUIT" => {
                out.write_all(b"221 Bye\r\n")?;
                return Ok(());
            }
            _ => b"502 Command not implemented\r\n",
        };
        out.write_all(reply)?;
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
