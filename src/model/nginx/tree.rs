//! One NGINX configuration as nginx reads it: a main file (or a fragment
//! analysed on its own) with every resolved `include` spliced in where it
//! stands, and nginx's level-by-level inheritance as lookups.

use foldhash::{HashMap, HashSet, HashSetExt};

use std::rc::Rc;

use super::includes::{self, IncludedFiles, Resolved, Resolver, TargetCache, Targets};
use super::names::NameIndex;
use crate::load_nginx::NginxText;
use crate::parse::nginx::{Directive, FileContext, SmolStr};
use crate::source::{FileId, Loc, Span};

/// Deepest chain of nested includes followed.
pub const MAX_INCLUDE_DEPTH: usize = 16;
/// Most directives one configuration may expand to (a guard against
/// include fan-out; far above real configs).
pub const MAX_NODES: usize = 500_000;
/// Most included files one configuration may read (files may be read more
/// than once: a glob that every file repeats would otherwise explode).
pub const MAX_FILE_READS: usize = 10_000;
/// Most included files all configurations of a run may read: past it, the
/// configurations left are not built (each one is a note). 1,000 main
/// files each reading 10,000 includes (94 KB) took 54 s.
pub const MAX_RUN_FILE_READS: usize = 500_000;

/// How much reading the configurations of one run may do (the constants
/// above; tests use small ones).
#[derive(Clone, Copy, Debug)]
pub struct Budgets {
    pub config_reads: usize,
    pub config_nodes: usize,
    pub run_reads: usize,
}

impl Default for Budgets {
    fn default() -> Budgets {
        Budgets {
            config_reads: MAX_FILE_READS,
            config_nodes: MAX_NODES,
            run_reads: MAX_RUN_FILE_READS,
        }
    }
}

pub type NodeId = usize;
/// A block whose directives are read together: `None` is the file's top level.
pub type Level = Option<NodeId>;

/// What kind of block a directive opens (`Simple` for no block).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlockKind {
    Main,
    Events,
    Http,
    Server,
    Location,
    If,
    LimitExcept,
    Upstream,
    Stream,
    StreamServer,
    StreamUpstream,
    Mail,
    /// `map`, `types`, third-party blocks, ...
    Opaque,
    Simple,
}

impl BlockKind {
    fn root(ctx: FileContext) -> BlockKind {
        match ctx {
            FileContext::Main => BlockKind::Main,
            FileContext::Http | FileContext::Unknown => BlockKind::Http,
            FileContext::Server => BlockKind::Server,
            FileContext::Location => BlockKind::Location,
            FileContext::Stream => BlockKind::Stream,
        }
    }

    /// The kind of a `name { }` block opened inside `self`.
    fn enter(self, name: &str) -> BlockKind {
        use BlockKind::*;
        match (self, name) {
            (Opaque, _) => Opaque,
            (Main, "http") => Http,
            (Main, "events") => Events,
            (Main, "stream") => Stream,
            (Main, "mail") => Mail,
            (Http, "server") => Server,
            (Http, "upstream") => Upstream,
            (Stream, "server") => StreamServer,
            (Stream, "upstream") => StreamUpstream,
            (Server | Location, "location") => Location,
            (Server | Location, "if") => If,
            (Location, "limit_except") => LimitExcept,
            _ => Opaque,
        }
    }

    /// Levels whose http-module settings are inherited inward.
    pub fn is_http_level(self) -> bool {
        matches!(
            self,
            BlockKind::Http
                | BlockKind::Server
                | BlockKind::Location
                | BlockKind::If
                | BlockKind::LimitExcept
        )
    }
}

/// A directive of a configuration. Nodes are stored in pre-order (includes
/// expanded), so a block's contents are the nodes right after it, up to
/// `end`.
#[derive(Clone, Debug)]
pub struct Node<'a> {
    pub d: &'a Directive,
    pub file: FileId,
    /// The block this directive is in ([`NO_PARENT`]: top level).
    parent: u32,
    /// One past the last node of its block (includes expanded).
    end: u32,
    pub kind: BlockKind,
}

const NO_PARENT: u32 = u32::MAX;

fn id32(id: NodeId) -> u32 {
    u32::try_from(id).unwrap_or(NO_PARENT)
}

impl Node<'_> {
    /// The block this directive is in (`None`: top level).
    pub fn parent(&self) -> Level {
        (self.parent != NO_PARENT).then_some(self.parent as NodeId)
    }
    /// One past the id of the last directive inside it.
    pub(super) fn end(&self) -> NodeId {
        self.end as NodeId
    }

    pub fn loc(&self) -> Loc {
        Loc {
            file: self.file,
            span: self.d.span,
        }
    }
    pub fn name_loc(&self) -> Loc {
        self.at(self.d.name_span())
    }
    /// The n-th argument's span (the name when there is none).
    pub fn arg_loc(&self, n: usize) -> Loc {
        self.at(self
            .d
            .args
            .get(n)
            .map(|a| a.span)
            .unwrap_or(self.d.name_span()))
    }
    pub fn at(&self, span: Span) -> Loc {
        Loc {
            file: self.file,
            span,
        }
    }
    pub fn arg(&self, n: usize) -> Option<&str> {
        self.d.args.get(n).map(|a| a.value.as_str())
    }
    pub fn name(&self) -> &str {
        &self.d.name
    }
}

/// An include that names nothing analysed.
#[derive(Clone, Debug)]
pub struct IncludeNote {
    /// The include's argument.
    pub loc: Loc,
    pub pattern: String,
    pub kind: NoteKind,
    /// The path it was looked for at.
    pub target: String,
    /// The main config it was resolved for.
    pub root: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoteKind {
    Missing,
    Outside,
    EmptyGlob,
    Cycle,
    TooDeep,
    /// The run's configurations before this root read too many files
    /// ([`MAX_RUN_FILE_READS`]): it is not built.
    RunBudget,
    /// This configuration read [`MAX_FILE_READS`] included files: the
    /// include at `loc` and everything after it are not read.
    TooManyReads,
    /// This configuration reached [`MAX_NODES`] directives: the directive
    /// at `loc` and everything after it are not read.
    TooManyDirectives,
}

/// One file the configuration may read, by index in the file list (a file
/// of an `nginx -T` dump is one of these per `# configuration file` section).
pub struct Source<'a> {
    pub file: FileId,
    pub path: String,
    /// The kept text it is in, and which of its sections it is.
    pub text: &'a NginxText,
    pub section: usize,
    /// Index of its input (sources of one dump share it).
    pub input: usize,
    pub configmap: Option<super::ConfigMapRef>,
}

impl Source<'_> {
    pub fn context(&self) -> FileContext {
        self.text
            .sections
            .get(self.section)
            .map_or(FileContext::Unknown, |s| s.context)
    }
    /// The first argument of every `include` in it.
    pub fn includes(&self) -> &[SmolStr] {
        self.text
            .sections
            .get(self.section)
            .map_or(&[], |s| &s.includes)
    }
}

/// The parsed directives of the sources a configuration reads (by index
/// in the file list; `None`: not parsed for it).
pub type Parsed<'p, 'f> = dyn Fn(usize) -> Option<&'p [Directive]> + 'f;

/// A configuration: a root file with its includes.
#[derive(Debug)]
pub struct Config<'a> {
    pub root_file: FileId,
    pub root_path: String,
    pub context: FileContext,
    /// A whole `nginx.conf` (false: a fragment read without its main file).
    pub is_main: bool,
    /// In pre-order: a block's directives follow it.
    pub nodes: Vec<Node<'a>>,
    pub(super) root_kind: BlockKind,
    /// Levels holding an include whose contents are not known.
    pub(super) unknown_levels: HashSet<Level>,
    /// Indexes (in the file list) of every file read, the root included.
    pub files: Vec<usize>,
    /// Included files read (a file counts each time it is included).
    pub reads: usize,
    pub notes: Vec<IncludeNote>,
    /// The directives by name, and by level and name.
    names: NameIndex<'a>,
    /// Where variables get their values, gathered on first use.
    vars: std::sync::OnceLock<super::vars::VarIndex>,
    /// (level, header name in ASCII lowercase) -> the last
    /// `proxy_set_header` of that header at that level, gathered on first use.
    pub(super) proxy_headers: std::sync::OnceLock<HashMap<(Level, String), NodeId>>,
}

enum Frame<'a> {
    Dirs {
        iter: std::slice::Iter<'a, Directive>,
        file: FileId,
        parent: Level,
        /// Pops the include chain when done.
        included: bool,
    },
    Targets {
        targets: Rc<IncludedFiles>,
        /// The next of `targets.files` to read.
        next: usize,
        parent: Level,
        /// The include's argument.
        at: Loc,
    },
}

/// Build the configuration rooted at `sources[root]`, resolving includes
/// against `base` (the main config's directory, or a guess for fragments).
pub fn build<'a>(
    sources: &[Source<'_>],
    parsed: &Parsed<'a, '_>,
    resolver: &Resolver,
    root: usize,
    context: FileContext,
    bases: &[String],
    budgets: Budgets,
) -> Option<Config<'a>> {
    let src = sources.get(root)?;
    let mut cfg = Config {
        root_file: src.file,
        root_path: src.path.clone(),
        context,
        is_main: context == FileContext::Main,
        nodes: Vec::new(),
        root_kind: BlockKind::root(context),
        unknown_levels: HashSet::new(),
        files: vec![root],
        reads: 0,
        notes: Vec::new(),
        names: NameIndex::default(),
        vars: std::sync::OnceLock::new(),
        proxy_headers: std::sync::OnceLock::new(),
    };
    let mut chain: Vec<usize> = vec![root];
    let mut reads = 0usize;
    let mut read_files: HashSet<usize> = HashSet::new();
    let mut targets = TargetCache::new(resolver, bases);
    let mut stack: Vec<Frame<'a>> = vec![Frame::Dirs {
        iter: parsed(root).unwrap_or(&[]).iter(),
        file: src.file,
        parent: None,
        included: false,
    }];
    while let Some(frame) = stack.last_mut() {
        match frame {
            Frame::Targets {
                targets,
                next: n,
                parent,
                at,
            } => {
                let parent = *parent;
                let Some(&next) = targets.files.get(*n) else {
                    stack.pop();
                    continue;
                };
                *n += 1;
                // Files in the include chain are cycles (noted at the include).
                if chain.contains(&next) {
                    continue;
                }
                let Some(s) = sources.get(next) else { continue };
                reads += 1;
                if reads > budgets.config_reads {
                    let at = *at;
                    cfg.truncate(&stack, at, NoteKind::TooManyReads);
                    break;
                }
                chain.push(next);
                if read_files.insert(next) {
                    cfg.files.push(next);
                }
                stack.push(Frame::Dirs {
                    iter: parsed(next).unwrap_or(&[]).iter(),
                    file: s.file,
                    parent,
                    included: true,
                });
            }
            Frame::Dirs {
                iter,
                file,
                parent,
                included,
            } => {
                let (file, parent) = (*file, *parent);
                let Some(d) = iter.next() else {
                    if *included {
                        chain.pop();
                    }
                    stack.pop();
                    continue;
                };
                if cfg.nodes.len() >= budgets.config_nodes {
                    let at = Loc {
                        file,
                        span: d.name_span(),
                    };
                    cfg.truncate(&stack, at, NoteKind::TooManyDirectives);
                    break;
                }
                let parent_kind = cfg.kind(parent);
                if d.name == "include" && parent_kind != BlockKind::Opaque {
                    if let Some(frame) = cfg.include(d, file, parent, sources, &mut targets, &chain)
                    {
                        stack.push(frame);
                    }
                    continue;
                }
                let kind = match d.block {
                    Some(_) => parent_kind.enter(&d.name),
                    None => BlockKind::Simple,
                };
                let id = cfg.nodes.len();
                cfg.nodes.push(Node {
                    d,
                    file,
                    parent: parent.map_or(NO_PARENT, id32),
                    end: id32(id + 1),
                    kind,
                });
                if let Some(b) = &d.block {
                    stack.push(Frame::Dirs {
                        iter: b.iter(),
                        file,
                        parent: Some(id),
                        included: false,
                    });
                }
            }
        }
    }
    cfg.reads = reads;
    cfg.nodes.shrink_to_fit();
    cfg.index();
    Some(cfg)
}

impl<'a> Config<'a> {
    /// Stop reading at `at`: every level still open is cut short, so it
    /// counts as unknown (rules stay quiet there rather than judge half a
    /// block), and a note says where the configuration stops.
    fn truncate(&mut self, stack: &[Frame<'a>], at: Loc, kind: NoteKind) {
        for frame in stack {
            let (Frame::Dirs { parent, .. } | Frame::Targets { parent, .. }) = frame;
            self.unknown_levels.insert(*parent);
        }
        self.notes.push(IncludeNote {
            loc: at,
            pattern: String::new(),
            kind,
            target: String::new(),
            root: self.root_path.clone(),
        });
    }

    /// Block ends (each block's end is the largest end inside it: children
    /// come after their parent, so one backward pass suffices) and the
    /// name index.
    fn index(&mut self) {
        for i in (0..self.nodes.len()).rev() {
            let Some(n) = self.nodes.get(i) else { continue };
            let (end, parent) = (n.end, n.parent);
            if let Some(p) = self.nodes.get_mut(parent as usize) {
                p.end = p.end.max(end);
            }
        }
        self.names = NameIndex::new(&self.nodes);
    }

    /// The nodes of some ids.
    pub(super) fn nodes_of<'s>(
        &'s self,
        ids: &'s [u32],
    ) -> impl Iterator<Item = (NodeId, &'s Node<'a>)> + 's {
        ids.iter()
            .filter_map(|&i| self.nodes.get(i as usize).map(|n| (i as NodeId, n)))
    }

    /// Ids of the directives named `name` directly in a level, in order.
    pub(super) fn own_ids(&self, level: Level, name: &str) -> &[u32] {
        self.names
            .number(name)
            .map_or(&[], |k| self.names.own(level, k))
    }

    /// The number [`Config::own_numbered`] knows a directive name by
    /// (`None`: no directive has it).
    pub(super) fn name_number(&self, name: &str) -> Option<u32> {
        self.names.number(name)
    }

    /// Ids of the directives with a name number directly in a level, in
    /// order (a lookup through several levels hashes the name once).
    pub(super) fn own_numbered(&self, level: Level, name: u32) -> &[u32] {
        self.names.own(level, name)
    }

    /// Where variables get their values.
    pub fn vars(&self) -> &super::vars::VarIndex {
        self.vars.get_or_init(|| super::vars::VarIndex::of(self))
    }

    /// Every directive with this name, in order.
    pub fn named<'s>(&'s self, name: &str) -> impl Iterator<Item = (NodeId, &'s Node<'a>)> + 's {
        let ids = self
            .names
            .number(name)
            .map_or(&[][..], |k| self.names.named(k));
        self.nodes_of(ids)
    }

    /// Resolve one include; a frame to read its files, or a note.
    fn include(
        &mut self,
        d: &'a Directive,
        file: FileId,
        parent: Level,
        sources: &[Source<'_>],
        cache: &mut TargetCache<'_>,
        chain: &[usize],
    ) -> Option<Frame<'a>> {
        let arg = d.args.first()?;
        let loc = Loc {
            file,
            span: arg.span,
        };
        let found = cache.targets(&arg.value);
        let note = |kind, target: String| IncludeNote {
            loc,
            pattern: arg.value.to_string(),
            kind,
            target,
            root: self.root_path.clone(),
        };
        let files = match found {
            Targets::Files(files) => files,
            Targets::None(first) => {
                let (kind, target) = match first {
                    Resolved::Outside(t) => (NoteKind::Outside, t),
                    Resolved::NoMatch(t) => (NoteKind::EmptyGlob, t),
                    Resolved::Missing(t) => (NoteKind::Missing, t),
                    Resolved::Files(_) => (NoteKind::Missing, arg.value.to_string()),
                };
                if !includes::harmless(&arg.value) {
                    self.unknown_levels.insert(parent);
                }
                let n = note(kind, target);
                self.notes.push(n);
                return None;
            }
        };
        if chain.len() > MAX_INCLUDE_DEPTH {
            let n = note(NoteKind::TooDeep, arg.value.to_string());
            self.notes.push(n);
            self.unknown_levels.insert(parent);
            return None;
        }
        if let Some(c) = files.first_of(chain) {
            let path = sources.get(c).map(|s| s.path.clone()).unwrap_or_default();
            let n = note(NoteKind::Cycle, path);
            self.notes.push(n);
        }
        Some(Frame::Targets {
            targets: files,
            next: 0,
            parent,
            at: loc,
        })
    }
}
