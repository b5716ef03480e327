//! Witnesses (C2SP `tlog-witness`): the registry asks each configured witness to
//! cosign every checkpoint it publishes, with a consistency proof from the last one
//! that witness cosigned ([`client`]); and `pledge-registry witness serve` runs a
//! witness anyone can operate, which keeps the newest checkpoint it cosigned of each
//! log it follows and refuses any that does not extend it ([`server`]).

pub mod client;
pub mod server;

/// Reads `old <size>`, the proof lines, an empty line, then the checkpoint: the body
/// of an `add-checkpoint` request. `None` when it is not in that form.
pub fn parse_request(body: &str) -> Option<(u64, Vec<crate::tlog::merkle::Hash>, &str)> {
    let (head, checkpoint) = body.split_once("\n\n")?;
    let mut lines = head.split('\n');
    let old = lines.next()?.strip_prefix("old ")?;
    if old.is_empty() || (old.len() > 1 && old.starts_with('0')) {
        return None;
    }
    let old: u64 = old.parse().ok()?;
    let proof = lines
        .map(|l| crate::tlog::proofs::unb64(l).ok())
        .collect::<Option<Vec<_>>>()?;
    if proof.len() > 63 {
        return None;
    }
    Some((old, proof, checkpoint))
}

/// The body of an `add-checkpoint` request.
pub fn request(old: u64, proof: &[crate::tlog::merkle::Hash], note: &str) -> String {
    let mut body = format!("old {old}\n");
    for h in proof {
        body.push_str(&crate::tlog::proofs::b64(h));
        body.push('\n');
    }
    body.push('\n');
    body.push_str(note);
    body
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_request_reads_back_and_malformed_ones_are_not_read() {
        let note = "example.com/log\n3\nAAAA\n\n\u{2014} example.com/log abc\n";
        let body = super::request(2, &[[7u8; 32]], note);
        assert!(body.starts_with("old 2\nBwcH"));
        let (old, proof, checkpoint) = super::parse_request(&body).unwrap();
        assert_eq!((old, proof, checkpoint), (2, vec![[7u8; 32]], note));
        let (old, proof, _) = super::parse_request(&super::request(0, &[], note)).unwrap();
        assert_eq!((old, proof.len()), (0, 0));
        for bad in [
            "old 02\n\nx",
            "old x\n\nx",
            "new 2\n\nx",
            "old 2\nnot base64\n\nx",
            "old 2",
        ] {
            assert!(super::parse_request(bad).is_none(), "{bad}");
        }
    }
}
