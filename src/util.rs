//! Small shared helpers.

/// Have the allocator map large buffers (a big file's text, a big tree's
/// arrays) on their own and give them back when freed. glibc otherwise
/// raises its mmap threshold to the size of the first such buffer freed,
/// after which large buffers come from the heap that also holds the run's
/// model and leave holes in it. A run reads its large files first: fixing
/// the threshold keeps ~8 MB off the peak on the 100 MB benchmark tree, for
/// twice the page faults (47k -> 94k there, ~1% of the run's CPU time).
/// Call it first thing in `main`, before any thread starts.
pub fn map_large_buffers_apart() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets one of glibc malloc's parameters (to its
    // default value, which stops it moving); no memory is touched.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// `s` in ASCII lowercase, copied only if it has an uppercase letter
/// (names compared case-insensitively through maps or parsers).
pub fn ascii_lowercase(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        s.to_ascii_lowercase().into()
    } else {
        s.into()
    }
}

/// `s` ends with `suffix`, ASCII case ignored (no lowercase copy: these
/// run on every path of a run).
pub fn ends_with_ignore_case(s: &str, suffix: &str) -> bool {
    s.len()
        .checked_sub(suffix.len())
        .and_then(|at| s.as_bytes().get(at..))
        .is_some_and(|tail| tail.eq_ignore_ascii_case(suffix.as_bytes()))
}

/// `s` starts with `prefix`, ASCII case ignored.
pub fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.as_bytes()
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// `s` contains `needle` (not empty), ASCII case ignored.
pub fn contains_ignore_case(s: &str, needle: &str) -> bool {
    s.as_bytes()
        .windows(needle.len().max(1))
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// A number with a leading zero and more digits (`0755`, `-012`, `08080`).
pub fn has_leading_zero(s: &str) -> bool {
    let d = s.strip_prefix(['-', '+']).unwrap_or(s);
    d.len() > 1 && d.starts_with('0') && d.bytes().all(|b| b.is_ascii_digit() || b == b'_')
}

/// Edit distance with adjacent transpositions counted as one edit (optimal
/// string alignment: `form` -> `from` is 1), bounded to short strings.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(128).collect();
    let b: Vec<char> = b.chars().take(128).collect();
    let w = b.len() + 1;
    // Rows i-2, i-1 and i of the table; `get` keeps it panic-free.
    let mut prev2: Vec<usize> = vec![0; w];
    let mut prev: Vec<usize> = (0..w).collect();
    let mut cur = vec![0; w];
    let at = |row: &[usize], j: usize| row.get(j).copied().unwrap_or(usize::MAX / 2);
    for i in 1..=a.len() {
        if let Some(c) = cur.first_mut() {
            *c = i;
        }
        for j in 1..w {
            let (ca, cb) = (a.get(i - 1), b.get(j - 1));
            let cost = usize::from(ca != cb);
            let mut d = (at(&prev, j - 1) + cost)
                .min(at(&prev, j) + 1)
                .min(at(&cur, j - 1) + 1);
            if i > 1 && j > 1 && ca == b.get(j - 2) && a.get(i - 2) == cb {
                d = d.min(at(&prev2, j - 2) + 1);
            }
            if let Some(c) = cur.get_mut(j) {
                *c = d;
            }
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.get(b.len()).copied().unwrap_or(0)
}

/// The candidate closest to `word`: a case-insensitive match first, then the
/// smallest edit distance within a third of the word's length.
pub fn closest<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let cands: Vec<&str> = candidates.collect();
    if let Some(c) = cands
        .iter()
        .find(|c| c.eq_ignore_ascii_case(word) && **c != word)
    {
        return Some(c);
    }
    let limit = (word.chars().count() / 3).max(1);
    cands
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// The text of a file the user named (a config, a baseline), read up to
/// `limit` bytes: `--baseline /dev/zero` read until memory ran out.
pub fn read_text_capped(path: &std::path::Path, limit: u64) -> Result<String, String> {
    use std::io::Read as _;
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    // Bytes first: a cut in the middle of a character is not the error.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "{} is larger than {} MiB, the most read for it",
            path.display(),
            limit >> 20
        ));
    }
    String::from_utf8(bytes).map_err(|e| format!("{} is not UTF-8: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_case_is_ignored_without_a_copy() {
        assert!(ends_with_ignore_case("a/Nginx.CONF", ".conf"));
        assert!(!ends_with_ignore_case("onf", "conf"));
        assert!(ends_with_ignore_case("x", ""));
        assert!(starts_with_ignore_case("Sites-Enabled/a", "sites-enabled/"));
        assert!(!starts_with_ignore_case("site", "sites-"));
        assert!(contains_ignore_case(
            "etc/SITES-available/x",
            "/sites-available/"
        ));
        assert!(!contains_ignore_case("ab", "abc"));
        // Multi-byte text is compared byte-wise, never split.
        assert!(ends_with_ignore_case("é.YAML", ".yaml"));
        assert!(!ends_with_ignore_case("é", ".yaml"));
    }

    #[test]
    fn closest_prefers_case_then_distance() {
        assert_eq!(
            closest("targetport", ["port", "targetPort"].into_iter()),
            Some("targetPort")
        );
        assert_eq!(
            closest("reviwes", ["reviews", "ratings"].into_iter()),
            Some("reviews")
        );
        assert_eq!(closest("abc", ["xyz"].into_iter()), None);
        assert_eq!(
            closest("form", ["from", "selector"].into_iter()),
            Some("from")
        );
        assert_eq!(edit_distance("form", "from"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("reviews", "reviwes"), 1);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("abc", "ca"), 3);
    }
}
