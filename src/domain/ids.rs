//! Typed identifiers, so that a supplier id is never passed where an evidence id belongs.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                $name(Uuid::new_v4())
            }

            /// The form stored in the database.
            pub fn to_db(&self) -> String {
                self.0.to_string()
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name)
            }
        }
    };
}

id_type!(
    /// A supplier (an organisation in the registry).
    SupplierId
);
id_type!(
    /// One signature of one pledge version by one supplier.
    SignatureId
);
id_type!(
    /// One evidence link.
    EvidenceId
);
id_type!(
    /// One person of a supplier.
    MemberId
);
id_type!(
    /// A webhook subscriber (a procurement tool's account).
    SubscriberId
);
id_type!(
    /// One webhook subscription.
    SubscriptionId
);
id_type!(
    /// A concern raised about a supplier.
    ConcernId
);
id_type!(
    /// A person who runs the registry.
    OperatorId
);
id_type!(
    /// What the operator wrote back about a concern.
    ReplyId
);
