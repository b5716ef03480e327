//! The signed-in area: members manage their record (profile, statements, evidence)
//! and owners their members. Server-rendered forms, no JavaScript; every form needs
//! the session and its form token (`session`).

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use super::account_evidence::{kind_choices, own_record, scheme_choices};
use super::form::{Form, Posted, private, see_other};
use super::render;
use super::session::{Session, form_session, with_session_cookie};
use super::sign_in::ChoiceLine;
use crate::auth::Need;
use crate::db::models::members::{self, MemberRow};
use crate::db::models::{now, pledge};
use crate::domain::account::{MemberRole, Scope, TokenKind};
use crate::domain::evidence::{CertScheme, EvidenceKind};
use crate::domain::{EvidenceId, MemberId, SupplierId};
use crate::error::Error;
use crate::http::problem::{ApiError, ApiResult};
use crate::state::State;
use crate::usecases::{accounts, evidence, profile, signature};
use crate::views::accounts::Token;
use crate::views::supplier::SupplierView;
use chrono::NaiveDate;

pub struct MemberLine {
    id: MemberId,
    name: String,
    email: String,
    role: MemberRole,
    confirmed: bool,
}

pub struct TokenLine {
    jti: String,
    name: String,
    scope: &'static str,
    /// "In force until …", "Revoked on …" or "Expired on …".
    state: String,
    in_force: bool,
}

pub struct EvidenceLine {
    id: String,
    title: String,
    url: String,
    health: String,
    /// Its kind, and for a certification its scheme, reference and expiry, in words.
    about: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    name: String,
    slug: String,
    status: String,
    status_label: String,
    member_email: String,
    member_role: MemberRole,
    owner: bool,
    csrf: String,
    notice: Option<&'static str>,
    errors: Vec<(String, String)>,
    website: String,
    description: String,
    version: String,
    signatory_name: String,
    signatory_role: String,
    /// The signature in force is of the current version: saving statements corrects
    /// them (reaffirming), and the signatory stays as signed.
    signed_current: bool,
    /// When the signature in force must be reaffirmed by (none when nothing is in force
    /// or it is suspended).
    reaffirm_by: Option<String>,
    /// (code, title, current statement) for each commitment of the current version.
    statements: Vec<(String, String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    schemes: Vec<(&'static str, &'static str)>,
    evidence: Vec<EvidenceLine>,
    members: Vec<MemberLine>,
    /// The supplier's API tokens and others it holds (owners only; never their secrets).
    tokens: Vec<TokenLine>,
    /// Each kind of reminder: (kind, what it reminds of, whether the member gets it).
    reminders: Vec<(&'static str, &'static str, bool)>,
    member_id: MemberId,
    /// The person's other suppliers, and invitations waiting for them.
    others: Vec<ChoiceLine>,
}

#[derive(Debug, serde::Deserialize)]
pub struct Notice {
    done: Option<String>,
}

fn notice(key: Option<&str>) -> Option<&'static str> {
    Some(match key? {
        "profile" => "Your profile is saved.",
        "statements" => "Your statements are saved.",
        "reaffirmed" => "You reaffirmed the pledge.",
        "evidence" => "The link is added. The registry will check it soon.",
        "edited" => "The link is saved. A new address is checked again soon.",
        "retired" => "The link is removed from your record.",
        "member" => "The invitation is sent. They join once they accept it.",
        "removed" => "The member is removed.",
        "role" => "The member's role is changed.",
        "reminders" => "Your choice of emails is saved.",
        "revoked" => "The API token is revoked. Software using it is refused from now on.",
        "switched" => "You are now signed in to this supplier.",
        "declined" => "The invitation is declined.",
        _ => return None,
    })
}

/// The account page, with `errors` from a form that was refused.
async fn account(
    state: &State,
    s: &Session,
    done: Option<&str>,
    refusal: Option<(&Form, Vec<(String, String)>)>,
    status: StatusCode,
) -> ApiResult<HttpResponse> {
    // A refused form is shown again as it was sent, with what was wrong.
    let (posted, errors) = match refusal {
        Some((form, errors)) => (Some(form), errors),
        None => (None, Vec::new()),
    };
    // Said back at most as long as a field takes (a statement, the longest).
    let sent = |name: &str| {
        posted
            .and_then(|f| f.find(name))
            .map(|v| v.chars().take(signature::MAX_STATEMENT).collect::<String>())
    };
    let (supplier, member) = (s.supplier, s.member);
    let owner = s.role == MemberRole::Owner;
    type Me = (
        Option<MemberRow>,
        Vec<(MemberRow, String)>,
        Vec<Token>,
        Vec<String>,
    );
    let (view, current, members, me): (
        SupplierView,
        Vec<pledge::CommitmentRow>,
        Vec<MemberRow>,
        Me,
    ) = state
        .db(move |conn| {
            let (view, current) = own_record(conn, supplier)?;
            let list = members::of_supplier(conn, supplier)?;
            let tokens = if owner {
                crate::db::models::tokens::of_supplier(conn, supplier)?
                    .into_iter()
                    .map(Token::from)
                    .collect()
            } else {
                Vec::new()
            };
            let me = members::get(conn, supplier, member)?;
            let mut others = Vec::new();
            if let Some(me) = &me {
                for m in members::with_email(conn, &me.email)? {
                    if m.supplier_id != supplier {
                        let name = crate::db::models::supplier::get(conn, m.supplier_id)?
                            .map(|s| s.name)
                            .unwrap_or_default();
                        others.push((m, name));
                    }
                }
            }
            let stopped = members::reminders_stopped(conn, member)?;
            Ok((view, current, list, (me, others, tokens, stopped)))
        })
        .await?;
    let (me, others, tokens, stopped) = me;
    let all_off = me.as_ref().is_some_and(|m| m.reminders_off_at.is_some());
    let today = chrono::Utc::now();
    let version = current
        .first()
        .map(|c| c.version.clone())
        .unwrap_or_default();
    let in_force = view.signature.as_ref().filter(|sig| {
        matches!(
            sig.status,
            crate::domain::Status::Active
                | crate::domain::Status::Pending
                | crate::domain::Status::Lapsed
        )
    });
    let signed_current = in_force.is_some_and(|sig| sig.pledge_version == version);
    let reaffirm_by = in_force.map(|sig| super::words::date(sig.reaffirm_by));
    let said: BTreeMap<String, String> = view
        .signature
        .iter()
        .flat_map(|s| s.statements.iter())
        .map(|st| (st.commitment.clone(), st.statement.clone()))
        .collect();
    let page = AccountPage {
        name: view.name.clone(),
        slug: view.slug.clone(),
        status: view.status.as_str().to_owned(),
        status_label: super::words::status_label(view.status).to_owned(),
        member_email: me.as_ref().map(|m| m.email.clone()).unwrap_or_default(),
        member_role: s.role,
        owner: s.role == MemberRole::Owner,
        csrf: s.csrf(),
        notice: notice(done),
        errors,
        website: view.website.clone(),
        description: view.description.clone(),
        version,
        signatory_name: sent("signatory_name").unwrap_or_else(|| {
            view.signature
                .as_ref()
                .map(|s| s.signatory_name.clone())
                .unwrap_or_default()
        }),
        signatory_role: sent("signatory_role").unwrap_or_else(|| {
            view.signature
                .as_ref()
                .map(|s| s.signatory_role.clone())
                .unwrap_or_default()
        }),
        signed_current,
        reaffirm_by,
        statements: current
            .iter()
            .map(|c| {
                (
                    c.code.clone(),
                    c.title.clone(),
                    sent(&format!("statement.{}", c.code))
                        .or_else(|| said.get(&c.code).cloned())
                        .unwrap_or_default(),
                )
            })
            .collect(),
        kinds: kind_choices(),
        schemes: scheme_choices(),
        evidence: view
            .evidence
            .iter()
            .map(|e| EvidenceLine {
                id: e.id.clone(),
                title: e.title.clone(),
                url: e.url.clone(),
                health: super::words::health_words(e.health.status).to_owned(),
                about: evidence_about(e),
            })
            .collect(),
        members: members
            .into_iter()
            .map(|m| MemberLine {
                id: m.id,
                name: m.name,
                email: m.email,
                role: m.role,
                confirmed: m.confirmed_at.is_some(),
            })
            .collect(),
        tokens: tokens
            .into_iter()
            .map(|t| {
                let in_force = t.revoked_at.is_none() && t.expires_at > today;
                TokenLine {
                    state: match t.revoked_at {
                        Some(on) => format!("Revoked on {}", super::words::date(on)),
                        None if !in_force => {
                            format!("Expired on {}", super::words::date(t.expires_at))
                        }
                        None => format!("In force until {}", super::words::date(t.expires_at)),
                    },
                    name: t.name.unwrap_or_else(|| match t.kind {
                        TokenKind::Registration => "Registration token".into(),
                        _ => "Token the registry issued".into(),
                    }),
                    scope: match t.scope {
                        Scope::Read => "Read",
                        Scope::Write => "Read and change the record",
                    },
                    jti: t.jti,
                    in_force,
                }
            })
            .collect(),
        reminders: crate::mail::letters::REMINDERS
            .iter()
            .map(|(kind, words)| {
                (
                    *kind,
                    *words,
                    !all_off && !stopped.iter().any(|s| s == kind),
                )
            })
            .collect(),
        member_id: s.member,
        others: others.into_iter().map(ChoiceLine::of).collect(),
    };
    Ok(private(status, render(&page)?))
}

/// The signed-in area.
#[utoipa::path(operation_id = "getAccountPage", tag = "pages",
    responses(
        (status = 200, description = "HTML: the member's record and its forms", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the sign-in page"),
    ))]
#[get("/account")]
pub async fn account_page(
    req: HttpRequest,
    state: State,
    q: web::Query<Notice>,
) -> ApiResult<HttpResponse> {
    let Some(s) = Session::of(&req).await else {
        return Ok(see_other("/sign-in"));
    };
    account(&state, &s, q.done.as_deref(), None, StatusCode::OK).await
}

/// What a form asks for, once the session and its form token are checked.
enum Action {
    Profile(profile::ProfileChange),
    Statements(signature::Signing),
    Reaffirm,
    AddEvidence(evidence::AddEvidence),
    EditEvidence(EvidenceId, evidence::EvidenceChange),
    RetireEvidence(EvidenceId),
    AddMember(accounts::Invite),
    RemoveMember(MemberId),
    ChangeRole(MemberId, MemberRole),
    /// The kinds of reminder the member wants; the others are stopped.
    Reminders(Vec<String>),
    RevokeToken(String),
    Leave,
    Decline(SupplierId),
}

impl Action {
    /// What the signed-in member must be allowed to do to their supplier; none for
    /// declining an invitation, which is about another supplier.
    fn need(&self) -> Option<Need> {
        match self {
            Action::AddMember(_)
            | Action::RemoveMember(_)
            | Action::ChangeRole(..)
            | Action::RevokeToken(_) => Some(Need::Own),
            Action::Decline(_) | Action::Reminders(_) => None,
            _ => Some(Need::Write),
        }
    }
}

/// Runs a form's action for the signed-in member: 303 back to the account page with a
/// notice, or the page again with what was wrong.
async fn act(
    req: &HttpRequest,
    state: &State,
    form: &Form,
    done: &'static str,
    action: impl FnOnce(&Session) -> Result<Action, ApiError>,
) -> ApiResult<HttpResponse> {
    let s = match form_session(req, form).await {
        Ok(s) => s,
        Err(page) => return Ok(page),
    };
    let action = match action(&s) {
        Ok(a) => a,
        Err(e) => return refused(state, &s, form, e).await,
    };
    let by = s.caller.by();
    let (supplier, caller) = (s.supplier, s.caller.clone());
    let months = state.config.reaffirm_months;
    let result = state
        .tx(move |conn| -> crate::error::Result<()> {
            let at = now();
            if let Some(need) = action.need() {
                caller.may(need, supplier)?;
            }
            match action {
                Action::Profile(change) => {
                    profile::update(conn, &by, supplier, None, change, months).map(|_| ())
                }
                Action::Statements(signing) => {
                    signature::sign_or_correct(conn, &by, supplier, signing, months).map(|_| ())
                }
                Action::Reaffirm => {
                    let plain = signature::Reaffirmation::default();
                    signature::reaffirm(conn, &by, supplier, plain, months).map(|_| ())
                }
                Action::AddEvidence(new) => evidence::add(conn, &by, supplier, new).map(|_| ()),
                Action::EditEvidence(id, change) => {
                    evidence::edit(conn, &by, supplier, id, change).map(|_| ())
                }
                Action::RetireEvidence(id) => evidence::retire(conn, &by, supplier, id),
                Action::AddMember(invite) => {
                    accounts::invite(conn, supplier, &by, caller.member(), invite, at).map(|_| ())
                }
                Action::RemoveMember(id) => accounts::remove(conn, supplier, &by, id, at),
                Action::ChangeRole(id, role) => {
                    accounts::change_role(conn, supplier, &by, id, role, at).map(|_| ())
                }
                Action::RevokeToken(jti) => accounts::revoke_token(conn, supplier, &by, &jti, at),
                Action::Reminders(wanted) => {
                    let me = caller.member().ok_or_else(|| {
                        Error::Forbidden("only a signed-in member has reminders".into())
                    })?;
                    let kinds = crate::mail::letters::reminder_kinds();
                    for kind in kinds {
                        let on = wanted.iter().any(|w| w == kind);
                        members::set_reminder(conn, me, kind, on, &kinds, at)?;
                    }
                    Ok(())
                }
                Action::Leave => {
                    let me = caller.member().ok_or_else(|| {
                        crate::error::Error::Forbidden("only a signed-in member can leave".into())
                    })?;
                    accounts::remove(conn, supplier, &by, me, at)
                }
                Action::Decline(other) => {
                    let me = caller
                        .member()
                        .and_then(|m| members::find(conn, m).ok().flatten())
                        .ok_or_else(|| {
                            crate::error::Error::Unauthorized("you are no longer a member".into())
                        })?;
                    accounts::decline(conn, &me.email, other, at)
                }
            }
        })
        .await;
    match result {
        // Leaving ends the session: out to the home page.
        Ok(()) if done == "left" => with_session_cookie(see_other("/"), state, "", 0),
        Ok(()) => Ok(see_other(&format!("/account?done={done}"))),
        Err(e) => refused(state, &s, form, e).await,
    }
}

/// A link's kind, and for a certification what the supplier gave of it, in words.
fn evidence_about(e: &crate::views::supplier::EvidenceView) -> String {
    let mut about = vec![super::words::kind_words(e.kind).to_owned()];
    if let Some(s) = e.scheme {
        about.push(super::words::scheme_words(s).to_owned());
    }
    if let Some(r) = &e.reference {
        about.push(format!("reference {r}"));
    }
    if let Some(d) = e.expires_on {
        let on = d.format("%-d %B %Y");
        about.push(if e.expired {
            format!("expired on {on}")
        } else {
            format!("valid until {on}")
        });
    }
    about.join(", ")
}

/// A form's certification fields: each left empty is none.
type CertificationFields = (Option<CertScheme>, Option<String>, Option<NaiveDate>);

fn certification_of(form: &Form) -> Result<CertificationFields, Error> {
    let scheme = match form.get("scheme").trim() {
        "" => None,
        _ => Some(form.word::<CertScheme>("scheme")?),
    };
    let reference = Some(form.get("reference")).filter(|r| !r.trim().is_empty());
    let expires_on = match form.get("expires_on").trim() {
        "" => None,
        day => Some(NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| {
            Error::field("expires_on", "is not a date: give the day, month and year")
        })?),
    };
    Ok((scheme, reference, expires_on))
}

#[derive(Template)]
#[template(path = "account_token.html")]
struct NewTokenPage {
    name: String,
    token: String,
    expires: String,
}

/// An owner creates an API token: its secret is shown on this answer, once.
async fn create_token(req: &HttpRequest, state: &State, form: &Form) -> ApiResult<HttpResponse> {
    let s = match form_session(req, form).await {
        Ok(s) => s,
        Err(page) => return Ok(page),
    };
    let parsed = form
        .word::<Scope>("scope")
        .map_err(ApiError::from)
        .and_then(|scope| {
            let days = form
                .get("expires_in_days")
                .trim()
                .parse::<i64>()
                .map_err(|_| Error::field("expires_in_days", "is not a number of days"))?;
            Ok(accounts::NewToken::parse(accounts::NewApiToken {
                name: form.get("name"),
                scope,
                expires_in_days: days,
            })?)
        });
    let new = match parsed {
        Ok(new) => new,
        Err(e) => return refused(state, &s, form, e).await,
    };
    let (supplier, caller, by) = (s.supplier, s.caller.clone(), s.caller.by());
    let issuing = state.issuing();
    let result = state
        .tx(move |conn| {
            caller.may(Need::Own, supplier)?;
            accounts::create_token(
                conn,
                &issuing.keys,
                &issuing.issuer,
                supplier,
                &by,
                new,
                now(),
            )
        })
        .await;
    match result {
        Ok(issued) => {
            tracing::info!(jti = %issued.jti, supplier_id = %supplier, "API token created on the pages");
            let page = NewTokenPage {
                name: form.get("name"),
                token: issued.token,
                expires: super::words::date(issued.expires_at),
            };
            Ok(private(StatusCode::CREATED, render(&page)?))
        }
        Err(e) => refused(state, &s, form, e).await,
    }
}

/// What a removal asks before it is done; none for a form that removes nothing.
fn confirmation(list: &str, action: &str) -> Option<&'static str> {
    Some(match (list, action) {
        ("evidence", "retire") => {
            "Remove this link from your record? It is no longer shown or checked."
        }
        ("members", "remove") => "Remove this member? They can no longer sign in to this supplier.",
        ("members", "leave") => {
            "Leave this supplier? You can no longer sign in to it, and your sessions for it end."
        }
        ("tokens", "revoke") => {
            "Revoke this API token? Software that uses it is refused from then on, at once."
        }
        _ => return None,
    })
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    question: &'static str,
    /// What the removal is of, as the form named it.
    label: String,
    action: String,
    csrf: String,
}

/// Asks before a removal: the same form again, with `confirm=yes`, or back.
async fn confirm_page(
    req: &HttpRequest,
    form: &Form,
    question: &'static str,
    action: &str,
) -> ApiResult<HttpResponse> {
    let s = match form_session(req, form).await {
        Ok(s) => s,
        Err(page) => return Ok(page),
    };
    let page = ConfirmPage {
        question,
        label: form.get("label").chars().take(200).collect(),
        action: action.to_owned(),
        csrf: s.csrf(),
    };
    Ok(private(StatusCode::OK, render(&page)?))
}

/// The item a form's address names, or 404 saying there is no such `what`.
fn item_of<T: std::str::FromStr>(item: &str, missing: &str) -> ApiResult<T> {
    item.parse()
        .map_err(|_| Error::NotFound(missing.to_owned()).into())
}

/// The account page again, saying why a form was refused.
async fn refused(state: &State, s: &Session, form: &Form, e: ApiError) -> ApiResult<HttpResponse> {
    let status = actix_web::ResponseError::status_code(&e);
    let errors = match e {
        ApiError::Domain(Error::Validation(errors)) => {
            errors.into_iter().map(|f| (f.field, f.message)).collect()
        }
        ApiError::Domain(Error::Internal(_)) | ApiError::Domain(Error::Unavailable) => {
            return Err(e);
        }
        other => vec![("This change".to_owned(), other.to_string())],
    };
    account(state, s, None, Some((form, errors)), status).await
}

/// A form of the signed-in area. Every one needs the session and its form token.
#[utoipa::path(operation_id = "postAccountForm", tag = "pages",
    params(("form" = String, Path, description = "Which form: profile, reaffirm, statements, evidence, members or tokens")),
    responses(
        (status = 201, description = "HTML: a new API token, its secret shown once", content_type = "text/html"),
        (status = 303, description = "Done (to the account page), or not signed in (to the sign-in page)"),
        (status = 403, description = "HTML: the form's token is not this session's", content_type = "text/html"),
        (status = 404, description = "No such form", content_type = "text/html"),
        (status = 409, description = "HTML: the account page saying why the change is refused", content_type = "text/html"),
        (status = 422, description = "HTML: the account page naming each field that is wrong", content_type = "text/html"),
    ))]
#[post("/account/{form}")]
pub async fn account_form(
    req: HttpRequest,
    state: State,
    path: web::Path<String>,
    body: Posted,
) -> ApiResult<HttpResponse> {
    let form = body.0;
    match path.as_str() {
        "profile" => {
            act(&req, &state, &form, "profile", |_| {
                let change = profile::ProfileChange::parse(profile::ProfilePatch {
                    website: Some(form.get("website")),
                    description: Some(form.get("description")),
                    ..Default::default()
                })?;
                Ok(Action::Profile(change))
            })
            .await
        }
        "reaffirm" => act(&req, &state, &form, "reaffirmed", |_| Ok(Action::Reaffirm)).await,
        "reminders" => {
            act(&req, &state, &form, "reminders", |_| {
                Ok(Action::Reminders(form.all("on")))
            })
            .await
        }
        "statements" => {
            act(&req, &state, &form, "statements", |_| {
                let statements = form
                    .0
                    .iter()
                    .filter_map(|(n, v)| {
                        n.strip_prefix("statement.")
                            .map(|c| (c.to_owned(), v.clone()))
                    })
                    .collect();
                Ok(Action::Statements(signature::Signing {
                    signatory_name: form.get("signatory_name"),
                    signatory_role: form.get("signatory_role"),
                    pledge_version: None,
                    statements,
                }))
            })
            .await
        }
        "evidence" => {
            act(&req, &state, &form, "evidence", |_| {
                let kind: EvidenceKind = form.word("kind")?;
                let (scheme, reference, expires_on) = certification_of(&form)?;
                let new = evidence::AddEvidence::parse(evidence::NewEvidence {
                    url: form.get("url"),
                    title: form.get("title"),
                    kind,
                    commitments: form.all("commitments"),
                    scheme,
                    reference,
                    expires_on,
                })?;
                Ok(Action::AddEvidence(new))
            })
            .await
        }
        "members" => {
            act(&req, &state, &form, "member", |_| {
                let role: MemberRole = form.word("role")?;
                let invite = accounts::Invite::parse(accounts::NewMember {
                    email: form.get("email"),
                    name: form.get("name"),
                    role,
                })?;
                Ok(Action::AddMember(invite))
            })
            .await
        }
        "tokens" => create_token(&req, &state, &form).await,
        _ => Ok(super::not_found_page(
            "There is no such form.".into(),
            String::new(),
        )),
    }
}

/// A form about one item of the signed-in area: removing a link or a member, leaving,
/// switching to another supplier of the person's, declining an invitation.
#[utoipa::path(operation_id = "postAccountItemForm", tag = "pages",
    params(
        ("list" = String, Path, description = "evidence, members, tokens or suppliers"),
        ("item" = String, Path, format = Uuid, description = "The link's, the member's, the token's or the supplier's id"),
        ("action" = String, Path, description = "edit, check or retire (a link), role, remove or leave (a member), revoke (a token), switch or decline (a supplier)"),
    ),
    responses(
        (status = 200, description = "HTML: a removal's question, asked before it is done (send the form again with confirm=yes)", content_type = "text/html"),
        (status = 303, description = "Done (to the account page, or a checked link's page), or not signed in (to the sign-in page)"),
        (status = 403, description = "HTML: the form's token is not this session's", content_type = "text/html"),
        (status = 404, description = "No such form or item", content_type = "text/html"),
        (status = 409, description = "HTML: the account page saying why the change is refused", content_type = "text/html"),
    ))]
#[post("/account/{list}/{item}/{action}")]
pub async fn account_item_form(
    req: HttpRequest,
    state: State,
    path: web::Path<(String, String, String)>,
    body: Posted,
) -> ApiResult<HttpResponse> {
    let form = body.0;
    let (list, item, action) = path.into_inner();
    // A removal asks first, on a page of its own (no script needed).
    if let Some(question) = confirmation(&list, &action)
        && form.get("confirm") != "yes"
    {
        return confirm_page(
            &req,
            &form,
            question,
            &format!("/account/{list}/{item}/{action}"),
        )
        .await;
    }
    match (list.as_str(), action.as_str()) {
        ("evidence", "retire") => {
            act(&req, &state, &form, "retired", |_| {
                item_of(&item, "no such link").map(Action::RetireEvidence)
            })
            .await
        }
        ("evidence", "check") => super::account_evidence::check(&req, &state, &form, &item).await,
        ("evidence", "edit") => {
            act(&req, &state, &form, "edited", |_| {
                let id = item_of(&item, "no such link")?;
                let kind: EvidenceKind = form.word("kind")?;
                let (scheme, reference, expires_on) = certification_of(&form)?;
                let change = evidence::EvidenceChange::parse(evidence::EvidencePatch {
                    url: Some(form.get("url")),
                    title: Some(form.get("title")),
                    kind: Some(kind),
                    commitments: Some(form.all("commitments")),
                    scheme: Some(scheme),
                    reference: Some(reference),
                    expires_on: Some(expires_on),
                })?;
                Ok(Action::EditEvidence(id, change))
            })
            .await
        }
        ("members", "remove") => {
            act(&req, &state, &form, "removed", |_| {
                item_of(&item, "no such member").map(Action::RemoveMember)
            })
            .await
        }
        ("members", "role") => {
            act(&req, &state, &form, "role", |_| {
                let id = item_of(&item, "no such member")?;
                Ok(Action::ChangeRole(id, form.word("role")?))
            })
            .await
        }
        ("tokens", "revoke") => {
            act(&req, &state, &form, "revoked", |_| {
                Ok(Action::RevokeToken(item.clone()))
            })
            .await
        }
        ("members", "leave") => {
            act(&req, &state, &form, "left", |s| {
                if item.parse::<MemberId>().ok() == Some(s.member) {
                    Ok(Action::Leave)
                } else {
                    Err(ApiError::Domain(Error::NotFound(
                        "you can only leave for yourself".into(),
                    )))
                }
            })
            .await
        }
        ("suppliers", "decline") => {
            act(&req, &state, &form, "declined", |_| {
                item_of(&item, "no such supplier").map(Action::Decline)
            })
            .await
        }
        ("suppliers", "switch") => switch(&req, &state, &form, &item).await,
        _ => Ok(super::not_found_page(
            "There is no such form.".into(),
            String::new(),
        )),
    }
}

/// Moves the signed-in person to another of their suppliers (accepting its invitation
/// when it is one): a new session there, and the one they had ends.
async fn switch(
    req: &HttpRequest,
    state: &State,
    form: &Form,
    item: &str,
) -> ApiResult<HttpResponse> {
    let s = match form_session(req, form).await {
        Ok(s) => s,
        Err(page) => return Ok(page),
    };
    let Ok(to) = item.parse::<SupplierId>() else {
        return Ok(super::not_found_page(
            "There is no such supplier.".into(),
            String::new(),
        ));
    };
    let (state2, from, jti) = (state.clone(), s.member, s.caller.jti().to_owned());
    let result = state
        .tx(move |conn| {
            accounts::switch(
                conn,
                &state2.keys.current(),
                &state2.config.public_url,
                from,
                &jti,
                to,
                now(),
            )
        })
        .await;
    match result {
        Ok(session) => with_session_cookie(
            see_other("/account?done=switched"),
            state,
            &session.token.token,
            accounts::SESSION.num_seconds(),
        ),
        Err(e) => refused(state, &s, form, e).await,
    }
}
