//! What Companies House says of a company, and what of it the register flags.

use chrono::NaiveDate;

use crate::str_enum;

str_enum!(
    /// Something Companies House's answer says that a care manager should know.
    CompanyFlag {
        /// The company is dissolved, closed or removed from the register.
        Dissolved => "dissolved",
        /// The company is in liquidation, administration, receivership, a voluntary
        /// arrangement or other insolvency proceedings.
        Insolvency => "insolvency",
        /// The name registered at Companies House is not the supplier's name (compared
        /// without case, punctuation and the Ltd/Limited, PLC spellings).
        NameMismatch => "name_mismatch",
        /// Companies House has no company with this number.
        NotFound => "not_found",
    }
);

/// A company as Companies House's public data API describes it (`GET /company/{n}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Profile {
    #[serde(rename = "company_name")]
    pub name: String,
    #[serde(rename = "company_status", default)]
    pub status: Option<String>,
    #[serde(rename = "date_of_creation", default)]
    pub incorporated_on: Option<NaiveDate>,
}

/// The statuses that mean the company no longer exists.
const ENDED: &[&str] = &["dissolved", "converted-closed", "closed", "removed"];
/// The statuses that mean insolvency.
const INSOLVENT: &[&str] = &[
    "liquidation",
    "administration",
    "receivership",
    "voluntary-arrangement",
    "insolvency-proceedings",
];

/// The flags of an answer about `supplier_name`'s number: `None` is "no such company".
pub fn flags(profile: Option<&Profile>, supplier_name: &str) -> Vec<CompanyFlag> {
    let Some(p) = profile else {
        return vec![CompanyFlag::NotFound];
    };
    let status = p.status.as_deref().unwrap_or("").to_ascii_lowercase();
    let mut out = Vec::new();
    if ENDED.contains(&status.as_str()) {
        out.push(CompanyFlag::Dissolved);
    }
    if INSOLVENT.contains(&status.as_str()) {
        out.push(CompanyFlag::Insolvency);
    }
    if !same_name(&p.name, supplier_name) {
        out.push(CompanyFlag::NameMismatch);
    }
    out
}

/// Whether two company names are the same name: compared without case, punctuation
/// or spacing, `&` read as "and", and the legal endings Companies House allows
/// (Limited/Ltd, Public Limited Company/PLC, and their Welsh forms) read alike.
pub fn same_name(a: &str, b: &str) -> bool {
    normalise(a) == normalise(b)
}

fn normalise(name: &str) -> String {
    let lower = name.to_lowercase().replace('&', " and ");
    let words: Vec<String> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let mut out: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let rest: Vec<&str> = words[i..].iter().map(String::as_str).collect();
        let (word, used) = match rest.as_slice() {
            ["public", "limited", "company", ..] => ("plc", 3),
            ["cyfyngedig", ..] | ["cyf", ..] | ["limited", ..] => ("ltd", 1),
            ["cwmni", "cyfyngedig", "cyhoeddus", ..] => ("plc", 3),
            ["ccc", ..] => ("plc", 1),
            [w, ..] => (*w, 1),
            [] => break,
        };
        out.push(word);
        i += used;
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(name: &str, status: &str) -> Profile {
        Profile {
            name: name.into(),
            status: Some(status.into()),
            incorporated_on: None,
        }
    }

    #[test]
    fn names_compare_without_their_spelling() {
        assert!(same_name(
            "EXAMPLE CARE TECH LIMITED",
            "Example Care Tech Ltd"
        ));
        assert!(same_name("Smith & Jones Ltd.", "smith and jones limited"));
        assert!(same_name("Acme Public Limited Company", "ACME PLC"));
        assert!(same_name("Gofal Cyf", "GOFAL CYFYNGEDIG"));
        assert!(!same_name("Example Care Ltd", "Example Care Tech Ltd"));
        assert!(!same_name("Acme Ltd", "Acme PLC"));
    }

    #[test]
    fn an_answer_raises_the_flags_it_means() {
        use CompanyFlag::*;
        assert_eq!(
            flags(Some(&profile("ACME LIMITED", "active")), "Acme Ltd"),
            vec![]
        );
        assert_eq!(
            flags(Some(&profile("ACME LIMITED", "dissolved")), "Acme Ltd"),
            vec![Dissolved]
        );
        assert_eq!(
            flags(Some(&profile("NEWNAME LIMITED", "liquidation")), "Acme Ltd"),
            vec![Insolvency, NameMismatch]
        );
        assert_eq!(flags(None, "Acme Ltd"), vec![NotFound]);
    }
}
