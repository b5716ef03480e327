//! Links to the web: websites, evidence, pledge sources.

use std::fmt;

use url::Url;

pub const MAX_URL_LEN: usize = 2048;

/// An absolute `http` or `https` URL with a host, at most 2048 characters, no credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl(Url);

impl WebUrl {
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl TryFrom<&str> for WebUrl {
    type Error = String;

    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("must not be empty".into());
        }
        if raw.len() > MAX_URL_LEN {
            return Err(format!("must be at most {MAX_URL_LEN} characters"));
        }
        let url = Url::parse(raw).map_err(|e| format!("is not a valid absolute URL ({e})"))?;
        // As written out (spaces and other characters escaped), which is how it is
        // stored and read back.
        if url.as_str().len() > MAX_URL_LEN {
            return Err(format!(
                "must be at most {MAX_URL_LEN} characters once escaped ({} here)",
                url.as_str().len()
            ));
        }
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must use http or https".into());
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("must name a host".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not carry a user name or password".into());
        }
        Ok(WebUrl(url))
    }
}

impl serde::Serialize for WebUrl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for WebUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::WebUrl;

    #[test]
    fn accepts_http_and_https() {
        assert_eq!(
            WebUrl::try_from(" https://example.org/ai ")
                .unwrap()
                .as_str(),
            "https://example.org/ai"
        );
        assert!(WebUrl::try_from("http://example.org").is_ok());
    }

    #[test]
    fn what_it_accepts_reads_back_as_itself() {
        // Escaping can lengthen an address: the escaped form is the one kept, so it is
        // the one held to the limit, and every kept address parses again unchanged.
        let spaced = format!("https://example.org/{}", "a b ".repeat(500));
        assert!(spaced.len() <= super::MAX_URL_LEN);
        assert!(WebUrl::try_from(spaced.as_str()).is_err());
        for raw in [
            "https://example.org/a b?c=d e#f",
            "HTTPS://Example.ORG:443/./x/../y",
            "http://xn--bcher-kva.example/ü",
        ] {
            let once = WebUrl::try_from(raw).unwrap();
            assert_eq!(WebUrl::try_from(once.as_str()).unwrap(), once, "{raw}");
        }
    }

    #[test]
    fn refuses_other_schemes_relative_links_credentials_and_long_urls() {
        let long = format!("https://example.org/{}", "a".repeat(2100));
        for raw in [
            "ftp://example.org",
            "javascript:alert(1)",
            "/relative",
            "",
            "https://user:pw@example.org",
            "file:///etc/passwd",
            long.as_str(),
        ] {
            assert!(WebUrl::try_from(raw).is_err(), "{raw:?} should be refused");
        }
    }
}
