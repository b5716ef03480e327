//! Mail: what the registry writes to people ([`letters`]) and how it reaches them.
//!
//! Use cases write messages to the outbox in their own transaction
//! ([`crate::usecases::notify`]); the sending job ([`crate::jobs::send_mail`]) hands
//! them to the [`Mailer`]: over SMTP with `REGISTRY_SMTP_URL`, or, the embedded default,
//! as `.eml` files in the data folder, each logged.

pub mod letters;

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sha2::{Digest, Sha256};

use crate::config::MailSettings;
use crate::db::models::outbox::MailRow;

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
#[error("{detail}")]
pub struct Failure {
    /// Trying again will not help (the server refused the address for good).
    pub permanent: bool,
    pub detail: String,
}

impl Failure {
    fn permanent(detail: impl Into<String>) -> Self {
        Failure {
            permanent: true,
            detail: detail.into(),
        }
    }

    fn transient(detail: impl Into<String>) -> Self {
        Failure {
            permanent: false,
            detail: detail.into(),
        }
    }
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(PathBuf),
}

/// Sends the outbox's messages.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    /// The registry's public address, put where letters say [`letters::SITE`].
    site: String,
    /// The domain of Message-IDs.
    domain: String,
    /// The operator (`REGISTRY_OPERATOR_EMAIL`): the Reply-To of letters that invite a
    /// reply.
    operator: Option<Mailbox>,
}

impl Mailer {
    pub fn new(
        settings: &MailSettings,
        public_url: &str,
        operator_email: Option<&str>,
    ) -> anyhow::Result<Self> {
        let operator = operator_email
            .map(|e| e.parse::<Mailbox>())
            .transpose()
            .map_err(|e| anyhow::anyhow!("REGISTRY_OPERATOR_EMAIL is not an address: {e}"))?;
        let from: Mailbox = settings.from.parse().map_err(|e| {
            anyhow::anyhow!(
                "REGISTRY_MAIL_FROM must be an address such as `Registry <registry@example.org>`: {e}"
            )
        })?;
        let transport = match &settings.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(&url.0)
                    .map_err(|e| anyhow::anyhow!("REGISTRY_SMTP_URL is not usable: {e}"))?
                    .timeout(Some(Duration::from_secs(30)))
                    .build(),
            ),
            None => Transport::Folder(settings.folder.clone()),
        };
        Ok(Mailer {
            transport,
            domain: from.email.domain().to_owned(),
            from,
            site: public_url.trim_end_matches('/').to_owned(),
            operator,
        })
    }

    /// Whether mail can go out now: the SMTP server answers (and takes the credentials),
    /// or the folder can be written; what was found, in words.
    pub async fn check(&self) -> Result<String, String> {
        match &self.transport {
            Transport::Smtp(smtp) => match smtp.test_connection().await {
                Ok(true) => Ok("the mail server (REGISTRY_SMTP_URL) answers".into()),
                Ok(false) => Err(
                    "the mail server (REGISTRY_SMTP_URL) does not answer as a mail server".into(),
                ),
                Err(e) => Err(format!(
                    "the mail server (REGISTRY_SMTP_URL) cannot be reached: {e}"
                )),
            },
            Transport::Folder(dir) => {
                let probe = dir.join(".doctor");
                std::fs::create_dir_all(dir)
                    .and_then(|()| std::fs::write(&probe, b""))
                    .and_then(|()| std::fs::remove_file(&probe))
                    .map(|()| {
                        format!(
                            "no mail server is set: mail is written as files in {}",
                            dir.display()
                        )
                    })
                    .map_err(|e| {
                        format!(
                            "mail is written as files in {}, which cannot be written: {e}",
                            dir.display()
                        )
                    })
            }
        }
    }

    /// Where mail goes, for the log at start.
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(_) => "SMTP (REGISTRY_SMTP_URL)".into(),
            Transport::Folder(dir) => format!("files in {}", dir.display()),
        }
    }

    /// The message as it goes out. Its Message-ID comes from what it reports, so a
    /// message sent again after a crash carries the same one.
    pub fn message(&self, row: &MailRow) -> Result<Message, Failure> {
        let to: Mailbox = row
            .recipient
            .parse()
            .map_err(|e| Failure::permanent(format!("the address {:?}: {e}", row.recipient)))?;
        let invites_reply = row.body_text.contains(letters::REPLY);
        let (reply_text, reply_html) = match &self.operator {
            Some(_) => (
                format!("{}\n\n", letters::REPLY_LINE),
                format!("<p>{}</p>", letters::REPLY_LINE),
            ),
            None => (String::new(), String::new()),
        };
        let site = |s: &str| s.replace(letters::SITE, &self.site);
        let digest = Sha256::digest(row.message_key.as_bytes());
        let id = crate::domain::text::hex(&digest[..16]);
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&row.subject)
            .message_id(Some(format!("<{id}@{}>", self.domain)))
            .date_now()
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("X-Registry-Message"),
                row.kind.clone(),
            ));
        // A reply goes to whom the letter names (the person who raised a concern),
        // else to the operator where the letter invites one.
        match row.reply_to.as_deref().map(str::parse::<Mailbox>) {
            Some(Ok(person)) => builder = builder.reply_to(person),
            _ => {
                if let Some(operator) = self.operator.clone().filter(|_| invites_reply) {
                    builder = builder.reply_to(operator);
                }
            }
        }
        if let Some(link) = &row.unsubscribe {
            // RFC 2369 and RFC 8058: one click, without a visit to a page.
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{}>", site(link)),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".into(),
                ));
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                site(&row.body_text).replace(letters::REPLY, &reply_text),
                site(&row.body_html).replace(letters::REPLY, &reply_html),
            ))
            .map_err(|e| Failure::permanent(format!("the message cannot be built: {e}")))
    }

    /// Sends one message.
    pub async fn send(&self, row: &MailRow) -> Result<(), Failure> {
        let message = self.message(row)?;
        match &self.transport {
            Transport::Smtp(smtp) => match smtp.send(message).await {
                Ok(_) => Ok(()),
                Err(e) if e.is_permanent() => Err(Failure::permanent(e.to_string())),
                Err(e) => Err(Failure::transient(e.to_string())),
            },
            Transport::Folder(dir) => {
                let dir = dir.clone();
                let name = format!("{:08}-{}.eml", row.id, row.kind);
                let bytes = message.formatted();
                let path = dir.join(&name);
                tokio::task::spawn_blocking(move || write_once(&dir, &name, &bytes))
                    .await
                    .map_err(|e| Failure::transient(e.to_string()))?
                    .map_err(|e| Failure::transient(format!("{}: {e}", path.display())))?;
                tracing::info!(
                    to = %row.recipient,
                    kind = %row.kind,
                    file = %path.display(),
                    "mail written (no REGISTRY_SMTP_URL)"
                );
                Ok(())
            }
        }
    }
}

/// Writes `name` in `dir` whole or not at all: a message written again after a crash
/// replaces the same file.
fn write_once(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let partial = dir.join(format!(".{name}.partial"));
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, dir.join(name))
}
