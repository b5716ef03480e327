//! Accounts: the people of a supplier and what their tokens may do.

use crate::str_enum;

str_enum!(
    /// What a member of a supplier may do.
    MemberRole {
        /// Manages the record, its members and its API tokens.
        Owner => "owner",
        /// Manages the record: profile, statements and evidence.
        Editor => "editor",
    }
);

str_enum!(
    /// What an API token may do.
    Scope {
        /// Read the supplier's record with its private fields (contact details, members).
        Read => "read",
        /// Read, and change the record as an editor can.
        Write => "write",
    }
);

str_enum!(
    /// How a token came to be.
    TokenKind {
        /// The token given once at registration.
        Registration => "registration",
        /// A member's session, given on signing in by email; short-lived.
        Session => "session",
        /// A named token an owner created for automation.
        Api => "api",
        /// A token the operator issued.
        Operator => "operator",
    }
);

str_enum!(
    /// What a one-time link sent by email is for.
    LinkPurpose {
        /// Signing a member in (and confirming their address).
        SignIn => "sign_in",
        /// Confirming the address of a webhook subscriber signing itself up.
        Subscriber => "subscriber",
    }
);

/// An email address as members are known by: trimmed and lower-cased, so that one
/// person is one member however the address is typed.
pub fn member_email(raw: &str) -> Result<String, String> {
    super::text::email(raw).map(|e| e.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_known_in_one_spelling() {
        assert_eq!(
            member_email("  Office.Manager@Example.ORG ").unwrap(),
            "office.manager@example.org"
        );
        assert!(member_email("not an address").is_err());
    }
}
