//! Publishing a pledge version.

use chrono::NaiveDate;
use diesel::Connection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{By, audited, notify};
use crate::db::DbConn;
use crate::db::models::pledge::{self, CommitmentRow, PledgeVersionRow};
use crate::db::models::{audit, now, outbox, signature, supplier};
use crate::domain::Action;
use crate::domain::{Status, WebUrl, text};
use crate::error::{Error, FieldError, Result};
use crate::mail::letters;
use crate::usecases::changes;
use crate::usecases::validator::{self, Validator, field};
use crate::views::pledge::{Commitment, CommitmentChange, PledgeVersion, changes};

pub const MAX_COMMITMENTS: usize = 20;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCommitment {
    /// Stable code: lower-case letters, digits and underscores, starting with a letter.
    #[schema(example = "transparency")]
    pub code: String,
    pub title: String,
    pub description: String,
}

/// A pledge version to publish. It becomes the current version.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPledgeVersion {
    /// Label: letters, digits, dots and dashes, e.g. `2026-09`.
    #[schema(example = "2026-09")]
    pub version: String,
    pub title: String,
    pub summary: String,
    pub source_url: String,
    pub published_on: NaiveDate,
    /// In order; 1 to 20, codes unique.
    pub commitments: Vec<NewCommitment>,
}

/// A pledge version to publish, parsed: every field well-formed, the codes unique.
/// Whether the label is free is the use case's to check.
#[derive(Debug)]
pub struct Publish {
    version: String,
    title: String,
    summary: String,
    source_url: WebUrl,
    published_on: NaiveDate,
    /// (code, title, description), in order.
    commitments: Vec<(String, String, String)>,
}

impl Publish {
    /// Parses every field of `new`: the command, or a 422 naming every field that is
    /// wrong.
    pub fn parse(new: NewPledgeVersion) -> Result<Publish> {
        let mut v = Validator::default();
        if new.commitments.is_empty() || new.commitments.len() > MAX_COMMITMENTS {
            v.error(
                "commitments",
                format!("must list 1 to {MAX_COMMITMENTS} commitments"),
            );
        }
        let items = validator::all(new.commitments.iter().enumerate().map(|(i, c)| {
            let at = |name: &str| format!("commitments[{i}].{name}");
            let code = field(&at("code"), commitment_code(&c.code)).and_then(|code| {
                let earlier = new.commitments[..i]
                    .iter()
                    .any(|e| commitment_code(&e.code).as_ref() == Ok(&code));
                if earlier {
                    Err(vec![FieldError::new(at("code"), "appears twice")])
                } else {
                    Ok(code)
                }
            });
            validator::together((
                code,
                field(&at("title"), text::bounded(&c.title, 1, 300)),
                field(&at("description"), text::bounded(&c.description, 1, 4000)),
            ))
        }));
        let (version, title, summary, source_url, commitments) = v.finish((
            field("version", version_label(&new.version)),
            field("title", text::bounded(&new.title, 1, 300)),
            field("summary", text::bounded(&new.summary, 1, 4000)),
            field("source_url", WebUrl::try_from(new.source_url.as_str())),
            items,
        ))?;
        Ok(Publish {
            version,
            title,
            summary,
            source_url,
            published_on: new.published_on,
            commitments,
        })
    }
}

/// Publishes `new` as the current version: 409 when the version exists (versions are immutable). Every signer's record changes (its
/// signature now names an earlier version), and the change feed says so for each.
pub fn publish(conn: &mut DbConn, by: &By, new: Publish) -> Result<PledgeVersion> {
    let Publish {
        version,
        title,
        summary,
        source_url,
        published_on,
        commitments: items,
    } = new;
    if pledge::find(conn, &version)?.is_some() {
        return Err(Error::Conflict(format!(
            "pledge version {version} already exists; versions are immutable"
        )));
    }
    let at = now();
    let row = PledgeVersionRow {
        version: version.clone(),
        position: 0,
        title,
        summary,
        source_url,
        published_on,
        created_at: at,
    };
    let commitments: Vec<CommitmentRow> = items
        .into_iter()
        .enumerate()
        .map(|(i, (code, title, description))| CommitmentRow {
            version: version.clone(),
            code,
            position: i as i32 + 1,
            title,
            description,
        })
        .collect();
    let stored = pledge::insert(conn, row, &commitments)?;
    let view = PledgeVersion::from_rows(stored, commitments, true);
    let published = || {
        audit::Entry::new(
            &by.actor,
            Action::PledgePublished,
            "pledge_version",
            view.version.clone(),
        )
    };
    audit::record(conn, at, published().after(audited(&view)?))?;
    // Every signature now names an earlier version: each signer's record changes, and
    // the feed says so, one change per signer.
    for supplier_id in signature::signers(conn)? {
        supplier::touch(conn, supplier_id, Some(at))?;
        changes::record(conn, at, published().supplier(supplier_id))?;
        // Its members are asked to sign the new version, unless it withdrew.
        if let Some(row) = supplier::get(conn, supplier_id)?
            && !matches!(row.status, Status::Withdrawn | Status::Unsigned)
        {
            let letter = letters::new_version(&row.name, &view.version, &view.title);
            notify::write(
                conn,
                notify::To::Members,
                &row,
                &letter,
                &format!("version:{}", view.version),
                at,
            )?;
        }
    }
    Ok(view)
}

/// What publishing a version would do, before it is done.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublishPreview {
    /// The version as it would be published (and become current).
    pub version: PledgeVersion,
    /// The version it would follow, if any.
    pub current: Option<String>,
    /// What changes from the current version, commitment by commitment.
    pub changes: Vec<ChangeLine>,
    /// Suppliers whose record would change (their signature would then name an
    /// earlier version), each a change in the feed and to webhook subscribers.
    pub signers: usize,
    /// Emails asking signers' members to sign the new version.
    pub emails: usize,
    /// One of those emails, as written (its subject and text).
    pub example_email: Option<ExampleEmail>,
}

/// One changed commitment.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeLine {
    /// `added`, `reworded` or `removed`.
    pub change: &'static str,
    pub code: String,
    pub title: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExampleEmail {
    pub subject: String,
    /// Plain text, with `{{site}}` where the registry's address goes.
    pub text: String,
}

/// What publishing `new` would do: found by publishing it inside a transaction that is
/// then undone, so the preview is exactly what publishing does (the same refusals
/// too), and nothing of it is kept.
pub fn preview(conn: &mut DbConn, by: &By, new: Publish) -> Result<PublishPreview> {
    const UNDONE: &str = "a preview is undone";
    let mut seen = None;
    let outcome: Result<()> = conn.transaction(|conn| {
        let current = match pledge::current(conn)? {
            Some(v) => Some((v.version.clone(), pledge::commitments_of(conn, &v.version)?)),
            None => None,
        };
        let mail_before = outbox::newest_id(conn)?;
        let view = publish(conn, by, new)?;
        let letters = outbox::written_after(conn, mail_before, "new_pledge_version")?;
        let earlier: Vec<Commitment> = current
            .as_ref()
            .map(|(_, cs)| cs.iter().map(Commitment::from).collect())
            .unwrap_or_default();
        seen = Some(PublishPreview {
            changes: changes(&earlier, &view.commitments)
                .into_iter()
                .map(ChangeLine::from)
                .collect(),
            current: current.map(|(v, _)| v),
            signers: signature::signers(conn)?.len(),
            emails: letters.len(),
            example_email: letters
                .into_iter()
                .next()
                .map(|(_, subject, text)| ExampleEmail { subject, text }),
            version: view,
        });
        Err(Error::Conflict(UNDONE.into()))
    });
    match (outcome, seen) {
        (Err(Error::Conflict(why)), Some(preview)) if why == UNDONE => Ok(preview),
        (Err(e), _) => Err(e),
        (Ok(()), _) => Err(Error::Internal(anyhow::anyhow!("a preview was kept"))),
    }
}

impl From<CommitmentChange> for ChangeLine {
    fn from(c: CommitmentChange) -> Self {
        let (change, code, title) = match c {
            CommitmentChange::Added { code, title } => ("added", code, title),
            CommitmentChange::Reworded { code, title } => ("reworded", code, title),
            CommitmentChange::Removed { code, title } => ("removed", code, title),
        };
        ChangeLine {
            change,
            code,
            title,
        }
    }
}

fn version_label(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let ok = !s.is_empty()
        && s.len() <= 32
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(s.to_owned())
    } else {
        Err("must be 1 to 32 letters, digits, dots or dashes, e.g. 2026-09".into())
    }
}

fn commitment_code(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let ok = (2..=40).contains(&s.len())
        && s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(
            "must be 2 to 40 lower-case letters, digits or underscores, starting with a letter"
                .into(),
        )
    }
}
