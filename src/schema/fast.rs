//! A quick verdict on the common case: a plain tree that its built-in
//! definition accepts.
//!
//! Nearly every resource of a real tree is valid, and `jsonschema`'s
//! `is_valid`, reading our tree through its generic value interface, was
//! most of what validation cost (163 M instructions on the 10 MB benchmark
//! tree). The built-in schemas use a handful of keywords, so they are
//! compiled here once more into checks that walk the tree directly.
//!
//! The verdict is one-sided: [`QuickSchema::accepts`] says `true` only when
//! `jsonschema` would accept the same value (same typing of scalars, same
//! keywords, the same engine for `pattern`). Anything it is unsure of, and
//! every invalid resource, goes to `jsonschema`, which finds the errors, so
//! findings are unchanged. A definition using a keyword not handled here
//! gets no quick schema at all. `tests_in_place` and the `schema` fuzz
//! target compare the results with validation of the converted value,
//! which never takes this path.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use jsonschema::Validator;
use serde_json::{Map, Number, Value};

use super::catalog;
use super::convert::{self, Scalar};
use super::tree_json::{Reading, TreeJson, TreeValue, View, view_node};
use crate::parse::tree::NodeRef;

/// Deepest nesting of instance and `$ref`s followed; past it, no verdict.
const MAX_DEPTH: u32 = 512;
/// Deepest schema nesting compiled.
const MAX_SCHEMA_DEPTH: u32 = 128;

// JSON types as bits of a `type` keyword.
const NULL: u8 = 1;
const BOOLEAN: u8 = 2;
const INTEGER: u8 = 4;
const NUMBER: u8 = 8;
const STRING: u8 = 16;
const ARRAY: u8 = 32;
const OBJECT: u8 = 64;

/// What members not named in `properties` must satisfy.
#[derive(Clone, Copy, Default)]
enum Others {
    #[default]
    Any,
    Refused,
    Schema(u32),
}

/// One (sub)schema's keywords.
#[derive(Default)]
struct Check {
    types: Option<u8>,
    properties: Properties,
    others: Others,
    items: Option<u32>,
    one_of_values: Option<Vec<Value>>,
    minimum: Option<i128>,
    maximum: Option<i128>,
    max_length: Option<usize>,
    /// `pattern`, on jsonschema's own engine (its ECMA translation included).
    pattern: Option<Arc<Validator<TreeJson>>>,
    not: Option<u32>,
    /// `$ref` and `allOf` targets.
    all: Vec<u32>,
}

impl Check {
    /// Does anything here read a scalar's typed value?
    fn reads_scalars(&self) -> bool {
        self.types.is_some()
            || self.one_of_values.is_some()
            || self.minimum.is_some()
            || self.maximum.is_some()
            || self.max_length.is_some()
            || self.pattern.is_some()
    }
    /// Nothing to check: every value is accepted.
    fn accepts_all(&self) -> bool {
        !self.reads_scalars()
            && self.properties.is_empty()
            && matches!(self.others, Others::Any)
            && self.items.is_none()
            && self.not.is_none()
            && self.all.is_empty()
    }
}

/// A built-in definition compiled for quick verdicts.
pub struct QuickSchema {
    checks: Vec<Check>,
    /// Checks that accept every value (no walk below them).
    accepts_all: Vec<bool>,
    root: u32,
}

impl std::fmt::Debug for QuickSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "QuickSchema({} checks)", self.checks.len())
    }
}

impl QuickSchema {
    /// The definition `def` of a schema document (`#/$defs/<def>`); `None`
    /// if it uses a keyword not handled here.
    pub fn compile(doc: &Value, def: &str) -> Option<QuickSchema> {
        let mut c = Compiler {
            defs: doc.get("$defs").and_then(Value::as_object),
            checks: Vec::new(),
            by_def: HashMap::new(),
        };
        let root = c.def(def, 0)?;
        let accepts_all = c.checks.iter().map(Check::accepts_all).collect();
        Some(QuickSchema {
            checks: c.checks,
            accepts_all,
            root,
        })
    }

    /// Is the resource at `root` surely valid? `false`: invalid, or not sure.
    pub fn accepts(&self, root: NodeRef<'_>, how: &Reading<'_>) -> bool {
        self.check(self.root, root, how, true, 0) == Some(true)
    }

    /// `Some(valid)`, or `None` when not sure.
    fn check(
        &self,
        at: u32,
        node: NodeRef<'_>,
        how: &Reading<'_>,
        root: bool,
        depth: u32,
    ) -> Option<bool> {
        if self.accepts_all.get(at as usize) == Some(&true) {
            return Some(true);
        }
        let c = self.checks.get(at as usize)?;
        if depth > MAX_DEPTH {
            return None;
        }
        let view = view_node(node, how, root, c.reads_scalars());
        let mut sure = true;
        // Each keyword's verdict: stop at the first sure "invalid".
        let mut verdict = |v: Option<bool>| match v {
            Some(false) => false,
            Some(true) => true,
            None => {
                sure = false;
                true
            }
        };
        if let Some(mask) = c.types
            && !verdict(type_accepts(mask, &view))
        {
            return Some(false);
        }
        if let Some(values) = &c.one_of_values
            && !verdict(one_of(values, &view))
        {
            return Some(false);
        }
        match view {
            View::Map(pairs) => {
                if !c.properties.is_empty() || !matches!(c.others, Others::Any) {
                    for kv in pairs.chunks_exact(2) {
                        let &[k, v] = kv else { continue };
                        let key = convert::key_str(node.doc.node(k));
                        if root && !how.root_keys.reads(key) {
                            continue;
                        }
                        let sub = match c.properties.find(key) {
                            found @ Some(_) => found,
                            None => match c.others {
                                Others::Any => None,
                                Others::Refused => return Some(false),
                                Others::Schema(s) => Some(s),
                            },
                        };
                        if let Some(s) = sub
                            && !verdict(self.check(s, node.doc.node(v), how, false, depth + 1))
                        {
                            return Some(false);
                        }
                    }
                }
            }
            View::Seq(items) => {
                if let Some(s) = c.items {
                    for &id in items {
                        if !verdict(self.check(s, node.doc.node(id), how, false, depth + 1)) {
                            return Some(false);
                        }
                    }
                }
            }
            View::Scalar(ref s) => {
                if !verdict(scalar_accepts(c, s)) {
                    return Some(false);
                }
            }
        }
        if let Some(n) = c.not
            && !verdict(self.check(n, node, how, root, depth + 1).map(|v| !v))
        {
            return Some(false);
        }
        for &s in &c.all {
            if !verdict(self.check(s, node, how, root, depth + 1)) {
                return Some(false);
            }
        }
        sure.then_some(true)
    }
}

/// `properties` by name length: a lookup compares the key only with the
/// few names of its length, first byte first.
#[derive(Default)]
struct Properties {
    /// (name, check), ordered by name length.
    names: Vec<(Box<str>, u32)>,
    /// `names[starts[n]..starts[n + 1]]` are the names of length `n`.
    starts: Vec<u32>,
}

impl Properties {
    fn new(mut names: Vec<(Box<str>, u32)>) -> Properties {
        names.sort_by_key(|(n, _)| n.len());
        let longest = names.last().map_or(0, |(n, _)| n.len());
        let starts = (0..=longest + 1)
            .map(|len| names.partition_point(|(n, _)| n.len() < len))
            .map(|at| u32::try_from(at).unwrap_or(u32::MAX))
            .collect();
        Properties { names, starts }
    }

    fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    fn find(&self, key: &str) -> Option<u32> {
        let len = key.len();
        let (&from, &to) = (self.starts.get(len)?, self.starts.get(len + 1)?);
        let first = key.as_bytes().first();
        self.names
            .get(from as usize..to as usize)?
            .iter()
            .find(|(n, _)| n.as_bytes().first() == first && **n == *key)
            .map(|(_, s)| *s)
    }
}

fn type_accepts(mask: u8, view: &View<'_>) -> Option<bool> {
    let bit = match view {
        View::Scalar(Scalar::Null) => NULL,
        View::Scalar(Scalar::Bool(_)) => BOOLEAN,
        View::Scalar(Scalar::Str(_)) => STRING,
        View::Seq(_) => ARRAY,
        View::Map(_) => OBJECT,
        View::Scalar(Scalar::Number(n)) => {
            if mask & NUMBER != 0 {
                return Some(true);
            }
            if mask & INTEGER == 0 {
                return Some(false);
            }
            // Whole floats are read as integers by the converter already;
            // a float here is fractional or huge: leave it to jsonschema.
            return integer(n).map(|_| true);
        }
    };
    Some(mask & bit != 0)
}

fn integer(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// `enum`: some value equal to the instance.
fn one_of(values: &[Value], view: &View<'_>) -> Option<bool> {
    let mut sure = true;
    for v in values {
        let same = match (view, v) {
            (View::Scalar(Scalar::Str(s)), Value::String(e)) => Some(s == e),
            (View::Scalar(Scalar::Bool(b)), Value::Bool(e)) => Some(b == e),
            (View::Scalar(Scalar::Null), Value::Null) => Some(true),
            (View::Scalar(Scalar::Number(n)), Value::Number(e)) => {
                integer(n).zip(integer(e)).map(|(a, b)| a == b)
            }
            (View::Scalar(_), _) => Some(false),
            (View::Seq(_) | View::Map(_), Value::Array(_) | Value::Object(_)) => None,
            (View::Seq(_) | View::Map(_), _) => Some(false),
        };
        match same {
            Some(true) => return Some(true),
            Some(false) => {}
            None => sure = false,
        }
    }
    sure.then_some(false)
}

/// The keywords on a scalar's value: bounds, length, pattern.
fn scalar_accepts(c: &Check, s: &Scalar<'_>) -> Option<bool> {
    match s {
        Scalar::Number(n) if c.minimum.is_some() || c.maximum.is_some() => {
            let n = integer(n)?;
            Some(c.minimum.is_none_or(|m| n >= m) && c.maximum.is_none_or(|m| n <= m))
        }
        Scalar::Str(text) => {
            if c.max_length.is_some_and(|max| text.chars().count() > max) {
                return Some(false);
            }
            Some(
                c.pattern
                    .as_ref()
                    .is_none_or(|p| p.is_valid(TreeValue::Name(text))),
            )
        }
        _ => Some(true),
    }
}

struct Compiler<'d> {
    defs: Option<&'d Map<String, Value>>,
    checks: Vec<Check>,
    by_def: HashMap<String, u32>,
}

impl Compiler<'_> {
    /// A definition's check, compiled once (and referred to while compiled).
    fn def(&mut self, name: &str, depth: u32) -> Option<u32> {
        if let Some(&at) = self.by_def.get(name) {
            return Some(at);
        }
        let schema = self.defs?.get(name)?;
        let at = self.reserve();
        self.by_def.insert(name.to_string(), at);
        let check = self.check(schema, depth)?;
        *self.checks.get_mut(at as usize)? = check;
        Some(at)
    }

    fn reserve(&mut self) -> u32 {
        self.checks.push(Check::default());
        u32::try_from(self.checks.len() - 1).unwrap_or(u32::MAX)
    }

    fn schema(&mut self, v: &Value, depth: u32) -> Option<u32> {
        // A schema that only refers to a definition is that definition: the
        // walk then reads each node once, not once per reference.
        if let Some(name) = sole_ref(v) {
            return self.def(name, depth + 1);
        }
        let at = self.reserve();
        let check = self.check(v, depth)?;
        *self.checks.get_mut(at as usize)? = check;
        Some(at)
    }

    fn check(&mut self, v: &Value, depth: u32) -> Option<Check> {
        if depth > MAX_SCHEMA_DEPTH {
            return None;
        }
        let m = match v {
            Value::Bool(true) => return Some(Check::default()),
            Value::Bool(false) => {
                return Some(Check {
                    types: Some(0),
                    ..Check::default()
                });
            }
            Value::Object(m) => m,
            _ => return None,
        };
        let mut c = Check::default();
        let deeper = depth + 1;
        for (k, x) in m {
            match k.as_str() {
                "type" => c.types = Some(types(x)?),
                "properties" => {
                    let mut props = Vec::new();
                    for (name, s) in x.as_object()? {
                        props.push((name.as_str().into(), self.schema(s, deeper)?));
                    }
                    c.properties = Properties::new(props);
                }
                "additionalProperties" => {
                    c.others = match x {
                        Value::Bool(true) => Others::Any,
                        Value::Bool(false) => Others::Refused,
                        _ => Others::Schema(self.schema(x, deeper)?),
                    }
                }
                "items" if !x.is_array() => c.items = Some(self.schema(x, deeper)?),
                "enum" => c.one_of_values = Some(x.as_array()?.clone()),
                "minimum" => c.minimum = Some(integer(x.as_number()?)?),
                "maximum" => c.maximum = Some(integer(x.as_number()?)?),
                "maxLength" => c.max_length = Some(usize::try_from(x.as_u64()?).ok()?),
                "pattern" => c.pattern = Some(pattern(x.as_str()?)?),
                "not" => c.not = Some(self.schema(x, deeper)?),
                "allOf" => {
                    for s in x.as_array()? {
                        let at = self.schema(s, deeper)?;
                        c.all.push(at);
                    }
                }
                "$ref" => {
                    let at = self.def(def_name(x)?, deeper)?;
                    c.all.push(at);
                }
                other if is_annotation(other) => {}
                _ => return None,
            }
        }
        Some(c)
    }
}

/// A validator of just `{"pattern": p}`, compiled once per pattern for the
/// run (the built-in schemas repeat a few patterns in many definitions).
fn pattern(p: &str) -> Option<Arc<Validator<TreeJson>>> {
    type Compiled = HashMap<String, Option<Arc<Validator<TreeJson>>>>;
    static PATTERNS: OnceLock<Mutex<Compiled>> = OnceLock::new();
    let mut all = PATTERNS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    all.entry(p.to_string())
        .or_insert_with(|| {
            let mut only = Map::new();
            only.insert("pattern".into(), Value::String(p.to_string()));
            catalog::compile(&Value::Object(only)).ok().map(Arc::new)
        })
        .clone()
}

/// The definition a `$ref` names (`#/$defs/<name>`; nothing deeper).
fn def_name(r: &Value) -> Option<&str> {
    let name = r.as_str()?.strip_prefix("#/$defs/")?;
    (!name.contains('/')).then_some(name)
}

/// The definition a schema is, when it has no keyword besides `$ref`.
fn sole_ref(v: &Value) -> Option<&str> {
    let m = v.as_object()?;
    let r = m.get("$ref")?;
    m.keys()
        .all(|k| k == "$ref" || is_annotation(k))
        .then(|| def_name(r))
        .flatten()
}

/// Keywords that validate nothing (formats are not validated).
fn is_annotation(k: &str) -> bool {
    matches!(
        k,
        "$schema"
            | "$comment"
            | "description"
            | "title"
            | "default"
            | "examples"
            | "deprecated"
            | "format"
    ) || k.starts_with("x-")
}

fn types(v: &Value) -> Option<u8> {
    let one = |t: &Value| -> Option<u8> {
        Some(match t.as_str()? {
            "null" => NULL,
            "boolean" => BOOLEAN,
            "integer" => INTEGER,
            "number" => NUMBER,
            "string" => STRING,
            "array" => ARRAY,
            "object" => OBJECT,
            _ => return None,
        })
    };
    match v {
        Value::Array(all) => all.iter().try_fold(0, |m, t| Some(m | one(t)?)),
        _ => one(v),
    }
}
