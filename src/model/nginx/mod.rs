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
pub mod tree;
pub mod values;
pub mod vars;

use std::collections::HashSet;

use crate::parse::nginx::{self, Directive, FileContext, NginxFile};
use crate::source::FileId;

pub use facts::{Addr, Facts, Host, Pass, PassKind, Scheme, Target, Upstream};
pub use lookup::Setting;
pub use tree::{BlockKind, Config, IncludeNote, Level, Node, NodeId, NoteKind};
pub use values::Version;

/// One parsed NGINX file handed to the model.
pub struct NginxInput<'a> {
    pub file: FileId,
    /// Display path (`/` separators); for a ConfigMap key, a virtual path
    /// `<dir of the YAML file>/<ConfigMap name>/<key>`.
    pub path: String,
    pub parsed: &'a NginxFile,
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
    pub paths: Vec<String>,
}

/// A configuration and its facts.
#[derive(Debug)]
pub struct NginxConfig<'a> {
    pub tree: Config<'a>,
    pub facts: Facts,
    /// Does the tree say this config runs beside the Kubernetes objects it
    /// was analysed with? (Set by [`k8s::relate`].)
    pub k8s_related: bool,
    /// The ConfigMap the root file is embedded in: short host names are read
    /// in its namespace.
    pub configmap: Option<ConfigMapRef>,
}

#[derive(Debug, Default)]
pub struct Nginx<'a> {
    pub version: Version,
    pub configs: Vec<NginxConfig<'a>>,
}

impl<'a> Nginx<'a> {
    /// Includes that name nothing analysed, once per include and target.
    pub fn notes(&self) -> Vec<&IncludeNote> {
        let mut seen = HashSet::new();
        self.configs
            .iter()
            .flat_map(|c| c.tree.notes.iter())
            .filter(|n| seen.insert((n.loc, n.target.clone(), n.kind as u8)))
            .collect()
    }
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

/// The files of an input: itself, or for an `nginx -T` dump one per
/// `# configuration file PATH:` section, named by PATH.
fn split_dump<'a>(input: NginxInput<'a>) -> Vec<tree::Source<'a>> {
    let all: &'a [Directive] = &input.parsed.directives;
    let marks: Vec<(u32, String)> = input
        .parsed
        .comments
        .iter()
        .filter_map(|c| {
            let path = c
                .text
                .strip_prefix("configuration file ")?
                .strip_suffix(':')?;
            (!path.is_empty()).then(|| (c.span.start, path.trim().to_string()))
        })
        .collect();
    if marks.is_empty() {
        return vec![tree::Source {
            file: input.file,
            path: includes::normalize(&input.path),
            directives: all,
            configmap: input.configmap,
        }];
    }
    let mut out = Vec::new();
    let mut rest = all;
    for (n, (_, path)) in marks.iter().enumerate() {
        let end = marks.get(n + 1).map(|m| m.0).unwrap_or(u32::MAX);
        let cut = rest.partition_point(|d| d.span.start < end);
        let (section, tail) = rest.split_at(cut);
        out.push(tree::Source {
            file: input.file,
            path: includes::normalize(path),
            directives: section,
            configmap: input.configmap.clone(),
        });
        rest = tail;
    }
    out
}

/// `include` arguments anywhere in a directive list.
fn include_args(directives: &[Directive]) -> Vec<&str> {
    let mut out = Vec::new();
    nginx::walk(directives, |d, _| {
        if d.name == "include"
            && let Some(a) = d.args.first()
        {
            out.push(a.value.as_str());
        }
    });
    out
}

pub fn build<'a>(version: Version, mut inputs: Vec<NginxInput<'a>>) -> Nginx<'a> {
    inputs.sort_by(|a, b| a.path.cmp(&b.path));
    let sources: Vec<tree::Source<'a>> = inputs.into_iter().flat_map(split_dump).collect();
    let contexts: Vec<FileContext> = sources
        .iter()
        .map(|s| nginx::infer_context(s.directives))
        .collect();
    let resolver = includes::Resolver::new(
        sources
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.path.as_str())),
    );
    let mut reached = vec![false; sources.len()];
    let mut configs = Vec::new();
    let mut add = |root: usize, ctx: FileContext, bases: Vec<String>, reached: &mut Vec<bool>| {
        if let Some(cfg) = tree::build(&sources, &resolver, root, ctx, &bases) {
            for &f in &cfg.files {
                if let Some(r) = reached.get_mut(f) {
                    *r = true;
                }
            }
            let facts = facts::read(&cfg);
            let configmap = sources.get(root).and_then(|s| s.configmap.clone());
            configs.push(NginxConfig {
                tree: cfg,
                facts,
                k8s_related: false,
                configmap,
            });
        }
    };

    // 1. Main configs.
    for (i, s) in sources.iter().enumerate() {
        if contexts.get(i) == Some(&FileContext::Main) && !reached.get(i).copied().unwrap_or(true) {
            add(
                i,
                FileContext::Main,
                vec![includes::dir_of(&s.path).to_string()],
                &mut reached,
            );
        }
    }
    // 2. Fragments no other fragment includes.
    let mut included_by_fragment = vec![false; sources.len()];
    for (i, s) in sources.iter().enumerate() {
        if reached.get(i).copied().unwrap_or(true) {
            continue;
        }
        for arg in include_args(s.directives) {
            for base in fragment_bases(&s.path) {
                if let includes::Resolved::Files(hits) = resolver.resolve(&base, arg) {
                    for h in hits.into_iter().filter(|&h| h != i) {
                        if let Some(x) = included_by_fragment.get_mut(h) {
                            *x = true;
                        }
                    }
                    break;
                }
            }
        }
    }
    for (i, s) in sources.iter().enumerate() {
        let free = !reached.get(i).copied().unwrap_or(true)
            && !included_by_fragment.get(i).copied().unwrap_or(true);
        if free {
            let ctx = contexts.get(i).copied().unwrap_or(FileContext::Unknown);
            add(i, ctx, fragment_bases(&s.path), &mut reached);
        }
    }
    // 3. Whatever is left (cycles between fragments).
    for (i, s) in sources.iter().enumerate() {
        if !reached.get(i).copied().unwrap_or(true) {
            let ctx = contexts.get(i).copied().unwrap_or(FileContext::Unknown);
            add(i, ctx, fragment_bases(&s.path), &mut reached);
        }
    }
    Nginx { version, configs }
}

#[cfg(test)]
mod tests;
