//! The NGINX model: which files are main configs and which are included,
//! each configuration's directive tree with includes spliced in, nginx's
//! inheritance as lookups, and the facts rules read (upstreams, `*_pass`
//! targets, servers, listens).
//!
//! Roots are worked out from the set of analysed files only:
//! 1. every file whose top level is a main context (`http`, `events`, ...)
//!    is a main config; its includes resolve against its directory;
//! 2. a fragment (`server {}` at top level, ...) that no main config and no
//!    other fragment includes is analysed on its own, in the context its
//!    top level shows (its includes resolve against its directory, then the
//!    one above, as in `/etc/nginx/conf.d/x.conf`);
//! 3. files left (include cycles among fragments) become roots in path order.
//!
//! An included file is therefore analysed within the configs that include
//! it, never again as a root.

pub mod addr;
pub mod facts;
pub mod includes;
pub mod k8s;
pub mod lookup;
mod names;
pub mod tree;
pub mod values;
pub mod vars;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use crate::load_nginx::NginxText;
use crate::parse::nginx::{Directive, FileContext, NginxFile};
use crate::source::FileId;

pub use facts::{Addr, Facts, Host, Pass, PassKind, Scheme, Target, Upstream};
pub use lookup::{SetAt, Setting};
pub use tree::{BlockKind, Config, IncludeNote, Level, Node, NodeId, NoteKind};
pub use values::Version;

/// One parsed NGINX file handed to the model.
pub struct NginxInput<'a> {
    pub file: FileId,
    /// Display path (`/` separators); for a ConfigMap key, a virtual path
    /// `<dir of the YAML file>/<ConfigMap name>/<key>`.
    pub path: String,
    pub text: &'a NginxText,
    /// The ConfigMap holding it, when embedded in one.
    pub configmap: Option<ConfigMapRef>,
}

/// The ConfigMap an NGINX config is embedded in (its effective namespace).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigMapRef {
    pub name: String,
    pub namespace: String,
}

/// The NGINX files of a run, and the display path of every analysed file
/// (by file id), which tells which Kubernetes objects sit beside a config.
#[derive(Default)]
pub struct NginxFiles<'a> {
    pub files: Vec<NginxInput<'a>>,
    pub paths: Vec<&'a str>,
    /// Reads the files whose texts were let go.
    pub read_again: Option<ReadAgain<'a>>,
}

/// A configuration and its facts.
#[derive(Debug)]
pub struct NginxConfig<'a> {
    pub tree: Config<'a>,
    pub facts: Facts,
    /// Does the tree say this config runs beside the Kubernetes objects it
    /// was analysed with? (Completed by [`Model::relate_nginx`].)
    pub k8s_related: bool,
    /// The ConfigMap the root file is embedded in: short host names are read
    /// in its namespace.
    pub configmap: Option<ConfigMapRef>,
}

/// The NGINX files of a run, ready to be read as configurations. The
/// configurations themselves are built one at a time by
/// [`Nginx::each_config`] and dropped after their visit: a run holds only
/// the ones its workers are checking (their node lists and facts are
/// several times the size of the files).
#[derive(Default)]
pub struct Nginx<'a> {
    pub version: Version,
    sources: Vec<tree::Source<'a>>,
    resolver: includes::Resolver,
    /// By source: does a Kubernetes Service sit near the source's file?
    /// (Set by [`k8s::mark_near_services`].)
    pub(super) near_services: Vec<bool>,
    /// Reads a file again whose text the run let go ([`Nginx::reading_with`]).
    read_again: Option<ReadAgain<'a>>,
    /// What one configuration and the whole run may read.
    budgets: tree::Budgets,
}

/// Reads an analysed file's text again, as it was read for loading (`None`:
/// it changed or went since).
pub type ReadAgain<'a> = &'a (dyn Fn(FileId) -> Option<String> + Sync);

impl std::fmt::Debug for Nginx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nginx")
            .field("version", &self.version)
            .field("files", &self.sources.len())
            .finish()
    }
}

/// Includes that name nothing analysed, once per include and target (the
/// first configuration that met it names it).
pub fn unique_notes<'c>(notes: impl IntoIterator<Item = &'c IncludeNote>) -> Vec<&'c IncludeNote> {
    let mut seen = HashSet::new();
    notes
        .into_iter()
        .filter(|n| seen.insert((n.loc, n.target.clone(), n.kind as u8)))
        .collect()
}

fn fragment_bases(path: &str) -> Vec<String> {
    let dir = includes::dir_of(path).to_string();
    let up = includes::dir_of(&dir).to_string();
    if dir.is_empty() || up == dir {
        vec![dir]
    } else {
        vec![dir, up]
    }
}

/// Trees parsed for one configuration, by input.
struct Trees(Vec<(usize, NginxFile)>);

impl Trees {
    fn directives<'p>(&'p self, sources: &[tree::Source<'_>], i: usize) -> Option<&'p [Directive]> {
        let s = sources.get(i)?;
        let at = self.0.binary_search_by_key(&s.input, |(n, _)| *n).ok()?;
        let (_, parsed) = self.0.get(at)?;
        Some(s.text.section(parsed, s.section))
    }
}

/// A configuration to build: its root source, the context its top level
/// is read in, and the directories its includes resolve against.
struct Root {
    source: usize,
    context: FileContext,
    bases: Vec<String>,
}

/// What the rounds of roots gave: results in order, the included files
/// read so far, and roots not built once those were too many.
struct Rounds<R> {
    results: Vec<R>,
    reads: usize,
    not_built: Vec<usize>,
}

impl<R> Rounds<R> {
    /// A root left unbuilt is noted once: later rounds pass it by.
    fn not_built(&mut self, root: usize, reached: &mut [bool]) {
        self.not_built.push(root);
        if let Some(r) = reached.get_mut(root) {
            *r = true;
        }
    }
}

impl<'a> Nginx<'a> {
    pub fn new(version: Version, mut inputs: Vec<NginxInput<'a>>) -> Nginx<'a> {
        inputs.sort_by(|a, b| a.path.cmp(&b.path));
        // A file of an `nginx -T` dump is one source per section, named by
        // the section's path.
        let sources: Vec<tree::Source<'a>> = inputs
            .into_iter()
            .enumerate()
            .flat_map(|(n, input)| {
                input.text.sections.iter().enumerate().map(move |(k, s)| {
                    let path = s.path.as_deref().unwrap_or(&input.path);
                    tree::Source {
                        file: input.file,
                        path: includes::normalize(path),
                        input: n,
                        text: input.text,
                        section: k,
                        configmap: input.configmap.clone(),
                    }
                })
            })
            .collect();
        let resolver = includes::Resolver::new(
            sources
                .iter()
                .enumerate()
                .map(|(i, s)| (i, s.path.as_str())),
        );
        Nginx {
            version,
            near_services: vec![false; sources.len()],
            sources,
            resolver,
            read_again: None,
            budgets: tree::Budgets::default(),
        }
    }

    /// The files whose texts were let go are read again with `read_again`.
    pub fn reading_with(self, read_again: Option<ReadAgain<'a>>) -> Nginx<'a> {
        Nginx { read_again, ..self }
    }

    fn context(&self, i: usize) -> FileContext {
        self.sources
            .get(i)
            .map_or(FileContext::Unknown, tree::Source::context)
    }

    /// Build every configuration and hand each to `visit`, returning what
    /// the visits return in configuration order. Configurations are built
    /// in parallel and each is dropped after its visit.
    ///
    /// Roots are chosen in three rounds (main configs, fragments no other
    /// fragment includes, then whatever is left); within a round a
    /// candidate already read by an earlier one is not a root, and its
    /// visit's result is dropped.
    pub fn each_config<R: Send>(
        &self,
        visit: impl Fn(NginxConfig<'_>) -> R + Sync,
    ) -> (Vec<R>, Vec<IncludeNote>) {
        // On a pool thread: the waves below then cost no thread wake-ups
        // (from outside the pool, each wave hands its work over and sleeps).
        rayon::scope(|_| {
            self.each_root(|r| {
                // A file changed since it was loaded: no configuration (README).
                let trees = self.parse_for(r)?;
                let cfg = self.config(r, &|i| trees.directives(&self.sources, i))?;
                Some((cfg.tree.files.clone(), cfg.tree.reads, visit(cfg)))
            })
        })
    }

    /// Every configuration at once, from trees of every file (for tests).
    #[cfg(test)]
    fn all_configs<'p>(&self, trees: &'p Trees) -> Vec<NginxConfig<'p>> {
        self.each_root(|r| {
            let cfg = self.config(r, &|i| trees.directives(&self.sources, i))?;
            Some((cfg.tree.files.clone(), cfg.tree.reads, cfg))
        })
        .0
    }

    /// Trees of every file (for tests).
    #[cfg(test)]
    fn parse_all(&self) -> Trees {
        let mut all: Vec<(usize, NginxFile)> = Vec::new();
        for s in &self.sources {
            if all.last().map(|(n, _)| *n) != Some(s.input) {
                all.extend(s.text.parse(|| None).map(|t| (s.input, t)));
            }
        }
        Trees(all)
    }

    /// Choose the roots and run `per_root` on each (it returns the files
    /// the configuration read, how many reads that took, and its result;
    /// `None`: no configuration). Roots left when the run's reads are spent
    /// come back as notes.
    fn each_root<R: Send>(
        &self,
        per_root: impl Fn(&Root) -> Option<(Vec<usize>, usize, R)> + Sync,
    ) -> (Vec<R>, Vec<IncludeNote>) {
        let mut reached = vec![false; self.sources.len()];
        let mut out = Rounds {
            results: Vec::new(),
            reads: 0,
            not_built: Vec::new(),
        };
        // 1. Main configs.
        let mains = (0..self.sources.len())
            .filter(|&i| self.context(i) == FileContext::Main)
            .filter_map(|i| {
                let s = self.sources.get(i)?;
                Some(Root {
                    source: i,
                    context: FileContext::Main,
                    bases: vec![includes::dir_of(&s.path).to_string()],
                })
            })
            .collect();
        self.round(mains, &mut reached, &per_root, &mut out);
        // 2. Fragments no other fragment includes.
        let included_by_fragment = self.included_by_fragments(&reached);
        let free = self.fragments(|i| {
            !reached.get(i).copied().unwrap_or(true)
                && !included_by_fragment.get(i).copied().unwrap_or(true)
        });
        self.round(free, &mut reached, &per_root, &mut out);
        // 3. Whatever is left (cycles between fragments).
        let left = self.fragments(|i| !reached.get(i).copied().unwrap_or(true));
        self.round(left, &mut reached, &per_root, &mut out);
        let notes = out
            .not_built
            .iter()
            .filter_map(|&i| {
                let s = self.sources.get(i)?;
                Some(IncludeNote {
                    loc: crate::source::Loc {
                        file: s.file,
                        span: crate::source::Span { start: 0, end: 0 },
                    },
                    pattern: String::new(),
                    kind: NoteKind::RunBudget,
                    target: String::new(),
                    root: s.path.clone(),
                })
            })
            .collect();
        (out.results, notes)
    }

    /// Which files a fragment not yet reached includes (itself aside).
    /// Generated trees hold thousands of fragments that each include
    /// `conf.d/*.conf`: a pattern is resolved once per base, and its files
    /// are marked by its first two includers only (once two have, every
    /// file is marked). 8,000 such fragments took 6 s.
    fn included_by_fragments(&self, reached: &[bool]) -> Vec<bool> {
        /// A pattern's files, and who has marked them so far.
        struct Marked {
            hits: Option<Vec<usize>>,
            first: Option<usize>,
            done: bool,
        }
        let mut out = vec![false; self.sources.len()];
        let mut patterns: HashMap<(String, &str), Marked> = HashMap::new();
        for (i, s) in self.sources.iter().enumerate() {
            if reached.get(i).copied().unwrap_or(true) {
                continue;
            }
            for arg in s.includes() {
                for base in fragment_bases(&s.path) {
                    let m = patterns
                        .entry((base, arg.as_str()))
                        .or_insert_with_key(|(b, a)| {
                            let hits = match self.resolver.resolve(b, a) {
                                includes::Resolved::Files(hits) => Some(hits),
                                _ => None,
                            };
                            Marked {
                                hits,
                                first: None,
                                done: false,
                            }
                        });
                    let Some(hits) = &m.hits else { continue };
                    match m.first {
                        _ if m.done => {}
                        None => {
                            for &h in hits.iter().filter(|&&h| h != i) {
                                if let Some(x) = out.get_mut(h) {
                                    *x = true;
                                }
                            }
                            m.first = Some(i);
                        }
                        Some(f) if f != i => {
                            if hits.contains(&f)
                                && let Some(x) = out.get_mut(f)
                            {
                                *x = true;
                            }
                            m.done = true;
                        }
                        Some(_) => {}
                    }
                    break;
                }
            }
        }
        out
    }

    /// Fragments (by source index) to read as roots.
    fn fragments(&self, pick: impl Fn(usize) -> bool) -> Vec<Root> {
        (0..self.sources.len())
            .filter(|&i| pick(i))
            .filter_map(|i| {
                let s = self.sources.get(i)?;
                Some(Root {
                    source: i,
                    context: self.context(i),
                    bases: fragment_bases(&s.path),
                })
            })
            .collect()
    }

    /// Build and visit the candidates in parallel, a few at a time, and
    /// keep, in order, those no earlier one has read. A candidate already
    /// read is not built at all: when every file includes every other, the
    /// first configuration reads them all and the rest are skipped. Waves
    /// start at one configuration and double up to a few per thread, so
    /// that case builds one configuration, as nginx would read it.
    ///
    /// Once the run's configurations have read more included files than
    /// the run's budget, the candidates left are not built (counted in
    /// candidate order, so which ones does not depend on the waves).
    fn round<R: Send>(
        &self,
        candidates: Vec<Root>,
        reached: &mut [bool],
        per_root: &(impl Fn(&Root) -> Option<(Vec<usize>, usize, R)> + Sync),
        out: &mut Rounds<R>,
    ) {
        use rayon::prelude::*;
        let most = 4 * rayon::current_num_threads().max(1);
        let mut wave = 1;
        let mut pending = candidates.into_iter();
        loop {
            let batch: Vec<Root> = pending
                .by_ref()
                .filter(|r| !reached.get(r.source).copied().unwrap_or(true))
                .take(wave)
                .collect();
            if batch.is_empty() {
                return;
            }
            if out.reads > self.budgets.run_reads {
                for r in &batch {
                    out.not_built(r.source, reached);
                }
                continue;
            }
            wave = (wave * 2).min(most);
            let visited: Vec<(usize, Vec<usize>, usize, R)> = batch
                .into_par_iter()
                .filter_map(|r| {
                    per_root(&r).map(|(files, reads, result)| (r.source, files, reads, result))
                })
                .collect();
            for (root, files, reads, result) in visited {
                if reached.get(root).copied().unwrap_or(true) {
                    continue;
                }
                // Counted in candidate order, whatever the waves: the same
                // roots are dropped on any number of threads.
                if out.reads > self.budgets.run_reads {
                    out.not_built(root, reached);
                    continue;
                }
                out.reads = out.reads.saturating_add(reads);
                for f in files {
                    if let Some(r) = reached.get_mut(f) {
                        *r = true;
                    }
                }
                out.results.push(result);
            }
        }
    }

    /// Parse the files a configuration may read: its root and, from there,
    /// whatever every `include` in them resolves to (a superset of the
    /// includes the configuration follows).
    fn parse_for(&self, root: &Root) -> Option<Trees> {
        let mut seen: HashSet<usize> = [root.source].into_iter().collect();
        // Breadth first, as deep as a configuration follows includes: a
        // chain of 3,000 includes was parsed whole for each of its 177 roots
        // (8 s). Each pattern is first met at its least depth.
        let mut queue = std::collections::VecDeque::from([(root.source, 0)]);
        // With the root's bases, a pattern always resolves the same way:
        // expand each once (files that all include `*.conf` are common).
        let mut expanded: HashSet<&str> = HashSet::new();
        while let Some((i, depth)) = queue.pop_front() {
            let Some(s) = self.sources.get(i) else {
                continue;
            };
            if depth >= tree::MAX_INCLUDE_DEPTH {
                continue;
            }
            for arg in s.includes() {
                if !expanded.insert(arg.as_str()) {
                    continue;
                }
                for base in &root.bases {
                    if let includes::Resolved::Files(hits) = self.resolver.resolve(base, arg) {
                        for h in hits {
                            if seen.len() < self.budgets.config_reads && seen.insert(h) {
                                queue.push_back((h, depth + 1));
                            }
                        }
                        break;
                    }
                }
            }
        }
        let mut inputs: Vec<(usize, FileId, &NginxText)> = seen
            .iter()
            .filter_map(|&i| self.sources.get(i).map(|s| (s.input, s.file, s.text)))
            .collect();
        inputs.sort_by_key(|&(n, ..)| n);
        inputs.dedup_by_key(|&mut (n, ..)| n);
        let again = |file| self.read_again.and_then(|read| read(file));
        inputs
            .into_iter()
            .map(|(n, file, t)| Some((n, t.parse(|| again(file))?)))
            .collect::<Option<_>>()
            .map(Trees)
    }

    fn config<'p>(&self, root: &Root, parsed: &tree::Parsed<'p, '_>) -> Option<NginxConfig<'p>> {
        let cfg = tree::build(
            &self.sources,
            parsed,
            &self.resolver,
            root.source,
            root.context,
            &root.bases,
            self.budgets,
        )?;
        let facts = facts::read(&cfg);
        let configmap = self
            .sources
            .get(root.source)
            .and_then(|s| s.configmap.clone());
        let near = self
            .near_services
            .get(root.source)
            .copied()
            .unwrap_or(false);
        Some(NginxConfig {
            tree: cfg,
            facts,
            k8s_related: near || configmap.is_some(),
            configmap,
        })
    }
}

#[cfg(test)]
mod tests;
