//! YAML (and JSON, a YAML 1.2 subset) into the span arena, driven by
//! granit-parser events. Recovers at the next document after an error.

use std::collections::{HashMap, HashSet};

use granit_parser::{Event, Parser, ScalarStyle as GStyle, Span as GSpan};

use super::tree::{Doc, Entry, Node, NodeId, NodeKind, ScalarStyle};
use super::{Comment, LoadProblem, ProblemKind};
use crate::source::{FileId, Span};

/// Deepest nesting we build; deeper documents are reported and skipped.
pub const MAX_DEPTH: usize = 200;
/// Most nodes one file may produce (guards memory on hostile input).
pub const MAX_NODES: usize = 8_000_000;
/// Most documents one stream may hold.
pub const MAX_DOCS: usize = 200_000;

#[derive(Debug, Default)]
pub struct Loaded {
    pub docs: Vec<Doc>,
    pub comments: Vec<Comment>,
    pub problems: Vec<LoadProblem>,
}

enum Frame {
    Seq {
        id: NodeId,
        start: usize,
        end: usize,
        anchor: usize,
        flow: bool,
        items: Vec<NodeId>,
    },
    Map {
        id: NodeId,
        start: usize,
        end: usize,
        anchor: usize,
        flow: bool,
        entries: Vec<Entry>,
        key: Option<NodeId>,
    },
}

struct Builder {
    file: FileId,
    nodes: Vec<Node>,
    stack: Vec<Frame>,
    root: Option<NodeId>,
    anchors: HashMap<usize, NodeId>,
    doc_start: usize,
    total_nodes: usize,
}

fn offset(m: &granit_parser::Marker) -> usize {
    m.byte_offset().unwrap_or_else(|| m.index())
}

fn span_of(s: &GSpan) -> (usize, usize) {
    (offset(&s.start), offset(&s.end))
}

impl Builder {
    fn new(file: FileId, doc_start: usize) -> Builder {
        Builder {
            file,
            nodes: Vec::new(),
            stack: Vec::new(),
            root: None,
            anchors: HashMap::new(),
            doc_start,
            total_nodes: 0,
        }
    }

    fn push_node(&mut self, kind: NodeKind, span: Span) -> NodeId {
        self.nodes.push(Node { kind, span });
        self.total_nodes += 1;
        (self.nodes.len() - 1) as NodeId
    }

    fn end_of(&self, id: NodeId) -> usize {
        self.nodes
            .get(id as usize)
            .map(|n| n.span.end as usize)
            .unwrap_or(0)
    }

    /// Place a finished node in its parent (or as the root).
    fn attach(&mut self, id: NodeId) {
        let end = self.end_of(id);
        match self.stack.last_mut() {
            None => self.root = Some(id),
            Some(Frame::Seq { items, end: e, .. }) => {
                items.push(id);
                *e = (*e).max(end);
            }
            Some(Frame::Map {
                entries,
                key,
                end: e,
                ..
            }) => {
                *e = (*e).max(end);
                match key.take() {
                    None => *key = Some(id),
                    Some(k) => entries.push(Entry { key: k, value: id }),
                }
            }
        }
    }

    fn key_text(&self, id: NodeId) -> Option<&str> {
        match &self.nodes.get(id as usize)?.kind {
            NodeKind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// Resolve merge keys (`<<`) and report duplicate keys.
    fn finish_map(&mut self, entries: Vec<Entry>, problems: &mut Vec<LoadProblem>) -> Vec<Entry> {
        let mut explicit: Vec<Entry> = Vec::with_capacity(entries.len());
        let mut merged: Vec<Entry> = Vec::new();
        let mut seen: HashMap<&str, NodeId> = HashMap::new();
        for e in &entries {
            let is_merge = matches!(
                self.nodes.get(e.key as usize).map(|n| &n.kind),
                Some(NodeKind::Scalar { value, style: ScalarStyle::Plain }) if &**value == "<<"
            );
            if is_merge {
                let sources: Vec<NodeId> = match self.nodes.get(e.value as usize).map(|n| &n.kind) {
                    Some(NodeKind::Map(_)) => vec![e.value],
                    Some(NodeKind::Seq(items)) => items.clone(),
                    _ => Vec::new(),
                };
                for src in sources {
                    if let Some(NodeKind::Map(m)) = self.nodes.get(src as usize).map(|n| &n.kind) {
                        merged.extend(m.iter().copied());
                    }
                }
                continue;
            }
            if let Some(k) = self.key_text(e.key) {
                if let Some(&first) = seen.get(k) {
                    let span = self
                        .nodes
                        .get(e.key as usize)
                        .map(|n| n.span)
                        .unwrap_or_default();
                    let first_span = self
                        .nodes
                        .get(first as usize)
                        .map(|n| n.span)
                        .unwrap_or_default();
                    problems.push(LoadProblem {
                        kind: ProblemKind::DuplicateKey,
                        span,
                        message: format!(
                            "duplicate key `{k}`: the value here silently replaces the one above"
                        ),
                        related: vec![(first_span, "first defined here".to_string())],
                    });
                }
                seen.insert(k, e.key);
            }
            explicit.push(*e);
        }
        if merged.is_empty() {
            return explicit;
        }
        // Explicit keys win over merged ones; earlier merge sources win over later.
        let explicit_keys: HashSet<String> = explicit
            .iter()
            .filter_map(|e| self.key_text(e.key).map(str::to_string))
            .collect();
        let mut merged_keys: HashSet<String> = HashSet::new();
        let mut out = Vec::with_capacity(explicit.len() + merged.len());
        for e in merged {
            if let Some(k) = self.key_text(e.key)
                && (explicit_keys.contains(k) || !merged_keys.insert(k.to_string()))
            {
                continue;
            }
            out.push(e);
        }
        out.extend(explicit);
        out
    }

    fn finish(self, index: usize, end: usize) -> Doc {
        let span = Span::new(self.doc_start, end.max(self.doc_start));
        Doc {
            file: self.file,
            index,
            nodes: self.nodes,
            root: self.root,
            span,
        }
    }
}

fn style(s: GStyle) -> ScalarStyle {
    match s {
        GStyle::Plain => ScalarStyle::Plain,
        GStyle::SingleQuoted | GStyle::DoubleQuoted => ScalarStyle::Quoted,
        _ => ScalarStyle::Block,
    }
}

/// Load every document of a YAML or JSON text.
pub fn load(text: &str, file: FileId) -> Loaded {
    let mut options = granit_parser::Options::default();
    options.emit_comments = true;
    options.max_buffered_comment_events = usize::MAX;
    // JSON keys may be long; YAML's 1024-character implicit key limit must not reject them.
    options.simple_key_max_lookahead = 1 << 20;
    options.flow_nesting_limit = MAX_DEPTH + 50;
    options.block_nesting_limit = MAX_DEPTH + 50;
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut out = Loaded::default();
    let mut builder: Option<Builder> = None;
    let mut total_nodes = 0usize;
    let mut skip_doc = false;

    loop {
        let next = parser.next_event();
        let (event, gspan) = match next {
            None => break,
            Some(Ok(ev)) => ev,
            Some(Err(err)) => {
                let at = offset(err.marker());
                out.problems.push(LoadProblem {
                    kind: ProblemKind::Syntax,
                    span: Span::new(at, at),
                    message: format!("YAML syntax error: {}", err.info()),
                    related: Vec::new(),
                });
                builder = None;
                skip_doc = false;
                match parser.proceed_next_document() {
                    Ok(true) => continue,
                    _ => break,
                }
            }
        };
        let (start, end) = span_of(&gspan);
        match event {
            Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentStart(..) => {
                if out.docs.len() >= MAX_DOCS {
                    out.problems.push(LoadProblem::limit(
                        Span::new(start, start),
                        format!(
                            "more than {MAX_DOCS} documents; the rest of the stream is not analysed"
                        ),
                    ));
                    break;
                }
                builder = Some(Builder::new(file, start));
                skip_doc = false;
            }
            Event::DocumentEnd => {
                if let Some(b) = builder.take() {
                    total_nodes += b.total_nodes;
                    if !skip_doc {
                        let index = out.docs.len();
                        out.docs.push(b.finish(index, end));
                    }
                }
            }
            Event::Comment(body, _) => {
                if body.contains("confaudit:") {
                    out.comments.push(Comment {
                        span: Span::new(start, end),
                        text: body.trim().to_string(),
                    });
                }
            }
            _ if skip_doc => {}
            ev => {
                let Some(b) = builder.as_mut() else { continue };
                if total_nodes + b.total_nodes > MAX_NODES {
                    out.problems.push(LoadProblem::limit(
                        Span::new(start, start),
                        format!(
                            "more than {MAX_NODES} YAML nodes; the rest of the file is not analysed"
                        ),
                    ));
                    return out;
                }
                if let Some(problem) = on_node_event(b, ev, start, end, &mut out.problems) {
                    out.problems.push(problem);
                    skip_doc = true;
                }
            }
        }
    }
    out
}

/// Apply one node event; returns a problem when the document must be dropped.
fn on_node_event(
    b: &mut Builder,
    ev: Event<'_>,
    start: usize,
    end: usize,
    problems: &mut Vec<LoadProblem>,
) -> Option<LoadProblem> {
    match ev {
        Event::Scalar(value, st, anchor, _) => {
            let id = b.push_node(
                NodeKind::Scalar {
                    value: value.into_owned().into_boxed_str(),
                    style: style(st),
                },
                Span::new(start, end),
            );
            if anchor != 0 {
                b.anchors.insert(anchor, id);
            }
            b.attach(id);
        }
        Event::Alias(anchor) => match b.anchors.get(&anchor) {
            Some(&id) => b.attach(id),
            None => {
                // An alias to an anchor still open (recursive) is not followed: no cycles.
                let id = b.push_node(
                    NodeKind::Scalar {
                        value: "".into(),
                        style: ScalarStyle::Plain,
                    },
                    Span::new(start, end),
                );
                b.attach(id);
            }
        },
        Event::SequenceStart(st, anchor, _) | Event::MappingStart(st, anchor, _) => {
            let flow = st == granit_parser::StructureStyle::Flow;
            if b.stack.len() >= MAX_DEPTH {
                return Some(LoadProblem::limit(
                    Span::new(start, end),
                    format!(
                        "nesting deeper than {MAX_DEPTH} levels; this document is not analysed"
                    ),
                ));
            }
            let is_map = matches!(ev, Event::MappingStart(..));
            let id = b.push_node(NodeKind::Seq(Vec::new()), Span::new(start, end));
            b.stack.push(if is_map {
                Frame::Map {
                    id,
                    start,
                    end,
                    anchor,
                    flow,
                    entries: Vec::new(),
                    key: None,
                }
            } else {
                Frame::Seq {
                    id,
                    start,
                    end,
                    anchor,
                    flow,
                    items: Vec::new(),
                }
            });
        }
        Event::SequenceEnd | Event::MappingEnd => {
            let (id, kind, s, e, anchor, flow) = match b.stack.pop()? {
                Frame::Seq {
                    id,
                    start: s,
                    end: e,
                    anchor,
                    flow,
                    items,
                } => (id, NodeKind::Seq(items), s, e, anchor, flow),
                Frame::Map {
                    id,
                    start: s,
                    end: e,
                    anchor,
                    flow,
                    entries,
                    ..
                } => {
                    let entries = b.finish_map(entries, problems);
                    (id, NodeKind::Map(entries), s, e, anchor, flow)
                }
            };
            // Flow collections end at their closing bracket; block ones at their last child.
            let close = if flow { end.max(e) } else { e };
            if let Some(node) = b.nodes.get_mut(id as usize) {
                node.kind = kind;
                node.span = Span::new(s, close.max(s));
            }
            if anchor != 0 {
                b.anchors.insert(anchor, id);
            }
            b.attach(id);
        }
        _ => {}
    }
    None
}

#[cfg(test)]
#[path = "yaml_tests.rs"]
mod tests;
