//! The fields of a supplier's public profile and private contact.

use super::text;

pub const MAX_PRODUCTS: usize = 50;

pub fn name(raw: &str) -> Result<String, String> {
    text::bounded(raw, 1, 200)
}

pub fn description(raw: &str) -> Result<String, String> {
    text::bounded(raw, 0, 4000)
}

pub fn products(raw: &[String]) -> Result<Vec<String>, String> {
    if raw.len() > MAX_PRODUCTS {
        return Err(format!("must list at most {MAX_PRODUCTS} products"));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, p) in raw.iter().enumerate() {
        let p = text::bounded(p, 1, 120).map_err(|m| format!("item {i} {m}"))?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

pub fn contact_name(raw: &str) -> Result<String, String> {
    text::bounded(raw, 1, 200)
}

pub fn contact_email(raw: &str) -> Result<String, String> {
    text::email(raw)
}
