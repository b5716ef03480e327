//! A readable word diff of two normalised texts: what was signed, and what is there now.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff};
use utoipa::ToSchema;

/// How long a diff may take before it settles for a coarser answer (similar's
/// deadline: the result is still a correct diff, only less minimal).
const DEADLINE: Duration = Duration::from_millis(500);

crate::str_enum!(
    /// What a run of words of a diff is.
    Op {
        /// In both texts.
        Equal => "equal",
        /// Only in the text now.
        Insert => "insert",
        /// Only in the text signed.
        Delete => "delete",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Piece {
    pub op: Op,
    /// The words, with the whitespace between them as in the text of the side they
    /// come from (new lines included).
    pub text: String,
}

/// The word diff from `old` to `new`, as runs: consecutive words of one kind form one
/// piece. A difference of whitespace alone is no difference (the normalisation
/// compares words): such a run reads as equal, in the new text's layout.
pub fn words(old: &str, new: &str) -> Vec<Piece> {
    let diff = TextDiff::configure().timeout(DEADLINE).diff_words(old, new);
    let mut out: Vec<Piece> = Vec::new();
    for change in diff.iter_all_changes() {
        let text = change.value();
        let blank = text.trim().is_empty();
        let op = match change.tag() {
            ChangeTag::Equal => Op::Equal,
            ChangeTag::Insert if blank => Op::Equal,
            ChangeTag::Delete if blank => continue,
            ChangeTag::Insert => Op::Insert,
            ChangeTag::Delete => Op::Delete,
        };
        match out.last_mut() {
            Some(last) if last.op == op => last.text.push_str(text),
            _ => out.push(Piece {
                op,
                text: text.to_owned(),
            }),
        }
    }
    out
}

/// Words inserted and deleted, for a summary line.
pub fn counts(pieces: &[Piece]) -> (usize, usize) {
    let n = |op: Op| {
        pieces
            .iter()
            .filter(|p| p.op == op)
            .map(|p| p.text.split_whitespace().count())
            .sum()
    };
    (n(Op::Insert), n(Op::Delete))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_word_reads_as_deleted_and_inserted() {
        let d = words(
            "We never use care records to train models.",
            "We rarely use care records to train models.",
        );
        let shown: Vec<(Op, &str)> = d.iter().map(|p| (p.op, p.text.as_str())).collect();
        assert_eq!(
            shown,
            vec![
                (Op::Equal, "We "),
                (Op::Delete, "never"),
                (Op::Insert, "rarely"),
                (Op::Equal, " use care records to train models."),
            ]
        );
        assert_eq!(counts(&d), (1, 1));
    }

    #[test]
    fn a_new_line_is_no_change_of_words() {
        let d = words("one two three", "one two\nthree");
        assert!(d.iter().all(|p| p.op == Op::Equal), "{d:?}");
        let joined: String = d.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(joined, "one two\nthree");
    }
}
