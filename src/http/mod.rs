//! What every HTTP route shares: request extractors that name the field at fault,
//! responses with validators, the rate limits, and deprecation notices.

pub mod callers;
pub mod deprecation;
pub mod extract;
pub mod logging;
pub mod metrics;
pub mod problem;
pub mod ratelimit;
pub mod respond;
pub mod route;
