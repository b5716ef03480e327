//! One-time links sent by email: a random secret, of which only a hash is stored.

use base64::Engine;
use chrono::{Duration, NaiveDateTime};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::*;
use crate::db::DbConn;
use crate::db::models::sign_in;
use crate::domain::account::LinkPurpose;
use crate::domain::{MemberId, text};
use crate::error::Result;

/// A new random secret, and the hash that is stored of it.
pub(super) fn secret() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&secret);
    (secret, hash)
}

pub(super) fn hash(secret: &str) -> String {
    text::hex(&Sha256::digest(secret.as_bytes()))
}

/// What a new link is for, beyond its purpose.
#[derive(Default)]
pub(super) struct LinkFor {
    /// Someone asked for it (counted against the address's links).
    pub(super) asked: bool,
    pub(super) subscriber_name: Option<String>,
    /// The membership it accepts.
    pub(super) member: Option<MemberId>,
    /// How long it works, if not [`LINK_MINUTES`].
    pub(super) lasts: Option<Duration>,
}

/// Records a one-time link for `email` and returns the path that uses it.
pub(super) fn new_link(
    conn: &mut DbConn,
    email: &str,
    purpose: LinkPurpose,
    link: LinkFor,
    at: NaiveDateTime,
) -> Result<String> {
    let (secret, secret_hash) = secret();
    sign_in::insert(
        conn,
        &sign_in::LinkRow {
            secret_hash,
            email: email.to_owned(),
            created_at: at,
            expires_at: at + link.lasts.unwrap_or(Duration::minutes(LINK_MINUTES)),
            used_at: None,
            asked: link.asked,
            purpose,
            subscriber_name: link.subscriber_name,
            member_id: link.member,
        },
    )?;
    let page = match purpose {
        LinkPurpose::SignIn => "/sign-in/confirm",
        LinkPurpose::Subscriber => "/webhooks/confirm",
        LinkPurpose::Operator => "/operator/sign-in/confirm",
    };
    Ok(format!("{page}?token={secret}"))
}

/// A link someone asked for by giving `email` (a valid, lower-cased address); the
/// path that uses it, or none when nothing is to be sent: links to the address (for
/// any purpose) were asked for [`LINKS_PER_HOUR`] times in the last hour and one for
/// `purpose` is still outstanding. Never refused: asking in someone's name cannot
/// lock them out.
pub(crate) fn asked_link(
    conn: &mut DbConn,
    email: &str,
    purpose: LinkPurpose,
    subscriber_name: Option<String>,
    at: NaiveDateTime,
) -> Result<Option<String>> {
    if sign_in::asked_since(conn, email, at - Duration::hours(1))? >= LINKS_PER_HOUR
        && sign_in::outstanding(conn, email, purpose, at)?
    {
        return Ok(None);
    }
    sign_in::prune(conn, at - Duration::days(1))?;
    let link = LinkFor {
        asked: true,
        subscriber_name,
        ..LinkFor::default()
    };
    new_link(conn, email, purpose, link, at).map(Some)
}

/// Uses the link for `purpose` with this secret, once; none when it is unknown, used,
/// expired or for something else.
pub(crate) fn take_link(
    conn: &mut DbConn,
    link_secret: &str,
    purpose: LinkPurpose,
    at: NaiveDateTime,
) -> Result<Option<sign_in::LinkRow>> {
    let secret = link_secret.trim();
    if secret.is_empty() || secret.len() > 100 {
        return Ok(None);
    }
    Ok(sign_in::take(conn, &hash(secret), purpose, at)?)
}

/// A stable key for the message that carries the link at `path`, without its secret.
pub(crate) fn link_key(path: &str) -> String {
    hash(path)
}
