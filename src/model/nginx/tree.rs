//! One NGINX configuration as nginx reads it: a main file (or a fragment
//! analysed on its own) with every resolved `include` spliced in where it
//! stands, and nginx's level-by-level inheritance as lookups.

use std::collections::{HashMap, HashSet};

use super::includes::{self, Resolved, Resolver};
use crate::parse::nginx::{Directive, FileContext};
use crate::source::{FileId, Loc, Span};

/// Deepest chain of nested includes followed.
pub const MAX_INCLUDE_DEPTH: usize = 16;
/// Most directives one configuration may expand to (a guard against
/// include fan-out; far above real configs).
pub const MAX_NODES: usize = 500_000;
/// Most included files one configuration may read (files may be read more
/// than once: a glob that every file repeats would otherwise explode).
pub const MAX_FILE_READS: usize = 10_000;

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

#[derive(Clone, Debug)]
pub struct Node<'a> {
    pub d: &'a Directive,
    pub file: FileId,
    /// The block this directive is in (`None`: top level).
    pub parent: Level,
    /// Block contents with includes expanded.
    pub children: Vec<NodeId>,
    pub kind: BlockKind,
}

impl Node<'_> {
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
}

/// One file the configuration may read, by index in the file list (a file
/// of an `nginx -T` dump is one of these per `# configuration file` section).
pub struct Source<'a> {
    pub file: FileId,
    pub path: String,
    pub directives: &'a [Directive],
    pub configmap: Option<super::ConfigMapRef>,
}

/// A configuration: a root file with its includes.
#[derive(Debug)]
pub struct Config<'a> {
    pub root_file: FileId,
    pub root_path: String,
    pub context: FileContext,
    /// A whole `nginx.conf` (false: a fragment read without its main file).
    pub is_main: bool,
    pub nodes: Vec<Node<'a>>,
    pub top: Vec<NodeId>,
    pub(super) root_kind: BlockKind,
    /// Levels holding an include whose contents are not known.
    pub(super) unknown_levels: HashSet<Level>,
    /// Indexes (in the file list) of every file read, the root included.
    pub files: Vec<usize>,
    pub notes: Vec<IncludeNote>,
    /// Level -> directive name -> the directives, in order.
    pub(super) named: HashMap<Level, HashMap<&'a str, Vec<NodeId>>>,
    /// Every directive by name (`set`, `map`, ...).
    by_name: HashMap<&'a str, Vec<NodeId>>,
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
        files: std::vec::IntoIter<usize>,
        parent: Level,
    },
}

/// Build the configuration rooted at `sources[root]`, resolving includes
/// against `base` (the main config's directory, or a guess for fragments).
pub fn build<'a>(
    sources: &[Source<'a>],
    resolver: &Resolver,
    root: usize,
    context: FileContext,
    bases: &[String],
) -> Option<Config<'a>> {
    let src = sources.get(root)?;
    let mut cfg = Config {
        root_file: src.file,
        root_path: src.path.clone(),
        context,
        is_main: context == FileContext::Main,
        nodes: Vec::new(),
        top: Vec::new(),
        root_kind: BlockKind::root(context),
        unknown_levels: HashSet::new(),
        files: vec![root],
        notes: Vec::new(),
        named: HashMap::new(),
        by_name: HashMap::new(),
    };
    let mut chain: Vec<usize> = vec![root];
    let mut reads = 0usize;
    let mut stack: Vec<Frame<'a>> = vec![Frame::Dirs {
        iter: src.directives.iter(),
        file: src.file,
        parent: None,
        included: false,
    }];
    while let Some(frame) = stack.last_mut() {
        match frame {
            Frame::Targets { files, parent } => {
                let parent = *parent;
                let Some(next) = files.next() else {
                    stack.pop();
                    continue;
                };
                let Some(s) = sources.get(next) else { continue };
                reads += 1;
                if reads > MAX_FILE_READS {
                    break;
                }
                chain.push(next);
                if !cfg.files.contains(&next) {
                    cfg.files.push(next);
                }
                stack.push(Frame::Dirs {
                    iter: s.directives.iter(),
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
                if cfg.nodes.len() >= MAX_NODES {
                    break;
                }
                let parent_kind = cfg.kind(parent);
                if d.name == "include" && parent_kind != BlockKind::Opaque {
                    if let Some(frame) =
                        cfg.include(d, file, parent, sources, resolver, bases, &chain)
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
                    parent,
                    children: Vec::new(),
                    kind,
                });
                match parent.and_then(|p| cfg.nodes.get_mut(p)) {
                    Some(p) => p.children.push(id),
                    None => cfg.top.push(id),
                }
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
    for (id, n) in cfg.nodes.iter().enumerate() {
        let name = n.d.name.as_str();
        cfg.named
            .entry(n.parent)
            .or_default()
            .entry(name)
            .or_default()
            .push(id);
        cfg.by_name.entry(name).or_default().push(id);
    }
    Some(cfg)
}

impl<'a> Config<'a> {
    /// Every directive with this name, in order.
    pub fn named<'s>(&'s self, name: &str) -> impl Iterator<Item = (NodeId, &'s Node<'a>)> + 's {
        self.by_name
            .get(name)
            .map(|v| v.as_slice())
            .unwrap_or(&[])
            .iter()
            .filter_map(|&i| self.nodes.get(i).map(|n| (i, n)))
    }

    /// Resolve one include; a frame to read its files, or a note.
    #[allow(clippy::too_many_arguments)]
    fn include(
        &mut self,
        d: &'a Directive,
        file: FileId,
        parent: Level,
        sources: &[Source<'a>],
        resolver: &Resolver,
        bases: &[String],
        chain: &[usize],
    ) -> Option<Frame<'a>> {
        let arg = d.args.first()?;
        let loc = Loc {
            file,
            span: arg.span,
        };
        let mut first = None;
        let mut found = None;
        for base in bases {
            let r = resolver.resolve(base, &arg.value);
            if let Resolved::Files(f) = r {
                found = Some(f);
                break;
            }
            first.get_or_insert(r);
        }
        let note = |kind, target: String| IncludeNote {
            loc,
            pattern: arg.value.to_string(),
            kind,
            target,
            root: self.root_path.clone(),
        };
        let Some(files) = found else {
            let (kind, target) = match first {
                Some(Resolved::Outside(t)) => (NoteKind::Outside, t),
                Some(Resolved::NoMatch(t)) => (NoteKind::EmptyGlob, t),
                Some(Resolved::Missing(t)) => (NoteKind::Missing, t),
                _ => (NoteKind::Missing, arg.value.to_string()),
            };
            if !includes::harmless(&arg.value) {
                self.unknown_levels.insert(parent);
            }
            let n = note(kind, target);
            self.notes.push(n);
            return None;
        };
        if chain.len() > MAX_INCLUDE_DEPTH {
            let n = note(NoteKind::TooDeep, arg.value.to_string());
            self.notes.push(n);
            self.unknown_levels.insert(parent);
            return None;
        }
        let (cyclic, ok): (Vec<usize>, Vec<usize>) =
            files.into_iter().partition(|f| chain.contains(f));
        if let Some(&c) = cyclic.first() {
            let path = sources.get(c).map(|s| s.path.clone()).unwrap_or_default();
            let n = note(NoteKind::Cycle, path);
            self.notes.push(n);
        }
        Some(Frame::Targets {
            files: ok.into_iter(),
            parent,
        })
    }
}
