//! Who is calling: the `Caller`, `Admin` and `MaybeCaller` extractors.
//!
//! A handler's arguments say who may call it. Tokens are verified with the pinned
//! algorithm, then looked up so that revoked ones are refused on every instance.

pub mod keys;
pub mod tokens;

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::db::Database;
use crate::db::models::signing_keys;
use crate::domain::account::{MemberRole, Scope, TokenKind};
use crate::domain::{MemberId, OperatorId, SubscriberId, SupplierId};
use crate::error::Error;
pub use keys::{KeyRing, Keys};
pub use tokens::Role;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub enum Caller {
    Admin {
        jti: String,
        /// The operator signed in on the console; none for a token issued on the
        /// command line.
        operator: Option<OperatorId>,
    },
    Supplier {
        id: SupplierId,
        jti: String,
        scope: Scope,
        kind: TokenKind,
        /// The member signed in, with their role now, for a member's session.
        member: Option<(MemberId, MemberRole)>,
    },
}

impl Caller {
    /// How the audit log names this caller.
    pub fn actor(&self) -> String {
        match self {
            Caller::Admin {
                operator: Some(id), ..
            } => format!("admin:operator:{id}"),
            Caller::Admin { jti, .. } => format!("admin:{jti}"),
            Caller::Supplier {
                id,
                member: Some((member, _)),
                ..
            } => format!("supplier:{id}:member:{member}"),
            Caller::Supplier { id, .. } => format!("supplier:{id}"),
        }
    }

    /// Who is writing, for a use case: the audit log's name and the lifecycle's actor.
    pub fn by(&self) -> crate::domain::lifecycle::By {
        crate::domain::lifecycle::By {
            actor: self.actor(),
            who: match self {
                Caller::Admin { .. } => crate::domain::lifecycle::Actor::Operator,
                Caller::Supplier { .. } => crate::domain::lifecycle::Actor::Supplier,
            },
        }
    }

    /// The id of the token the caller used.
    pub fn jti(&self) -> &str {
        match self {
            Caller::Admin { jti, .. } | Caller::Supplier { jti, .. } => jti,
        }
    }

    /// The member signed in, for a member's session.
    pub fn member(&self) -> Option<MemberId> {
        match self {
            Caller::Supplier {
                member: Some((m, _)),
                ..
            } => Some(*m),
            _ => None,
        }
    }

    pub fn is_admin(&self) -> bool {
        matches!(self, Caller::Admin { .. })
    }

    /// Whether the caller may do what `need` names to `supplier`: the one rule every
    /// extractor of `http::callers` and every form of the pages applies.
    pub fn may(&self, need: Need, supplier: SupplierId) -> Result<(), Error> {
        match need {
            Need::Write => self.writes(supplier),
            Need::WriteOrOperate if self.is_admin() => Ok(()),
            Need::WriteOrOperate => self.writes(supplier),
            Need::Read if self.may_see_private(supplier) => Ok(()),
            Need::Read => self.may(Need::WriteOrOperate, supplier),
            Need::Own => self.owns(supplier),
        }
    }

    /// Only the supplier itself, with a token that may write.
    fn writes(&self, supplier: SupplierId) -> Result<(), Error> {
        match self {
            Caller::Supplier {
                id,
                scope: Scope::Read,
                ..
            } if *id == supplier => Err(Error::Forbidden(
                "this token may only read; use a token with the write scope".into(),
            )),
            Caller::Supplier { id, .. } if *id == supplier => Ok(()),
            Caller::Supplier { .. } => Err(Error::Forbidden(
                "this token belongs to another supplier".into(),
            )),
            Caller::Admin { .. } => Err(Error::Forbidden(
                "only the supplier itself may do this".into(),
            )),
        }
    }

    /// Whether private fields (contact details) of `supplier` may be shown: to the
    /// operator and to any token of the supplier, read-only ones included.
    pub fn may_see_private(&self, supplier: SupplierId) -> bool {
        match self {
            Caller::Admin { .. } => true,
            Caller::Supplier { id, .. } => *id == supplier,
        }
    }

    /// An owner of the supplier: a signed-in owner, or the token given at
    /// registration (the first owner's, before accounts). Owners manage members and
    /// API tokens; named API tokens never do, whatever their scope.
    fn owns(&self, supplier: SupplierId) -> Result<(), Error> {
        self.writes(supplier)?;
        match self {
            Caller::Supplier {
                member: Some((_, MemberRole::Owner)),
                ..
            }
            | Caller::Supplier {
                kind: TokenKind::Registration,
                member: None,
                ..
            } => Ok(()),
            Caller::Supplier {
                member: Some((_, MemberRole::Editor)),
                ..
            } => Err(Error::Forbidden(
                "only an owner of the supplier may do this; an editor may not".into(),
            )),
            _ => Err(Error::Forbidden(
                "only an owner of the supplier, signed in, may do this".into(),
            )),
        }
    }
}

/// What a caller needs to be allowed to do something to a supplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The supplier itself, with a token that may write (a member's session, a write
    /// token, the registration token).
    Write,
    /// The supplier itself writing, or the operator.
    WriteOrOperate,
    /// The operator or any token of the supplier, read-only ones included.
    Read,
    /// An owner of the supplier (signed in), or the registration token.
    Own,
}

fn bearer(req: &HttpRequest) -> Result<Option<String>, Error> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| Error::Unauthorized("the Authorization header is not readable text".into()))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_owned()))
        }
        _ => Err(Error::Unauthorized(
            "use Authorization: Bearer <token>".into(),
        )),
    }
}

/// The address tokens are issued for (`REGISTRY_PUBLIC_URL`): a token issued for
/// another is not accepted.
#[derive(Debug, Clone)]
pub struct Issuer(pub String);

async fn authenticate(req: HttpRequest) -> Result<Option<Caller>, Error> {
    let Some(token) = bearer(&req)? else {
        return Ok(None);
    };
    caller_of(&req, &token).await.map(Some)
}

/// Who `token` (sent with `req`, as a bearer token or a page's session cookie) belongs
/// to: the same checks for both.
pub async fn caller_of(req: &HttpRequest, token: &str) -> Result<Caller, Error> {
    let (claims, found) = verified(req, token).await?;
    let record = found.record;
    let member = match (record.member_id, found.member_role) {
        (None, _) => None,
        (Some(id), Some(role)) => Some((id, role)),
        (Some(_), None) => {
            return Err(Error::Unauthorized(
                "the person this token was given to is no longer a member".into(),
            ));
        }
    };
    Ok(match (claims.role, claims.supplier_id) {
        (Role::Supplier, Some(id)) => Caller::Supplier {
            id,
            jti: claims.jti,
            scope: record.scope.unwrap_or(Scope::Write),
            kind: record.kind.unwrap_or(TokenKind::Operator),
            member,
        },
        (Role::Supplier, None) => {
            return Err(Error::Unauthorized(
                "a supplier token must name its supplier".into(),
            ));
        }
        (Role::Admin, _) => Caller::Admin {
            jti: claims.jti,
            operator: record.operator_id,
        },
        (Role::Subscriber, _) => {
            return Err(Error::Forbidden(
                "a subscriber's token is for its webhook subscriptions only".into(),
            ));
        }
    })
}

/// Why a request's bearer token was refused, kept for the rest of the request.
#[derive(Debug, Clone)]
enum Refused {
    Unauthorized(String),
    Forbidden(String),
    Unavailable,
    Internal(String),
}

impl From<Error> for Refused {
    fn from(e: Error) -> Refused {
        match e {
            Error::Unauthorized(m) => Refused::Unauthorized(m),
            Error::Forbidden(m) => Refused::Forbidden(m),
            Error::Unavailable => Refused::Unavailable,
            other => Refused::Internal(format!("{other:#}")),
        }
    }
}

impl From<Refused> for Error {
    fn from(r: Refused) -> Error {
        match r {
            Refused::Unauthorized(m) => Error::Unauthorized(m),
            Refused::Forbidden(m) => Error::Forbidden(m),
            Refused::Unavailable => Error::Unavailable,
            Refused::Internal(m) => Error::Internal(anyhow::anyhow!(m)),
        }
    }
}

/// The outcome of checking the request's bearer token.
#[derive(Debug, Clone)]
struct Checked(Result<(tokens::Claims, tokens::Found), Refused>);

/// Checks a request's bearer token before any of its handler's extractors run, and
/// keeps the outcome for them. Extractors are polled together, so without this one
/// that reads the body could answer (422) before the one that checks the token had
/// finished (401, 403): whoever calls, the token is judged first.
pub async fn check_token_first<B: actix_web::body::MessageBody>(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<B>,
) -> Result<actix_web::dev::ServiceResponse<B>, actix_web::Error> {
    if let Ok(Some(token)) = bearer(req.request()) {
        let outcome = verify_now(req.request(), &token)
            .await
            .map_err(Refused::from);
        req.extensions_mut().insert(Checked(outcome));
    }
    next.call(req).await
}

/// A token's claims and record, once its signature, key, claims and record check out
/// (as [`check_token_first`] found them for a bearer token of this request).
async fn verified(
    req: &HttpRequest,
    token: &str,
) -> Result<(tokens::Claims, tokens::Found), Error> {
    let checked = req.extensions().get::<Checked>().cloned();
    match checked {
        Some(Checked(outcome)) if bearer(req).ok().flatten().as_deref() == Some(token) => {
            outcome.map_err(Error::from)
        }
        _ => verify_now(req, token).await,
    }
}

async fn verify_now(
    req: &HttpRequest,
    token: &str,
) -> Result<(tokens::Claims, tokens::Found), Error> {
    let token = token.to_owned();
    let missing = || Error::Internal(anyhow::anyhow!("the token verifier is not set up"));
    let keys = req
        .app_data::<web::Data<KeyRing>>()
        .ok_or_else(missing)?
        .current();
    let issuer = req
        .app_data::<web::Data<Issuer>>()
        .ok_or_else(missing)?
        .clone();
    let database = req
        .app_data::<web::Data<Database>>()
        .ok_or_else(missing)?
        .clone();
    // Any key the registry has used verifies a bearer token it signed, until the token
    // expires: the instance's own, a newer one another instance moved to first, or a
    // retired one (a rotation is routine). Only a key retired as compromised does not:
    // its tokens ended with it.
    let kid = tokens::kid_of(&token)
        .ok_or_else(|| Error::Unauthorized("the token names no signing key".into()))?;
    let other_key = if kid == keys.kid {
        None
    } else {
        let k = kid.clone();
        let row = database
            .run(move |conn| -> Result<_, Error> { Ok(signing_keys::find(conn, &k)?) })
            .await?
            .filter(|row| row.compromised_at.is_none())
            .ok_or_else(|| {
                Error::Unauthorized(
                    "the token is not signed with a key the registry uses; sign in again by email for a new one".into(),
                )
            })?;
        let key = jsonwebtoken::DecodingKey::from_ed_components(&row.public_x).map_err(|e| {
            Error::Internal(anyhow::anyhow!("stored key {} is unusable: {e}", row.kid))
        })?;
        Some(key)
    };
    let key = other_key.as_ref().unwrap_or(&keys.decoding);
    let claims = tokens::decode(key, &token).map_err(Error::Unauthorized)?;
    let jti = claims.jti.clone();
    let found = database
        .run(move |conn| -> Result<_, Error> { Ok(tokens::find_with_key(conn, &jti)?) })
        .await?
        .ok_or_else(|| Error::Unauthorized("the registry did not issue this token".into()))?;
    found
        .record
        .admits(&claims, &kid, found.key_compromised, &issuer.0)
        .map_err(Error::Unauthorized)?;
    Ok((claims, found))
}

/// A webhook subscriber, by its own token.
#[derive(Debug, Clone)]
pub struct Subscriber {
    pub id: SubscriberId,
    pub jti: String,
}

impl Subscriber {
    /// Who is writing, for the audit log.
    pub fn by(&self) -> crate::domain::lifecycle::By {
        crate::domain::lifecycle::By::subscriber(self.id)
    }
}

impl FromRequest for Subscriber {
    type Error = Error;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let token = bearer(&req)?
                .ok_or_else(|| Error::Unauthorized("this route needs a bearer token".into()))?;
            let (claims, found) = verified(&req, &token).await?;
            match (claims.role, found.record.subscriber_id) {
                (Role::Subscriber, Some(id)) => Ok(Subscriber { id, jti: claims.jti }),
                _ => Err(Error::Forbidden(
                    "this route is for webhook subscribers; ask the registry operator for a subscriber token".into(),
                )),
            }
        })
    }
}

type Fut<T> = Pin<Box<dyn Future<Output = Result<T, Error>>>>;

impl FromRequest for Caller {
    type Error = Error;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            authenticate(req)
                .await?
                .ok_or_else(|| Error::Unauthorized("this route needs a bearer token".into()))
        })
    }
}

/// The registry operator.
#[derive(Debug, Clone)]
pub struct Admin(pub Caller);

impl FromRequest for Admin {
    type Error = Error;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = Caller::from_request(req, payload);
        Box::pin(async move {
            let caller = caller.await?;
            if caller.is_admin() {
                Ok(Admin(caller))
            } else {
                Err(Error::Forbidden(
                    "this route is for the registry operator".into(),
                ))
            }
        })
    }
}

/// A caller that may be anonymous (public reads); a token that is sent must be valid.
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequest for MaybeCaller {
    type Error = Error;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(MaybeCaller(authenticate(req).await?)) })
    }
}
