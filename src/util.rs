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

/// Names are compared on their first 128 characters: the distance is for
/// spelling suggestions, and longer names are not misspelt by hand.
const COMPARED_CHARS: usize = 128;

/// Edit distance with adjacent transpositions counted as one edit (optimal
/// string alignment: `form` -> `from` is 1), bounded to short strings.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(COMPARED_CHARS).collect();
    let b: Vec<char> = b.chars().take(COMPARED_CHARS).collect();
    // No distance exceeds the longer length, so this band is the whole table.
    let whole = a.len().max(b.len());
    distance_within(&a, &b, whole, &mut Rows::default()).unwrap_or(whole)
}

/// The three table rows `distance_within` works in, kept between calls:
/// `closest` compares one word with every candidate.
#[derive(Default)]
struct Rows {
    prev2: Vec<usize>,
    prev: Vec<usize>,
    cur: Vec<usize>,
    /// Cells computed so far (what `closest` spends of its budget).
    cells: usize,
}

/// Writes a table cell; an index past the row is ignored (panic-free).
fn set(row: &mut [usize], j: usize, value: usize) {
    if let Some(c) = row.get_mut(j) {
        *c = value;
    }
}

/// The optimal-string-alignment distance of `a` and `b` when it is at most
/// `k`, else `None` (Ukkonen's cut-off). A cell's distance is at least
/// `|i - j|`, so only the band `|i - j| <= k` is computed and the cells
/// beside it read as `k + 1`; the cells on a path of cost `<= k` all lie in
/// the band, so such distances come out exact. No row has a smaller minimum
/// than the row above it (a transposition's cell is at least its diagonal
/// neighbour's), so once a whole row exceeds `k` the answer does too: the
/// comparison stops there, which for names that differ early is a few rows.
fn distance_within(a: &[char], b: &[char], k: usize, rows: &mut Rows) -> Option<usize> {
    if a.len().abs_diff(b.len()) > k {
        return None;
    }
    let over = k.saturating_add(1);
    let width = b.len() + 1;
    let Rows {
        prev2,
        prev,
        cur,
        cells,
    } = rows;
    for row in [&mut *prev2, &mut *prev, &mut *cur] {
        row.clear();
        row.resize(width, over);
    }
    for (j, c) in prev.iter_mut().enumerate().take(over) {
        *c = j;
    }
    let at = |row: &[usize], j: usize| row.get(j).copied().unwrap_or(over);
    for i in 1..=a.len() {
        let lo = i.saturating_sub(k).max(1);
        let hi = i.saturating_add(k).min(b.len());
        // The cells just outside the band: column 0 is `i` while inside it.
        set(cur, lo - 1, if lo == 1 { i.min(over) } else { over });
        set(cur, hi + 1, over);
        let mut row_min = at(cur, lo - 1);
        *cells = cells.saturating_add(hi.saturating_sub(lo) + 1);
        for j in lo..=hi {
            let (ca, cb) = (a.get(i - 1), b.get(j - 1));
            let cost = usize::from(ca != cb);
            let mut d = (at(prev, j - 1) + cost)
                .min(at(prev, j) + 1)
                .min(at(cur, j - 1) + 1);
            if i > 1 && j > 1 && ca == b.get(j - 2) && a.get(i - 2) == cb {
                d = d.min(at(prev2, j - 2) + 1);
            }
            let d = d.min(over);
            set(cur, j, d);
            row_min = row_min.min(d);
        }
        if row_min > k {
            return None;
        }
        std::mem::swap(prev2, prev);
        std::mem::swap(prev, cur);
    }
    let d = at(prev, b.len());
    (d <= k).then_some(d)
}

/// How many names a finding lists ([`listed`]).
pub const LISTED: usize = 20;

/// Names a message lists: `a, b, c`, at most `max` of them and then
/// `, ... (N in all)`. A list that grows with the input (subsets, Gateways)
/// is shown in every finding about it: whole, 20,000 names made each of
/// 20,000 findings as long as the file.
/// Only the names shown are made (a lazy `map` describes 20 ports, not all).
pub fn listed<I>(names: I, max: usize) -> String
where
    I: IntoIterator,
    I::IntoIter: ExactSizeIterator,
    I::Item: std::fmt::Display,
{
    use std::fmt::Write;
    let names = names.into_iter();
    let all = names.len();
    let mut out = String::new();
    for (i, name) in names.take(max).enumerate() {
        let sep = if i > 0 { ", " } else { "" };
        let _ = write!(out, "{sep}{name}");
    }
    if all > max {
        let _ = write!(out, ", ... ({all} in all)");
    }
    out
}

/// Edit-distance table cells one [`closest`] call may compute (a few
/// milliseconds): names that differ within their first letters cost a few
/// rows each, so real lists (hundreds of cluster names) are compared whole.
const CLOSEST_CELLS: usize = 1 << 20;

/// The candidate closest to `word`: a case-insensitive match first, then the
/// smallest edit distance within a third of the word's length (the
/// alphabetically first of equally close ones).
///
/// Every caller asks this once per missing reference, of every name there
/// is, so each comparison is cut off at the distance that could still win
/// (the best so far, or the limit): a full 128x128 table per pair took
/// 1,000 missing routes x 1,000 clusters 21 s. Past [`CLOSEST_CELLS`]
/// table cells in one call the candidates left are not compared (the best
/// so far is the suggestion): long names that share most of their letters
/// fill the whole band (1,000 missing subsets x 1,000 120-character subset
/// names: 17.6 s with the cut-off alone).
pub fn closest<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    closest_within(word, candidates, CLOSEST_CELLS).0
}

/// Table cells all of one rule's suggestions may compute at the full
/// per-call budget (a few hundred milliseconds); past them each call gets
/// [`SPENT_CELLS`]. The per-call budget alone let N missing references cost
/// N times it: 10,000 misses against hostile look-alike names took 28-39 s.
const RULE_CELLS: usize = 1 << 26;
const SPENT_CELLS: usize = 1 << 14;
const SPENT_CANDIDATES: usize = 256;

/// [`closest`] for the many findings of one rule's check, with one budget
/// for all of them (so results do not depend on other rules or threads).
#[derive(Debug)]
pub struct Suggest {
    spent: usize,
    /// [`RULE_CELLS`] and [`SPENT_CELLS`] (tests use small ones).
    limits: (usize, usize),
}

impl Default for Suggest {
    fn default() -> Suggest {
        Suggest {
            spent: 0,
            limits: (RULE_CELLS, SPENT_CELLS),
        }
    }
}

impl Suggest {
    pub fn closest<'c>(
        &mut self,
        word: &str,
        candidates: impl Iterator<Item = &'c str>,
    ) -> Option<&'c str> {
        let (rule, spent) = self.limits;
        // Spent: only the first candidates are looked at (the case-blind
        // match and the list itself cost a pass over every candidate).
        let (best, cells) = if self.spent > rule {
            closest_within(word, candidates.take(SPENT_CANDIDATES), spent)
        } else {
            closest_within(word, candidates, CLOSEST_CELLS)
        };
        self.spent = self.spent.saturating_add(cells);
        best
    }
}

/// What looking at one candidate costs, in table cells (collecting it,
/// the case-blind test, decoding its characters, the length test).
const CANDIDATE_CELLS: usize = 8;

/// [`closest`] computing at most `budget` table cells (about: the call that
/// passes it finishes its comparison), and the cells it computed. Each
/// candidate looked at counts as a cell too: names of other lengths cost no
/// cell, so 10,000 misses among 20,000 short cluster names never spent the
/// rule's budget and compared all 200 million pairs (11 s).
fn closest_within<'c>(
    word: &str,
    candidates: impl Iterator<Item = &'c str>,
    budget: usize,
) -> (Option<&'c str>, usize) {
    let cands: Vec<&str> = candidates.collect();
    if let Some(c) = cands
        .iter()
        .find(|c| c.eq_ignore_ascii_case(word) && **c != word)
    {
        return (Some(c), cands.len().saturating_mul(CANDIDATE_CELLS));
    }
    let limit = (word.chars().count() / 3).max(1);
    let word_chars: Vec<char> = word.chars().take(COMPARED_CHARS).collect();
    let mut cand_chars: Vec<char> = Vec::new();
    let mut rows = Rows {
        cells: cands.len().saturating_mul(CANDIDATE_CELLS),
        ..Rows::default()
    };
    // The least (distance, name) so far, as `min` over all pairs would pick.
    let mut best: Option<(usize, &str)> = None;
    for c in cands {
        if c == word {
            continue;
        }
        // A name after the best one must be strictly closer to replace it.
        let bound = match best {
            None => limit,
            Some((d, b)) if c < b => d,
            Some((d, _)) => match d.checked_sub(1) {
                Some(bound) => bound,
                None => continue,
            },
        };
        if rows.cells > budget {
            break;
        }
        cand_chars.clear();
        cand_chars.extend(c.chars().take(COMPARED_CHARS));
        if let Some(d) = distance_within(&word_chars, &cand_chars, bound, &mut rows) {
            best = Some((d, c));
        }
    }
    (best.map(|(_, c)| c), rows.cells)
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
    fn listed_stops_at_its_limit_and_counts_all() {
        assert_eq!(listed(Vec::<&str>::new(), 2), "");
        assert_eq!(listed(["a", "b"], 2), "a, b");
        // Lazily: only the shown items are made.
        let mut made = 0;
        let items = (0..5).inspect(|_| made += 1);
        assert_eq!(listed(items, 2), "0, 1, ... (5 in all)");
        assert_eq!(made, 2);
        assert_eq!(listed(["a", "b", "c"], 2), "a, b, ... (3 in all)");
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

    /// The full table, as `edit_distance` computed it before the cut-off.
    fn reference_distance(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().take(128).collect();
        let b: Vec<char> = b.chars().take(128).collect();
        let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        d[0] = (0..=b.len()).collect();
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut v = (d[i - 1][j - 1] + cost)
                    .min(d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    v = v.min(d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        d[a.len()][b.len()]
    }

    /// `closest` as it was: every candidate's full distance, then `min`.
    fn reference_closest<'c>(word: &str, cands: &[&'c str]) -> Option<&'c str> {
        if let Some(c) = cands
            .iter()
            .find(|c| c.eq_ignore_ascii_case(word) && **c != word)
        {
            return Some(c);
        }
        let limit = (word.chars().count() / 3).max(1);
        cands
            .iter()
            .filter(|c| **c != word)
            .map(|c| (reference_distance(word, c), *c))
            .filter(|(d, _)| *d <= limit)
            .min()
            .map(|(_, c)| c)
    }

    /// Names for the comparisons: short ones over a small alphabet (so that
    /// many are close, with transpositions), non-ASCII letters, the empty
    /// name, and long names (past the 128 characters compared) that differ
    /// near the start, the middle or the end.
    fn generated_names() -> Vec<String> {
        let alphabet = ['a', 'b', 'c', 'A', '-', 'é', 'ß', '日'];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize % n
        };
        let mut names = vec![String::new()];
        for _ in 0..300 {
            let len = next(9);
            names.push((0..len).map(|_| alphabet[next(alphabet.len())]).collect());
        }
        let base: String = (0..140).map(|i| alphabet[i % 3]).collect();
        for _ in 0..60 {
            let mut chars: Vec<char> = base.chars().take(100 + next(60)).collect();
            for _ in 0..next(6) {
                let at = next(chars.len());
                match next(4) {
                    0 => chars[at] = alphabet[next(alphabet.len())],
                    1 => {
                        chars.remove(at);
                    }
                    2 => chars.insert(at, alphabet[next(alphabet.len())]),
                    _ if at + 1 < chars.len() => chars.swap(at, at + 1),
                    _ => {}
                }
            }
            names.push(chars.into_iter().collect());
        }
        names
    }

    #[test]
    fn cut_off_distances_match_the_full_table() {
        let names = generated_names();
        let mut rows = Rows::default();
        for a in &names {
            for b in names.iter().step_by(3) {
                let full = reference_distance(a, b);
                assert_eq!(edit_distance(a, b), full, "{a:?} {b:?}");
                let (ac, bc): (Vec<char>, Vec<char>) = (
                    a.chars().take(COMPARED_CHARS).collect(),
                    b.chars().take(COMPARED_CHARS).collect(),
                );
                for k in [0, 1, 2, 3, 5, 8, 40] {
                    assert_eq!(
                        distance_within(&ac, &bc, k, &mut rows),
                        (full <= k).then_some(full),
                        "{a:?} {b:?} within {k}"
                    );
                }
            }
        }
    }

    /// A 120-letter word and `n` names that share 112 of its letters: every
    /// comparison fills the whole band.
    fn look_alikes(n: usize) -> (String, Vec<String>) {
        let far = (0..n)
            .map(|i| format!("{}{i:04}", "a".repeat(112)))
            .collect();
        ("a".repeat(120), far)
    }

    #[test]
    fn a_call_stops_comparing_past_its_budget() {
        let (word, far) = look_alikes(3000);
        let near = format!("{}b", "a".repeat(119));
        let mut cands: Vec<&str> = far.iter().map(String::as_str).collect();
        cands.push(&near);
        let unbounded = closest_within(&word, cands.iter().copied(), usize::MAX).0;
        assert_eq!(unbounded, Some(near.as_str()));
        // The budget runs out long before the last candidate.
        let got = closest(&word, cands.iter().copied());
        assert!(got.is_some_and(|g| g != near), "{got:?}");
    }

    #[test]
    fn a_rules_suggestions_share_one_budget() {
        let (word, far) = look_alikes(300);
        let cands: Vec<&str> = far.iter().map(String::as_str).collect();
        let mut suggest = Suggest {
            spent: 0,
            // Past the rule's budget a call looks at 256 candidates (2,048
            // cells) and compares until 4,000.
            limits: (3 * CLOSEST_CELLS, 4000),
        };
        let mut per_call = Vec::new();
        for _ in 0..20 {
            let before = suggest.spent;
            assert!(suggest.closest(&word, cands.iter().copied()).is_some());
            per_call.push(suggest.spent - before);
        }
        // Whole calls until the rule's budget is spent, then small ones (a
        // call finishes the comparison that crosses its budget: one
        // 120-character comparison is at most 120 x 81 cells).
        let whole = closest_within(&word, cands.iter().copied(), usize::MAX).1;
        let mut spent = 0;
        for &c in &per_call {
            if spent > 3 * CLOSEST_CELLS {
                assert!(c <= 4000 + 120 * 81, "{per_call:?}");
            } else {
                assert_eq!(c, whole, "{per_call:?}");
            }
            spent += c;
        }
        assert!(per_call.iter().filter(|&&c| c == whole).count() >= 3);
        assert!(per_call.last().is_some_and(|&c| c < whole));
    }

    #[test]
    fn names_of_other_lengths_spend_the_budget_too() {
        // 5,000 short cluster names and a long missing one: no name is within
        // reach, so no table cell is computed; looking at them still costs.
        let names: Vec<String> = (0..5000).map(|i| format!("c{i}")).collect();
        let cands: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut suggest = Suggest {
            spent: 0,
            limits: (100_000, 1000),
        };
        let mut per_call = Vec::new();
        for _ in 0..10 {
            let before = suggest.spent;
            assert_eq!(
                suggest.closest("missing-cluster-0001", cands.iter().copied()),
                None
            );
            per_call.push(suggest.spent - before);
        }
        assert_eq!(per_call[0], 5000 * CANDIDATE_CELLS);
        // Spent after three calls: then only the first candidates are looked at.
        assert!(
            per_call[3..]
                .iter()
                .all(|&c| c == SPENT_CANDIDATES * CANDIDATE_CELLS),
            "{per_call:?}"
        );
    }

    #[test]
    fn closest_matches_the_full_comparison() {
        let names = generated_names();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        // Candidate lists of several sizes and orders, the word among them or not.
        for (n, word) in refs.iter().enumerate().step_by(2) {
            let all = if n % 8 == 0 { &refs[..] } else { &refs[..0] };
            for cands in [all, &refs[n % 7..n % 7 + 40], &refs[n % 300..n % 300 + 60]] {
                assert_eq!(
                    closest_within(word, cands.iter().copied(), usize::MAX).0,
                    reference_closest(word, cands),
                    "{word:?}"
                );
                let reversed: Vec<&str> = cands.iter().rev().copied().collect();
                assert_eq!(
                    closest_within(word, reversed.iter().copied(), usize::MAX).0,
                    reference_closest(word, &reversed),
                    "{word:?} reversed"
                );
            }
            let upper = word.to_ascii_uppercase();
            let some = &refs[n % 250..n % 250 + 100];
            assert_eq!(
                closest(&upper, some.iter().copied()),
                reference_closest(&upper, some)
            );
        }
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
