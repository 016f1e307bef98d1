//! YAML (and JSON, a YAML 1.2 subset) into the span arena, driven by
//! granit-parser events. Recovers at the next document after an error.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use granit_parser::{Event, Parser, ScalarStyle as GStyle, Span as GSpan};

use super::tree::{Doc, NodeId, Nodes, ScalarStyle, Tag, TreeFacts};
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
        /// Where this sequence's items start in `Builder::items`.
        items: usize,
    },
    Map {
        id: NodeId,
        start: usize,
        end: usize,
        anchor: usize,
        flow: bool,
        /// Where this mapping's entries start in `Builder::entries`.
        entries: usize,
        key: Option<NodeId>,
    },
}

/// A mapping entry while its mapping is open.
#[derive(Clone, Copy, Debug)]
struct Entry {
    key: NodeId,
    value: NodeId,
}

struct Builder {
    file: FileId,
    nodes: Nodes,
    stack: Vec<Frame>,
    /// Items and entries of the open collections, innermost last: a
    /// collection's children are on top when it ends and move into one
    /// exactly-sized slice (no per-collection growth, no slack).
    items: Vec<NodeId>,
    entries: Vec<Entry>,
    root: Option<NodeId>,
    anchors: HashMap<usize, NodeId>,
    doc_start: usize,
    total_nodes: usize,
    facts: TreeFacts,
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
            nodes: Nodes::default(),
            stack: Vec::new(),
            items: Vec::new(),
            entries: Vec::new(),
            root: None,
            anchors: HashMap::new(),
            doc_start,
            total_nodes: 0,
            facts: TreeFacts::default(),
        }
    }

    fn push_node(&mut self, tag: Tag, span: Span, a: u32, b: u32) -> NodeId {
        self.total_nodes += 1;
        self.nodes.push(tag, span, a, b)
    }

    fn span_of(&self, id: NodeId) -> Span {
        self.nodes
            .spans
            .get(id as usize)
            .copied()
            .unwrap_or_default()
    }

    fn end_of(&self, id: NodeId) -> usize {
        self.span_of(id).end as usize
    }

    /// Place a finished node in its parent (or as the root).
    fn attach(&mut self, id: NodeId) {
        let end = self.end_of(id);
        match self.stack.last_mut() {
            None => self.root = Some(id),
            Some(Frame::Seq { end: e, .. }) => {
                self.items.push(id);
                *e = (*e).max(end);
            }
            Some(Frame::Map { key, end: e, .. }) => {
                *e = (*e).max(end);
                match key.take() {
                    None => *key = Some(id),
                    Some(k) => self.entries.push(Entry { key: k, value: id }),
                }
            }
        }
    }

    fn key_text<'s>(&self, strings: &'s Strings, id: NodeId) -> Option<&'s str> {
        let (off, len) = self.nodes.scalar_range(id)?;
        strings.get(off, len)
    }

    fn is_merge_key(&self, strings: &Strings, id: NodeId) -> bool {
        self.nodes.tags.get(id as usize) == Some(&Tag::Scalar(ScalarStyle::Plain))
            && self.key_text(strings, id) == Some("<<")
    }

    /// Report keys written twice (merge keys aside). Each duplicate points
    /// at the previous occurrence of its key. Says whether there was one.
    fn report_duplicates(
        &self,
        strings: &Strings,
        entries: &[Entry],
        problems: &mut Vec<LoadProblem>,
    ) -> bool {
        // Most mappings are small: compare pairwise instead of hashing.
        const PAIRWISE: usize = 16;
        let keyed = entries
            .iter()
            .filter(|e| !self.is_merge_key(strings, e.key))
            .filter_map(|e| self.key_text(strings, e.key).map(|k| (k, e.key)));
        let mut duplicates = false;
        let mut report = |k: &str, first: NodeId, dup: NodeId| {
            duplicates = true;
            let span_of = |id: NodeId| self.span_of(id);
            problems.push(LoadProblem {
                kind: ProblemKind::DuplicateKey,
                span: span_of(dup),
                message: format!(
                    "duplicate key `{k}`: the value here silently replaces the one above"
                ),
                related: vec![(span_of(first), "first defined here".to_string())],
            });
        };
        if entries.len() <= PAIRWISE {
            let mut seen: [(&str, NodeId); PAIRWISE] = [("", 0); PAIRWISE];
            let mut n = 0;
            for (k, id) in keyed {
                let before = seen.get(..n).unwrap_or(&[]);
                if let Some(&(_, first)) = before.iter().rev().find(|(s, _)| *s == k) {
                    report(k, first, id);
                }
                if let Some(slot) = seen.get_mut(n) {
                    *slot = (k, id);
                    n += 1;
                }
            }
        } else {
            let mut seen: HashMap<&str, NodeId> = HashMap::with_capacity(entries.len());
            for (k, id) in keyed {
                if let Some(&first) = seen.get(k) {
                    report(k, first, id);
                }
                seen.insert(k, id);
            }
        }
        duplicates
    }

    /// Resolve merge keys (`<<`) and report duplicate keys.
    fn finish_map(
        &mut self,
        strings: &Strings,
        entries: Vec<Entry>,
        problems: &mut Vec<LoadProblem>,
    ) -> Vec<Entry> {
        if self.report_duplicates(strings, &entries, problems) {
            self.facts.duplicate_keys = true;
        }
        if entries
            .iter()
            .any(|e| !matches!(self.nodes.tags.get(e.key as usize), Some(Tag::Scalar(_))))
        {
            self.facts.complex_keys = true;
        }
        if !entries.iter().any(|e| self.is_merge_key(strings, e.key)) {
            return entries;
        }
        let mut explicit: Vec<Entry> = Vec::with_capacity(entries.len());
        let mut merged: Vec<Entry> = Vec::new();
        for e in &entries {
            if self.is_merge_key(strings, e.key) {
                let sources: Vec<NodeId> = match self.nodes.tags.get(e.value as usize) {
                    Some(Tag::Map) => vec![e.value],
                    Some(Tag::Seq) => self.nodes.children_of(e.value).to_vec(),
                    _ => Vec::new(),
                };
                for src in sources {
                    // Only mappings merge (`pairs_of` is empty for anything else).
                    merged.extend(
                        self.nodes
                            .pairs_of(src)
                            .map(|(key, value)| Entry { key, value }),
                    );
                }
                continue;
            }
            explicit.push(*e);
        }
        if merged.is_empty() {
            return explicit;
        }
        // Explicit keys win over merged ones; earlier merge sources win over later.
        let explicit_keys: HashSet<&str> = explicit
            .iter()
            .filter_map(|e| self.key_text(strings, e.key))
            .collect();
        let mut merged_keys: HashSet<&str> = HashSet::new();
        let mut out = Vec::with_capacity(explicit.len() + merged.len());
        for e in merged {
            if let Some(k) = self.key_text(strings, e.key)
                && (explicit_keys.contains(k) || !merged_keys.insert(k))
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
        Doc::new(self.file, index, self.nodes, self.root, span, self.facts)
    }
}

/// A file's scalar texts in one buffer, each short text stored once: keys
/// (`name`, `port`, `apiVersion`) and common values repeat thousands of
/// times in a stream, and each node then holds an offset, not an allocation.
#[derive(Default)]
struct Strings {
    buf: String,
    /// Hash of a short text -> where its first copy is. A hash collision
    /// only costs a second copy: the text is compared before reuse.
    seen: HashMap<u64, (u32, u32), BuildHasherDefault<FxHasher>>,
}

impl Strings {
    /// Longer texts rarely repeat: they are not looked up.
    const MAX_LEN: usize = 64;

    /// Store `s`; returns its offset and length.
    fn add(&mut self, s: &str) -> (u32, u32) {
        let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
        let key = (s.len() <= Self::MAX_LEN).then(|| {
            let mut h = FxHasher::default();
            std::hash::Hasher::write(&mut h, s.as_bytes());
            std::hash::Hasher::finish(&h)
        });
        if let Some(h) = key
            && let Some(&(off, l)) = self.seen.get(&h)
            && self.get(off, l) == Some(s)
        {
            return (off, l);
        }
        let off = u32::try_from(self.buf.len()).unwrap_or(u32::MAX);
        self.buf.push_str(s);
        if let Some(h) = key {
            self.seen.entry(h).or_insert((off, len));
        }
        (off, len)
    }

    fn get(&self, off: u32, len: u32) -> Option<&str> {
        self.buf
            .get(off as usize..(off as usize).saturating_add(len as usize))
    }
}

/// A small, fast, non-cryptographic hash for short strings (the rustc "Fx"
/// hash); hash flooding is moot for a per-file set of texts at most 64
/// bytes long that the file's own size bounds.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn write_u8(&mut self, b: u8) {
        self.write(&[b]);
    }
    fn write_usize(&mut self, n: usize) {
        self.write(&n.to_le_bytes());
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

fn style(s: GStyle) -> ScalarStyle {
    match s {
        GStyle::Plain => ScalarStyle::Plain,
        GStyle::SingleQuoted | GStyle::DoubleQuoted => ScalarStyle::Quoted,
        _ => ScalarStyle::Block,
    }
}

/// Load a text of one document that ships with the tool (rule metadata, a
/// schema) and hand its root to `read`. `Err` names the text (`name`) and
/// says what is wrong: its first problem, or that it is empty.
pub fn read_first_root<T>(
    name: &str,
    text: &str,
    read: impl FnOnce(super::tree::NodeRef<'_>) -> Result<T, String>,
) -> Result<T, String> {
    let loaded = load(text, 0);
    if let Some(p) = loaded.problems.first() {
        return Err(format!("{name}: {}", p.message));
    }
    let root = loaded
        .docs
        .first()
        .and_then(|d| d.root())
        .ok_or_else(|| format!("{name}: empty"))?;
    read(root)
}

/// Load every document of a YAML or JSON text.
pub fn load(text: &str, file: FileId) -> Loaded {
    let mut strings = Strings::default();
    let mut out = load_into(text, file, &mut strings);
    // Most files hold one to three documents; a grown Vec would keep room for four.
    out.docs.shrink_to_fit();
    let shared: Arc<str> = Arc::from(std::mem::take(&mut strings.buf));
    for d in out.docs.iter_mut() {
        d.set_strings(Arc::clone(&shared));
    }
    out
}

fn load_into(text: &str, file: FileId, strings: &mut Strings) -> Loaded {
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
                if let Some(problem) = on_node_event(b, strings, ev, start, end, &mut out.problems)
                {
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
    strings: &mut Strings,
    ev: Event<'_>,
    start: usize,
    end: usize,
    problems: &mut Vec<LoadProblem>,
) -> Option<LoadProblem> {
    match ev {
        Event::Scalar(value, st, anchor, _) => {
            if style(st) == ScalarStyle::Plain && crate::util::has_leading_zero(&value) {
                b.facts.leading_zero_numbers = true;
            }
            let (off, len) = strings.add(&value);
            let id = b.push_node(Tag::Scalar(style(st)), Span::new(start, end), off, len);
            if anchor != 0 {
                b.anchors.insert(anchor, id);
            }
            b.attach(id);
        }
        Event::Alias(anchor) => match b.anchors.get(&anchor) {
            Some(&id) => {
                b.facts.shared_nodes = true;
                b.attach(id);
            }
            None => {
                // An alias to an anchor still open (recursive) is not followed: no cycles.
                let id = b.push_node(Tag::Scalar(ScalarStyle::Plain), Span::new(start, end), 0, 0);
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
            let tag = if is_map { Tag::Map } else { Tag::Seq };
            let id = b.push_node(tag, Span::new(start, end), 0, 0);
            let frame = if is_map {
                Frame::Map {
                    id,
                    start,
                    end,
                    anchor,
                    flow,
                    entries: b.entries.len(),
                    key: None,
                }
            } else {
                Frame::Seq {
                    id,
                    start,
                    end,
                    anchor,
                    flow,
                    items: b.items.len(),
                }
            };
            b.stack.push(frame);
        }
        Event::SequenceEnd | Event::MappingEnd => {
            // The finished collection's children move into the document's
            // child list; `a`/`b` say where and how many.
            let (id, s, e, anchor, flow, children, count) = match b.stack.pop()? {
                Frame::Seq {
                    id,
                    start: s,
                    end: e,
                    anchor,
                    flow,
                    items,
                } => {
                    let items = b.items.split_off(items.min(b.items.len()));
                    let count = items.len();
                    (id, s, e, anchor, flow, items, count)
                }
                Frame::Map {
                    id,
                    start: s,
                    end: e,
                    anchor,
                    flow,
                    entries,
                    ..
                } => {
                    let entries = b.entries.split_off(entries.min(b.entries.len()));
                    let entries = b.finish_map(strings, entries, problems);
                    let count = entries.len();
                    let flat = entries.iter().flat_map(|e| [e.key, e.value]).collect();
                    (id, s, e, anchor, flow, flat, count)
                }
            };
            // Flow collections end at their closing bracket; block ones at their last child.
            let close = if flow { end.max(e) } else { e };
            let at = u32::try_from(b.nodes.children.len()).unwrap_or(u32::MAX);
            b.nodes.children.extend(children);
            let i = id as usize;
            if let (Some(sp), Some(a), Some(n)) = (
                b.nodes.spans.get_mut(i),
                b.nodes.a.get_mut(i),
                b.nodes.b.get_mut(i),
            ) {
                *sp = Span::new(s, close.max(s));
                *a = at;
                *n = u32::try_from(count).unwrap_or(0);
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
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn one(text: &str) -> Loaded {
        load(text, 0)
    }

    #[test]
    fn loads_multi_document_streams_with_spans() {
        let text = "a: 1\nb: [x, 'y']\n---\nkind: Service\n";
        let l = one(text);
        assert_eq!(l.docs.len(), 2);
        let root = l.docs[0].root().unwrap();
        let b = root.get("b").unwrap();
        assert_eq!(
            &text[b.span().start as usize..b.span().end as usize],
            "[x, 'y']"
        );
        assert_eq!(root.get("a").unwrap().as_int(), Some(1));
        assert_eq!(l.docs[1].root().unwrap().str_at("kind"), Some("Service"));
    }

    #[test]
    fn block_collections_end_at_their_last_child() {
        let text = "a:\n  - x: 1\n    y: 2\n\nb: 3\n";
        let l = one(text);
        let a = l.docs[0].root().unwrap().get("a").unwrap();
        let item = a.items().next().unwrap();
        assert_eq!(
            &text[item.span().start as usize..item.span().end as usize],
            "x: 1\n    y: 2"
        );
        assert_eq!(
            &text[a.span().start as usize..a.span().end as usize],
            "- x: 1\n    y: 2"
        );
    }

    #[test]
    fn quoted_numbers_are_strings() {
        let l = one("p: \"80\"\nq: 80\n");
        let r = l.docs[0].root().unwrap();
        assert_eq!(r.get("p").unwrap().as_int(), None);
        assert_eq!(r.get("q").unwrap().as_int(), Some(80));
    }

    #[test]
    fn merge_keys_and_aliases() {
        let l = one("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n");
        let m = l.docs[0].root().unwrap().get("m").unwrap();
        assert_eq!(m.get("x").unwrap().as_int(), Some(1));
        assert_eq!(m.get("y").unwrap().as_int(), Some(3));
        assert!(m.get("<<").is_none());
    }

    #[test]
    fn duplicate_keys_are_problems() {
        let l = one("a: 1\nb: 2\na: 3\n");
        assert_eq!(l.problems.len(), 1);
        assert_eq!(l.problems[0].kind, ProblemKind::DuplicateKey);
        assert_eq!(l.problems[0].span.start, 10);
        assert_eq!(
            l.docs[0].root().unwrap().get("a").unwrap().as_int(),
            Some(3)
        );
    }

    #[test]
    fn duplicate_keys_in_small_and_large_maps_point_at_the_previous_one() {
        for filler in [0usize, 30] {
            let mut text = String::from("a: 1\nb: 2\na: 3\n");
            for i in 0..filler {
                text.push_str(&format!("k{i}: {i}\n"));
            }
            text.push_str("a: 4\n<<: {a: 9, z: 1}\n");
            let l = one(&text);
            let dups: Vec<(u32, u32)> = l
                .problems
                .iter()
                .filter(|p| p.kind == ProblemKind::DuplicateKey)
                .map(|p| (p.span.start, p.related[0].0.start))
                .collect();
            let last = text.find("a: 4").unwrap() as u32;
            assert_eq!(dups, vec![(10, 0), (last, 10)], "filler {filler}");
            let root = l.docs[0].root().unwrap();
            assert_eq!(root.get("a").unwrap().as_int(), Some(4));
            assert_eq!(root.get("z").unwrap().as_int(), Some(1));
            // Duplicates stay (the last wins on lookup); merged `a` yields to explicit ones.
            assert_eq!(root.entries().count(), 5 + filler);
        }
    }

    #[test]
    fn recovers_after_a_broken_document() {
        let l = one("a: [1, 2\n---\nkind: Pod\n");
        assert!(l.problems.iter().any(|p| p.kind == ProblemKind::Syntax));
        assert!(
            l.docs
                .iter()
                .any(|d| d.root().and_then(|r| r.str_at("kind")) == Some("Pod"))
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let text = "[".repeat(5000);
        let l = one(&text);
        assert!(!l.problems.is_empty());
    }

    #[test]
    fn alias_bomb_costs_no_memory() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..30 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let l = one(&text);
        assert!(l.docs[0].len() < 1000);
    }

    #[test]
    fn json_loads() {
        let l = one("{\n\t\"a\": {\"b\": [1, \"2\"]},\n\t\"c\": null\n}\n");
        assert!(l.problems.is_empty(), "{:?}", l.problems);
        let r = l.docs[0].root().unwrap();
        assert_eq!(r.path(&["a", "b"]).unwrap().items().count(), 2);
        assert!(r.get("c").unwrap().is_null());
    }

    #[test]
    fn suppression_comments_are_kept() {
        let l = one("a: 1 # confaudit:ignore K8S001\n# other\n");
        assert_eq!(l.comments.len(), 1);
    }
}
