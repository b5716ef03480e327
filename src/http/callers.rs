//! The caller in the type. Each extractor here resolves the supplier the path names
//! (its id or slug: 404 when there is none), authenticates the caller (401), and
//! checks that the caller may do what the type says to that supplier (403), so that a
//! handler's signature says who may call it and its body never checks again.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::auth::{Caller, Need};
use crate::domain::{MemberId, SupplierId};
use crate::error::Error;
use crate::http::extract::SupplierKey;
use crate::http::problem::ApiError;

type Fut<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

/// The caller and the supplier of the path, once `need` is met.
async fn checked(
    req: HttpRequest,
    mut payload: Payload,
    need: Need,
) -> Result<(Caller, SupplierId), ApiError> {
    let caller = Caller::from_request(&req, &mut payload).await?;
    let SupplierKey(id) = SupplierKey::from_request(&req, &mut payload).await?;
    caller.may(need, id)?;
    Ok((caller, id))
}

macro_rules! caller_of_supplier {
    ($(#[$doc:meta])* $name:ident, $need:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name {
            pub id: SupplierId,
            pub caller: Caller,
        }

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = Fut<Self>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move {
                    let (caller, id) = checked(req, Payload::None, $need).await?;
                    Ok($name { id, caller })
                })
            }
        }
    };
}

caller_of_supplier!(
    /// The supplier itself, with a token that may write: a member's session, a write
    /// token, or the registration token.
    SupplierWriter,
    Need::Write
);
caller_of_supplier!(
    /// The supplier itself writing, or the registry operator.
    SupplierWriterOrOperator,
    Need::WriteOrOperate
);
caller_of_supplier!(
    /// The operator, or any token of the supplier (read-only ones included): who may
    /// see its private fields.
    SupplierReader,
    Need::Read
);
caller_of_supplier!(
    /// An owner of the supplier, signed in, or the registration token: who manages
    /// members and API tokens.
    SupplierOwner,
    Need::Own
);

/// Who may remove the member the path names (`{member_id}`): the member themself
/// (leaving, with a token that may write), or an owner.
#[derive(Debug, Clone)]
pub struct MemberRemover {
    pub id: SupplierId,
    pub member: MemberId,
    pub caller: Caller,
}

impl FromRequest for MemberRemover {
    type Error = ApiError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let caller = Caller::from_request(&req, &mut Payload::None).await?;
            let member: MemberId = req
                .match_info()
                .get("member_id")
                .and_then(|m| m.parse().ok())
                .ok_or_else(|| {
                    ApiError::Domain(Error::NotFound("no such resource: a member id".into()))
                })?;
            let need = if caller.member() == Some(member) {
                Need::Write
            } else {
                Need::Own
            };
            let SupplierKey(id) = SupplierKey::from_request(&req, &mut Payload::None).await?;
            caller.may(need, id)?;
            Ok(MemberRemover { id, member, caller })
        })
    }
}
