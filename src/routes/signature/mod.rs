//! A supplier's signature: sign the current version, reaffirm, withdraw.

pub mod reaffirm;
pub mod sign;
pub mod withdraw;

use utoipa::IntoResponses;

use crate::views::supplier::SupplierView;

/// The answer of a lifecycle step (verify, suspend, reinstate, reaffirm, withdraw).
#[derive(IntoResponses)]
#[allow(dead_code)]
#[response(
    status = 200,
    description = "The supplier as it now stands",
    headers(("ETag" = String, description = "The supplier's new ETag; send it as If-Match with the next profile update"))
)]
pub struct SupplierChanged(SupplierView);
