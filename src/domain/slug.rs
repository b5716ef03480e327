//! URL-safe names for suppliers, derived from their names.

use std::fmt;

const MAX_SLUG_LEN: usize = 60;

/// Lower-case ASCII letters, digits and single dashes; never shaped like a UUID, so a
/// path segment is unambiguously an id or a slug.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    /// The slug a name would get, before making it unique.
    pub fn from_name(name: &str) -> Slug {
        let mut out = String::new();
        for c in deunicode::deunicode(name).chars() {
            let c = match c {
                '&' => Some("and".to_owned()),
                c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase().to_string()),
                _ => None,
            };
            match c {
                Some(s) => out.push_str(&s),
                None if !out.ends_with('-') && !out.is_empty() => out.push('-'),
                None => {}
            }
        }
        let mut out: String = out.chars().take(MAX_SLUG_LEN).collect();
        while out.ends_with('-') {
            out.pop();
        }
        if out.is_empty() {
            out = "supplier".into();
        }
        if uuid::Uuid::parse_str(&out).is_ok() {
            out = format!("s-{out}");
        }
        Slug(out)
    }

    /// The `n`th alternative when the plain slug is taken: `name-2`, `name-3`, ...
    pub fn numbered(&self, n: u32) -> Slug {
        Slug(format!("{}-{n}", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Slug;

    #[test]
    fn derives_readable_slugs() {
        assert_eq!(
            Slug::from_name("CareTech Solutions Ltd.").as_str(),
            "caretech-solutions-ltd"
        );
        assert_eq!(
            Slug::from_name("  Smith & Jones  ").as_str(),
            "smith-and-jones"
        );
        assert_eq!(Slug::from_name("Ünïcode Çare").as_str(), "unicode-care");
        assert_eq!(Slug::from_name("!!!").as_str(), "supplier");
        assert_eq!(Slug::from_name("a").numbered(2).as_str(), "a-2");
        let uuid_like = "123e4567-e89b-12d3-a456-426614174000";
        assert_eq!(
            Slug::from_name(uuid_like).as_str(),
            format!("s-{uuid_like}")
        );
    }
}
