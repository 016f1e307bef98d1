//! Reading proto3-JSON-shaped trees: keys in snake_case or lowerCamelCase,
//! Durations as `"0.25s"`, 64-bit integers as strings, typed configs by `@type`.

use crate::parse::tree::NodeRef;

/// Does a written key spell this snake_case field (as itself or in lowerCamelCase)?
pub fn key_is(written: &str, snake: &str) -> bool {
    let (written, snake) = (written.as_bytes(), snake.as_bytes());
    // lowerCamelCase drops an underscore per word: a key as long as the
    // field (or longer) can only be the field itself. Most keys end here.
    if written.len() >= snake.len() {
        return written == snake;
    }
    // lowerCamelCase keeps the first letter: compare it first.
    written.first() == snake.first() && is_camel_case_of(written, snake)
}

/// `written` is `snake` with each underscore dropped and the letter after
/// it in uppercase. (Bytes: an underscore or an ASCII letter is never part
/// of a longer UTF-8 character.)
fn is_camel_case_of(written: &[u8], snake: &[u8]) -> bool {
    let mut w = written.iter();
    let mut upper_next = false;
    for &c in snake {
        if c == b'_' {
            upper_next = true;
            continue;
        }
        let want = if upper_next {
            c.to_ascii_uppercase()
        } else {
            c
        };
        upper_next = false;
        if w.next() != Some(&want) {
            return false;
        }
    }
    w.next().is_none()
}

/// Value of a field by its snake_case name (lowerCamelCase accepted); the last one wins.
pub fn get<'a>(n: NodeRef<'a>, snake: &str) -> Option<NodeRef<'a>> {
    get_entry(n, snake).map(|(_, v)| v)
}

/// Key and value of a field.
pub fn get_entry<'a>(n: NodeRef<'a>, snake: &str) -> Option<(NodeRef<'a>, NodeRef<'a>)> {
    if !snake.contains('_') {
        // One word is spelt the same in both cases: the tree's own lookup
        // (which compares lengths before reading a key's text).
        return n.get_entry(snake);
    }
    n.entries()
        .rev()
        .find(|(k, _)| k.scalar().is_some_and(|(s, _)| key_is(s, snake)))
}

/// A mapping's fields with their keys' texts read once, for a parser that
/// looks up many of them (a cluster: ~30 lookups, most of them absent):
/// each lookup then compares texts, not reads every key again.
pub struct Fields<'a> {
    entries: Vec<(&'a str, NodeRef<'a>, NodeRef<'a>)>,
}

impl<'a> Fields<'a> {
    pub fn of(n: NodeRef<'a>) -> Fields<'a> {
        Fields {
            entries: n
                .entries()
                .filter_map(|(k, v)| Some((k.scalar()?.0, k, v)))
                .collect(),
        }
    }
    /// Key and value of a field, as [`get_entry`] finds them.
    pub fn get_entry(&self, snake: &str) -> Option<(NodeRef<'a>, NodeRef<'a>)> {
        self.entries
            .iter()
            .rev()
            .find(|(written, _, _)| key_is(written, snake))
            .map(|&(_, k, v)| (k, v))
    }
    pub fn get(&self, snake: &str) -> Option<NodeRef<'a>> {
        self.get_entry(snake).map(|(_, v)| v)
    }
    pub fn str_at(&self, snake: &str) -> Option<&'a str> {
        self.get(snake).and_then(|v| v.as_str())
    }
    pub fn int_at(&self, snake: &str) -> Option<(i64, NodeRef<'a>)> {
        let v = self.get(snake)?;
        int_of(v).map(|i| (i, v))
    }
    /// Items of a list field (empty when absent).
    pub fn list(&self, snake: &str) -> impl Iterator<Item = NodeRef<'a>> + 'a {
        self.get(snake).into_iter().flat_map(|l| l.items())
    }
    /// A field's field: `first`, then the `rest` of the path in it.
    pub fn path(&self, first: &str, rest: &[&str]) -> Option<NodeRef<'a>> {
        path(self.get(first)?, rest)
    }
}

/// Walk a path of snake_case field names.
pub fn path<'a>(n: NodeRef<'a>, keys: &[&str]) -> Option<NodeRef<'a>> {
    let mut cur = n;
    for k in keys {
        cur = get(cur, k)?;
    }
    Some(cur)
}

pub fn str_at<'a>(n: NodeRef<'a>, snake: &str) -> Option<&'a str> {
    get(n, snake).and_then(|v| v.as_str())
}

/// A bool field (proto3 JSON writes `true`/`false`; some YAML quotes them).
pub fn bool_at(n: NodeRef<'_>, snake: &str) -> Option<bool> {
    let v = get(n, snake)?;
    v.as_bool().or_else(|| match v.as_str()? {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    })
}

/// An integer field, also when written as a string (64-bit ints) or as a
/// wrapper object `{value: N}`.
pub fn int_of(v: NodeRef<'_>) -> Option<i64> {
    v.as_int_lenient()
        .or_else(|| v.get("value").and_then(|x| x.as_int_lenient()))
}

pub fn int_at<'a>(n: NodeRef<'a>, snake: &str) -> Option<(i64, NodeRef<'a>)> {
    let v = get(n, snake)?;
    int_of(v).map(|i| (i, v))
}

/// Items of a list field (empty when absent).
pub fn list<'a>(n: NodeRef<'a>, snake: &str) -> impl Iterator<Item = NodeRef<'a>> + 'a {
    get(n, snake).into_iter().flat_map(|l| l.items())
}

/// Seconds of a `google.protobuf.Duration`: `"0.25s"`, `5s`, `{seconds, nanos}`.
pub fn duration_secs(v: NodeRef<'_>) -> Option<f64> {
    if v.is_map() {
        let secs = get(v, "seconds").and_then(int_of).unwrap_or(0);
        let nanos = get(v, "nanos").and_then(int_of).unwrap_or(0);
        return Some(secs as f64 + nanos as f64 / 1e9);
    }
    let (s, _) = v.scalar()?;
    let s = s.trim();
    let num = s.strip_suffix('s')?;
    if num.is_empty()
        || !num
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return None;
    }
    let f: f64 = num.parse().ok()?;
    f.is_finite().then_some(f)
}

/// A Duration with where it was written (`None` = the proto default applies).
#[derive(Clone, Copy, Debug)]
pub struct Dur<'a> {
    pub secs: f64,
    pub node: Option<NodeRef<'a>>,
}

impl<'a> Dur<'a> {
    pub fn at(n: NodeRef<'a>, snake: &str, default_secs: f64) -> Dur<'a> {
        Dur::of(get(n, snake), default_secs)
    }
    /// The Duration written in `v`, if any.
    pub fn of(v: Option<NodeRef<'a>>, default_secs: f64) -> Dur<'a> {
        match v {
            Some(v) => match duration_secs(v) {
                Some(secs) => Dur {
                    secs,
                    node: Some(v),
                },
                None => Dur {
                    secs: default_secs,
                    node: None,
                },
            },
            None => Dur {
                secs: default_secs,
                node: None,
            },
        }
    }
    pub fn ms(&self) -> f64 {
        self.secs * 1000.0
    }
    pub fn is_set(&self) -> bool {
        self.node.is_some()
    }
}

/// Human text of a duration in seconds (`250ms`, `5s`, `1h`).
pub fn fmt_secs(secs: f64) -> String {
    if secs == 0.0 {
        "0s".into()
    } else if secs < 1.0 {
        format!("{}ms", (secs * 1000.0).round())
    } else if secs >= 3600.0 && (secs % 3600.0) == 0.0 {
        format!("{}h", secs / 3600.0)
    } else if secs >= 60.0 && (secs % 60.0) == 0.0 {
        format!("{}m", secs / 60.0)
    } else {
        format!("{secs}s")
    }
}

/// The last segment of a type URL: `envoy.config.cluster.v3.Cluster`.
pub fn type_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

/// A typed extension: its message type and content.
#[derive(Clone, Copy, Debug)]
pub struct Typed<'a> {
    /// The full message name (`envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`), or "" when untyped.
    pub type_name: &'a str,
    pub node: NodeRef<'a>,
    /// Written with the v2 `config:` field instead of `typed_config`.
    pub v2_config: bool,
}

impl Typed<'_> {
    /// Does the message name end with this suffix (`.v3.HttpConnectionManager`)?
    pub fn is(&self, suffix: &str) -> bool {
        self.type_name.ends_with(suffix)
    }
}

/// The typed config of an extension (`typed_config`, or the v2 `config`),
/// unwrapping `TypedStruct` (`udpa.type.v1` / `xds.type.v3`).
pub fn typed(ext: NodeRef<'_>) -> Option<Typed<'_>> {
    let (node, v2) = match get(ext, "typed_config") {
        Some(n) => (n, false),
        None => (get(ext, "config")?, true),
    };
    Some(unwrap_typed(node, v2))
}

/// A node that itself carries `@type`.
pub fn unwrap_typed(node: NodeRef<'_>, v2_config: bool) -> Typed<'_> {
    let url = node.str_at("@type").unwrap_or("");
    let name = type_name(url);
    if name.ends_with("TypedStruct") {
        let inner_url = str_at(node, "type_url").unwrap_or("");
        if let Some(value) = get(node, "value") {
            return Typed {
                type_name: type_name(inner_url),
                node: value,
                v2_config,
            };
        }
    }
    Typed {
        type_name: name,
        node,
        v2_config,
    }
}

/// The extension's `name` field.
pub fn ext_name<'a>(ext: NodeRef<'a>) -> &'a str {
    ext.str_at("name").unwrap_or("")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::parse::yaml;

    #[test]
    fn keys_in_both_spellings() {
        assert!(key_is("connect_timeout", "connect_timeout"));
        assert!(key_is("connectTimeout", "connect_timeout"));
        assert!(key_is("consecutive5xx", "consecutive_5xx"));
        assert!(!key_is("connecttimeout", "connect_timeout"));
        assert!(!key_is("connectTimeoutX", "connect_timeout"));
        assert!(key_is("name", "name"));
        assert!(key_is("a_b__c_", "a_b__c_"));
        assert!(key_is("aBC", "a_b__c_"));
        assert!(!key_is("aB", "a_b__c_"));
        assert!(!key_is("aBCd", "a_b__c_"));
        assert!(!key_is("é_x", "é_x_y"));
        assert!(key_is("éX", "é_x"));
        assert!(!key_is("nam", "name"));
        assert!(!key_is("names", "name"));
    }

    #[test]
    fn durations_and_ints() {
        let l = yaml::load(
            "a: 0.25s\nb: \"5s\"\nc: {seconds: 1, nanos: 500000000}\nd: 10\ne: \"1024\"\nf: 250ms\n",
            0,
        );
        let root = l.docs[0].root().unwrap();
        assert_eq!(duration_secs(root.get("a").unwrap()), Some(0.25));
        assert_eq!(duration_secs(root.get("b").unwrap()), Some(5.0));
        assert_eq!(duration_secs(root.get("c").unwrap()), Some(1.5));
        assert_eq!(duration_secs(root.get("d").unwrap()), None);
        assert_eq!(duration_secs(root.get("f").unwrap()), None);
        assert_eq!(int_at(root, "e").map(|x| x.0), Some(1024));
        assert_eq!(fmt_secs(0.25), "250ms");
        assert_eq!(fmt_secs(3600.0), "1h");
    }
}
