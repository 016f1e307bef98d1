//! The command: arguments -> pipeline -> rendered report -> exit code.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use crate::cli::{CheckArgs, Cli, ColorChoice, Command, FailOn, OutputFormat, RulesFormat};
use crate::config::{self, Config};
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

pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Some(Command::Rules { format }) => print_rules(format),
        Some(Command::Explain { rule }) => explain(&rule),
        None => match check(&cli.check) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("confaudit: error: {e}");
                EXIT_FAILED
            }
        },
    }
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
    if let Some(n) = args.threads {
        // A second initialisation (tests in one process) keeps the first pool: harmless.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    let config = load_config(args)?;
    let max_file_size = match &args.max_file_size {
        Some(s) => config::parse_size(s).ok_or_else(|| format!("bad --max-file-size `{s}`"))?,
        None => config
            .max_file_size
            .unwrap_or(discover::DEFAULT_MAX_FILE_SIZE),
    };
    for r in args.select.iter().chain(&args.ignore) {
        if !known_selector(r) {
            return Err(format!("unknown rule `{r}` (see `confaudit rules`)"));
        }
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
    let fs_paths: Vec<PathBuf> = args
        .paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    if fs_paths.len() != args.paths.len() {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        inputs.push(Input::Text {
            display: args.stdin_filename.clone(),
            text,
        });
    }
    let mut excludes = config.exclude.clone();
    excludes.extend(args.exclude.iter().cloned());
    let discovered = discover::discover(
        &fs_paths,
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
    inputs.extend(discovered.files.into_iter().map(Input::File));

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
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        config,
        max_file_size,
    };
    let mut report = pipeline::analyze(inputs, discovered.walk_errors, &opts);
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
    let text = match args.format {
        OutputFormat::Human => report::human::render(&report, color, args.quiet),
        OutputFormat::Json => report::json::render(&report),
        OutputFormat::Jsonl => report::json::render_lines(&report),
        OutputFormat::Sarif => report::sarif::render(&report),
        OutputFormat::Github => report::github::render(&report),
    };
    write_output(args.output.as_deref(), &text)?;
    Ok(exit_code(&report, args.fail_on))
}

fn known_selector(s: &str) -> bool {
    config::rule_matches(s, "") || meta::all().iter().any(|m| config::rule_matches(s, &m.id))
}

/// Keep findings that can cause one of the symptoms, most likely first.
fn filter_by_symptom(report: &mut Report, wanted: &[crate::finding::Symptom]) {
    let rank = |f: &crate::finding::Finding| {
        meta::get(f.rule).and_then(|m| wanted.iter().position(|w| m.symptoms.contains(w)))
    };
    report.findings.retain(|f| rank(f).is_some());
    report
        .findings
        .sort_by_key(|f| (rank(f), std::cmp::Reverse(f.severity)));
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

fn print_rules(format: RulesFormat) -> i32 {
    let rules = meta::all();
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

fn explain(rule: &str) -> i32 {
    let Some(m) = meta::all()
        .iter()
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
