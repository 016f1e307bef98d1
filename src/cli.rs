//! Command-line definitions (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
    Jsonl,
    Sarif,
    Github,
    Junit,
    Gitlab,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Parser)]
#[command(
    name = "confaudit",
    version,
    about = "Finds the misconfigurations behind `upstream connect error or disconnect/reset before headers` \
             across Kubernetes, Istio, Gateway API, Envoy and NGINX configs.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every rule (id, name, severity, symptoms, summary).
    Rules {
        #[arg(long, value_enum, default_value = "human")]
        format: RulesFormat,
        /// Config file whose user-defined rules are listed too (default:
        /// `.confaudit.yaml` found upward from the current directory).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Show a rule's full documentation: why, fix, examples, references.
    Explain {
        /// Rule id (K8S001) or name (service-target-port-not-exposed).
        rule: String,
        /// Config file whose user-defined rules can be explained too.
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to analyse (default `.`); `-` reads a multi-document stream from stdin.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Name shown for the stdin stream.
    #[arg(long, value_name = "NAME", default_value = "<stdin>")]
    pub stdin_filename: String,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "human")]
    pub format: OutputFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
    /// Only these rules (ids or prefixes, comma-separated: `K8S,ISTIO001`).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,
    /// Skip these rules (ids or prefixes, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
    /// Config file (default: `.confaudit.yaml` found upward from the first path).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Namespace of objects that set none (like `kubectl apply -n`).
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: Option<String>,
    /// Cluster DNS domain used to resolve Service hosts.
    #[arg(long, value_name = "DOMAIN")]
    pub cluster_domain: Option<String>,
    /// Istio's root namespace, where mesh-wide policies live.
    #[arg(long, value_name = "NS")]
    pub istio_root_namespace: Option<String>,
    /// nginx version NGINX configs are checked for, e.g. `1.30.0`. Default
    /// 1.28.0: before 1.29.7, upstream keepalive needs `keepalive`,
    /// `proxy_http_version 1.1` and `proxy_set_header Connection ""`; from
    /// 1.29.7 on they are the defaults.
    #[arg(long, value_name = "X.Y.Z")]
    pub nginx_version: Option<String>,
    /// Skip paths matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Do not honour .gitignore / .ignore files.
    #[arg(long)]
    pub no_ignore: bool,
    /// Largest file read, e.g. `16MiB`.
    #[arg(long, value_name = "SIZE")]
    pub max_file_size: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Print findings only (no summary line).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Colour in human output (NO_COLOR is honoured by `auto`).
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Show only findings that can cause this error text (paste Envoy/Istio/NGINX output).
    #[arg(long, value_name = "TEXT")]
    pub symptom: Option<String>,
    /// Print how many findings each rule produced instead of the findings.
    #[arg(long)]
    pub statistics: bool,
    /// Report only findings that are not in this previous JSON report.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write the findings as a baseline (a JSON report) to FILE.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// When given files, load this directory as context and report only on
    /// those files (default: the enclosing git work tree).
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,
    /// Analyse the given files alone, without loading their project as context.
    #[arg(long, conflicts_with = "context")]
    pub no_context: bool,
    /// Render a kustomization with `kubectl kustomize` (or `kustomize build`) and analyse the output.
    #[arg(long, value_name = "DIR")]
    pub kustomize: Option<PathBuf>,
}
