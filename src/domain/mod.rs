//! Values parsed at the boundary: once a request has become these types, it is valid.

pub mod account;
pub mod action;
pub mod company;
pub mod company_number;
pub mod evidence;
pub mod ids;
pub mod lifecycle;
pub mod pledge_text;
pub mod profile;
pub mod slug;
pub mod str_enum;
pub mod strict_json;
pub mod text;
pub mod web_url;

pub use action::{Action, EventType};
pub use company_number::CompanyNumber;
pub use ids::{
    ConcernId, EvidenceId, MemberId, OperatorId, ReplyId, SignatureId, SubscriberId,
    SubscriptionId, SupplierId,
};
pub use lifecycle::Status;
pub use slug::Slug;
pub use web_url::WebUrl;
