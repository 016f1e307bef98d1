//! Small shared helpers.

/// Levenshtein distance, bounded to short strings (names, keys).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(128).collect();
    let b: Vec<char> = b.chars().take(128).collect();
    // One row of the table at a time: `prev` is row i, `cur` becomes row i+1.
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = Vec::with_capacity(b.len() + 1);
    for (i, ca) in a.iter().enumerate() {
        cur.clear();
        cur.push(i + 1);
        for (j, (cb, pair)) in b.iter().zip(prev.windows(2)).enumerate() {
            let (diag, up) = match pair {
                [d, u] => (*d, *u),
                _ => (j, j + 1),
            };
            let left = cur.last().copied().unwrap_or(j);
            cur.push((diag + usize::from(ca != cb)).min(up + 1).min(left + 1));
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
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

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("reviews", "reviwes"), 2);
        assert_eq!(edit_distance("ab", "ba"), 2);
    }
}
