//! Our document tree as a `jsonschema` instance: validated in place, each
//! scalar typed as the converter types it, with no `serde_json::Value` built
//! unless an error needs to show one.
//!
//! Only plain trees are validated this way (see [`validates_in_place`]): no
//! node reached twice (the converter's node budget cannot be spent), no key
//! written twice nor any collection as a key (the converter keeps the last
//! value at the first key's place) and no leading-zero number (the converter
//! records those for SCH005). Anything else is converted, as before, and
//! gets the same errors.

use std::borrow::Cow;

use jsonschema::json::{self, Json, NodeIdentity};
use jsonschema::types::JsonType;
use serde_json::{Number, Value};

use super::convert::{self, Scalar, Typing};
use crate::parse::tree::{Doc, NodeId, NodeKind, NodeRef};

/// The representation: a node of a document tree.
pub struct TreeJson;

/// How a resource's nodes are read (the converter's settings).
#[derive(Clone, Copy, Debug)]
pub struct Reading<'a> {
    pub typing: Typing,
    /// Nodes read as `{}` below the resource's root (nested resources
    /// validated on their own), indexed by node id; empty for none.
    pub hidden: &'a [bool],
    /// Which of the root's members are read.
    pub root_keys: RootKeys,
}

/// The members of a resource's root that validation reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootKeys {
    All,
    /// All but one: an Any's `@type` is its type URL, not a field.
    Without(&'static str),
    /// Only one: kinds we do not model are checked for `metadata` only.
    Only(&'static str),
}

impl RootKeys {
    /// Leave out of a converted root what validation does not read.
    pub fn keep_in(self, root: &mut Value) {
        if self != RootKeys::All
            && let Some(m) = root.as_object_mut()
        {
            m.retain(|k, _| self.reads(k));
        }
    }

    pub(crate) fn reads(self, key: &str) -> bool {
        match self {
            RootKeys::All => true,
            RootKeys::Without(k) => key != k,
            RootKeys::Only(k) => key == k,
        }
    }
}

impl Reading<'_> {
    pub fn plain(typing: Typing) -> Reading<'static> {
        Reading {
            typing,
            hidden: &[],
            root_keys: RootKeys::All,
        }
    }
}

/// A value: a node of a resource, or a member name (`propertyNames`).
#[derive(Clone, Copy, Debug)]
pub enum TreeValue<'a> {
    Node {
        node: NodeRef<'a>,
        how: Reading<'a>,
        root: bool,
    },
    Name(&'a str),
}

/// Can a document's nodes be validated in place, with the result the
/// converted value would give?
pub fn validates_in_place(doc: &Doc) -> bool {
    let f = doc.facts;
    // Without shared nodes a resource has at most `doc.len()` nodes, and the
    // loader's nesting limit is below the converter's depth limit.
    const _: () = assert!(crate::parse::yaml::MAX_DEPTH < convert::MAX_DEPTH);
    // Collection keys all become "<complex key>" in JSON: duplicates there.
    !f.shared_nodes
        && !f.duplicate_keys
        && !f.complex_keys
        && !f.leading_zero_numbers
        && doc.len() <= convert::MAX_NODES
}

/// How a node is read in place: one place for both the jsonschema view
/// and the quick schemas (`fast`).
pub(crate) enum View<'a> {
    Scalar(Scalar<'a>),
    Seq(&'a [NodeId]),
    /// Flattened key/value pairs.
    Map(&'a [NodeId]),
}

impl<'a> TreeValue<'a> {
    /// A resource's root.
    pub fn root(node: NodeRef<'a>, how: Reading<'a>) -> TreeValue<'a> {
        TreeValue::Node {
            node,
            how,
            root: true,
        }
    }

    fn child(node: NodeRef<'a>, how: Reading<'a>) -> TreeValue<'a> {
        TreeValue::Node {
            node,
            how,
            root: false,
        }
    }

    fn view(&self) -> View<'a> {
        match *self {
            TreeValue::Node { node, how, root } => view_node(node, &how, root, true),
            TreeValue::Name(s) => View::Scalar(Scalar::Str(s)),
        }
    }

    fn scalar(&self) -> Option<Scalar<'a>> {
        match self.view() {
            View::Scalar(s) => Some(s),
            _ => None,
        }
    }
}

/// A node of a resource as validation reads it: nested resources validated
/// on their own read as `{}` (below the root), and scalars are typed as the
/// converter types them, unless `typed` is false (then every scalar reads as
/// its text: for readers that look at no scalar's value).
pub(crate) fn view_node<'a>(
    node: NodeRef<'a>,
    how: &Reading<'_>,
    root: bool,
    typed: bool,
) -> View<'a> {
    if !root && how.hidden.get(node.id as usize) == Some(&true) {
        return View::Map(&[]);
    }
    match node.kind() {
        None => View::Scalar(Scalar::Null),
        Some(NodeKind::Scalar { value, style }) if typed => {
            View::Scalar(convert::typed_scalar(how.typing, value, style))
        }
        Some(NodeKind::Scalar { value, .. }) => View::Scalar(Scalar::Str(value)),
        Some(NodeKind::Seq(ids)) => View::Seq(ids),
        Some(NodeKind::Map(pairs)) => View::Map(pairs),
    }
}

impl Json for TreeJson {
    type Node<'a> = TreeValue<'a>;
    type PreparedKey = String;
    type StringBuffer = ();
    // A lookup is a scan of the mapping's keys (lengths compared first).
    const KEYS_PER_LOOKUP: usize = 4;
    // Only plain trees are validated in place: no node is its own descendant.
    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>((): &mut (), string: &str, f: impl FnOnce(TreeValue<'_>) -> T) -> T {
        f(TreeValue::Name(string))
    }
}

impl<'a> json::Node<'a, TreeJson> for TreeValue<'a> {
    type Object = TreeObject<'a>;
    type Array = TreeArray<'a>;
    type Number = Number;

    fn as_object(&self) -> Option<TreeObject<'a>> {
        match (*self, self.view()) {
            (TreeValue::Node { node, how, root }, View::Map(pairs)) => Some(TreeObject {
                doc: node.doc,
                pairs,
                how,
                keys: if root { how.root_keys } else { RootKeys::All },
            }),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<TreeArray<'a>> {
        match (*self, self.view()) {
            (TreeValue::Node { node, how, .. }, View::Seq(items)) => Some(TreeArray {
                doc: node.doc,
                items,
                how,
            }),
            _ => None,
        }
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        match self.scalar()? {
            Scalar::Str(s) => Some(Cow::Borrowed(s)),
            _ => None,
        }
    }

    fn as_number(&self) -> Option<Number> {
        match self.scalar()? {
            Scalar::Number(n) => Some(n),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        match self.scalar()? {
            Scalar::Bool(b) => Some(b),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self.scalar(), Some(Scalar::Null))
    }

    fn json_type(&self) -> JsonType {
        match self.view() {
            View::Scalar(Scalar::Null) => JsonType::Null,
            View::Scalar(Scalar::Bool(_)) => JsonType::Boolean,
            View::Scalar(Scalar::Number(_)) => JsonType::Number,
            View::Scalar(Scalar::Str(_)) => JsonType::String,
            View::Seq(_) => JsonType::Array,
            View::Map(_) => JsonType::Object,
        }
    }

    fn equals_value(&self, expected: &Value) -> bool {
        // `enum` on every scalar: compare without converting.
        match (self.scalar(), expected) {
            (Some(Scalar::Str(s)), Value::String(e)) => s == e,
            (Some(Scalar::Bool(b)), Value::Bool(e)) => b == *e,
            (Some(Scalar::Null), Value::Null) => true,
            (Some(Scalar::Number(n)), Value::Number(e)) => json::cmp::equal_numbers(&n, e),
            (Some(_), _) => false,
            (None, _) => json::cmp::equal(&self.to_value(), expected),
        }
    }

    /// Errors only: the value as the converter builds it.
    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Owned(match *self {
            TreeValue::Name(s) => Value::String(s.to_string()),
            TreeValue::Node { node, how, root } => {
                let hidden = |id: NodeId| how.hidden.get(id as usize) == Some(&true);
                if !root && hidden(node.id) {
                    Value::Object(serde_json::Map::new())
                } else {
                    let converted =
                        convert::to_json_skipping(node, how.typing, convert::MAX_NODES, &hidden);
                    let mut v = converted.map(|c| c.value).unwrap_or(Value::Null);
                    if root {
                        how.root_keys.keep_in(&mut v);
                    }
                    v
                }
            }
        })
    }

    fn identity(&self) -> Option<NodeIdentity> {
        match self {
            TreeValue::Node { node, .. } => Some(NodeIdentity::tagged(
                std::ptr::from_ref::<Doc>(node.doc) as usize,
                node.id,
            )),
            TreeValue::Name(_) => None,
        }
    }
}

/// The key of an Any's type URL.
pub const TYPE_URL: &str = "@type";

/// A mapping node.
pub struct TreeObject<'a> {
    doc: &'a Doc,
    pairs: &'a [NodeId],
    how: Reading<'a>,
    keys: RootKeys,
}

/// A sequence node.
pub struct TreeArray<'a> {
    doc: &'a Doc,
    items: &'a [NodeId],
    how: Reading<'a>,
}

impl<'a> json::Object<'a, TreeJson> for TreeObject<'a> {
    type Node = TreeValue<'a>;
    type MemberName = &'a str;
    type MembersIter = Members<'a>;

    fn len(&self) -> usize {
        if self.keys != RootKeys::All {
            return self.members().count();
        }
        self.pairs.len() / 2
    }

    fn get(&self, key: &String) -> Option<TreeValue<'a>> {
        if !self.keys.reads(key) {
            return None;
        }
        self.doc
            .last_pair_with_key(self.pairs, key)
            .map(|(_, v)| TreeValue::child(self.doc.node(v), self.how))
    }

    fn members(&self) -> Members<'a> {
        Members {
            doc: self.doc,
            pairs: self.pairs.chunks_exact(2),
            how: self.how,
            keys: self.keys,
        }
    }
}

impl<'a> json::Array<'a, TreeJson> for TreeArray<'a> {
    type Node = TreeValue<'a>;
    type ElementsIter = Elements<'a>;

    fn len(&self) -> usize {
        self.items.len()
    }

    fn elements(&self) -> Elements<'a> {
        Elements {
            doc: self.doc,
            items: self.items.iter(),
            how: self.how,
        }
    }
}

/// A mapping's (key text, value) pairs in order.
pub struct Members<'a> {
    doc: &'a Doc,
    pairs: std::slice::ChunksExact<'a, NodeId>,
    how: Reading<'a>,
    keys: RootKeys,
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, TreeValue<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let &[k, v] = self.pairs.next()? else {
                return None;
            };
            let key = convert::key_str(self.doc.node(k));
            if !self.keys.reads(key) {
                continue;
            }
            return Some((key, TreeValue::child(self.doc.node(v), self.how)));
        }
    }
}

/// A sequence's items in order.
pub struct Elements<'a> {
    doc: &'a Doc,
    items: std::slice::Iter<'a, NodeId>,
    how: Reading<'a>,
}

impl<'a> Iterator for Elements<'a> {
    type Item = TreeValue<'a>;
    fn next(&mut self) -> Option<Self::Item> {
        let &id = self.items.next()?;
        Some(TreeValue::child(self.doc.node(id), self.how))
    }
}
