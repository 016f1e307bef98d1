//! `include` paths mapped onto the analysed files. The file system is never
//! read here: discovery already read every candidate, so an include either
//! names one of those files (by its display path) or it is noted.
//!
//! nginx resolves a relative include against its configuration prefix, the
//! directory of the main `nginx.conf` (not the including file's directory),
//! expands globs with glob(3) in sorted order, accepts a glob that matches
//! nothing, and fails on a plain path that does not exist.

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};
use std::rc::Rc;

use globset::GlobBuilder;

use crate::parse::nginx::SmolStr;

/// Lexically normalised path: `/` separators, no `.` segments, `a/../`
/// folded; leading `..` kept for relative paths, dropped above `/`.
pub fn normalize(path: &str) -> String {
    if is_normal(path) {
        return path.to_string();
    }
    // Built in place (one allocation): include lookups call this thousands
    // of times per run.
    let absolute = path.starts_with(['/', '\\']);
    let root = usize::from(absolute);
    let mut out = String::with_capacity(path.len() + 1);
    if absolute {
        out.push('/');
    }
    for seg in path.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." => {
                let last_at = out.rfind('/').map_or(0, |i| i + 1).max(root);
                match out.get(last_at..) {
                    Some(last) if !last.is_empty() && last != ".." => {
                        // Drop the last segment and the `/` before it.
                        out.truncate(last_at.saturating_sub(1).max(root));
                    }
                    _ if absolute => {}
                    _ => push_segment(&mut out, root, ".."),
                }
            }
            s => push_segment(&mut out, root, s),
        }
    }
    out
}

/// Is `path` its own normal form? (Nearly every display path is: checked
/// by a byte search, not rebuilt segment by segment.)
fn is_normal(path: &str) -> bool {
    // Separators found by memchr: a `str` split cost ~150 instructions a
    // segment, a byte-by-byte one ~7 a byte.
    let bytes = path.as_bytes();
    let relative = bytes.strip_prefix(b"/").unwrap_or(bytes);
    if memchr::memchr(b'\\', bytes).is_some() {
        return false;
    }
    let ends = memchr::memchr_iter(b'/', relative).chain(std::iter::once(relative.len()));
    let mut start = 0;
    for end in ends {
        if matches!(relative.get(start..end), None | Some(b"" | b"." | b"..")) {
            return false;
        }
        start = end + 1;
    }
    true
}

fn push_segment(out: &mut String, root: usize, seg: &str) {
    if out.len() > root {
        out.push('/');
    }
    out.push_str(seg);
}

/// Directory part of a normalised path (`""` for a bare file name).
pub fn dir_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(i) => path.get(..i).unwrap_or(""),
        None => "",
    }
}

pub fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `rel` against `dir`, normalised (`rel` absolute: itself).
pub fn join(dir: &str, rel: &str) -> String {
    if rel.starts_with('/') || dir.is_empty() {
        normalize(rel)
    } else {
        normalize(&format!("{dir}/{rel}"))
    }
}

fn is_glob(p: &str) -> bool {
    p.contains(['*', '?', '['])
}

/// `*` (any run of bytes) and `?` (one byte) against a file name, as
/// nginx's glob(3) matches them (nginx keeps the C locale, so a non-ASCII
/// character is several `?`s, as in globset); iterative with one backtrack
/// point: O(pattern x name), both short.
fn wildcard_match(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    let (mut pi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(&c) if c == b'?' || Some(&c) == n.get(ni) => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).unwrap_or(&[]).iter().all(|&c| c == b'*')
}

/// The directory part of a glob before its first wildcard, up to and
/// including the last `/` (`a/b/*.conf` -> `a/b/`). Empty when a backslash
/// escape comes first: the pattern's text then differs from the paths'.
fn literal_dir_prefix(pattern: &str) -> &str {
    let first = pattern.find(['*', '?', '[', '\\']).unwrap_or(pattern.len());
    if pattern.as_bytes().get(first) == Some(&b'\\') {
        return "";
    }
    let head = pattern.get(..first).unwrap_or("");
    match head.rfind('/') {
        Some(i) => head.get(..=i).unwrap_or(""),
        None => "",
    }
}

/// Where nginx installs keep their configuration: an absolute include under
/// one of these is looked for under the main config's directory too (a repo
/// usually mirrors `/etc/nginx/` next to its `nginx.conf`).
const PREFIXES: &[&str] = &[
    "/etc/nginx/",
    "/usr/local/nginx/conf/",
    "/usr/local/etc/nginx/",
    "/opt/homebrew/etc/nginx/",
    "/usr/local/openresty/nginx/conf/",
    "/etc/openresty/",
];

/// Files that ship with nginx and hold only `types`/`*_param` lines: not
/// having them changes nothing a rule looks at.
pub fn harmless(pattern: &str) -> bool {
    matches!(
        base_name(pattern),
        "mime.types"
            | "fastcgi_params"
            | "fastcgi.conf"
            | "uwsgi_params"
            | "scgi_params"
            | "koi-utf"
            | "koi-win"
            | "win-utf"
    ) || pattern.contains("modules-enabled/")
}

/// What an include names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// Analysed files, in nginx's (sorted) order; indexes into the file list.
    Files(Vec<usize>),
    /// A glob that matches no analysed file (nginx accepts an empty glob).
    NoMatch(String),
    /// A plain path that is not among the analysed files.
    Missing(String),
    /// An absolute path outside the analysed tree.
    Outside(String),
}

/// Looks include paths up among the analysed files.
#[derive(Debug, Default)]
pub struct Resolver {
    /// Normalised display path -> file index.
    paths: BTreeMap<String, usize>,
}

impl Resolver {
    pub fn new<'p>(paths: impl IntoIterator<Item = (usize, &'p str)>) -> Resolver {
        Resolver {
            paths: paths.into_iter().map(|(i, p)| (normalize(p), i)).collect(),
        }
    }

    fn lookup(&self, target: &str) -> Option<Vec<usize>> {
        if !is_glob(target) {
            return self.paths.get(target).map(|&i| vec![i]);
        }
        let prefix = literal_dir_prefix(target);
        // The common `conf.d/*.conf`: wildcards in the file name only, no
        // classes or escapes — matched directly, without compiling a regex.
        let tail = target.get(prefix.len()..).unwrap_or("");
        let simple = !tail.contains(['/', '[', '\\']);
        let glob = if simple {
            None
        } else {
            Some(
                GlobBuilder::new(target)
                    .literal_separator(true)
                    .backslash_escape(true)
                    .build()
                    .ok()?
                    .compile_matcher(),
            )
        };
        let matches = |p: &str| match &glob {
            Some(g) => g.is_match(p),
            None => p
                .get(prefix.len()..)
                .is_some_and(|name| !name.contains('/') && wildcard_match(tail, name)),
        };
        let dot_ok = base_name(target).starts_with('.');
        // Only paths under the pattern's literal directory can match: look
        // at that range of the sorted map instead of every analysed file.
        let hits: Vec<usize> = self
            .paths
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(p, _)| p.starts_with(prefix))
            .filter(|(p, _)| matches(p.as_str()) && (dot_ok || !base_name(p).starts_with('.')))
            .map(|(_, &i)| i)
            .collect();
        (!hits.is_empty()).then_some(hits)
    }

    /// Resolve `pattern` (an include argument) against `base`, the
    /// directory relative includes are read from.
    pub fn resolve(&self, base: &str, pattern: &str) -> Resolved {
        let target = join(base, pattern);
        if let Some(hits) = self.lookup(&target) {
            return Resolved::Files(hits);
        }
        if pattern.starts_with('/') {
            for prefix in PREFIXES {
                if let Some(rest) = pattern.strip_prefix(prefix)
                    && let Some(hits) = self.lookup(&join(base, rest))
                {
                    return Resolved::Files(hits);
                }
            }
            return Resolved::Outside(target);
        }
        if is_glob(pattern) {
            Resolved::NoMatch(target)
        } else {
            Resolved::Missing(target)
        }
    }

    /// Does `pattern` name something under `base`?
    pub fn finds(&self, base: &str, pattern: &str) -> bool {
        matches!(self.resolve(base, pattern), Resolved::Files(_))
    }
}

/// What one include pattern names from a configuration's bases: the files
/// of the first base that has any, or else what the first base gave.
#[derive(Clone, Debug)]
pub enum Targets {
    Files(Rc<IncludedFiles>),
    None(Resolved),
}

/// An include's files in nginx's order, with a lookup by file index.
#[derive(Debug)]
pub struct IncludedFiles {
    pub files: Box<[usize]>,
    /// (file, position in `files`), sorted: which of a few files (an
    /// include chain) are among them, without a scan of every file.
    by_file: Box<[(usize, usize)]>,
}

impl IncludedFiles {
    fn new(files: Vec<usize>) -> IncludedFiles {
        let mut by_file: Vec<(usize, usize)> =
            files.iter().enumerate().map(|(at, &f)| (f, at)).collect();
        by_file.sort_unstable();
        IncludedFiles {
            files: files.into(),
            by_file: by_file.into(),
        }
    }

    /// The first of `among` in nginx's order, if any is included.
    pub fn first_of(&self, among: &[usize]) -> Option<usize> {
        among
            .iter()
            .filter_map(|&f| self.position(f))
            .min()
            .and_then(|at| self.files.get(at).copied())
    }

    fn position(&self, file: usize) -> Option<usize> {
        let i = self.by_file.partition_point(|&(f, _)| f < file);
        self.by_file
            .get(i)
            .filter(|&&(f, _)| f == file)
            .map(|&(_, at)| at)
    }
}

/// Resolves a configuration's includes, each pattern once: a configuration
/// may read thousands of files that repeat one glob of thousands of files
/// (an `nginx -T` dump of 5,000 sections each including `conf.d/*.conf`
/// matched the glob 10,000 times: 6.3 s).
pub struct TargetCache<'r> {
    resolver: &'r Resolver,
    bases: &'r [String],
    done: HashMap<SmolStr, Targets>,
}

impl<'r> TargetCache<'r> {
    pub fn new(resolver: &'r Resolver, bases: &'r [String]) -> TargetCache<'r> {
        TargetCache {
            resolver,
            bases,
            done: HashMap::new(),
        }
    }

    pub fn targets(&mut self, pattern: &SmolStr) -> Targets {
        if let Some(t) = self.done.get(pattern) {
            return t.clone();
        }
        let mut first = None;
        let mut found = None;
        for base in self.bases {
            match self.resolver.resolve(base, pattern) {
                Resolved::Files(f) => {
                    found = Some(f);
                    break;
                }
                r => {
                    first.get_or_insert(r);
                }
            }
        }
        let t = match found {
            Some(files) => Targets::Files(Rc::new(IncludedFiles::new(files))),
            None => Targets::None(first.unwrap_or_else(|| Resolved::Missing(pattern.to_string()))),
        };
        self.done.insert(pattern.clone(), t.clone());
        t
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn normalises() {
        assert_eq!(normalize("./a/b/../c"), "a/c");
        assert_eq!(normalize("../x/./y"), "../x/y");
        assert_eq!(normalize("/etc/../nginx"), "/nginx");
        assert_eq!(normalize("/.."), "/");
        assert_eq!(normalize("a/../../b"), "../b");
        assert_eq!(normalize("../../a/.."), "../..");
        assert_eq!(normalize("\\\\srv\\x\\..\\y//z/"), "/srv/y/z");
        assert_eq!(normalize("a/b/../../.."), "..");
        assert_eq!(normalize(""), "");
        assert_eq!(normalize("/"), "/");
        assert_eq!(dir_of("a/b/c.conf"), "a/b");
        assert_eq!(dir_of("c.conf"), "");
        assert_eq!(dir_of("/c.conf"), "/");
        assert_eq!(
            join("deploy/nginx", "conf.d/*.conf"),
            "deploy/nginx/conf.d/*.conf"
        );
        assert_eq!(join("deploy", "/etc/nginx/x"), "/etc/nginx/x");
    }

    #[test]
    fn a_normal_path_is_kept_and_others_are_rebuilt() {
        for normal in ["a", "a/b.conf", "/etc/nginx/x", "..a/b..", "a/.b"] {
            assert!(is_normal(normal), "{normal}");
            assert_eq!(normalize(normal), normal);
        }
        for other in ["", "/", "a/", "a//b", "./a", "a/..", "/..", "a\\b"] {
            assert!(!is_normal(other), "{other}");
        }
    }

    #[test]
    fn globs_are_sorted_and_do_not_cross_directories() {
        let files = [
            "n/conf.d/b.conf",
            "n/conf.d/a.conf",
            "n/conf.d/sub/c.conf",
            "n/conf.d/.hidden.conf",
            "n/nginx.conf",
        ];
        let r = Resolver::new(files.iter().copied().enumerate());
        assert_eq!(r.resolve("n", "conf.d/*.conf"), Resolved::Files(vec![1, 0]));
        assert_eq!(
            r.resolve("n", "/etc/nginx/conf.d/*.conf"),
            Resolved::Files(vec![1, 0])
        );
        assert!(matches!(r.resolve("n", "sites/*"), Resolved::NoMatch(_)));
        assert!(matches!(r.resolve("n", "mime.types"), Resolved::Missing(_)));
        assert!(matches!(
            r.resolve("n", "/srv/x.conf"),
            Resolved::Outside(_)
        ));
        assert_eq!(
            r.resolve("n/conf.d", "../nginx.conf"),
            Resolved::Files(vec![4])
        );
    }

    #[test]
    fn globs_look_only_under_their_literal_directory() {
        assert_eq!(literal_dir_prefix("a/b/*.conf"), "a/b/");
        assert_eq!(literal_dir_prefix("a/*/x.conf"), "a/");
        assert_eq!(literal_dir_prefix("*.conf"), "");
        assert_eq!(literal_dir_prefix("a/b\\*/*.conf"), "");
        let files = [
            "n/sites/a.conf",
            "n/sites-old/b.conf",
            "n/site/c.conf",
            "n/x/sites/d.conf",
            "n/y/sites/e.conf",
        ];
        let r = Resolver::new(files.iter().copied().enumerate());
        assert_eq!(r.resolve("n", "sites/*"), Resolved::Files(vec![0]));
        assert_eq!(
            r.resolve("n", "*/sites/*.conf"),
            Resolved::Files(vec![3, 4])
        );
        assert_eq!(
            r.resolve("n", "site*/*.conf"),
            Resolved::Files(vec![2, 1, 0])
        );
    }

    #[test]
    fn simple_wildcards_match_like_glob() {
        for (pat, name, want) in [
            ("*.conf", "a.conf", true),
            ("*.conf", "a.confx", false),
            ("*", "anything", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*a*b", "xxaxxb", true),
            ("*a*b", "xxaxxbx", false),
            ("**", "", true),
            ("é*", "é.conf", true),
            // One byte per `?`, as glob(3) in the C locale.
            ("?.conf", "é.conf", false),
            ("??.conf", "é.conf", true),
        ] {
            assert_eq!(wildcard_match(pat, name), want, "{pat} {name}");
            let g = GlobBuilder::new(pat)
                .literal_separator(true)
                .build()
                .unwrap()
                .compile_matcher();
            assert_eq!(g.is_match(name), want, "globset {pat} {name}");
        }
    }

    #[test]
    fn included_files_know_the_first_of_a_chain_in_nginx_order() {
        let files = IncludedFiles::new(vec![7, 3, 9, 1]);
        assert_eq!(files.first_of(&[9]), Some(9));
        // The first in the include's order, whatever the chain's order.
        assert_eq!(files.first_of(&[1, 9, 5]), Some(9));
        assert_eq!(files.first_of(&[1]), Some(1));
        assert_eq!(files.first_of(&[2, 4]), None);
    }

    #[test]
    fn a_pattern_is_resolved_once_per_configuration_as_the_bases_resolve_it() {
        let r = Resolver::new([(0, "a/x.conf"), (1, "b/y.conf"), (2, "b/z.conf")]);
        let bases = ["a".to_string(), "b".to_string()];
        let mut cache = TargetCache::new(&r, &bases);
        let files = |t: Targets| match t {
            Targets::Files(f) => f.files.to_vec(),
            Targets::None(r) => panic!("{r:?}"),
        };
        // The first base with files wins.
        assert_eq!(files(cache.targets(&"*.conf".into())), [0]);
        assert_eq!(files(cache.targets(&"y.conf".into())), [1]);
        assert_eq!(files(cache.targets(&"*.conf".into())), [0]);
        assert_eq!(cache.done.len(), 2);
        // Nothing anywhere: what the first base said.
        assert_eq!(
            match cache.targets(&"none/*.conf".into()) {
                Targets::None(r) => r,
                Targets::Files(_) => panic!(),
            },
            r.resolve("a", "none/*.conf")
        );
    }
}
