//! Accounts: a supplier's members, signing in by email, and owners' API tokens.
//!
//! People sign in with a one-time link sent to their address: a random secret, of
//! which only a hash is stored, that works once within [`LINK_MINUTES`]. Asking for a
//! link answers the same whether the address is known or not; every request is
//! recorded alike, so the per-address rule treats unknown addresses the same.
//!
//! Nobody can lock a person out by asking for links in their name: an address is never
//! refused. Past [`LINKS_PER_HOUR`] in an hour, a request while a link is still
//! waiting in the inbox sends nothing more (that link works); once none is waiting, a
//! new one is sent. The flood itself is the per-client limit's to stop.

mod api_tokens;
mod links;
mod members;
pub mod operators;
mod sign_in;

use chrono::Duration;

pub use api_tokens::*;
pub(crate) use links::{asked_link, link_key, take_link};
pub use members::*;
pub use sign_in::*;

/// How long a sign-in link works.
pub const LINK_MINUTES: i64 = 20;

/// Links sent to one address in an hour before further requests wait for the ones
/// outstanding to be used or to expire.
pub const LINKS_PER_HOUR: i64 = 3;

/// How long a session (the token signing in gives) lasts.
pub const SESSION: Duration = Duration::hours(12);

/// The longest an owner's API token may last.
pub const LONGEST_TOKEN_DAYS: i64 = 730;

/// How long an invitation's link works.
pub const INVITATION_DAYS: i64 = 7;

/// People one supplier may invite in a day: each invitation is a mail to an address
/// nobody has confirmed.
pub const INVITES_PER_DAY: i64 = 20;

/// Members (and invitations waiting) one supplier may have.
pub const MAX_MEMBERS: usize = 100;

/// API tokens in force (not revoked, not expired) one supplier may hold.
pub const MAX_TOKENS: i64 = 50;
