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
    },
    /// Show a rule's full documentation: why, fix, examples, references.
    Explain {
        /// Rule id (K8S001) or name (service-target-port-not-exposed).
        rule: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to analyse; `-` reads a multi-document stream from stdin.
    #[arg(value_name = "PATH", default_value = ".")]
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
}
