//! Our span arena -> `serde_json::Value`, typed as the consuming system reads
//! YAML, under a node budget.
//!
//! Aliases share nodes in the arena, so expanding them naively can explode
//! (the "billion laughs"); every emitted node counts against the budget and
//! the conversion stops, with an error, once it is spent.

use serde_json::{Map, Number, Value};

use crate::parse::tree::{NodeId, NodeKind, NodeRef, ScalarStyle};

/// Most JSON nodes one converted resource may expand to.
pub const MAX_NODES: usize = 200_000;
/// Deepest nesting followed (the arena is already bounded; this also bounds recursion).
pub const MAX_DEPTH: usize = 256;

/// How plain scalars get their type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Typing {
    /// YAML 1.1 as kubectl and Helm read manifests (go-yaml v2 via sigs.k8s.io/yaml):
    /// `yes`/`no`/`on`/`off`/`y`/`n` are booleans, `0755` is octal.
    Kubernetes,
    /// Envoy (yaml-cpp): YAML 1.1 booleans too, decimal and `0x` integers.
    Envoy,
    /// YAML 1.2 core schema (schemas and rule files we read ourselves).
    Core,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvertError {
    /// More than the node budget (aliases expanding, or a huge document).
    TooLarge,
    TooDeep,
}

/// A plain scalar that looks like a number with a leading zero (`0755`, `08080`).
#[derive(Clone, Debug, PartialEq)]
pub struct LeadingZero {
    pub node: NodeId,
    /// The key it is the value of, when it is a map value.
    pub key: Option<String>,
    pub text: String,
    /// What kubectl reads it as.
    pub read_as: Option<i64>,
}

#[derive(Debug, Default)]
pub struct Converted {
    pub value: Value,
    pub leading_zeros: Vec<LeadingZero>,
    pub nodes: usize,
}

const NULL_WORDS: [&str; 5] = ["", "~", "null", "Null", "NULL"];
const TRUE_WORDS_11: [&str; 11] = [
    "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
];
const FALSE_WORDS_11: [&str; 11] = [
    "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
];

/// Is this a YAML 1.1 boolean that YAML 1.2 reads as a string (`yes`, `off`, `y`)?
pub fn is_yaml11_only_bool(s: &str) -> bool {
    (TRUE_WORDS_11.contains(&s) || FALSE_WORDS_11.contains(&s))
        && !matches!(s, "true" | "True" | "TRUE" | "false" | "False" | "FALSE")
}

pub use crate::util::has_leading_zero;

/// Convert a node; `Err` when the budget or the depth is exceeded.
pub fn to_json(node: NodeRef<'_>, typing: Typing) -> Result<Converted, ConvertError> {
    to_json_with_budget(node, typing, MAX_NODES)
}

pub fn to_json_with_budget(
    node: NodeRef<'_>,
    typing: Typing,
    budget: usize,
) -> Result<Converted, ConvertError> {
    to_json_skipping(node, typing, budget, &|_| false)
}

/// Convert, writing `{}` in place of the nodes `skip` names (below the root):
/// nested resources that are validated on their own.
pub fn to_json_skipping(
    node: NodeRef<'_>,
    typing: Typing,
    budget: usize,
    skip: &dyn Fn(NodeId) -> bool,
) -> Result<Converted, ConvertError> {
    let mut c = Conv {
        typing,
        budget,
        skip,
        out: Converted::default(),
    };
    let v = c.node(node, None, 0)?;
    c.out.value = v;
    c.out.leading_zeros.sort_by_key(|l| l.node);
    c.out.leading_zeros.dedup_by_key(|l| l.node);
    Ok(c.out)
}

/// What a non-scalar mapping key becomes in JSON.
pub const COMPLEX_KEY: &str = "<complex key>";

/// The text a mapping key becomes in JSON.
pub fn key_str(key: NodeRef<'_>) -> &str {
    key.scalar().map_or(COMPLEX_KEY, |(s, _)| s)
}

struct Conv<'s> {
    typing: Typing,
    budget: usize,
    skip: &'s dyn Fn(NodeId) -> bool,
    out: Converted,
}

impl Conv<'_> {
    fn node(
        &mut self,
        n: NodeRef<'_>,
        key: Option<&str>,
        depth: usize,
    ) -> Result<Value, ConvertError> {
        if depth > MAX_DEPTH {
            return Err(ConvertError::TooDeep);
        }
        self.out.nodes += 1;
        if self.out.nodes > self.budget {
            return Err(ConvertError::TooLarge);
        }
        if depth > 0 && (self.skip)(n.id) {
            return Ok(Value::Object(Map::new()));
        }
        match n.kind() {
            None => Ok(Value::Null),
            Some(NodeKind::Scalar { value, style }) => Ok(self.scalar(n.id, value, style, key)),
            Some(NodeKind::Seq(ids)) => {
                let mut items = Vec::with_capacity(ids.len());
                for item in n.items() {
                    items.push(self.node(item, None, depth + 1)?);
                }
                Ok(Value::Array(items))
            }
            Some(NodeKind::Map(pairs)) => {
                let mut map = Map::with_capacity(pairs.len() / 2);
                for (k, v) in n.entries() {
                    let name = key_str(k).to_string();
                    let val = self.node(v, Some(&name), depth + 1)?;
                    // The last of duplicate keys wins, as in the Kubernetes API.
                    map.insert(name, val);
                }
                Ok(Value::Object(map))
            }
        }
    }

    fn scalar(&mut self, id: NodeId, text: &str, style: ScalarStyle, key: Option<&str>) -> Value {
        let typed = typed_scalar(self.typing, text, style);
        if self.typing == Typing::Kubernetes
            && style == ScalarStyle::Plain
            && has_leading_zero(text)
        {
            self.out.leading_zeros.push(LeadingZero {
                node: id,
                key: key.map(str::to_string),
                text: text.to_string(),
                read_as: match &typed {
                    Scalar::Number(n) => n.as_i64(),
                    _ => None,
                },
            });
        }
        typed.into_value()
    }
}

/// A scalar as the consuming system types it, borrowing its text.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar<'t> {
    Null,
    Bool(bool),
    Number(Number),
    Str(&'t str),
}

impl Scalar<'_> {
    pub fn into_value(self) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Number(n) => Value::Number(n),
            Scalar::Str(s) => Value::String(s.to_string()),
        }
    }
}

/// How `typing` reads a scalar written with `style`: the one place that
/// decides, for the converter and for validation in place alike.
pub fn typed_scalar(typing: Typing, text: &str, style: ScalarStyle) -> Scalar<'_> {
    if style != ScalarStyle::Plain {
        return Scalar::Str(text);
    }
    // Every null and boolean word is at most 5 bytes long.
    if text.len() <= 5
        && let Some(word) = word(typing, text)
    {
        return word;
    }
    let first = text.as_bytes().first().copied().unwrap_or(b' ');
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return Scalar::Str(text);
    }
    let number = match typing {
        Typing::Kubernetes => go_yaml_v2_number(text),
        Typing::Envoy | Typing::Core => core_number(text),
    };
    number.map_or(Scalar::Str(text), Scalar::Number)
}

/// A null or boolean word, as `typing` reads it.
fn word(typing: Typing, text: &str) -> Option<Scalar<'static>> {
    if NULL_WORDS.contains(&text) {
        return Some(Scalar::Null);
    }
    let b = match typing {
        Typing::Core => core_bool(text),
        Typing::Kubernetes | Typing::Envoy => {
            if TRUE_WORDS_11.contains(&text) {
                Some(true)
            } else if FALSE_WORDS_11.contains(&text) {
                Some(false)
            } else {
                None
            }
        }
    };
    b.map(Scalar::Bool)
}

fn core_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn int_value(n: i128) -> Option<Number> {
    if let Ok(i) = i64::try_from(n) {
        return Some(Number::from(i));
    }
    u64::try_from(n).ok().map(Number::from)
}

fn float_value(f: f64) -> Option<Number> {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 {
        return Some(Number::from(f as i64));
    }
    Number::from_f64(f)
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` (go-yaml's float syntax,
/// also YAML 1.2 core's without `.inf`/`.nan`).
fn is_float_syntax(s: &str) -> bool {
    let b = s.strip_prefix(['-', '+']).unwrap_or(s).as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    if b.first() == Some(&b'.') {
        i = 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Integer syntax of Go's `strconv.ParseInt(s, 0, 64)`: sign, `0x`/`0o`/`0b`
/// prefixes, a bare leading `0` for octal.
fn go_int(s: &str) -> Option<i128> {
    let (neg, d) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (radix, digits) = if let Some(r) = d.strip_prefix("0x").or_else(|| d.strip_prefix("0X")) {
        (16, r)
    } else if let Some(r) = d.strip_prefix("0o").or_else(|| d.strip_prefix("0O")) {
        (8, r)
    } else if let Some(r) = d.strip_prefix("0b").or_else(|| d.strip_prefix("0B")) {
        (2, r)
    } else if d.len() > 1 && d.starts_with('0') {
        (8, d.get(1..).unwrap_or(""))
    } else {
        (10, d)
    };
    if digits.is_empty() || digits.len() > 40 {
        return None;
    }
    let v = i128::from_str_radix(digits, radix).ok()?;
    Some(if neg { -v } else { v })
}

/// A plain scalar as go-yaml v2 resolves a number: underscores removed, Go
/// integer syntax (leading `0` = octal), else a float.
fn go_yaml_v2_number(text: &str) -> Option<Number> {
    let plain: std::borrow::Cow<'_, str> = if text.contains('_') {
        text.chars()
            .filter(|&c| c != '_')
            .collect::<String>()
            .into()
    } else {
        text.into()
    };
    if let Some(i) = go_int(&plain) {
        return int_value(i);
    }
    if is_float_syntax(&plain) {
        return plain.parse::<f64>().ok().and_then(float_value);
    }
    None
}

/// YAML 1.2 core: decimal, `0x`, `0o` integers and floats.
fn core_number(text: &str) -> Option<Number> {
    let (neg, d) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let int = if let Some(h) = d.strip_prefix("0x") {
        i128::from_str_radix(h, 16).ok()
    } else if let Some(o) = d.strip_prefix("0o") {
        i128::from_str_radix(o, 8).ok()
    } else if !d.is_empty() && d.len() <= 40 && d.bytes().all(|b| b.is_ascii_digit()) {
        d.parse::<i128>().ok()
    } else {
        None
    };
    if let Some(i) = int {
        return int_value(if neg { -i } else { i });
    }
    if is_float_syntax(text) {
        return text.parse::<f64>().ok().and_then(float_value);
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::parse::yaml;
    use serde_json::json;

    fn conv(src: &str, typing: Typing) -> Converted {
        let l = yaml::load(src, 0);
        let doc = l.docs.first().unwrap();
        to_json(doc.root().unwrap(), typing).unwrap()
    }

    #[test]
    fn kubernetes_typing_is_yaml_1_1() {
        let c = conv(
            "a: yes\nb: \"yes\"\nc: 0755\nd: 08080\ne: 80\nf: 1.5\ng: ~\nh: off\ni: 1_000\nj: 0x1F\nk: v1\nl: 1e3\nm: .5\n",
            Typing::Kubernetes,
        );
        assert_eq!(
            c.value,
            json!({"a": true, "b": "yes", "c": 493, "d": 8080, "e": 80, "f": 1.5, "g": null,
                   "h": false, "i": 1000, "j": 31, "k": "v1", "l": 1000, "m": 0.5})
        );
        let texts: Vec<_> = c
            .leading_zeros
            .iter()
            .map(|l| (l.text.as_str(), l.read_as))
            .collect();
        assert_eq!(texts, vec![("0755", Some(493)), ("08080", Some(8080))]);
    }

    #[test]
    fn core_typing_is_yaml_1_2() {
        let c = conv("a: yes\nb: 0755\nc: true\nd: -3\n", Typing::Core);
        assert_eq!(c.value, json!({"a": "yes", "b": 755, "c": true, "d": -3}));
        assert!(c.leading_zeros.is_empty());
    }

    #[test]
    fn alias_bomb_hits_the_budget() {
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = i - 1;
            src.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let l = yaml::load(&src, 0);
        let root = l.docs.first().unwrap().root().unwrap();
        assert_eq!(
            to_json(root, Typing::Kubernetes).err(),
            Some(ConvertError::TooLarge)
        );
        // A small budget is honoured exactly.
        let small = yaml::load("a: [1, 2, 3]\n", 0);
        let r = small.docs.first().unwrap().root().unwrap();
        assert!(to_json_with_budget(r, Typing::Core, 5).is_ok());
        assert_eq!(
            to_json_with_budget(r, Typing::Core, 4).err(),
            Some(ConvertError::TooLarge)
        );
    }

    #[test]
    fn yaml11_words() {
        assert!(is_yaml11_only_bool("on") && is_yaml11_only_bool("N"));
        assert!(!is_yaml11_only_bool("true") && !is_yaml11_only_bool("none"));
        assert!(has_leading_zero("0755") && has_leading_zero("-08"));
        assert!(!has_leading_zero("0") && !has_leading_zero("80") && !has_leading_zero("0x1"));
    }
}
