//! `POST /api/v1/registrations`: a supplier joins the registry.

pub mod create;
