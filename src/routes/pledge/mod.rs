//! Pledge versions: `GET /api/v1/pledge`, `/pledge/versions`, `/pledge/versions/{version}`.

pub mod current;
pub mod versions;
