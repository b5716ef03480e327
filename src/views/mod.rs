//! Read models: what the API, the pages, the export, the change feed and attestations
//! show, built from the tables in one place.

pub mod accounts;
pub mod cache;
pub mod changes;
pub mod export;
pub mod history;
pub mod pagination;
pub mod pledge;
pub mod records;
pub mod snapshots;
pub mod supplier;
