//! discover -> load -> model -> rules -> suppress: the library entry point.

use std::sync::{Arc, OnceLock};

use foldhash::{HashMap, HashMapExt};

use crate::config::{Config, rule_matches};
use crate::discover::{Candidate, Skipped};
use crate::finding::{Finding, Severity};
use crate::load::{DocKind, LoadedFile};
use crate::model::read_k8s::FileFacts;
use crate::model::{Model, ModelOptions};
use crate::parse::tree::TextStore;
use crate::parse::{LoadProblem, ProblemKind};
use crate::rules::meta::RuleMeta;
use crate::rules::{self, tool};
use crate::schema::{self, IssueKind};
use crate::source::{Loc, Sources};
use crate::suppress;

mod enabled;
mod read;

pub(crate) use enabled::Enabled;

use read::{Read, ReadFor, read_one};

/// One input: a file on disk, or text already read (stdin, tests).
#[derive(Clone, Debug)]
pub enum Input {
    File(Candidate),
    Text {
        display: String,
        text: String,
    },
    /// A stream that is not UTF-8 text: decoded as a file's bytes are.
    Bytes {
        display: String,
        bytes: Vec<u8>,
    },
}

impl Input {
    fn display(&self) -> &str {
        match self {
            Input::File(c) => &c.display,
            Input::Text { display, .. } | Input::Bytes { display, .. } => display,
        }
    }
}

/// Why an input over `--max-file-size` is skipped.
pub fn too_large_reason(max_size: u64) -> String {
    format!("larger than the {max_size} byte limit (--max-file-size)")
}

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub model: ModelOptions,
    pub config: Config,
    /// `--select` / `--ignore` from the command line (added to the config's).
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub max_file_size: u64,
    /// Keep every document's tree to the end of the run (by default a
    /// document drops its tree once its file is read if nothing reads it
    /// later); the findings are the same either way, which tests check.
    pub keep_trees: bool,
}

impl Options {
    /// Is this rule selected by the command line and the config?
    pub fn enabled(&self, id: &str) -> bool {
        let select = if self.select.is_empty() {
            &self.config.select
        } else {
            &self.select
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
    /// Metadata of the user-defined rules of this run (`rules:` in the config).
    pub user_rules: Vec<RuleMeta>,
    /// Where each user-defined rule is in `user_rules` (the first of an id),
    /// built on first use: every finding's rule is looked up by each
    /// renderer, and a pass over 4,000 user rules per finding was most of
    /// the rendering.
    user_index: OnceLock<HashMap<String, usize>>,
}

impl Report {
    /// A rule's metadata: built-in, or user-defined in this run's config.
    pub fn meta(&self, id: &str) -> Option<&RuleMeta> {
        rules::meta::get(id).or_else(|| {
            let index = self.user_index.get_or_init(|| {
                let mut index = HashMap::new();
                for (i, m) in self.user_rules.iter().enumerate() {
                    index.entry(m.id.clone()).or_insert(i);
                }
                index
            });
            match index.get(id).and_then(|&i| self.user_rules.get(i)) {
                Some(m) if m.id == id => Some(m),
                // `user_rules` changed since the index was built.
                _ => self.user_rules.iter().find(|m| m.id == id),
            }
        })
    }
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

fn problem_finding(file: u32, p: &LoadProblem) -> Finding {
    let rule = match p.kind {
        ProblemKind::Syntax => tool::PARSE_ERROR,
        ProblemKind::DuplicateKey => tool::DUPLICATE_KEY,
        ProblemKind::Limit => tool::LIMIT,
    };
    let severity = rules::meta::get(rule)
        .map(|m| m.severity)
        .unwrap_or(Severity::Error);
    let mut finding = Finding {
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
        related_not_listed: 0,
        help: None,
    };
    // An NGINX file ending inside 100 open blocks points at each of them.
    finding.cap();
    finding
}

/// Analyse inputs (already discovered) and return sorted findings.
pub fn analyze(mut inputs: Vec<Input>, mut skipped: Vec<Skipped>, opts: &Options) -> Report {
    inputs.sort_by(|a, b| a.display().cmp(b.display()));
    let max = if opts.max_file_size == 0 {
        crate::discover::DEFAULT_MAX_FILE_SIZE
    } else {
        opts.max_file_size
    };
    let enabled = Enabled::new(opts);
    let plan = schema::Plan {
        builtin: rules::schema::RULES.iter().any(|r| enabled.get(r.id)),
        user_rules: opts
            .config
            .user_rules
            .iter()
            .filter(|r| enabled.get(r.id))
            .cloned()
            .collect(),
    };
    let with = ReadFor {
        max_size: max,
        keep_trees: opts.keep_trees,
        default_ns: &opts.model.default_namespace,
        plan: &plan,
    };
    let store = TextStore::new(inputs.len());
    // A file's id is its index among the inputs (skipped ones leave a gap).
    let mut sources = Sources::with_inputs(inputs.len());
    // Files that still hold something (trees, NGINX text) after their read.
    let mut loaded: Vec<LoadedFile> = Vec::new();
    let mut findings = Vec::new();
    let mut sups = Vec::new();
    let mut objects = FileFacts::default();
    let mut schema_results = schema::Results::default();
    let mut envoy_schema = schema::Results::default();
    let mut documents = 0;
    // Files on disk are examined first (in parallel): their sizes set the
    // reading order, and their reads check the same metadata.
    let stats: Vec<Option<std::io::Result<read::FileStat>>> = {
        use rayon::prelude::*;
        inputs
            .par_iter()
            .map(|input| match input {
                Input::File(c) => Some(read::FileStat::of(&c.fs_path)),
                Input::Text { .. } | Input::Bytes { .. } => None,
            })
            .collect()
    };
    let order = read::Order::by_size(stats.iter().map(|s| match s {
        Some(Ok(m)) => m.len,
        _ => 0,
    }));
    // Each file's read is taken in as soon as the files before it are in.
    read::in_order(
        &order,
        |i| {
            inputs.get(i).map(|input| {
                read_one(
                    i as u32,
                    input,
                    stats.get(i).and_then(Option::as_ref),
                    &store,
                    &with,
                )
            })
        },
        |r| match r {
            None => {}
            Some(Read::Skipped(s)) => skipped.push(s),
            Some(Read::Loaded(src, mut lf, mut read)) => {
                findings.extend(lf.problems.iter().map(|p| problem_finding(lf.file, p)));
                sups.extend(suppress::from_comments(lf.file, &src, &lf.comments));
                (lf.problems, lf.comments) = (Vec::new(), Vec::new());
                documents += read.documents;
                objects.append(read.k8s, loaded.len(), opts.keep_trees);
                schema_results.append(&mut read.objects_schema);
                envoy_schema.append(&mut read.envoy_schema);
                sups.append(&mut read.suppressions);
                sources.insert(lf.file, src);
                if !lf.docs.is_empty() || lf.nginx.is_some() || !lf.embedded_nginx.is_empty() {
                    loaded.push(*lf);
                }
            }
        },
    );
    crate::timing::phase_done("read");
    drop((inputs, stats));
    loaded.shrink_to_fit();
    objects.attach_trees(|file| loaded.get(file).map(|lf| lf.docs.as_slice()));
    schema_results.append(&mut envoy_schema);
    let envoy_docs: Vec<&crate::parse::tree::Doc> = loaded
        .iter()
        .flat_map(|lf| lf.docs.iter().zip(&lf.doc_kinds))
        .filter(|(_, k)| **k == DocKind::Envoy)
        .map(|(d, _)| d)
        .collect();
    let sources_ref = &sources;
    let envoy = move || {
        crate::model::envoy::build(envoy_docs.iter().copied(), &|f| {
            sources_ref
                .get(f)
                .map(|s| s.path.clone())
                .unwrap_or_default()
        })
    };
    findings.extend(schema_findings(&schema_results, &opts.config.user_rules));
    let mut nginx_files = Vec::new();
    for lf in &loaded {
        let Some(path) = sources.get(lf.file).map(|s| s.path.clone()) else {
            continue;
        };
        if let Some(text) = lf.nginx.as_ref() {
            nginx_files.push(crate::model::nginx::NginxInput {
                file: lf.file,
                path: path.clone(),
                text,
                configmap: None,
            });
        }
        for e in &lf.embedded_nginx {
            // Keys of one ConfigMap are files of one directory.
            let dir = crate::model::nginx::includes::dir_of(&path).to_string();
            let vpath = if dir.is_empty() {
                format!("{}/{}", e.configmap, e.key)
            } else {
                format!("{dir}/{}/{}", e.configmap, e.key)
            };
            nginx_files.push(crate::model::nginx::NginxInput {
                file: lf.file,
                path: vpath,
                text: &e.nginx,
                configmap: Some(crate::model::nginx::ConfigMapRef {
                    name: e.configmap.clone(),
                    namespace: e
                        .namespace
                        .clone()
                        .unwrap_or_else(|| opts.model.default_namespace.clone()),
                }),
            });
        }
    }
    let paths = (0..sources.id_bound() as u32)
        .map(|i| sources.get(i).map_or("", |s| s.path.as_str()))
        .collect();
    let read_again = |file| sources_ref.get(file).and_then(|s| s.read_again());
    let nginx_files = crate::model::nginx::NginxFiles {
        files: nginx_files,
        paths,
        read_again: Some(&read_again),
    };
    let model = Model::build(opts.model.clone(), objects, envoy, nginx_files);
    crate::timing::phase_done("model");

    findings.extend(rules::run(
        &model,
        &opts.config.thresholds,
        &schema_results,
        |id| enabled.get(id),
    ));
    crate::timing::phase_done("rules");
    drop_covered_schema_findings(&mut findings);
    // Schema and load findings quote their input too.
    findings.iter_mut().for_each(Finding::cap);
    drop(model);
    drop(schema_results);
    // Millions of small nodes take a while to free: do it beside the rest
    // of the run (the findings own their data; nothing borrows the trees now).
    rayon::spawn(move || drop(loaded));
    findings.retain(|f| enabled.get(f.rule));
    // A file's path is matched against the globs once per rule, not once
    // per finding (100,000 findings against 10,000 globs: 0.7 s).
    let mut path_ignored: HashMap<(u32, &'static str), bool> = HashMap::new();
    findings.retain(|f| {
        !*path_ignored.entry((f.loc.file, f.rule)).or_insert_with(|| {
            let path = sources
                .get(f.loc.file)
                .map(|s| s.path.as_str())
                .unwrap_or("");
            opts.config.path_ignores(path, f.rule)
        })
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
        |r| {
            enabled.get(r)
                || rules::all()
                    .map(|x| x.id)
                    .chain(opts.config.user_rules.iter().map(|u| u.id))
                    .any(|id| rule_matches(r, id) && enabled.get(id))
        },
    );
    findings.retain(|f| enabled.get(f.rule));
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

    crate::timing::phase_done("findings");
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
        user_rules: opts
            .config
            .user_rules
            .iter()
            .map(|r| r.meta.clone())
            .collect(),
        user_index: OnceLock::new(),
    }
}

/// A field, type or value that a system-specific rule already reports at the
/// same place (K8S007 on a quoted or out-of-range port, ENV018 on a removed
/// v2 field) is said once, by the more specific rule.
fn drop_covered_schema_findings(findings: &mut Vec<Finding>) {
    const GENERIC: [&str; 3] = ["SCH001", "SCH002", "SCH003"];
    let specific: foldhash::HashSet<(u32, u32)> = findings
        .iter()
        .filter(|f| !f.rule.starts_with("SCH") && !f.rule.starts_with("CA"))
        .map(|f| (f.loc.file, f.loc.span.start))
        .collect();
    findings.retain(|f| {
        !(GENERIC.contains(&f.rule) && specific.contains(&(f.loc.file, f.loc.span.start)))
    });
}

/// Findings raised by schema validation itself: resources over the budget
/// (CA004) and user-defined rules (their own ids).
fn schema_findings(
    results: &schema::Results,
    user_rules: &[Arc<schema::user::UserRule>],
) -> Vec<Finding> {
    let limit_severity = rules::meta::get(tool::LIMIT)
        .map(|m| m.severity)
        .unwrap_or(Severity::Warning);
    let mut out: Vec<Finding> = results
        .limits
        .iter()
        .map(|(loc, message)| Finding {
            rule: tool::LIMIT,
            severity: limit_severity,
            message: message.clone(),
            loc: *loc,
            resource: None,
            related: Vec::new(),
            related_not_listed: 0,
            help: None,
        })
        .collect();
    // Each rule's severity (the first rule of an id), looked up: a pass
    // over the user rules per issue took issues x rules.
    let mut severities: HashMap<&str, Severity> = HashMap::new();
    for r in user_rules {
        severities.entry(r.id).or_insert(r.meta.severity);
    }
    for i in &results.issues {
        let IssueKind::User(id) = i.kind else {
            continue;
        };
        let severity = severities.get(id).copied().unwrap_or(Severity::Error);
        out.push(Finding {
            rule: id,
            severity: i.severity.unwrap_or(severity),
            message: i.message.clone(),
            loc: i.loc,
            resource: i.resource.clone(),
            related: i
                .related
                .iter()
                .map(|(loc, m)| crate::finding::Related {
                    message: m.clone(),
                    loc: *loc,
                })
                .collect(),
            related_not_listed: 0,
            help: i.help.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_is_looked_up_as_a_pass_over_the_rules_finds_it() {
        let input = Input::Text {
            display: "t.yaml".into(),
            text: "a: 1\n".into(),
        };
        let mut report = analyze(vec![input], Vec::new(), &Options::default());
        let builtin = rules::meta::all();
        // 3,000 user rules, some ids twice (the first is found) and one a
        // built-in id (the built-in is found).
        for i in 0..3000 {
            let Some(mut m) = builtin.get(i % builtin.len()).cloned() else {
                continue;
            };
            m.id = format!("U{}", i % 2500);
            m.name = format!("user-{i}");
            report.user_rules.push(m);
        }
        if let Some(mut m) = builtin.first().cloned() {
            m.name = "shadowed".into();
            report.user_rules.push(m);
        }
        fn linear<'r>(r: &'r Report, id: &str) -> Option<&'r RuleMeta> {
            rules::meta::get(id).or_else(|| r.user_rules.iter().find(|m| m.id == id))
        }
        let ids: Vec<String> = (0..2600)
            .map(|i| format!("U{i}"))
            .chain(builtin.iter().map(|m| m.id.clone()))
            .chain(["", "ZZZ"].map(String::from))
            .collect();
        for id in &ids {
            let (a, b) = (report.meta(id), linear(&report, id));
            assert_eq!(
                a.map(|m| m as *const RuleMeta),
                b.map(|m| m as *const RuleMeta),
                "{id}"
            );
        }
        // Changed after the first look-up: still the rule a pass finds.
        report.user_rules.swap(0, 1);
        report.user_rules.truncate(2000);
        for id in &ids {
            let (a, b) = (report.meta(id), linear(&report, id));
            assert_eq!(a.map(|m| &m.name), b.map(|m| &m.name), "{id}");
        }
    }

    #[test]
    fn the_enabled_sets_answer_what_options_enabled_answers() {
        let ids: Vec<&str> = rules::all()
            .map(|r| r.id)
            .chain(tool::ALL)
            .chain(["", "K", "ZZZ1", "ngx016", "NGX016x", "é", "Kä8"])
            .collect();
        let lists: Vec<Vec<String>> = [
            vec![],
            vec![""],
            vec![" ", ","],
            vec!["K8S"],
            vec!["K8S001", " NGX01 ", "ISTIO"],
            vec!["all"],
            vec!["ALL", "K8S"],
            vec!["*"],
            vec!["NGX016x", "K"],
            vec!["é", "Kä"],
            vec!["ngx"],
        ]
        .iter()
        .map(|l| l.iter().map(|s| s.to_string()).collect())
        .collect();
        // Thousands of selectors, repeated: the sets hold each once.
        let many: Vec<String> = (0..3000)
            .map(|i| ["K8S001", "NGX0", "ISTIO01"][i % 3].to_string())
            .collect();
        let mut lists = lists;
        lists.push(many);
        for select in &lists {
            for config_select in &lists {
                for ignore in &lists {
                    let mut opts = Options {
                        select: select.clone(),
                        ignore: ignore.clone(),
                        ..Options::default()
                    };
                    opts.config.select = config_select.clone();
                    opts.config.ignore = ignore.iter().rev().take(2).cloned().collect();
                    let enabled = Enabled::new(&opts);
                    for id in &ids {
                        assert_eq!(
                            enabled.get(id),
                            opts.enabled(id),
                            "{id:?} select {select:?} config {config_select:?} ignore {ignore:?}"
                        );
                    }
                }
            }
        }
    }
}
