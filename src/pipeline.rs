//! discover -> load -> model -> rules -> suppress: the library entry point.

use std::sync::Arc;

use rayon::prelude::*;

use crate::config::{Config, rule_matches};
use crate::discover::{Candidate, Skipped};
use crate::finding::{Finding, Severity};
use crate::load::{self, DocKind, LoadedFile, Text};
use crate::model::k8s::Object;
use crate::model::{Model, ModelOptions};
use crate::parse::{LoadProblem, ProblemKind};
use crate::rules::{self, Ctx, tool};
use crate::source::{Loc, SourceFile, Sources};
use crate::suppress;

/// One input: a file on disk, or text already read (stdin, tests).
#[derive(Clone, Debug)]
pub enum Input {
    File(Candidate),
    Text { display: String, text: String },
}

impl Input {
    fn display(&self) -> &str {
        match self {
            Input::File(c) => &c.display,
            Input::Text { display, .. } => display,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub model: ModelOptions,
    pub config: Config,
    /// `--select` / `--ignore` from the command line (added to the config's).
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub max_file_size: u64,
}

impl Options {
    /// Is this rule selected by the command line and the config?
    pub fn enabled(&self, id: &str) -> bool {
        let select: Vec<&String> = if self.select.is_empty() {
            self.config.select.iter().collect()
        } else {
            self.select.iter().collect()
        };
        let selected = select.is_empty() || select.iter().any(|s| rule_matches(s, id));
        let ignored = self
            .ignore
            .iter()
            .chain(self.config.ignore.iter())
            .any(|s| rule_matches(s, id));
        selected && !ignored
    }
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Summary {
    pub files: usize,
    pub documents: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub skipped: Vec<Skipped>,
}

#[derive(Debug)]
pub struct Report {
    pub sources: Sources,
    pub findings: Vec<Finding>,
    pub summary: Summary,
}

impl Report {
    /// Recompute the summary counts after findings were filtered.
    pub fn recount(&mut self) {
        let count = |s: Severity| self.findings.iter().filter(|f| f.severity == s).count();
        self.summary.errors = count(Severity::Error);
        self.summary.warnings = count(Severity::Warning);
        self.summary.infos = count(Severity::Info);
    }
}

enum Read {
    Loaded(SourceFile, LoadedFile),
    Skipped(Skipped),
}

fn read_one(index: u32, input: &Input, max_size: u64) -> Read {
    let display = input.display().to_string();
    let skip = |reason: String| {
        Read::Skipped(Skipped {
            path: display.clone(),
            reason,
        })
    };
    let text = match input {
        Input::Text { text, .. } => Text::Ok(text.clone()),
        Input::File(c) => {
            match std::fs::metadata(&c.fs_path) {
                Ok(m) if !m.is_file() => {
                    return skip(crate::discover::NOT_REGULAR.to_string());
                }
                Ok(m) if m.len() > max_size => {
                    return skip(format!(
                        "larger than the {} byte limit (--max-file-size)",
                        max_size
                    ));
                }
                Err(e) => return skip(format!("unreadable: {e}")),
                _ => {}
            }
            match std::fs::read(&c.fs_path) {
                Ok(bytes) => load::decode(bytes),
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
            };
            return Read::Loaded(source, lf);
        }
    };
    if (load::is_yaml_name(&display) || !load::nginx_by_name(&display))
        && let Some(reason) = load::template_reason(&text)
    {
        return skip(reason.to_string());
    }
    let loaded = load::load(index, &display, &text);
    Read::Loaded(SourceFile::new(display, Arc::from(text)), loaded)
}

fn problem_finding(file: u32, p: &LoadProblem) -> Finding {
    let rule = match p.kind {
        ProblemKind::Syntax => tool::PARSE_ERROR,
        ProblemKind::DuplicateKey => tool::DUPLICATE_KEY,
        ProblemKind::Limit => tool::LIMIT,
    };
    let severity = rules::meta::get(rule)
        .map(|m| m.severity)
        .unwrap_or(Severity::Error);
    Finding {
        rule,
        severity,
        message: p.message.clone(),
        loc: Loc { file, span: p.span },
        resource: None,
        related: p
            .related
            .iter()
            .map(|(span, m)| crate::finding::Related {
                message: m.clone(),
                loc: Loc { file, span: *span },
            })
            .collect(),
        help: None,
    }
}

/// Analyse inputs (already discovered) and return sorted findings.
pub fn analyze(mut inputs: Vec<Input>, mut skipped: Vec<Skipped>, opts: &Options) -> Report {
    inputs.sort_by(|a, b| a.display().cmp(b.display()));
    let max = if opts.max_file_size == 0 {
        crate::discover::DEFAULT_MAX_FILE_SIZE
    } else {
        opts.max_file_size
    };
    let reads: Vec<Read> = inputs
        .par_iter()
        .enumerate()
        .map(|(i, input)| read_one(i as u32, input, max))
        .collect();

    // File ids must be dense: renumber in input order, skipping skipped files.
    let mut sources = Sources::default();
    let mut loaded: Vec<LoadedFile> = Vec::new();
    for r in reads {
        match r {
            Read::Skipped(s) => skipped.push(s),
            Read::Loaded(src, mut lf) => {
                let id = sources.add(src);
                renumber(&mut lf, id);
                loaded.push(lf);
            }
        }
    }

    let mut findings = Vec::new();
    let mut sups = Vec::new();
    for lf in &loaded {
        findings.extend(lf.problems.iter().map(|p| problem_finding(lf.file, p)));
        if let Some(src) = sources.get(lf.file) {
            sups.extend(suppress::from_comments(lf.file, src, &lf.comments));
        }
    }

    let mut objects = Vec::new();
    for lf in &loaded {
        for (doc, kind) in lf.docs.iter().zip(&lf.doc_kinds) {
            if *kind != DocKind::K8s {
                continue;
            }
            let Some(root) = doc.root() else { continue };
            // `kind: List` carries its objects in `items`.
            if root
                .str_at("kind")
                .is_some_and(|k| k == "List" || k.ends_with("List"))
                && root.get("items").is_some()
            {
                objects.extend(
                    root.get("items")
                        .into_iter()
                        .flat_map(|i| i.items())
                        .filter_map(|n| Object::new(n, &opts.model.default_namespace)),
                );
            } else if let Some(o) = Object::new(root, &opts.model.default_namespace) {
                objects.push(o);
            }
        }
    }
    for o in &objects {
        if let Some(v) = o.annotation(suppress::ANNOTATION) {
            let at = o
                .node
                .path(&["metadata", "annotations", suppress::ANNOTATION])
                .map(|n| n.loc())
                .unwrap_or_else(|| o.name_loc());
            sups.push(suppress::from_annotation(at, o.node.span(), v));
        }
    }
    let model = Model::build(opts.model.clone(), objects);

    let ctx = Ctx {
        model: &model,
        thresholds: &opts.config.thresholds,
    };
    findings.extend(rules::run(&ctx, |id| opts.enabled(id)));
    drop(model);
    let documents = loaded
        .iter()
        .map(|l| {
            l.docs
                .len()
                .max(usize::from(l.format == load::Format::Nginx))
        })
        .sum();
    // Millions of small nodes take a while to free: do it beside the rest
    // of the run (the findings own their data; nothing borrows the trees now).
    rayon::spawn(move || drop(loaded));
    findings.retain(|f| opts.enabled(f.rule));
    findings.retain(|f| {
        let path = sources
            .get(f.loc.file)
            .map(|s| s.path.as_str())
            .unwrap_or("");
        !opts.config.path_ignores(path, f.rule)
    });
    let mut findings = suppress::apply(
        findings,
        sups,
        |f| {
            sources
                .get(f.loc.file)
                .map(|s| s.line_of(f.loc.span.start))
                .unwrap_or(0)
        },
        |r| opts.enabled(r) || rules::all().any(|x| rule_matches(r, x.id) && opts.enabled(x.id)),
    );
    findings.retain(|f| opts.enabled(f.rule));
    for f in findings.iter_mut() {
        if let Some(s) = opts.config.severity.get(f.rule) {
            f.severity = *s;
        }
    }
    findings.sort_by(|a, b| {
        (
            a.loc.file,
            a.loc.span.start,
            a.rule,
            a.loc.span.end,
            &a.message,
        )
            .cmp(&(
                b.loc.file,
                b.loc.span.start,
                b.rule,
                b.loc.span.end,
                &b.message,
            ))
    });
    findings.dedup_by(|a, b| a.rule == b.rule && a.loc == b.loc && a.message == b.message);

    skipped.sort();
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let summary = Summary {
        files: sources.len(),
        documents,
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        infos: count(Severity::Info),
        skipped,
    };
    Report {
        sources,
        findings,
        summary,
    }
}

/// Point a file's documents at its final id.
fn renumber(lf: &mut LoadedFile, id: u32) {
    lf.file = id;
    for d in lf.docs.iter_mut() {
        d.file = id;
    }
}
