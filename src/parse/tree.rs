//! The span-aware document tree that YAML and JSON load into.
//!
//! A document is a flat arena: one span, tag and two numbers per node,
//! collections' children in one shared list, and scalar texts in one
//! string buffer per file (equal short texts stored once). No node owns a
//! heap allocation, so a 100 MB tree costs ~17 bytes per node plus its
//! distinct scalar text. Aliases share the anchored node instead of copying
//! it, so alias bombs cost nothing here; consumers that expand the tree
//! (schema validation) must budget their walk.

use std::sync::Arc;

use crate::source::{FileId, Loc, Span};

pub type NodeId = u32;

/// The nodes a depth-bounded walk has entered, each with the shallowest
/// depth it was entered at. Aliases share nodes, so a walk that follows
/// them can reach the same maps by exponentially many paths (fan-out F
/// over 4 levels: F^4); with this it enters each node at most once per
/// depth it can still improve on.
#[derive(Debug, Default)]
pub struct Visited(std::collections::HashMap<NodeId, usize>);

impl Visited {
    /// Enter `id` at `depth`; false if it was entered at this depth or a
    /// shallower one already (all it can reach has been looked at).
    pub fn enter(&mut self, id: NodeId, depth: usize) -> bool {
        match self.0.get(&id) {
            Some(&seen) if seen <= depth => false,
            _ => {
                self.0.insert(id, depth);
                true
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    Quoted,
    Block,
}

/// What a node is, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tag {
    Scalar(ScalarStyle),
    Seq,
    Map,
}

/// What a node is, as read: a scalar's text, a sequence's items, a
/// mapping's keys and values (flattened pairs).
#[derive(Clone, Copy, Debug)]
pub enum NodeKind<'a> {
    Scalar { value: &'a str, style: ScalarStyle },
    Seq(&'a [NodeId]),
    Map(&'a [NodeId]),
}

/// The nodes of one document, column by column.
#[derive(Debug, Default)]
pub(crate) struct Nodes {
    pub spans: Vec<Span>,
    pub tags: Vec<Tag>,
    /// Scalar: offset in the string buffer; collection: offset in `children`.
    pub a: Vec<u32>,
    /// Scalar: byte length; sequence: item count; mapping: entry count.
    pub b: Vec<u32>,
    pub children: Vec<NodeId>,
}

impl Nodes {
    pub fn push(&mut self, tag: Tag, span: Span, a: u32, b: u32) -> NodeId {
        self.spans.push(span);
        self.tags.push(tag);
        self.a.push(a);
        self.b.push(b);
        u32::try_from(self.spans.len() - 1).unwrap_or(u32::MAX)
    }
    pub fn len(&self) -> usize {
        self.spans.len()
    }
    /// A node's tag and its two numbers, read once (the tool's hottest reads).
    #[inline]
    fn entry(&self, id: NodeId) -> Option<(Tag, u32, u32)> {
        let i = id as usize;
        Some((*self.tags.get(i)?, *self.a.get(i)?, *self.b.get(i)?))
    }
    /// Where a scalar's text is in the file's string buffer: (offset, length).
    pub fn scalar_range(&self, id: NodeId) -> Option<(u32, u32)> {
        match self.entry(id)? {
            (Tag::Scalar(_), a, b) => Some((a, b)),
            _ => None,
        }
    }
    /// A mapping's (key, value) ids in order (empty for anything else).
    pub fn pairs_of(&self, id: NodeId) -> impl DoubleEndedIterator<Item = (NodeId, NodeId)> + '_ {
        let pairs = match self.tags.get(id as usize) {
            Some(Tag::Map) => self.children_of(id),
            _ => &[],
        };
        pairs.chunks_exact(2).filter_map(|kv| match *kv {
            [k, v] => Some((k, v)),
            _ => None,
        })
    }
    /// The children slice of a collection (items, or flattened key/value pairs).
    pub fn children_of(&self, id: NodeId) -> &[NodeId] {
        match self.entry(id) {
            Some((tag, a, b)) => self.children_in(tag, a, b),
            None => &[],
        }
    }
    /// The children slice of a collection read as (tag, a, b).
    #[inline]
    fn children_in(&self, tag: Tag, a: u32, b: u32) -> &[NodeId] {
        let n = match tag {
            Tag::Seq => b as usize,
            Tag::Map => 2 * b as usize,
            Tag::Scalar(_) => return &[],
        };
        self.children
            .get(a as usize..(a as usize).saturating_add(n))
            .unwrap_or(&[])
    }
    fn shrink(&mut self) {
        self.spans.shrink_to_fit();
        self.tags.shrink_to_fit();
        self.a.shrink_to_fit();
        self.b.shrink_to_fit();
        self.children.shrink_to_fit();
    }
}

/// What the loader saw in a document that makes it more than a plain tree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TreeFacts {
    /// An alias was followed: some node is reached from more than one parent.
    pub shared_nodes: bool,
    /// A mapping writes a key twice (the last value wins).
    pub duplicate_keys: bool,
    /// A plain scalar is a number with a leading zero (`0755`).
    pub leading_zero_numbers: bool,
    /// A mapping key is a collection (`? [a, b]`).
    pub complex_keys: bool,
}

/// One document of a file (a YAML stream has several).
#[derive(Debug)]
pub struct Doc {
    pub file: FileId,
    /// 0-based index of the document in its file.
    pub index: usize,
    nodes: Nodes,
    /// The file's scalar texts (shared by its documents).
    strings: Arc<str>,
    pub root: Option<NodeId>,
    pub span: Span,
    pub facts: TreeFacts,
}

impl Doc {
    pub(crate) fn new(
        file: FileId,
        index: usize,
        mut nodes: Nodes,
        root: Option<NodeId>,
        span: Span,
        facts: TreeFacts,
    ) -> Doc {
        nodes.shrink();
        Doc {
            file,
            index,
            nodes,
            strings: Arc::from(""),
            root,
            span,
            facts,
        }
    }
    /// Point the document at its file's string buffer (set once the file is read).
    pub(crate) fn set_strings(&mut self, strings: Arc<str>) {
        self.strings = strings;
    }
    pub fn root(&self) -> Option<NodeRef<'_>> {
        self.root.map(|id| NodeRef { doc: self, id })
    }
    pub fn node(&self, id: NodeId) -> NodeRef<'_> {
        NodeRef { doc: self, id }
    }
    /// The text at (offset, length) of the string buffer.
    #[inline]
    fn text_at(&self, a: u32, len: u32) -> Option<&str> {
        let a = a as usize;
        self.strings.get(a..a.saturating_add(len as usize))
    }
    /// Is node `id` a scalar whose text is `text`? (Lengths first: cheap;
    /// then bytes, which are equal only where the texts are.)
    fn scalar_is(&self, id: NodeId, text: &str) -> bool {
        match self.nodes.entry(id) {
            Some((Tag::Scalar(_), a, len)) if len as usize == text.len() => {
                let a = a as usize;
                self.strings.as_bytes().get(a..a.saturating_add(text.len()))
                    == Some(text.as_bytes())
            }
            _ => false,
        }
    }
    /// The (key, value) of a mapping's flattened `pairs` whose key is the
    /// scalar `key`. The hottest lookup of the tool: lengths are compared
    /// before texts, from the end (the last of duplicate keys wins).
    pub(crate) fn last_pair_with_key(
        &self,
        pairs: &[NodeId],
        key: &str,
    ) -> Option<(NodeId, NodeId)> {
        pairs.chunks_exact(2).rev().find_map(|kv| match *kv {
            [k, v] if self.scalar_is(k, key) => Some((k, v)),
            _ => None,
        })
    }
    /// Number of nodes (ids are `0..len()`).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.nodes.len() == 0
    }
}

/// The texts a run keeps of each file, by file id: what a model reads of a
/// document while its file loads stays readable after the document and its
/// scalar buffer are dropped (see `model::held_texts`).
#[derive(Debug, Default)]
pub struct TextStore {
    files: Vec<std::sync::OnceLock<Box<str>>>,
}

impl TextStore {
    /// Room for the files `0..files`.
    pub fn new(files: usize) -> TextStore {
        TextStore {
            files: std::iter::repeat_with(std::sync::OnceLock::new)
                .take(files)
                .collect(),
        }
    }
    /// Hold `text` for the file (once per file) and lend it for the run;
    /// `None` if the file id is out of range or already holds a text.
    pub fn hold_text(&self, file: FileId, text: String) -> Option<&str> {
        let slot = self.files.get(file as usize)?;
        slot.set(text.into_boxed_str()).ok()?;
        slot.get().map(|t| &**t)
    }
    /// The text held for a file (tests).
    #[cfg(test)]
    pub fn held(&self, file: FileId) -> Option<&str> {
        self.files.get(file as usize)?.get().map(|t| &**t)
    }
}

/// A borrowed node with navigation helpers.
#[derive(Clone, Copy)]
pub struct NodeRef<'a> {
    pub doc: &'a Doc,
    pub id: NodeId,
}

impl std::fmt::Debug for NodeRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NodeRef({}, {:?})", self.id, self.span())
    }
}

const NULL_WORDS: [&str; 4] = ["~", "null", "Null", "NULL"];

impl<'a> NodeRef<'a> {
    pub fn kind(&self) -> Option<NodeKind<'a>> {
        let doc = self.doc;
        let (tag, a, b) = doc.nodes.entry(self.id)?;
        Some(match tag {
            Tag::Scalar(style) => NodeKind::Scalar {
                value: doc.text_at(a, b).unwrap_or(""),
                style,
            },
            Tag::Seq => NodeKind::Seq(doc.nodes.children_in(tag, a, b)),
            Tag::Map => NodeKind::Map(doc.nodes.children_in(tag, a, b)),
        })
    }
    pub fn span(&self) -> Span {
        self.doc
            .nodes
            .spans
            .get(self.id as usize)
            .copied()
            .unwrap_or_default()
    }
    pub fn loc(&self) -> Loc {
        Loc {
            file: self.doc.file,
            span: self.span(),
        }
    }

    /// Scalar text of any style (a quoted `"80"` and a plain `80` both give "80").
    pub fn scalar(&self) -> Option<(&'a str, ScalarStyle)> {
        match self.kind()? {
            NodeKind::Scalar { value, style } => Some((value, style)),
            _ => None,
        }
    }

    /// A string value; plain nulls are not strings.
    pub fn as_str(&self) -> Option<&'a str> {
        let (v, style) = self.scalar()?;
        if style == ScalarStyle::Plain && (v.is_empty() || NULL_WORDS.contains(&v)) {
            return None;
        }
        Some(v)
    }

    pub fn is_null(&self) -> bool {
        matches!(self.scalar(), Some((v, ScalarStyle::Plain)) if v.is_empty() || NULL_WORDS.contains(&v))
    }

    /// An integer written as a number (plain scalar); quoted strings are not integers.
    pub fn as_int(&self) -> Option<i64> {
        match self.scalar()? {
            (v, ScalarStyle::Plain) => parse_int(v),
            _ => None,
        }
    }

    /// An integer, also when quoted (Envoy writes 64-bit integers as strings).
    pub fn as_int_lenient(&self) -> Option<i64> {
        self.scalar().and_then(|(v, _)| parse_int(v))
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self.scalar()? {
            (v, ScalarStyle::Plain) => v.parse().ok(),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.scalar()? {
            ("true" | "True" | "TRUE", ScalarStyle::Plain) => Some(true),
            ("false" | "False" | "FALSE", ScalarStyle::Plain) => Some(false),
            _ => None,
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.kind(), Some(NodeKind::Map(_)))
    }
    pub fn is_seq(&self) -> bool {
        matches!(self.kind(), Some(NodeKind::Seq(_)))
    }

    /// Items of a sequence (empty for anything else).
    pub fn items(self) -> impl Iterator<Item = NodeRef<'a>> + 'a {
        let doc = self.doc;
        let ids: &'a [NodeId] = match self.kind() {
            Some(NodeKind::Seq(ids)) => ids,
            _ => &[],
        };
        ids.iter().map(move |&id| NodeRef { doc, id })
    }

    /// Entries of a mapping as (key node, value node) (empty for anything else).
    pub fn entries(self) -> impl DoubleEndedIterator<Item = (NodeRef<'a>, NodeRef<'a>)> + 'a {
        let doc = self.doc;
        doc.nodes
            .pairs_of(self.id)
            .map(move |(k, v)| (NodeRef { doc, id: k }, NodeRef { doc, id: v }))
    }

    /// Value of a key; the last one wins, as in the Kubernetes API.
    pub fn get(&self, key: &str) -> Option<NodeRef<'a>> {
        self.get_entry(key).map(|(_, v)| v)
    }

    /// Key and value nodes of a key.
    pub fn get_entry(&self, key: &str) -> Option<(NodeRef<'a>, NodeRef<'a>)> {
        let doc = self.doc;
        let pairs = match doc.nodes.tags.get(self.id as usize) {
            Some(Tag::Map) => doc.nodes.children_of(self.id),
            _ => &[],
        };
        doc.last_pair_with_key(pairs, key)
            .map(|(k, v)| (NodeRef { doc, id: k }, NodeRef { doc, id: v }))
    }

    /// The first key present of several spellings (`connect_timeout` / `connectTimeout`).
    pub fn get_any(&self, keys: &[&str]) -> Option<NodeRef<'a>> {
        keys.iter().find_map(|k| self.get(k))
    }

    /// Walk a path of keys.
    pub fn path(&self, keys: &[&str]) -> Option<NodeRef<'a>> {
        let mut cur = *self;
        for k in keys {
            cur = cur.get(k)?;
        }
        Some(cur)
    }

    /// String value at a key.
    pub fn str_at(&self, key: &str) -> Option<&'a str> {
        self.get(key).and_then(|n| n.as_str())
    }

    /// A `map[string]string` (labels, annotations, selectors) as pairs.
    pub fn string_pairs(&self) -> Vec<(&'a str, &'a str)> {
        // Models keep these for the whole run: sized once, no spare capacity
        // (keys that are not strings are rare).
        let mut out = Vec::with_capacity(self.entries().count());
        out.extend(
            self.entries()
                .filter_map(|(k, v)| Some((k.as_str()?, v.scalar().map(|(s, _)| s).unwrap_or("")))),
        );
        out.shrink_to_fit();
        out
    }
}

/// Integers as YAML 1.2 core and JSON write them (also `0x`/`0o`, sign, `_` is not allowed).
pub fn parse_int(v: &str) -> Option<i64> {
    let (neg, digits) = match v.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, v.strip_prefix('+').unwrap_or(v)),
    };
    let parsed = if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()
    } else if let Some(oct) = digits.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<i64>().ok()
    } else {
        None
    };
    parsed.map(|n| if neg { -n } else { n })
}
