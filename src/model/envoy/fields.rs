//! Reading proto3-JSON-shaped trees: keys in snake_case or lowerCamelCase,
//! Durations as `"0.25s"`, 64-bit integers as strings, typed configs by `@type`.

use crate::parse::tree::NodeRef;

/// Does a written key spell this snake_case field (as itself or in lowerCamelCase)?
pub fn key_is(written: &str, snake: &str) -> bool {
    if written == snake {
        return true;
    }
    // lowerCamelCase keeps the first letter and drops the underscores:
    // compare those first.
    if written.as_bytes().first() != snake.as_bytes().first() {
        return false;
    }
    let underscores = snake.bytes().filter(|&b| b == b'_').count();
    if underscores == 0 || written.len() != snake.len() - underscores {
        return false;
    }
    let mut w = written.chars();
    let mut upper_next = false;
    for c in snake.chars() {
        if c == '_' {
            upper_next = true;
            continue;
        }
        let want = if upper_next {
            c.to_ascii_uppercase()
        } else {
            c
        };
        upper_next = false;
        if w.next() != Some(want) {
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
    n.entries()
        .rev()
        .find(|(k, _)| k.scalar().is_some_and(|(s, _)| key_is(s, snake)))
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
        match get(n, snake) {
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
