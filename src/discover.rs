//! Walking the paths a user gave: which files to read, which to skip and why.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::WalkBuilder;

/// Default largest file read (`--max-file-size`, `max-file-size:`).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 16 << 20;

#[derive(Clone, Debug)]
pub struct DiscoverOptions {
    pub exclude: Vec<String>,
    pub no_ignore: bool,
    pub max_file_size: u64,
    pub follow_links: bool,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            exclude: Vec::new(),
            no_ignore: false,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            follow_links: false,
        }
    }
}

/// Skip reason of a FIFO, socket or device.
pub const NOT_REGULAR: &str = "not a regular file (FIFO, socket or device): not read";
/// Skip reason of a symbolic link met while walking.
pub const SYMLINK: &str = "symbolic link: not followed (name the target to analyse it)";

/// A file to read, with the path shown to users.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    pub display: String,
    pub fs_path: PathBuf,
    /// Named on the command line (read whatever its extension).
    pub explicit: bool,
}

/// A file not analysed, and why (listed in `summary.skipped`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<Candidate>,
    /// Errors that stop the run (a path that does not exist).
    pub fatal: Vec<String>,
    /// Unreadable directories met while walking: reported, the run goes on.
    pub walk_errors: Vec<Skipped>,
}

/// The path as users see it: relative as given, `/` separators, no `./`.
/// Bytes that are not UTF-8 are written `\xNN`, so that names differing
/// only there stay apart; a backslash is a separator only on Windows (on
/// Unix it is part of a name).
pub fn display_path(p: &Path) -> String {
    let s = name_text(p.as_os_str());
    let s = if std::path::MAIN_SEPARATOR == '\\' {
        s.replace('\\', "/").into()
    } else {
        s
    };
    let mut s: &str = &s;
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    s.to_string()
}

/// A file name or path as text, `\xNN` for each byte that is not UTF-8.
fn name_text(name: &std::ffi::OsStr) -> std::borrow::Cow<'_, str> {
    if let Some(s) = name.to_str() {
        return s.into();
    }
    let mut out = String::new();
    for chunk in name.as_encoded_bytes().utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out.into()
}

/// Is this a file we read when met while walking a directory?
pub fn is_config_name(p: &Path) -> bool {
    use crate::util::ends_with_ignore_case;
    // Every entry of a walk comes here: compared without a lowercase copy.
    // A name that is not UTF-8 is judged by its text (`\xNN` escapes).
    let name = p.file_name().map(name_text).unwrap_or_default();
    let name = name.as_ref();
    if crate::load::is_yaml_name(name) || ends_with_ignore_case(name, "conf") {
        return true;
    }
    // Debian-style nginx layouts keep extension-less site files.
    p.parent()
        .and_then(|d| d.file_name())
        .and_then(|d| d.to_str())
        .is_some_and(|d| matches!(d, "sites-enabled" | "sites-available" | "conf.d"))
        && !name.starts_with('.')
        && !ends_with_ignore_case(name, ".md")
}

fn exclude_set(globs: &[String]) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).map_err(|e| format!("bad --exclude glob `{g}`: {e}"))?);
        // `vendor` excludes `vendor/**` too.
        if !g.contains('*') {
            b.add(
                Glob::new(&format!("{}/**", g.trim_end_matches('/'))).map_err(|e| e.to_string())?,
            );
        }
    }
    b.build().map_err(|e| e.to_string())
}

pub fn discover(paths: &[PathBuf], opts: &DiscoverOptions) -> Discovered {
    let mut out = Discovered::default();
    let excludes = match exclude_set(&opts.exclude) {
        Ok(s) => s,
        Err(e) => {
            out.fatal.push(e);
            return out;
        }
    };
    let excluded = |display: &str| {
        excludes.is_match(display)
            || Path::new(display)
                .file_name()
                .is_some_and(|n| excludes.is_match(Path::new(n)))
    };
    for root in paths {
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                out.fatal.push(format!("{}: {e}", root.display()));
                continue;
            }
        };
        if !meta.is_file() && !meta.is_dir() {
            // A FIFO would block the read forever; devices and sockets are not configs.
            out.walk_errors.push(Skipped {
                path: display_path(root),
                reason: NOT_REGULAR.into(),
            });
            continue;
        }
        if meta.is_file() {
            let display = display_path(root);
            if !excluded(&display) {
                out.files.push(Candidate {
                    display,
                    fs_path: root.clone(),
                    explicit: true,
                });
            }
            continue;
        }
        let mut walker = WalkBuilder::new(root);
        walker
            .hidden(true)
            .git_ignore(!opts.no_ignore)
            .git_global(!opts.no_ignore)
            .git_exclude(!opts.no_ignore)
            .ignore(!opts.no_ignore)
            .parents(!opts.no_ignore)
            .require_git(false)
            .follow_links(opts.follow_links);
        // A walk is mostly system calls (a directory's listing, its ignore
        // files looked for): on the run's threads, when it has several.
        let threads = rayon::current_num_threads();
        if threads > 1 {
            let (tx, rx) = std::sync::mpsc::channel();
            walker.threads(threads).build_parallel().run(|| {
                let tx = tx.clone();
                Box::new(move |entry| {
                    let found = found(entry, root, &excluded);
                    if found.is_some() && tx.send(found).is_err() {
                        return ignore::WalkState::Quit;
                    }
                    ignore::WalkState::Continue
                })
            });
            drop(tx);
            rx.into_iter().for_each(|f| out.take(f));
        } else {
            for entry in walker.build() {
                out.take(found(entry, root, &excluded));
            }
        }
    }
    // Threads walk in no set order.
    out.files.sort();
    out.files.dedup_by(|a, b| a.display == b.display);
    out.walk_errors.sort();
    out
}

/// The path a walk error is about (the parallel walk wraps it in a depth).
fn error_path(mut err: &ignore::Error) -> Option<&Path> {
    loop {
        err = match err {
            ignore::Error::WithPath { path, .. } => return Some(path),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => err,
            _ => return None,
        };
    }
}

/// The system's error under a walk error: the one walk wraps it in a
/// message of its own, the parallel walk does not, and a run's output must
/// not depend on its threads.
fn os_error(err: &ignore::Error) -> Option<&std::io::Error> {
    let mut cur: &(dyn std::error::Error + 'static) = err.io_error()?;
    // A few layers at most; bounded all the same.
    for _ in 0..8 {
        cur = match cur.downcast_ref::<std::io::Error>() {
            Some(io) if io.raw_os_error().is_some() => return Some(io),
            Some(io) => io.get_ref()?,
            None => cur.source()?,
        };
    }
    None
}

/// What the walk found at one entry: a file to read, one skipped, or
/// nothing (a directory, a name that is not a configuration's, excluded).
enum Found {
    File(Candidate),
    Skipped(Skipped),
}

impl Discovered {
    fn take(&mut self, found: Option<Found>) {
        match found {
            Some(Found::File(c)) => self.files.push(c),
            Some(Found::Skipped(s)) => self.walk_errors.push(s),
            None => {}
        }
    }
}

fn found(
    entry: Result<ignore::DirEntry, ignore::Error>,
    root: &Path,
    excluded: &(dyn Fn(&str) -> bool + Sync),
) -> Option<Found> {
    let e = match entry {
        Ok(e) => e,
        Err(err) => {
            let reason = match os_error(&err) {
                Some(io) => format!("unreadable: {io}"),
                None => format!("unreadable: {err}"),
            };
            return Some(Found::Skipped(Skipped {
                path: display_path(error_path(&err).unwrap_or(root)),
                reason,
            }));
        }
    };
    let ft = e.file_type()?;
    if ft.is_dir() {
        return None;
    }
    let p = e.path();
    let display = display_path(p);
    if !is_config_name(p) || excluded(&display) {
        return None;
    }
    Some(if ft.is_file() {
        Found::File(Candidate {
            display,
            fs_path: p.to_path_buf(),
            explicit: false,
        })
    } else {
        // Config-named, but a link (not followed) or a FIFO, socket or device.
        Found::Skipped(Skipped {
            path: display,
            reason: if ft.is_symlink() {
                SYMLINK.into()
            } else {
                NOT_REGULAR.into()
            },
        })
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_config_name(Path::new("a/b.yaml")));
        assert!(is_config_name(Path::new("a/proxy/conf")));
        assert!(is_config_name(Path::new("etc/sites-enabled/default")));
        assert!(!is_config_name(Path::new("a/README.md")));
        assert!(!is_config_name(Path::new("a/main.go")));
        assert_eq!(display_path(Path::new("./deploy/a.yaml")), "deploy/a.yaml");
    }

    #[cfg(unix)]
    #[test]
    fn names_that_are_not_utf8_are_read_and_shown_with_escapes() {
        use std::os::unix::ffi::OsStrExt;
        let bad = Path::new(std::ffi::OsStr::from_bytes(b"./d\xe9j\xe0/a\xff.yaml"));
        assert!(is_config_name(bad));
        assert_eq!(display_path(bad), "d\\xe9j\\xe0/a\\xff.yaml");
        let other = Path::new(std::ffi::OsStr::from_bytes(b"d\xe9j\xe0/a\xfe.yaml"));
        assert_ne!(display_path(bad), display_path(other));
        // On Unix a backslash is part of a name.
        assert_eq!(
            display_path(Path::new("back\\slash.yaml")),
            "back\\slash.yaml"
        );
    }
}
