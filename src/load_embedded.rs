//! NGINX configs embedded in Kubernetes ConfigMaps (`data: {nginx.conf: |
//! ...}`): parsed like files, with every span mapped back into the YAML file
//! so findings point at the line inside the block scalar.

use crate::load::DocKind;
use crate::load_nginx::NginxText;
use crate::parse::nginx::{self, Directive, NginxFile};
use crate::parse::tree::{Doc, NodeRef, ScalarStyle};
use crate::parse::{Comment, LoadProblem};
use crate::source::Span;

/// One NGINX config found in a ConfigMap.
#[derive(Debug)]
pub struct Embedded {
    pub nginx: NginxText,
    /// The parse's comments and problems (spans in the YAML file).
    pub comments: Vec<Comment>,
    pub problems: Vec<LoadProblem>,
    /// ConfigMap name and namespace (`None`: not set in the object).
    pub configmap: String,
    pub namespace: Option<String>,
    /// The data key (the file name it is mounted as).
    pub key: String,
}

/// Maps offsets in a block scalar's value to offsets in the file.
#[derive(Debug)]
pub struct LineMap {
    /// (offset of a value line, offset of that line in the file)
    lines: Vec<(usize, usize)>,
}

impl LineMap {
    /// Line by line: each value line of a literal block scalar appears
    /// verbatim after the indentation, in order.
    fn new(text: &str, span: Span, value: &str) -> Option<LineMap> {
        let raw = text.get(span.start as usize..span.end as usize)?;
        let mut pos = 0usize;
        if raw.starts_with('>') {
            return None; // folded: newlines are not kept
        }
        if raw.starts_with('|') {
            pos = raw.find('\n')? + 1;
        }
        let mut lines = Vec::new();
        let mut voff = 0usize;
        for line in value.split('\n') {
            let at = if line.is_empty() {
                pos
            } else {
                pos + raw.get(pos..)?.find(line)?
            };
            lines.push((voff, span.start as usize + at));
            pos = at + line.len();
            if raw.as_bytes().get(pos) == Some(&b'\n') {
                pos += 1;
            }
            voff += line.len() + 1;
        }
        Some(LineMap { lines })
    }

    fn map(&self, off: u32) -> u32 {
        let off = off as usize;
        let i = self
            .lines
            .partition_point(|(v, _)| *v <= off)
            .saturating_sub(1);
        let (v, f) = self.lines.get(i).copied().unwrap_or((0, 0));
        u32::try_from(f + (off - v.min(off))).unwrap_or(u32::MAX)
    }

    fn span(&self, s: Span) -> Span {
        Span {
            start: self.map(s.start),
            end: self.map(s.end).max(self.map(s.start)),
        }
    }
}

impl LineMap {
    /// Move every span of a tree parsed from the value into the file.
    pub fn remap(&self, file: &mut NginxFile) {
        remap(file, self);
    }
}

fn remap(file: &mut NginxFile, m: &LineMap) {
    let mut stack: Vec<&mut [Directive]> = vec![&mut file.directives];
    while let Some(list) = stack.pop() {
        for d in list.iter_mut() {
            d.map_spans(|s| m.span(s));
            if let Some(b) = d.block.as_mut() {
                stack.push(b);
            }
        }
    }
    for c in file.comments.iter_mut() {
        c.span = m.span(c.span);
    }
    for p in file.problems.iter_mut() {
        p.span = m.span(p.span);
        for r in p.related.iter_mut() {
            r.0 = m.span(r.0);
        }
    }
}

/// Is this ConfigMap entry an NGINX config? A `.conf`-style key (or an
/// nginx-looking name) and text the detector accepts.
fn nginx_entry(key: &str, value: &str) -> bool {
    let k = key.to_ascii_lowercase();
    let named = k.ends_with(".conf") || k.contains("nginx") || k.ends_with(".inc");
    named && nginx::looks_like_nginx(value)
}

/// The NGINX configs in the ConfigMaps of a file's documents.
pub fn find(text: &str, docs: &[Doc], kinds: &[DocKind]) -> Vec<Embedded> {
    let mut out = Vec::new();
    for (doc, kind) in docs.iter().zip(kinds) {
        if *kind != DocKind::K8s {
            continue;
        }
        let Some(root) = doc.root() else { continue };
        if root.str_at("kind") != Some("ConfigMap") {
            continue;
        }
        let meta = root.get("metadata");
        let name = meta
            .and_then(|m| m.str_at("name"))
            .unwrap_or("")
            .to_string();
        let namespace = meta.and_then(|m| m.str_at("namespace")).map(str::to_string);
        let Some(data) = root.get("data") else {
            continue;
        };
        for (k, v) in data.entries() {
            if let Some(e) = entry(text, k, v, &name, &namespace) {
                out.push(e);
            }
        }
    }
    out
}

fn entry(
    text: &str,
    k: NodeRef<'_>,
    v: NodeRef<'_>,
    name: &str,
    namespace: &Option<String>,
) -> Option<Embedded> {
    let key = k.as_str()?;
    let (value, style) = v.scalar()?;
    if style != ScalarStyle::Block || !nginx_entry(key, value) {
        return None;
    }
    let map = LineMap::new(text, v.span(), value)?;
    let mut parsed = nginx::parse(value);
    remap(&mut parsed, &map);
    Some(Embedded {
        nginx: NginxText::read(value, Some(map), &parsed),
        comments: parsed.comments,
        problems: parsed.problems,
        configmap: name.to_string(),
        namespace: namespace.clone(),
        key: key.to_string(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::load;

    #[test]
    fn spans_point_into_the_yaml_file() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gw\n  namespace: shop\ndata:\n  default.conf: |\n    upstream api {\n        server api:8080;\n    }\n\n    server { listen 80; }\n  other: x\n";
        let lf = load::load(0, "cm.yaml", text);
        let e = find(text, &lf.docs, &lf.doc_kinds);
        assert_eq!(e.len(), 1);
        let e = &e[0];
        assert_eq!(
            (e.configmap.as_str(), e.namespace.as_deref(), e.key.as_str()),
            ("gw", Some("shop"), "default.conf")
        );
        let parsed = e.nginx.parse(|| None).unwrap();
        let server = &parsed.directives[0].children()[0];
        let arg = &server.args[0];
        assert_eq!(
            &text[arg.span.start as usize..arg.span.end as usize],
            "api:8080"
        );
        let listen = &parsed.directives[1].children()[0];
        assert_eq!(
            &text[listen.name_span().start as usize..listen.name_span().end as usize],
            "listen"
        );
    }
}
