//! Reading a file's bytes into text and parsing it into documents: the load
//! stage between discovery and the model. Everything here is per file.

use crate::parse::tree::{Doc, NodeRef};
use crate::parse::{Comment, LoadProblem, ProblemKind, yaml};
use crate::source::{FileId, Span};

/// What a document is, by content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    /// apiVersion + kind: Kubernetes, Istio, Gateway API, ...
    K8s,
    /// An Envoy bootstrap, xDS resource file, single typed resource or config_dump.
    Envoy,
    /// YAML we do not analyse (Helm values, compose files, ...).
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Nginx,
}

#[derive(Debug)]
pub struct LoadedFile {
    pub file: FileId,
    pub format: Format,
    pub docs: Vec<Doc>,
    pub doc_kinds: Vec<DocKind>,
    pub comments: Vec<Comment>,
    pub problems: Vec<LoadProblem>,
}

/// Bytes to text, or why the file is not analysed.
pub enum Text {
    Ok(String),
    /// Not analysed; listed in `summary.skipped`.
    Skip(String),
    /// Not text we can read: a finding at the offending byte, and the valid
    /// text before it (so the finding has a line and column).
    Invalid(LoadProblem, String),
}

pub fn decode(bytes: Vec<u8>) -> Text {
    let head = bytes.get(..8192).unwrap_or(&bytes);
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Text::Skip("UTF-16 text: convert the file to UTF-8".into());
    }
    if memchr::memchr(0, head).is_some() {
        return Text::Skip("binary file (contains NUL bytes)".into());
    }
    match String::from_utf8(bytes) {
        Ok(s) => Text::Ok(s),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let mut bytes = e.into_bytes();
            bytes.truncate(at);
            let prefix = String::from_utf8(bytes).unwrap_or_default();
            Text::Invalid(
                LoadProblem {
                    kind: ProblemKind::Syntax,
                    span: Span::new(at, at),
                    message: format!("the file is not valid UTF-8 (byte {at}); it is not analysed"),
                    related: Vec::new(),
                },
                prefix,
            )
        }
    }
}

/// Helm and Jinja sources are not YAML until rendered.
pub fn template_reason(text: &str) -> Option<&'static str> {
    if text.contains("{%") && text.contains("%}") {
        return Some("Jinja template: render it first and pipe the output (`... | confaudit -`)");
    }
    if !text.contains("{{") {
        return None;
    }
    const HELM: [&str; 12] = [
        ".Values",
        ".Release",
        ".Chart",
        ".Capabilities",
        "{{-",
        "-}}",
        "{{ include",
        "{{ template",
        "{{ if",
        "{{ range",
        "{{ end",
        "{{ define",
    ];
    HELM.iter().any(|m| text.contains(m)).then_some(
        "Helm template: render it and pipe the output (`helm template RELEASE CHART | confaudit -`)",
    )
}

fn has_key(n: NodeRef<'_>, keys: &[&str]) -> bool {
    keys.iter().any(|k| n.get(k).is_some())
}

/// Classify one document by its content.
pub fn classify(root: Option<NodeRef<'_>>) -> DocKind {
    let Some(root) = root else {
        return DocKind::Other;
    };
    if root.is_map() {
        if root.str_at("apiVersion").is_some() && root.str_at("kind").is_some() {
            return DocKind::K8s;
        }
        if has_key(
            root,
            &[
                "static_resources",
                "staticResources",
                "dynamic_resources",
                "dynamicResources",
            ],
        ) || root.str_at("@type").is_some()
            || (has_key(root, &["admin"])
                && has_key(
                    root,
                    &[
                        "node",
                        "layered_runtime",
                        "layeredRuntime",
                        "cluster_manager",
                        "clusterManager",
                    ],
                ))
        {
            return DocKind::Envoy;
        }
        let typed = |n: NodeRef<'_>| n.items().any(|i| i.str_at("@type").is_some());
        if root.get("resources").is_some_and(typed) || root.get("configs").is_some_and(typed) {
            return DocKind::Envoy;
        }
    }
    // `istioctl proxy-config ... -o json`: a bare array of clusters/listeners/routes.
    if root.is_seq()
        && root.items().next().is_some_and(|i| {
            i.get("name").is_some()
                && has_key(
                    i,
                    &[
                        "connectTimeout",
                        "connect_timeout",
                        "filterChains",
                        "filter_chains",
                        "virtualHosts",
                        "virtual_hosts",
                        "edsClusterConfig",
                        "type",
                    ],
                )
        })
    {
        return DocKind::Envoy;
    }
    DocKind::Other
}

/// Heuristic for files whose name says nothing: nginx directives at the top.
pub fn looks_like_nginx(text: &str) -> bool {
    const WORDS: [&str; 10] = [
        "server {",
        "http {",
        "events {",
        "location ",
        "upstream ",
        "proxy_pass ",
        "listen ",
        "worker_processes",
        "server_name ",
        "include ",
    ];
    let hits = WORDS.iter().filter(|w| text.contains(*w)).count();
    hits >= 2 && !text.trim_start().starts_with('{')
}

/// Is this path an nginx config by its name?
pub fn nginx_by_name(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".conf")
        || lower.ends_with("conf")
        || lower.contains("/sites-enabled/")
        || lower.contains("/sites-available/")
        || lower.starts_with("sites-enabled/")
        || lower.starts_with("sites-available/")
}

pub fn is_yaml_name(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")
}

/// Parse a file's text in the format its name and content say.
pub fn load(file: FileId, path: &str, text: &str) -> LoadedFile {
    let nginx = !is_yaml_name(path) && (nginx_by_name(path) || looks_like_nginx(text));
    if nginx {
        // The NGINX directive tree is read by its own model; here it is only counted.
        return LoadedFile {
            file,
            format: Format::Nginx,
            docs: Vec::new(),
            doc_kinds: Vec::new(),
            comments: Vec::new(),
            problems: Vec::new(),
        };
    }
    let loaded = yaml::load(text, file);
    let doc_kinds = loaded.docs.iter().map(|d| classify(d.root())).collect();
    LoadedFile {
        file,
        format: Format::Yaml,
        docs: loaded.docs,
        doc_kinds,
        comments: loaded.comments,
        problems: loaded.problems,
    }
}
