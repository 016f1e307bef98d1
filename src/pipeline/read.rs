//! One file's read, in parallel with the others: its text, its trees, and
//! what is read of them while they are there (objects, schema issues,
//! suppressions); documents nothing reads later are dropped here.

use std::sync::Arc;

use super::Input;
use crate::discover::Skipped;
use crate::load::{self, DocKind, LoadedFile, Text};
use crate::model::read_k8s::{self, FileFacts};
use crate::parse::tree::TextStore;
use crate::schema;
use crate::source::SourceFile;
use crate::suppress;

pub(super) enum Read<'s> {
    Loaded(SourceFile, Box<LoadedFile>, Box<FileRead<'s>>),
    Skipped(Skipped),
}

/// What is read of a file while it loads, besides its trees.
#[derive(Default)]
pub(super) struct FileRead<'s> {
    pub(super) k8s: FileFacts<'s>,
    /// Schema issues of its objects, then of its Envoy documents.
    pub(super) objects_schema: schema::Results,
    pub(super) envoy_schema: schema::Results,
    /// Suppressions written as object annotations.
    pub(super) suppressions: Vec<suppress::Suppression>,
    /// Documents the file held (those whose trees are dropped included).
    pub(super) documents: usize,
}

/// What every file is read for while it loads.
pub(super) struct ReadFor<'r> {
    pub(super) max_size: u64,
    pub(super) keep_trees: bool,
    pub(super) default_ns: &'r str,
    pub(super) plan: &'r schema::Plan,
}

/// Read a loaded file's objects (validating each while its tree is there),
/// validate its Envoy documents, and drop the trees no later stage reads.
fn read_loaded<'s>(lf: &mut LoadedFile, store: &'s TextStore, with: &ReadFor<'s>) -> FileRead<'s> {
    let mut out = FileRead::default();
    let (objects_schema, suppressions) = (&mut out.objects_schema, &mut out.suppressions);
    let facts = read_k8s::read_file(&lf.docs, &lf.doc_kinds, with.default_ns, |o, root| {
        if with.plan.any() {
            objects_schema.append(&mut schema::validate::check_object(o, root, with.plan));
        }
        if let Some(v) = o.annotation(suppress::ANNOTATION) {
            let at = root
                .path(&["metadata", "annotations", suppress::ANNOTATION])
                .map_or(o.name_loc(), |n| n.loc());
            suppressions.push(suppress::from_annotation(at, root.span(), v));
        }
    });
    // The facts keep copies of the few texts they use: the file's buffer
    // goes with the documents that are dropped below.
    out.k8s = facts.held_in(store, lf.file);
    out.documents = lf
        .docs
        .len()
        .max(usize::from(lf.format == load::Format::Nginx));
    let mut kept = out.k8s.kept_docs(lf.docs.len());
    for ((doc, kind), kept) in lf.docs.iter().zip(&lf.doc_kinds).zip(kept.iter_mut()) {
        if *kind == DocKind::Envoy && with.plan.builtin {
            out.envoy_schema.append(&mut schema::envoy::check_doc(doc));
        }
        *kept |= with.keep_trees || *kind == DocKind::Envoy;
    }
    // The others go now, trees and all.
    let mut keep = kept.iter();
    lf.docs.retain(|_| keep.next().copied().unwrap_or(true));
    let mut keep = kept.iter();
    lf.doc_kinds
        .retain(|_| keep.next().copied().unwrap_or(true));
    lf.docs.shrink_to_fit();
    lf.doc_kinds.shrink_to_fit();
    out.k8s.keep_docs(&kept);
    out
}

/// Run `work` on every index of `order` in parallel, starting them in that
/// order, and hand each result to `take` in index order (`0..order.len()`),
/// as soon as those before it are in. What `take` keeps of a file replaces
/// what reading it made, so a run never holds both for every file; a result
/// started early waits for its turn.
///
/// The workers take results in themselves, so the calling thread sleeps
/// once for the whole read: waking it for every batch cost ~1,100 thread
/// switches on the 10 MB tree, and a switch to an idle CPU is dear on a VM.
pub(super) fn in_order<T: Send>(
    order: &Order,
    work: impl Fn(usize) -> T + Sync,
    take: impl FnMut(T) + Send,
) {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Mutex, PoisonError};
    let (alone, order) = (order.alone, order.items.as_slice());
    let n = order.len();
    if rayon::current_thread_index().is_some() {
        // On a pool thread (a caller's own pool), waiting here for the
        // others could leave no thread to do the work.
        let all: Vec<T> = (0..n).into_par_iter().map(&work).collect();
        all.into_iter().for_each(take);
        return;
    }
    // Work goes out in batches of `order`. Large files go out alone, and
    // batches shrink to one item towards the end: a batch of large files
    // would leave the other threads idle.
    let workers = rayon::current_num_threads();
    let take_batch = |next: &AtomicUsize| {
        let mut start = next.load(Ordering::Relaxed);
        loop {
            let size = if start < alone {
                1
            } else {
                (n.saturating_sub(start) / (8 * workers)).clamp(1, 32)
            };
            match next.compare_exchange_weak(
                start,
                start + size,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    return order
                        .get(start..n.min(start + size))
                        .filter(|b| !b.is_empty());
                }
                Err(now) => start = now,
            }
        }
    };
    let next = AtomicUsize::new(0);
    // Finished batches wait in `done`; one worker at a time takes them in.
    // A worker that finds another taking leaves its batch to it; whatever
    // is left when the last batch is in is taken in below.
    let done: Mutex<Vec<(usize, T)>> = Mutex::new(Vec::new());
    let taker = Mutex::new(Taker {
        early: std::collections::BTreeMap::new(),
        want: 0,
        take,
    });
    rayon::in_place_scope(|scope| {
        for _ in 0..workers {
            let (next, work, take_batch, done, taker) = (&next, &work, &take_batch, &done, &taker);
            scope.spawn(move |_| {
                while let Some(batch) = take_batch(next) {
                    let results: Vec<(usize, T)> = batch.iter().map(|&i| (i, work(i))).collect();
                    done.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .extend(results);
                    let Ok(mut taker) = taker.try_lock() else {
                        continue;
                    };
                    loop {
                        let got = std::mem::take(
                            &mut *done.lock().unwrap_or_else(PoisonError::into_inner),
                        );
                        if got.is_empty() {
                            break;
                        }
                        taker.take_in(got);
                    }
                }
            });
        }
    });
    let mut taker = taker.into_inner().unwrap_or_else(PoisonError::into_inner);
    taker.take_in(done.into_inner().unwrap_or_else(PoisonError::into_inner));
}

/// Results of `in_order` waiting for those before them.
struct Taker<T, F> {
    early: std::collections::BTreeMap<usize, T>,
    want: usize,
    take: F,
}

impl<T, F: FnMut(T)> Taker<T, F> {
    fn take_in(&mut self, results: Vec<(usize, T)>) {
        self.early.extend(results);
        while let Some(item) = self.early.remove(&self.want) {
            self.want += 1;
            (self.take)(item);
        }
    }
}

/// The order to read files in: the large ones first, largest first, then
/// the others in index order. Two large files parsed together at the end
/// would peak over everything the run already holds, and would leave one
/// thread idle while the other finishes.
pub(super) struct Order {
    pub(super) items: Vec<usize>,
    /// The first `alone` items (the large files) are read one at a time.
    pub(super) alone: usize,
}

impl Order {
    /// Files of these sizes in index order.
    pub(super) fn by_size(sizes: impl Iterator<Item = u64>) -> Order {
        let sizes: Vec<u64> = sizes.collect();
        let is_large = |i: &usize| sizes.get(*i).is_some_and(|&s| s >= LARGE_FILE);
        let mut items: Vec<usize> = (0..sizes.len()).filter(is_large).collect();
        items.sort_by_key(|&i| std::cmp::Reverse(sizes.get(i).copied().unwrap_or(0)));
        let alone = items.len();
        items.extend((0..sizes.len()).filter(|i| !is_large(i)));
        Order { items, alone }
    }

    /// `0..n` in order (tests).
    #[cfg(test)]
    fn plain(items: impl Iterator<Item = usize>) -> Order {
        Order {
            items: items.collect(),
            alone: 0,
        }
    }
}

/// A file this large (rendered bundles, generated configurations) is read
/// before the others; a hand-written manifest is a few KB.
const LARGE_FILE: u64 = 128 * 1024;

/// What a run keeps of a file's metadata between ordering the files and
/// reading them (a `Metadata` is five times the size).
pub(super) struct FileStat {
    pub(super) len: u64,
    modified: Option<std::time::SystemTime>,
    is_file: bool,
}

impl FileStat {
    pub(super) fn of(path: &std::path::Path) -> std::io::Result<FileStat> {
        std::fs::metadata(path).map(|m| FileStat {
            len: m.len(),
            modified: m.modified().ok(),
            is_file: m.is_file(),
        })
    }
}

/// Read one input; `stat` is a file's metadata if the run took it when
/// it ordered its files (else it is taken here).
pub(super) fn read_one<'s>(
    index: u32,
    input: &Input,
    stat: Option<&std::io::Result<FileStat>>,
    store: &'s TextStore,
    with: &ReadFor<'s>,
) -> Read<'s> {
    let max_size = with.max_size;
    let display = input.display().to_string();
    let skip = |reason: String| {
        Read::Skipped(Skipped {
            path: display.clone(),
            reason,
        })
    };
    let nginx_name = !load::is_yaml_name(&display) && load::nginx_by_name(&display);
    let mut stamp = None;
    let text = match input {
        Input::Text { text, .. } => Text::Ok(text.clone()),
        Input::Bytes { bytes, .. } => load::decode(bytes.clone(), nginx_name),
        Input::File(c) => {
            let examined_now;
            let stat = match stat {
                Some(stat) => stat,
                None => {
                    examined_now = FileStat::of(&c.fs_path);
                    &examined_now
                }
            };
            match stat {
                Ok(m) if !m.is_file => {
                    return skip(crate::discover::NOT_REGULAR.to_string());
                }
                Ok(m) if m.len > max_size => {
                    return skip(super::too_large_reason(max_size));
                }
                Err(e) => return skip(format!("unreadable: {e}")),
                Ok(m) => stamp = Some((m.len, m.modified)),
            }
            match read_sized(&c.fs_path, stat.as_ref().map_or(0, |m| m.len)) {
                Ok(bytes) => load::decode(bytes, nginx_name),
                Err(e) => return skip(format!("unreadable: {e}")),
            }
        }
    };
    let text = match text {
        Text::Ok(t) => t,
        Text::Skip(reason) => return skip(reason),
        Text::Invalid(problem, prefix) => {
            // Keep the bytes' valid prefix so the finding has a line and column.
            let source = SourceFile::new(display.clone(), Arc::from(prefix));
            let lf = LoadedFile {
                file: index,
                format: load::Format::Yaml,
                docs: Vec::new(),
                doc_kinds: Vec::new(),
                comments: Vec::new(),
                problems: vec![problem],
                nginx: None,
                embedded_nginx: Vec::new(),
            };
            return Read::Loaded(source, Box::new(lf), Box::default());
        }
    };
    if !nginx_name && let Some(reason) = load::template_reason(&text) {
        return skip(reason.to_string());
    }
    let mut loaded = load::load(index, &display, &text);
    if let Some(reason) = load::not_nginx_reason(&display, &text, &loaded) {
        return skip(reason.to_string());
    }
    let read = read_loaded(&mut loaded, store, with);
    // The trees own what the rules read: a file on disk drops its text here
    // and reads it again only if a finding needs it.
    let source = match (input, stamp) {
        (Input::File(c), Some(stamp)) => {
            // An NGINX configuration reads it again too (a text is smaller
            // than its tree, but the run need not hold either).
            if let Some(n) = loaded.nginx.as_mut() {
                n.forget_text();
            }
            // Most display paths are the path itself: keep one copy.
            let fs_path = (c.fs_path.as_os_str() != display.as_str()).then(|| c.fs_path.clone());
            SourceFile::on_disk(display, reread(fs_path, nginx_name, stamp))
        }
        _ => SourceFile::new(display, Arc::from(text)),
    };
    Read::Loaded(source, Box::new(loaded), Box::new(read))
}

/// Read a file again as `read_one` read it, if its size and modification
/// time are still what they were (else its spans may no longer fit). The
/// file is at `fs_path`, or (`None`) at its display path.
fn reread(
    fs_path: Option<std::path::PathBuf>,
    nginx_name: bool,
    stamp: (u64, Option<std::time::SystemTime>),
) -> crate::source::Reload {
    Box::new(move |display: &str| {
        let path = fs_path
            .as_deref()
            .unwrap_or_else(|| std::path::Path::new(display));
        // The stamp is checked on the file opened, not on its path: one
        // lookup of the path, and nothing can swap the file in between.
        let file = open_without_waiting(path).ok()?;
        let m = file.metadata().ok()?;
        if (m.len(), m.modified().ok()) != stamp {
            return None;
        }
        match load::decode(read_whole(file, stamp.0).ok()?, nginx_name) {
            Text::Ok(t) => Some(t),
            _ => None,
        }
    })
}

/// Read a whole file of a size already known.
fn read_sized(path: &std::path::Path, len: u64) -> std::io::Result<Vec<u8>> {
    read_whole(open_without_waiting(path)?, len)
}

/// Open a file examined as a regular file. Should a FIFO have taken its
/// place since, opening it does not wait for a writer (on Linux; reads of
/// a regular file are the same either way): the run never hangs on it.
fn open_without_waiting(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// An open file's bytes, `len` of them expected. The buffer has room for
/// one more, so reading to the end needs no growth (the extra byte lets the
/// last read see the end); the file is read through `take` because
/// `File::read_to_end` (as `std::fs::read`) would first ask it for its size
/// and position: two system calls per file, for a size already known.
fn read_whole(file: std::fs::File, len: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(usize::try_from(len).map_or(0, |n| n.saturating_add(1)));
    file.take(u64::MAX).read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn results_are_taken_in_order_however_they_arrive() {
        for n in [0, 1, 31, 1000] {
            let mut out = Vec::new();
            // Later items finish first within a batch's time.
            let order = Order::plain((0..n).rev());
            in_order(
                &order,
                |i| {
                    std::thread::sleep(std::time::Duration::from_micros(((n - i) % 7) as u64 * 50));
                    i * 2
                },
                |x| out.push(x),
            );
            assert_eq!(out, (0..n).map(|i| i * 2).collect::<Vec<_>>());
        }
    }

    #[test]
    fn large_files_are_read_first_largest_first_then_the_rest_in_order() {
        let k = 1024;
        let sizes = [3 * k, 200 * k, 1, 900 * k, 200 * k, 0, LARGE_FILE - 1];
        let order = Order::by_size(sizes.into_iter());
        // Equal sizes keep their index order; so does everything small.
        assert_eq!(order.items, vec![3, 1, 4, 0, 2, 5, 6]);
        assert_eq!(order.alone, 3);
        assert!(Order::by_size(std::iter::empty()).items.is_empty());
    }

    #[test]
    fn a_caller_on_a_one_thread_pool_is_not_left_waiting() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let mut out = Vec::new();
        let order = Order::plain(0..100);
        pool.install(|| in_order(&order, |i| i, |x| out.push(x)));
        assert_eq!(out, (0..100).collect::<Vec<_>>());
    }

    /// A file of `text` in a fresh directory of its own, and its stamp.
    fn written(
        dir: &str,
        name: &str,
        text: &str,
    ) -> (
        std::path::PathBuf,
        std::path::PathBuf,
        (u64, Option<std::time::SystemTime>),
    ) {
        let dir = std::env::temp_dir().join(format!("confaudit-{dir}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let m = std::fs::metadata(&path).unwrap();
        (dir, path, (m.len(), m.modified().ok()))
    }

    #[test]
    fn a_file_changed_after_the_read_is_not_read_again() {
        let (dir, path, stamp) = written("reread", "a.yaml", "a: 1\n");
        let display = path.to_str().unwrap();
        let again = reread(None, false, stamp);
        assert_eq!(again(display).as_deref(), Some("a: 1\n"));
        let elsewhere = reread(Some(path.clone()), false, stamp);
        assert_eq!(elsewhere("not/the/path").as_deref(), Some("a: 1\n"));
        std::fs::write(&path, "a: 1\nb: 22\n").unwrap();
        assert_eq!(again(display), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn a_file_replaced_by_a_fifo_is_not_waited_for() {
        let (dir, path, stamp) = written("fifo", "nginx.conf", "events {}\n");
        let again = reread(Some(path.clone()), true, stamp);
        std::fs::remove_file(&path).unwrap();
        if !std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success())
        {
            eprintln!("mkfifo unavailable: skipped");
            return;
        }
        // Nobody ever writes to the FIFO: opening it for reading must not wait.
        let (tx, rx) = std::sync::mpsc::channel();
        let fifo = path.clone();
        std::thread::spawn(move || {
            let _ = tx.send((again("x"), read_sized(&fifo, 10).map(|b| b.len()).ok()));
        });
        let (text, read) = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("reading a FIFO waited for a writer");
        assert_eq!(text, None);
        assert_eq!(read, Some(0));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
