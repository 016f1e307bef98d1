//! Rule metadata: what users read (`rules/<ID>.yaml`), embedded at build time.

use std::sync::OnceLock;

use crate::finding::{Severity, Symptom};
use crate::parse::tree::NodeRef;
use crate::parse::yaml;

include!(concat!(env!("OUT_DIR"), "/rule_files.rs"));

/// Files of one example: a single YAML stream, or a map of file names to contents.
#[derive(Clone, Debug, Default)]
pub struct Example {
    pub files: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct RuleMeta {
    pub id: String,
    pub name: String,
    pub severity: Severity,
    pub symptoms: Vec<Symptom>,
    pub summary: String,
    pub why: String,
    pub fix: String,
    pub references: Vec<String>,
    pub fail: Example,
    pub pass: Example,
    /// Codes of other tools this rule covers (`IST0101`, `dangling-service`).
    pub see_also: Vec<String>,
}

fn text(node: Option<NodeRef<'_>>) -> String {
    node.and_then(|n| n.as_str())
        .unwrap_or("")
        .trim()
        .to_string()
}

fn strings(node: Option<NodeRef<'_>>) -> Vec<String> {
    node.map(|n| {
        n.items()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect()
    })
    .unwrap_or_default()
}

fn example(node: Option<NodeRef<'_>>) -> Example {
    let Some(node) = node else {
        return Example::default();
    };
    if let Some(s) = node.as_str() {
        return Example {
            files: vec![("example.yaml".to_string(), s.to_string())],
        };
    }
    Example {
        files: node
            .entries()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
            .collect(),
    }
}

/// Parse one metadata file; `Err` says what is wrong with it.
pub fn parse_meta(file: &str, src: &str) -> Result<RuleMeta, String> {
    yaml::read_first_root(file, src, |root| {
        let id = text(root.get("id"));
        let severity_text = text(root.get("severity"));
        let severity = Severity::parse(&severity_text)
            .ok_or_else(|| format!("{file}: bad severity `{severity_text}`"))?;
        let mut symptoms = Vec::new();
        for s in strings(root.get("symptoms")) {
            symptoms
                .push(Symptom::parse(&s).ok_or_else(|| format!("{file}: unknown symptom `{s}`"))?);
        }
        let examples = root.get("examples");
        Ok(RuleMeta {
            name: text(root.get("name")),
            severity,
            symptoms,
            summary: text(root.get("summary")),
            why: text(root.get("why")),
            fix: text(root.get("fix")),
            references: strings(root.get("references")),
            fail: example(examples.and_then(|e| e.get("fail"))),
            pass: example(examples.and_then(|e| e.get("pass"))),
            see_also: strings(root.get("see_also")),
            id,
        })
    })
}

/// Every rule's metadata, sorted by id. Malformed files are left out here and
/// caught by the metadata test.
static ALL: OnceLock<Vec<RuleMeta>> = OnceLock::new();

pub fn all() -> &'static [RuleMeta] {
    ALL.get_or_init(|| {
        let mut v: Vec<RuleMeta> = RULE_FILES
            .iter()
            .filter_map(|(f, s)| parse_meta(f, s).ok())
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    })
}

/// One rule's metadata. Parses only that rule's file (a one-file run must
/// not pay for every rule's documentation), unless `all()` already ran.
pub fn get(id: &str) -> Option<&'static RuleMeta> {
    if let Some(all) = ALL.get() {
        return all
            .binary_search_by(|m| m.id.as_str().cmp(id))
            .ok()
            .and_then(|i| all.get(i));
    }
    static ONE: OnceLock<Vec<OnceLock<Option<RuleMeta>>>> = OnceLock::new();
    let slots = ONE.get_or_init(|| RULE_FILES.iter().map(|_| OnceLock::new()).collect());
    // Files are named after their rule (`K8S001.yaml`); fall back to all()
    // for one that is not.
    let Some(i) = RULE_FILES
        .iter()
        .position(|(f, _)| f.strip_suffix(".yaml") == Some(id))
    else {
        let all = all();
        return all
            .binary_search_by(|m| m.id.as_str().cmp(id))
            .ok()
            .and_then(|i| all.get(i));
    };
    let (file, src) = RULE_FILES.get(i)?;
    slots
        .get(i)?
        .get_or_init(|| parse_meta(file, src).ok().filter(|m| m.id == id))
        .as_ref()
}
