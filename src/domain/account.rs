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
        /// Signing an operator in to the console.
        Operator => "operator",
    }
);

/// An email address as members are known by: trimmed and lower-cased, so that one
/// person is one member however the address is typed.
pub fn member_email(raw: &str) -> Result<String, String> {
    super::text::email(raw).map(|e| e.to_lowercase())
}

/// A page of the signed-in area to come back to after signing in (`/account/...`),
/// or none for anything else: another site, a scheme, a path with `//` or `..`, a query.
/// Only these can ride on a sign-in link, so the link can never lead elsewhere.
pub fn page_after_sign_in(raw: &str) -> Option<String> {
    let path = raw.trim();
    let tidy = path.len() <= 200
        && (path == "/account" || path.starts_with("/account/"))
        && !path.contains("//")
        && !path.contains("..")
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_".contains(&b));
    tidy.then(|| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_page_of_the_account_is_come_back_to() {
        let back = "/account/evidence/0191c3a2-7f4e-7c1a-9a51-8f0d1f2e3a4b";
        assert_eq!(page_after_sign_in(back).as_deref(), Some(back));
        assert_eq!(page_after_sign_in("/account").as_deref(), Some("/account"));
        for elsewhere in [
            "https://evil.example/account",
            "//evil.example/account",
            "/account//evil.example",
            "/account/../admin",
            "/accounts",
            "/account?x=1",
            "/account/\\evil",
            "/",
            "",
        ] {
            assert_eq!(page_after_sign_in(elsewhere), None, "{elsewhere}");
        }
    }

    #[test]
    fn an_address_is_known_in_one_spelling() {
        assert_eq!(
            member_email("  Office.Manager@Example.ORG ").unwrap(),
            "office.manager@example.org"
        );
        assert!(member_email("not an address").is_err());
    }
}
