//! The command: arguments -> pipeline -> rendered report -> exit code.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use crate::cli::{CheckArgs, Cli, ColorChoice, Command, FailOn, OutputFormat, RulesFormat};
use std::collections::{HashMap, HashSet};

use crate::baseline;
use crate::config::{self, Config};
use crate::context;
use crate::discover::{self, DiscoverOptions};
use crate::finding::Severity;
use crate::model::ModelOptions;
use crate::model::nginx::Version as NginxVersion;
use crate::pipeline::{self, Input, Options, Report};
use crate::report;
use crate::rules::meta;
use crate::symptom;

/// Exit codes of the contract.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_FAILED: i32 = 2;
/// Worker threads per core `--threads` may ask for.
const MAX_THREADS_PER_CORE: usize = 4;

pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Some(Command::Rules { format, config }) => match rules_config(config.as_deref()) {
            Ok(c) => print_rules(format, &c),
            Err(e) => {
                eprintln!("confaudit: error: {e}");
                EXIT_FAILED
            }
        },
        Some(Command::Explain { rule, config }) => match rules_config(config.as_deref()) {
            Ok(c) => explain(&rule, &c),
            Err(e) => {
                eprintln!("confaudit: error: {e}");
                EXIT_FAILED
            }
        },
        None => match check(&cli.check) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("confaudit: error: {e}");
                EXIT_FAILED
            }
        },
    }
}

/// The config for `rules` and `explain`: named, or found from the current directory.
fn rules_config(path: Option<&Path>) -> Result<Config, String> {
    if let Some(p) = path {
        return Config::load(p);
    }
    match Config::discover(Path::new(".")) {
        Some(p) => Config::load(&p),
        None => Ok(Config::default()),
    }
}

/// Built-in rules then the config's user-defined rules.
fn all_rules(config: &Config) -> Vec<&meta::RuleMeta> {
    meta::all()
        .iter()
        .chain(config.user_rules.iter().map(|r| &r.meta))
        .collect()
}

fn load_config(args: &CheckArgs) -> Result<Config, String> {
    if let Some(p) = &args.config {
        return Config::load(p);
    }
    let first = args
        .paths
        .iter()
        .find(|p| p.as_os_str() != "-")
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    match Config::discover(&first) {
        Some(p) => Config::load(&p),
        None => Ok(Config::default()),
    }
}

fn check(args: &CheckArgs) -> Result<i32, String> {
    if args.statistics
        && !matches!(
            args.format,
            OutputFormat::Human | OutputFormat::Json | OutputFormat::Jsonl
        )
    {
        // Counts are not SARIF, JUnit, GitLab or annotations: written in
        // their place they would break whatever reads the file.
        let name = clap::ValueEnum::to_possible_value(&args.format)
            .map(|v| v.get_name().to_string())
            .unwrap_or_default();
        return Err(format!(
            "--statistics prints text (human) or JSON (json, jsonl), not {name}"
        ));
    }
    if let Some(n) = args.threads {
        // Thousands of threads made even a one-file run wait on each other
        // for minutes (`-j 2000`: 35 s); more than a few per core gains nothing.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        // A second initialisation (tests in one process) keeps the first pool: harmless.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.clamp(1, cores * MAX_THREADS_PER_CORE))
            .build_global();
    }
    let config = load_config(args)?;
    let max_file_size = match &args.max_file_size {
        Some(s) => config::parse_size(s).ok_or_else(|| format!("bad --max-file-size `{s}`"))?,
        None => config
            .max_file_size
            .unwrap_or(discover::DEFAULT_MAX_FILE_SIZE),
    };
    // An empty piece (a trailing comma) names nothing and is dropped.
    let named = |rules: &[String]| -> Vec<String> {
        rules
            .iter()
            .filter(|r| !r.trim().is_empty())
            .cloned()
            .collect()
    };
    let (select, ignore) = (named(&args.select), named(&args.ignore));
    for r in select.iter().chain(&ignore) {
        if !known_selector(r, &config) {
            return Err(format!("unknown rule `{r}` (see `confaudit rules`)"));
        }
    }
    let config_selectors = config
        .select
        .iter()
        .chain(&config.ignore)
        .chain(config.severity.keys())
        .chain(config.per_path_ignores.iter().flat_map(|(_, rules)| rules));
    if let Some(r) = config_selectors
        .filter(|r| !r.trim().is_empty())
        .find(|r| !known_selector(r, &config))
    {
        let file = config.path.as_ref().map(|p| p.display().to_string());
        return Err(format!(
            "unknown rule `{r}` in {} (see `confaudit rules`)",
            file.as_deref().unwrap_or("the config file")
        ));
    }
    let symptoms = match &args.symptom {
        Some(text) => {
            let s = symptom::symptoms_of(text);
            if s.is_empty() {
                eprintln!(
                    "confaudit: the --symptom text matches no known Envoy, Istio or NGINX error; showing every finding"
                );
            }
            Some(s)
        }
        None => None,
    };

    let mut inputs = Vec::new();
    let mut fs_paths: Vec<PathBuf> = args
        .paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    let mut stdin_skipped = None;
    if fs_paths.len() != args.paths.len() {
        // Read as a file is: no more than --max-file-size (`-` may be an
        // endless pipe), and bytes that are not UTF-8 are a finding.
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(max_file_size.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        let display = &args.stdin_filename;
        let skip = |reason| {
            Some(discover::Skipped {
                path: display.clone(),
                reason,
            })
        };
        if bytes.len() as u64 > max_file_size {
            stdin_skipped = skip(pipeline::too_large_reason(max_file_size));
        } else if let Some(reason) = crate::load::not_text_reason(&bytes) {
            stdin_skipped = skip(reason.to_string());
        } else {
            match String::from_utf8(bytes) {
                Ok(text) => inputs.extend(stream_inputs(display, text)),
                Err(e) => inputs.push(Input::Bytes {
                    display: display.clone(),
                    bytes: e.into_bytes(),
                }),
            }
        }
    }
    if let Some(dir) = &args.kustomize {
        let display = format!("kustomize:{}", discover::display_path(dir));
        inputs.extend(stream_inputs(&display, kustomize(dir)?));
    }
    if args.paths.is_empty() && args.kustomize.is_none() {
        fs_paths.push(PathBuf::from("."));
    }
    // Changed files: load their project as context, report only on them.
    let context_root = context::root(&fs_paths, args.context.as_deref(), args.no_context);
    let focus_files = context_root
        .as_ref()
        .map(|_| context::canonical_set(&fs_paths));
    let walk_roots = match &context_root {
        Some(root) => vec![root.clone()],
        None => fs_paths.clone(),
    };
    let mut excludes = config.exclude.clone();
    excludes.extend(args.exclude.iter().cloned());
    let discovered = discover::discover(
        &walk_roots,
        &DiscoverOptions {
            exclude: excludes,
            no_ignore: args.no_ignore,
            max_file_size,
            follow_links: false,
        },
    );
    if let Some(e) = discovered.fatal.first() {
        return Err(e.clone());
    }
    crate::timing::phase_done("discover");
    let mut focus: HashSet<String> = HashSet::new();
    // The first path naming each focus file: a pass over the named paths
    // for every one of them took files x paths system calls (4,000 files
    // named: 9 s).
    let mut named_as: HashMap<PathBuf, &PathBuf> = HashMap::new();
    if focus_files.is_some() {
        for p in &fs_paths {
            if let Ok(canon) = std::fs::canonicalize(p) {
                named_as.entry(canon).or_insert(p);
            }
        }
    }
    for mut c in discovered.files {
        if let Some(set) = &focus_files
            && let Ok(canon) = std::fs::canonicalize(&c.fs_path)
            && set.contains(&canon)
        {
            // Show the file as the user named it.
            if let Some(given) = named_as.get(&canon) {
                c.display = discover::display_path(given);
            }
            focus.insert(c.display.clone());
        }
        inputs.push(Input::File(c));
    }
    // A named file the walk skipped (ignored, excluded) is still analysed.
    if let Some(set) = &focus_files {
        for p in &fs_paths {
            let display = discover::display_path(p);
            if !focus.contains(&display) && std::fs::canonicalize(p).is_ok_and(|c| set.contains(&c))
            {
                focus.insert(display.clone());
                inputs.push(Input::File(discover::Candidate {
                    display,
                    fs_path: p.clone(),
                    explicit: true,
                }));
            }
        }
    }

    let defaults = ModelOptions::default();
    let nginx_version = match &args.nginx_version {
        Some(v) => NginxVersion::parse(v)
            .ok_or_else(|| format!("bad --nginx-version `{v}` (expected X.Y.Z, e.g. 1.30.0)"))?,
        None => defaults.nginx_version,
    };
    let opts = Options {
        model: ModelOptions {
            default_namespace: args
                .namespace
                .clone()
                .or_else(|| config.namespace.clone())
                .unwrap_or(defaults.default_namespace),
            cluster_domain: args
                .cluster_domain
                .clone()
                .or_else(|| config.cluster_domain.clone())
                .unwrap_or(defaults.cluster_domain),
            istio_root_namespace: args
                .istio_root_namespace
                .clone()
                .unwrap_or(defaults.istio_root_namespace),
            nginx_version,
        },
        select,
        ignore,
        config,
        max_file_size,
        keep_trees: false,
    };
    let mut skipped = discovered.walk_errors;
    skipped.extend(stdin_skipped);
    let mut report = pipeline::analyze(inputs, skipped, &opts);
    if context_root.is_some() {
        context::keep_focused(&mut report, &focus);
    }
    // A baseline written is every finding of the run: written after the
    // filter, `--baseline b --write-baseline b` dropped the baselined ones,
    // which then came back as new on the next run. The old one is read
    // first: the same file may be written over.
    let old_baseline = args.baseline.as_deref().map(baseline::load).transpose()?;
    if let Some(path) = &args.write_baseline {
        write_output(Some(path), &report::json::render(&report))?;
    }
    if let Some(old) = old_baseline {
        baseline::filter(&mut report, old);
        report.recount();
    }
    if let Some(wanted) = symptoms.filter(|s| !s.is_empty()) {
        filter_by_symptom(&mut report, &wanted);
    }

    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.is_none()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    // --statistics replaces the report, which is then not rendered at all.
    crate::timing::phase_done("report");
    let text = match (args.statistics, args.format) {
        (true, OutputFormat::Json) => report::statistics::render_json(&report),
        (true, OutputFormat::Jsonl) => report::statistics::render_lines(&report),
        (true, _) => report::statistics::render_text(&report),
        (false, OutputFormat::Human) => report::human::render(&report, color, args.quiet),
        (false, OutputFormat::Json) => report::json::render(&report),
        (false, OutputFormat::Jsonl) => report::json::render_lines(&report),
        (false, OutputFormat::Sarif) => report::sarif::render(&report),
        (false, OutputFormat::Github) => report::github::render(&report),
        (false, OutputFormat::Junit) => report::junit::render(&report),
        (false, OutputFormat::Gitlab) => report::gitlab::render(&report),
    };
    crate::timing::phase_done("render");
    write_output(args.output.as_deref(), &text)?;
    crate::timing::phase_done("write");
    Ok(exit_code(&report, args.fail_on))
}

/// A stdin or rendered stream; Helm output is split by its `# Source:` comments.
fn stream_inputs(display: &str, text: String) -> Vec<Input> {
    match crate::rendered::split_by_source(&text, display) {
        Some(parts) => parts
            .into_iter()
            .map(|(display, text)| Input::Text { display, text })
            .collect(),
        None => vec![Input::Text {
            display: display.to_string(),
            text,
        }],
    }
}

/// `--kustomize DIR`: the one place confaudit runs a program, on request.
fn kustomize(dir: &Path) -> Result<String, String> {
    let attempts: [(&str, &[&str]); 2] = [("kubectl", &["kustomize"]), ("kustomize", &["build"])];
    for (program, args) in attempts {
        match std::process::Command::new(program)
            .args(args)
            .arg(dir)
            .output()
        {
            Ok(out) if out.status.success() => {
                return String::from_utf8(out.stdout)
                    .map_err(|_| format!("{program} printed non-UTF-8 output"));
            }
            Ok(out) => {
                return Err(format!(
                    "`{program} {} {}` failed: {}",
                    args.join(" "),
                    dir.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            Err(_) => continue,
        }
    }
    Err("--kustomize needs `kubectl` or `kustomize` on PATH; neither was found (or run `kustomize build DIR | confaudit -`)".into())
}

fn known_selector(s: &str, config: &Config) -> bool {
    // Rule ids from the registry: no metadata is parsed on the hot path.
    config::rule_matches(s, "")
        || crate::rules::all()
            .map(|r| r.id)
            .chain(crate::rules::tool::ALL)
            .chain(config.user_rules.iter().map(|r| r.id))
            .any(|id| config::rule_matches(s, id))
}

/// Keep findings that can cause one of the symptoms, most likely first.
fn filter_by_symptom(report: &mut Report, wanted: &[crate::finding::Symptom]) {
    let mut findings = std::mem::take(&mut report.findings);
    let rank = |f: &crate::finding::Finding| {
        report
            .meta(f.rule)
            .and_then(|m| wanted.iter().position(|w| m.symptoms.contains(w)))
    };
    findings.retain(|f| rank(f).is_some());
    findings.sort_by_key(|f| (rank(f), std::cmp::Reverse(f.severity)));
    report.findings = findings;
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    report.summary.errors = count(Severity::Error);
    report.summary.warnings = count(Severity::Warning);
    report.summary.infos = count(Severity::Info);
}

fn exit_code(report: &Report, fail_on: FailOn) -> i32 {
    let floor = match fail_on {
        FailOn::Never => return EXIT_OK,
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Info => Severity::Info,
    };
    if report.findings.iter().any(|f| f.severity >= floor) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

fn write_output(path: Option<&Path>, text: &str) -> Result<(), String> {
    match path {
        Some(p) => {
            std::fs::write(p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not a failure of the analysis.
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            Ok(())
        }
    }
}

fn print_rules(format: RulesFormat, config: &Config) -> i32 {
    let rules = all_rules(config);
    let text = match format {
        RulesFormat::Json => {
            let v: Vec<serde_json::Value> = rules
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "id": m.id, "name": m.name, "severity": m.severity.as_str(),
                        "symptoms": m.symptoms.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                        "summary": m.summary, "fix": m.fix, "references": m.references,
                        "see_also": m.see_also,
                    })
                })
                .collect();
            serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
        }
        RulesFormat::Human => {
            let mut s = format!(
                "{:<9} {:<44} {:<8} {}\n",
                "ID", "NAME", "SEVERITY", "SUMMARY"
            );
            for m in rules {
                s.push_str(&format!(
                    "{:<9} {:<44} {:<8} {}\n",
                    m.id,
                    m.name,
                    m.severity.as_str(),
                    m.summary
                ));
            }
            s
        }
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    EXIT_OK
}

fn explain(rule: &str, config: &Config) -> i32 {
    let rules = all_rules(config);
    let Some(m) = rules
        .into_iter()
        .find(|m| m.id.eq_ignore_ascii_case(rule) || m.name == rule)
    else {
        eprintln!("confaudit: error: unknown rule `{rule}` (see `confaudit rules`)");
        return EXIT_FAILED;
    };
    let mut s = format!(
        "{} ({}) — default severity: {}\n\n{}\n",
        m.id,
        m.name,
        m.severity.as_str(),
        m.summary
    );
    if !m.symptoms.is_empty() {
        let v: Vec<&str> = m.symptoms.iter().map(|x| x.as_str()).collect();
        s.push_str(&format!("\nSymptoms: {}\n", v.join(", ")));
    }
    s.push_str(&format!("\nWhy\n{}\n\nFix\n{}\n", m.why, m.fix));
    for (title, ex) in [("Fails", &m.fail), ("Passes", &m.pass)] {
        for (name, text) in &ex.files {
            s.push_str(&format!("\n{title} ({name}):\n"));
            for line in text.lines() {
                s.push_str(&format!("    {line}\n"));
            }
        }
    }
    if !m.references.is_empty() {
        s.push_str("\nReferences\n");
        for r in &m.references {
            s.push_str(&format!("  {r}\n"));
        }
    }
    let _ = std::io::stdout().write_all(s.as_bytes());
    EXIT_OK
}
