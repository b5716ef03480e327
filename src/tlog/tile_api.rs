//! The log as C2SP `tlog-tiles` serves it: static resources any tile client or CDN
//! can read. Tiles are 256 hashes wide (eight tree levels); a tile at level `L`,
//! index `N`, holds the hashes of tree level `8 L`, subtrees `256 N ..`. Entry bundles
//! hold the entries themselves (each leaf's data, with a big-endian `u16` length).
//!
//! The registry stores its tree in narrower tiles ([`super::tiles`]); a served tile is
//! read from them. Every resource below a published checkpoint's size never changes.

/// The width of a full served tile.
pub const WIDTH: u64 = 256;

/// What a `/tile/...` path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// A tile of hashes at `level` (0 to 63).
    Tile { level: u8, index: u64, width: u64 },
    /// An entry bundle.
    Entries { index: u64, width: u64 },
}

impl Resource {
    /// Reads the path after `/tile/`: `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`, in
    /// the exact form the specification gives (no leading zeroes, `x` before every
    /// path element of `N` but the last). A full tile has `width` [`WIDTH`].
    pub fn parse(path: &str) -> Option<Resource> {
        let (level, rest) = path.split_once('/')?;
        let (index, width) = match rest.split_once(".p/") {
            Some((index, w)) => {
                let w = decimal(w)?;
                if w == 0 || w >= WIDTH {
                    return None;
                }
                (index, w)
            }
            None => (rest, WIDTH),
        };
        let index = parse_index(index)?;
        if level == "entries" {
            return Some(Resource::Entries { index, width });
        }
        let level = decimal(level)?;
        if level > 63 {
            return None;
        }
        Some(Resource::Tile {
            level: level as u8,
            index,
            width,
        })
    }

    /// The resource's path after `/tile/`.
    pub fn path(&self) -> String {
        let (first, index, width) = match *self {
            Resource::Tile {
                level,
                index,
                width,
            } => (level.to_string(), index, width),
            Resource::Entries { index, width } => ("entries".to_owned(), index, width),
        };
        let partial = if width < WIDTH {
            format!(".p/{width}")
        } else {
            String::new()
        };
        format!("{first}/{}{partial}", index_path(index))
    }

    /// Whether a tree of `size` entries has everything the resource holds: its tree
    /// level has at least `WIDTH * index + width` complete subtrees.
    pub fn within(&self, size: u64) -> bool {
        let (level, index, width) = match *self {
            Resource::Tile {
                level,
                index,
                width,
            } => (level, index, width),
            Resource::Entries { index, width } => (0, index, width),
        };
        let subtrees = if u32::from(level) * 8 >= 64 {
            0
        } else {
            size >> (u32::from(level) * 8)
        };
        index
            .checked_mul(WIDTH)
            .and_then(|first| first.checked_add(width))
            .is_some_and(|end| end <= subtrees)
    }
}

/// A decimal with no leading zero (other than `0` itself).
fn decimal(text: &str) -> Option<u64> {
    if text.is_empty() || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `N` as path elements: zero-padded groups of three digits, `x` before all but the last.
pub fn index_path(index: u64) -> String {
    let mut groups = Vec::new();
    let mut n = index;
    loop {
        groups.push(n % 1000);
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    groups.reverse();
    let last = groups.len() - 1;
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            if i < last {
                format!("x{g:03}")
            } else {
                format!("{g:03}")
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn parse_index(path: &str) -> Option<u64> {
    let parts: Vec<&str> = path.split('/').collect();
    let last = parts.len() - 1;
    let mut n: u64 = 0;
    for (i, part) in parts.iter().enumerate() {
        let digits = if i < last {
            part.strip_prefix('x')?
        } else {
            part
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        n = n.checked_mul(1000)?.checked_add(digits.parse().ok()?)?;
    }
    // One encoding per index: no leading all-zero group.
    (index_path(n) == path).then_some(n)
}

/// An entry bundle: each entry's length as a big-endian `u16`, then the entry. `None`
/// when an entry is longer than a bundle can hold.
pub fn bundle<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for entry in entries {
        let len = u16::try_from(entry.len()).ok()?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(entry);
    }
    Some(out)
}

/// The entries of a bundle, or why it cannot be read.
pub fn unbundle(mut bytes: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut entries = Vec::new();
    while !bytes.is_empty() {
        let Some((len, rest)) = bytes.split_first_chunk::<2>() else {
            return Err("a bundle ends inside an entry's length".into());
        };
        let len = usize::from(u16::from_be_bytes(*len));
        if rest.len() < len {
            return Err("a bundle ends inside an entry".into());
        }
        entries.push(&rest[..len]);
        bytes = &rest[len..];
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_and_write_as_the_specification_spells_them() {
        assert_eq!(index_path(1_234_067), "x001/x234/067");
        assert_eq!(index_path(0), "000");
        assert_eq!(index_path(1000), "x001/000");
        for (path, want) in [
            (
                "0/x001/x234/067",
                Resource::Tile {
                    level: 0,
                    index: 1_234_067,
                    width: 256,
                },
            ),
            (
                "2/000.p/17",
                Resource::Tile {
                    level: 2,
                    index: 0,
                    width: 17,
                },
            ),
            (
                "entries/x001/000.p/255",
                Resource::Entries {
                    index: 1000,
                    width: 255,
                },
            ),
        ] {
            assert_eq!(Resource::parse(path), Some(want), "{path}");
            assert_eq!(want.path(), path);
        }
        for bad in [
            "0/1",
            "0/0001",
            "0/x000/001",
            "00/000",
            "64/000",
            "0/001.p/0",
            "0/001.p/256",
            "0/001.p/07",
            "0/x1/000",
            "entries/001/",
            "0/abc",
            "-1/000",
        ] {
            assert_eq!(Resource::parse(bad), None, "{bad}");
        }
    }

    /// The example of the specification: a tree of 70,000 entries.
    #[test]
    fn a_tree_has_the_tiles_the_specification_lists() {
        let size = 70_000;
        let full0 = Resource::Tile {
            level: 0,
            index: 272,
            width: 256,
        };
        assert!(full0.within(size));
        assert!(
            !Resource::Tile {
                level: 0,
                index: 273,
                width: 256
            }
            .within(size)
        );
        assert!(
            Resource::Tile {
                level: 0,
                index: 273,
                width: 112
            }
            .within(size)
        );
        assert!(
            Resource::Tile {
                level: 1,
                index: 1,
                width: 17
            }
            .within(size)
        );
        assert!(
            !Resource::Tile {
                level: 1,
                index: 1,
                width: 18
            }
            .within(size)
        );
        assert!(
            Resource::Tile {
                level: 2,
                index: 0,
                width: 1
            }
            .within(size)
        );
        assert!(
            !Resource::Tile {
                level: 3,
                index: 0,
                width: 1
            }
            .within(size)
        );
        assert!(
            !Resource::Tile {
                level: 63,
                index: u64::MAX,
                width: 255
            }
            .within(u64::MAX)
        );
    }

    #[test]
    fn bundles_round_trip_and_refuse_what_a_u16_cannot_say() {
        let entries: Vec<&[u8]> = vec![b"one", b"", b"three"];
        let b = bundle(entries.iter().copied()).unwrap();
        assert_eq!(&b[..5], &[0, 3, b'o', b'n', b'e']);
        assert_eq!(unbundle(&b).unwrap(), entries);
        assert!(unbundle(&b[..b.len() - 1]).is_err());
        let long = vec![b'a'; 65_536];
        assert_eq!(bundle([long.as_slice()]), None);
    }
}
