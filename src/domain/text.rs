//! Bounded plain text.

/// Trims `raw` and checks its length in characters; control characters other than
/// newlines and tabs are refused.
pub fn bounded(raw: &str, min: usize, max: usize) -> Result<String, String> {
    let s = raw.trim();
    let len = s.chars().count();
    if len < min {
        return Err(if min <= 1 {
            "must not be empty".into()
        } else {
            format!("must be at least {min} characters")
        });
    }
    if len > max {
        return Err(format!("must be at most {max} characters (got {len})"));
    }
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err("must not contain control characters".into());
    }
    Ok(s.to_owned())
}

/// A contact email address: one `@`, a dotted domain, no spaces, at most 254 characters.
pub fn email(raw: &str) -> Result<String, String> {
    let s = bounded(raw, 3, 254)?;
    let ok = match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if ok {
        Ok(s)
    } else {
        Err("must be an email address such as name@example.org".into())
    }
}

/// Lower-case hexadecimal of `bytes` (hashes, ETags, tokens derived from them).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_counts_characters_and_trims() {
        assert_eq!(bounded("  café  ", 1, 4).unwrap(), "café");
        assert!(bounded("   ", 1, 10).is_err());
        assert!(bounded("abcdef", 1, 5).is_err());
        assert!(bounded("a\u{0}b", 1, 5).is_err());
        assert!(bounded("line\nline", 1, 20).is_ok());
    }

    #[test]
    fn email_needs_a_dotted_domain() {
        assert!(email("dpo@example.org").is_ok());
        for bad in [
            "dpo",
            "dpo@",
            "@example.org",
            "dpo@example",
            "d po@example.org",
            "a@b@c.org",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }
}
