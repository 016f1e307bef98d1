//! The span-aware document tree that YAML and JSON load into.
//!
//! Nodes live in one arena per document. Aliases share the anchored node
//! instead of copying it, so alias bombs cost nothing here; consumers that
//! expand the tree (schema validation) must budget their walk.

use crate::source::{FileId, Loc, Span};

pub type NodeId = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    Quoted,
    Block,
}

#[derive(Debug)]
pub enum NodeKind {
    /// The text is shared with equal scalars of the same file.
    Scalar {
        value: std::sync::Arc<str>,
        style: ScalarStyle,
    },
    Seq(Box<[NodeId]>),
    Map(Box<[Entry]>),
}

#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub key: NodeId,
    pub value: NodeId,
}

#[derive(Debug)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

/// One document of a file (a YAML stream has several).
#[derive(Debug)]
pub struct Doc {
    pub file: FileId,
    /// 0-based index of the document in its file.
    pub index: usize,
    pub nodes: Vec<Node>,
    pub root: Option<NodeId>,
    pub span: Span,
}

impl Doc {
    pub fn root(&self) -> Option<NodeRef<'_>> {
        self.root.map(|id| NodeRef { doc: self, id })
    }
    pub fn node(&self, id: NodeId) -> NodeRef<'_> {
        NodeRef { doc: self, id }
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
    fn node(&self) -> Option<&'a Node> {
        self.doc.nodes.get(self.id as usize)
    }
    pub fn kind(&self) -> Option<&'a NodeKind> {
        self.node().map(|n| &n.kind)
    }
    pub fn span(&self) -> Span {
        self.node().map(|n| n.span).unwrap_or_default()
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
            NodeKind::Scalar { value, style } => Some((value, *style)),
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
    pub fn entries(self) -> impl Iterator<Item = (NodeRef<'a>, NodeRef<'a>)> + 'a {
        let doc = self.doc;
        let entries: &'a [Entry] = match self.kind() {
            Some(NodeKind::Map(e)) => e,
            _ => &[],
        };
        entries
            .iter()
            .map(move |e| (NodeRef { doc, id: e.key }, NodeRef { doc, id: e.value }))
    }

    /// Value of a key; the last one wins, as in the Kubernetes API.
    pub fn get(&self, key: &str) -> Option<NodeRef<'a>> {
        self.get_entry(key).map(|(_, v)| v)
    }

    /// Key and value nodes of a key.
    pub fn get_entry(&self, key: &str) -> Option<(NodeRef<'a>, NodeRef<'a>)> {
        let mut found = None;
        for (k, v) in self.entries() {
            if k.scalar().map(|(s, _)| s) == Some(key) {
                found = Some((k, v));
            }
        }
        found
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
        self.entries()
            .filter_map(|(k, v)| Some((k.as_str()?, v.scalar().map(|(s, _)| s).unwrap_or(""))))
            .collect()
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
