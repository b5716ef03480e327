//! UK Companies House numbers.

use std::fmt;

/// Prefixes Companies House uses before six digits (Scotland, Northern Ireland, LLPs, ...).
const PREFIXES: &[&str] = &[
    "AC", "BR", "CE", "CS", "FC", "FE", "GE", "GN", "GS", "IC", "IP", "LP", "NA", "NC", "NF", "NI",
    "NL", "NO", "NP", "NR", "NV", "NZ", "OC", "OE", "RC", "SA", "SC", "SE", "SF", "SG", "SI", "SL",
    "SO", "SP", "SR", "SZ", "ZC",
];

/// Eight characters: eight digits, or a known two-letter prefix and six digits.
/// Stored upper-case with leading zeros kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompanyNumber(String);

impl CompanyNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for CompanyNumber {
    type Error = String;

    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        let s: String = raw.trim().to_ascii_uppercase();
        if s.len() != 8 || !s.is_ascii() {
            return Err(
                "must be 8 characters: 8 digits, or a prefix such as SC and 6 digits".into(),
            );
        }
        let (head, tail) = s.split_at(2);
        let digits_only = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if digits_only(&s) || (PREFIXES.contains(&head) && digits_only(tail)) {
            Ok(CompanyNumber(s))
        } else if head.bytes().all(|b| b.is_ascii_alphabetic()) && digits_only(tail) {
            Err(format!("{head} is not a Companies House prefix"))
        } else {
            Err("must be 8 digits, or a prefix such as SC, NI or OC and 6 digits".into())
        }
    }
}

impl serde::Serialize for CompanyNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for CompanyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::CompanyNumber;

    #[test]
    fn accepts_digits_and_known_prefixes_keeping_leading_zeros() {
        for (raw, stored) in [
            ("01234567", "01234567"),
            ("sc123456", "SC123456"),
            (" NI000001 ", "NI000001"),
            ("OC301234", "OC301234"),
            ("FC000123", "FC000123"),
        ] {
            assert_eq!(
                CompanyNumber::try_from(raw).unwrap().as_str(),
                stored,
                "{raw}"
            );
        }
    }

    #[test]
    fn refuses_wrong_lengths_unknown_prefixes_and_letters_in_digits() {
        for raw in [
            "1234567",
            "123456789",
            "",
            "XX123456",
            "SC12345A",
            "S1234567",
            "12-34567",
            "ＳＣ123456",
        ] {
            assert!(
                CompanyNumber::try_from(raw).is_err(),
                "{raw:?} should be refused"
            );
        }
    }
}
