//! Reading a file's bytes into text and parsing it into documents: the load
//! stage between discovery and the model. Everything here is per file.

use crate::load_nginx::NginxText;
use crate::parse::tree::{Doc, NodeRef, Visited};
use crate::parse::{Comment, LoadProblem, ProblemKind, nginx, yaml};
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
    /// The directive tree of an NGINX file (its comments and problems are
    /// also in `comments` and `problems`).
    pub nginx: Option<NginxText>,
    /// NGINX configs held in the ConfigMaps of a YAML file (spans are in
    /// this file; comments and problems are also in `comments`/`problems`).
    pub embedded_nginx: Vec<crate::load_embedded::Embedded>,
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

/// `lenient`: bytes that are not UTF-8 become `?` one for one (offsets are
/// kept), for NGINX files, which nginx reads as bytes (a Latin-1 comment is
/// fine there).
pub fn decode(bytes: Vec<u8>, lenient: bool) -> Text {
    if let Some(reason) = not_text_reason(&bytes) {
        return Text::Skip(reason.into());
    }
    match String::from_utf8(bytes) {
        Ok(s) => Text::Ok(s),
        Err(e) if lenient => Text::Ok(replace_invalid(e.as_bytes())),
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

/// Why bytes are not read as text at all (UTF-16, or binary: a NUL byte
/// in the first 8 KiB).
pub fn not_text_reason(bytes: &[u8]) -> Option<&'static str> {
    let head = bytes.get(..8192).unwrap_or(bytes);
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Some("UTF-16 text: convert the file to UTF-8");
    }
    if memchr::memchr(0, head).is_some() {
        return Some("binary file (contains NUL bytes)");
    }
    None
}

/// Text with every byte of an invalid UTF-8 sequence replaced by `?`.
fn replace_invalid(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(std::iter::repeat_n('?', chunk.invalid().len()));
    }
    out
}

/// Helm and Jinja sources are not YAML until rendered.
pub fn template_reason(text: &str) -> Option<&'static str> {
    // One pass over the `{`s for both openers (this runs on every file).
    let b = text.as_bytes();
    let (mut jinja, mut moustache) = (false, false);
    for at in memchr::memchr_iter(b'{', b) {
        match b.get(at + 1) {
            Some(b'%') => jinja = true,
            Some(b'{') => moustache = true,
            _ => {}
        }
        if jinja && moustache {
            break;
        }
    }
    if jinja && text.contains("%}") {
        return Some("Jinja template: render it first and pipe the output (`... | confaudit -`)");
    }
    if !moustache {
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
        // A BootstrapConfigDump without its `@type` (`{"bootstrap": {...}}`).
        let bootstrap_dump = root.get("bootstrap").is_some_and(|b| {
            has_key(
                b,
                &[
                    "static_resources",
                    "staticResources",
                    "dynamic_resources",
                    "dynamicResources",
                    "node",
                ],
            )
        });
        if bootstrap_dump || nested_config_dump(root) {
            return DocKind::Envoy;
        }
    }
    // `istioctl proxy-config ... -o json`: a bare array of clusters/listeners/routes.
    if root.is_seq()
        && root.items().next().is_some_and(|i| {
            // ClusterLoadAssignments (EDS) have no `name`.
            (has_key(i, &["clusterName", "cluster_name"]) && has_key(i, &["endpoints"]))
                || i.get("name").is_some()
                && has_key(
                    i,
                    &[
                        "connectTimeout",
                        "connect_timeout",
                        "filterChains",
                        "filter_chains",
                        "virtualHosts",
                        "virtual_hosts",
                        "defaultFilterChain",
                        "default_filter_chain",
                        "loadAssignment",
                        "load_assignment",
                        "edsClusterConfig",
                        "type",
                        "defaultFilterChain",
                        "default_filter_chain",
                        "listenerFilters",
                        "listener_filters",
                        "address",
                    ],
                )
                // Dump entries: `[{version_info, cluster: {"@type": ...}}]`.
                || ["cluster", "listener", "routeConfig", "route_config"]
                    .iter()
                    .any(|k| i.get(k).is_some_and(|c| c.str_at("@type").is_some()))
        })
    {
        return DocKind::Envoy;
    }
    DocKind::Other
}

/// Config dumps nested under namespace and pod keys (`egctl config envoy-proxy all`).
fn nested_config_dump(n: NodeRef<'_>) -> bool {
    nested_config_dump_from(n, 0, &mut Visited::default())
}

fn nested_config_dump_from(n: NodeRef<'_>, depth: usize, visited: &mut Visited) -> bool {
    if depth > 3 || !visited.enter(n.id, depth) {
        return false;
    }
    n.entries().any(|(_, v)| {
        v.is_map()
            && (v
                .get("configs")
                .is_some_and(|c| c.items().any(|i| i.str_at("@type").is_some()))
                || v.str_at("@type").is_some_and(is_admin_dump_type)
                || nested_config_dump_from(v, depth + 1, visited))
    })
}

fn is_admin_dump_type(t: &str) -> bool {
    t.contains("envoy.admin.") && t.ends_with("ConfigDump")
}

/// Heuristic for files whose name says nothing: the NGINX parser's detector.
pub fn looks_like_nginx(text: &str) -> bool {
    nginx::looks_like_nginx(text)
}

/// Text with no directives at all (empty, or only comments): an empty
/// fragment is still a valid NGINX file.
fn blank_nginx(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#')
    })
}

/// A file named like an NGINX config (`*.conf`) whose text is something else
/// (an INI file, junk): not analysed rather than reported as broken NGINX.
pub fn not_nginx_reason(path: &str, text: &str, loaded: &LoadedFile) -> Option<&'static str> {
    // Cheapest first: only a file that loaded as NGINX with syntax errors
    // is looked at again.
    (loaded.format == Format::Nginx
        && loaded
            .problems
            .iter()
            .any(|p| p.kind == ProblemKind::Syntax)
        && !is_yaml_name(path)
        && nginx_by_name(path)
        && !blank_nginx(text)
        && !nginx::looks_like_nginx(text))
    .then_some("named like an NGINX config, but the text is not NGINX syntax")
}

/// Is this path an nginx config by its name?
pub fn nginx_by_name(path: &str) -> bool {
    use crate::util::{contains_ignore_case, ends_with_ignore_case, starts_with_ignore_case};
    ends_with_ignore_case(path, "conf")
        || contains_ignore_case(path, "/sites-enabled/")
        || contains_ignore_case(path, "/sites-available/")
        || starts_with_ignore_case(path, "sites-enabled/")
        || starts_with_ignore_case(path, "sites-available/")
}

pub fn is_yaml_name(path: &str) -> bool {
    use crate::util::ends_with_ignore_case;
    [".yaml", ".yml", ".json"]
        .iter()
        .any(|ext| ends_with_ignore_case(path, ext))
}

/// Parse a file's text in the format its name and content say.
pub fn load(file: FileId, path: &str, text: &str) -> LoadedFile {
    let nginx = !is_yaml_name(path) && (nginx_by_name(path) || looks_like_nginx(text));
    if nginx {
        let parsed = nginx::parse(text);
        let kept = NginxText::read(text, None, &parsed);
        let (comments, problems) = (parsed.comments, parsed.problems);
        return LoadedFile {
            file,
            format: Format::Nginx,
            docs: Vec::new(),
            doc_kinds: Vec::new(),
            comments,
            problems,
            nginx: Some(kept),
            embedded_nginx: Vec::new(),
        };
    }
    let loaded = yaml::load(text, file);
    let doc_kinds: Vec<DocKind> = loaded.docs.iter().map(|d| classify(d.root())).collect();
    let mut embedded_nginx = crate::load_embedded::find(text, &loaded.docs, &doc_kinds);
    let mut comments = loaded.comments;
    let mut problems = loaded.problems;
    for e in embedded_nginx.iter_mut() {
        comments.append(&mut e.comments);
        problems.append(&mut e.problems);
    }
    LoadedFile {
        file,
        format: Format::Yaml,
        docs: loaded.docs,
        doc_kinds,
        comments,
        problems,
        nginx: None,
        embedded_nginx,
    }
}

#[cfg(test)]
mod tests {
    use super::template_reason;

    #[test]
    fn templates_are_told_by_their_openers() {
        let jinja = |t| template_reason(t).is_some_and(|r| r.starts_with("Jinja"));
        let helm = |t| template_reason(t).is_some_and(|r| r.starts_with("Helm"));
        assert!(jinja("a: {% if x %}1{% endif %}"));
        assert!(jinja("{{ x }}\n{% for a in b %}"));
        assert!(helm("name: {{ .Values.name }}"));
        assert!(helm("{% unclosed\nname: {{ .Release.Name }}"));
        // Braces that open no template.
        for plain in [
            "{\"a\": {\"b\": {}}}",
            "a: { b: {c: 1} }",
            "a: x{",
            "a: '{ {'",
            "",
        ] {
            assert_eq!(template_reason(plain), None, "{plain}");
        }
        // `{{` without any Helm marker is not a template.
        assert_eq!(template_reason("a: \"{{literal}}\""), None);
    }
}
