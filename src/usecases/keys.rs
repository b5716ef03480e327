//! Rotating the registry's signing key. A routine rotation retires the old key:
//! tokens it signed keep working until they expire, and what it signed (attestations,
//! checkpoints) keeps verifying. A rotation for a compromise also ends every token, and
//! tells each holder how to get a new one.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use serde_json::json;

use super::{By, notify};
use crate::db::DbConn;
use crate::db::models::{audit, members, signing_keys, supplier, tokens, webhooks};
use crate::domain::Action;
use crate::error::{Error, Result};
use crate::mail::letters;

/// What a rotation did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rotated {
    /// Tokens ended (a compromise only).
    pub revoked: usize,
    /// People told to get new ones.
    pub told: usize,
}

/// A rotation done: the key retired, the key that signs now, and what it did.
#[derive(Debug, Clone)]
pub struct Done {
    pub old_kid: String,
    pub new_kid: String,
    pub rotated: Rotated,
}

/// Replaces the key in `key_file` with a new one: the database learns the new key
/// first (with the audit entry, in one transaction, one rotation at a time across
/// instances), then the file is replaced, where every instance sharing it picks it up.
/// Until then, instances keep signing with the old key, whose tokens stay valid.
pub fn rotate(
    conn: &mut DbConn,
    key_file: &std::path::Path,
    by: &By,
    compromised: bool,
    at: NaiveDateTime,
) -> anyhow::Result<Done> {
    crate::db::with_setup_lock(conn, |conn| {
        let (old_kid, keys, rotation) = crate::auth::Keys::rotate(key_file)?;
        let rotated = diesel::Connection::transaction(conn, |conn| {
            rotated(
                conn,
                by,
                &old_kid,
                &keys.kid,
                &keys.public_x,
                compromised,
                at,
            )
            .map_err(|e| anyhow::anyhow!("{e}"))
        })?;
        rotation.commit()?;
        Ok(Done {
            old_kid,
            new_kid: keys.kid.clone(),
            rotated,
        })
    })
}

/// Records `new_kid` as the key in use (the old one retired), in one transaction with
/// its audit entry; with `compromised`, the old key is marked so, every token ends,
/// and each holder is written to.
pub fn rotated(
    conn: &mut DbConn,
    by: &By,
    old_kid: &str,
    new_kid: &str,
    new_public_x: &str,
    compromised: bool,
    at: NaiveDateTime,
) -> Result<Rotated> {
    signing_keys::register_current(conn, new_kid, new_public_x, at).map_err(Error::Internal)?;
    let mut done = Rotated::default();
    if compromised {
        signing_keys::mark_compromised(conn, old_kid, at)?;
        let holders = holders(conn, at)?;
        done.revoked = tokens::revoke_all(conn, at)?;
        for (email, name) in &holders {
            notify::address(
                conn,
                email,
                name,
                &letters::key_replaced(),
                &format!("key-compromised:{new_kid}"),
                at,
            )?;
        }
        done.told = holders.len();
    }
    audit::record(
        conn,
        at,
        audit::Entry::new(
            &by.actor,
            if compromised {
                Action::KeyRotatedAfterCompromise
            } else {
                Action::KeyRotated
            },
            "key",
            new_kid.to_owned(),
        )
        .before(json!({"kid": old_kid}))
        .after(json!({"kid": new_kid, "tokens_ended": done.revoked})),
    )?;
    Ok(done)
}

/// Who holds a token in force, by address: a member for their session, a supplier's
/// owners (or its contact, before any owner accepted) for its other tokens, a webhook
/// subscriber for its own. The operator's tokens are the operator's to replace.
fn holders(conn: &mut DbConn, at: NaiveDateTime) -> Result<BTreeMap<String, String>> {
    // Each member, subscriber and supplier once, however many tokens they hold.
    let (mut member_ids, mut subscriber_ids, mut supplier_ids) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for t in tokens::in_force(conn, at)? {
        match (t.member_id, t.subscriber_id, t.supplier_id) {
            (Some(m), _, _) => member_ids.insert(m),
            (None, Some(s), _) => subscriber_ids.insert(s),
            (None, None, Some(s)) => supplier_ids.insert(s),
            (None, None, None) => false,
        };
    }
    let mut to: BTreeMap<String, String> = BTreeMap::new();
    for m in member_ids {
        if let Some(m) = members::find(conn, m)? {
            to.insert(m.email, m.name);
        }
    }
    for s in subscriber_ids {
        if let Some(s) = webhooks::subscriber(conn, s)? {
            to.insert(s.email, s.name);
        }
    }
    for s in supplier_ids {
        let owners: Vec<_> = members::of_supplier(conn, s)?
            .into_iter()
            .filter(|m| {
                m.confirmed_at.is_some() && m.role == crate::domain::account::MemberRole::Owner
            })
            .collect();
        if owners.is_empty()
            && let Some(row) = supplier::get(conn, s)?
        {
            to.insert(row.contact_email, row.contact_name);
        }
        for m in owners {
            to.insert(m.email, m.name);
        }
    }
    Ok(to)
}
