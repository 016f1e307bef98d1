//! What a variable can hold, as far as the configuration says: the values of
//! `set $v ...` and of `map $src $v { ... }`. Variable names are
//! case-insensitive in nginx.

use super::tree::{BlockKind, Config, Node};

/// One `map` entry: the source value it matches and the value it gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapEntry {
    pub key: String,
    pub value: String,
}

/// A `map $src $var { ... }` block.
#[derive(Clone, Debug)]
pub struct Map {
    pub source: String,
    pub entries: Vec<MapEntry>,
    /// The `default` value (`""` when the map sets none, as nginx does).
    pub default: String,
}

impl Map {
    /// The value for one source value (exact keys only; regex keys and
    /// hostnames are not evaluated: `None` when one might match).
    pub fn value_for(&self, source: &str) -> Option<&str> {
        if let Some(e) = self.entries.iter().find(|e| e.key == source) {
            return Some(&e.value);
        }
        if self.entries.iter().any(|e| e.key.starts_with('~')) {
            return None;
        }
        Some(&self.default)
    }
}

/// Directives that give variables values confaudit cannot follow.
const OPAQUE_SETTERS: &[&str] = &[
    "geo",
    "split_clients",
    "js_set",
    "perl_set",
    "set_by_lua",
    "set_by_lua_block",
    "set_by_lua_file",
    "auth_request_set",
];

/// The `map` defining `var` (`$name`).
pub fn map_of(cfg: &Config<'_>, var: &str) -> Option<Map> {
    let (id, n) = cfg.named("map").find(|(_, n)| {
        n.d.block.is_some() && n.arg(1).is_some_and(|v| v.eq_ignore_ascii_case(var))
    })?;
    let mut entries = Vec::new();
    let mut default = String::new();
    for c in cfg.children(Some(id)).filter_map(|c| cfg.node(c)) {
        match (c.d.name.as_str(), c.arg(0)) {
            ("hostnames" | "volatile" | "include", _) | (_, None) => {}
            ("default", Some(v)) => default = v.to_string(),
            (k, Some(v)) => entries.push(MapEntry {
                key: k.to_string(),
                value: v.to_string(),
            }),
        }
    }
    Some(Map {
        source: n.arg(0).unwrap_or("").to_string(),
        entries,
        default,
    })
}

fn sets<'c, 'a>(cfg: &'c Config<'a>, var: &'c str) -> impl Iterator<Item = &'c Node<'a>> + 'c {
    cfg.named("set").map(|(_, n)| n).filter(move |n| {
        n.kind == BlockKind::Simple && n.arg(0).is_some_and(|v| v.eq_ignore_ascii_case(var))
    })
}

/// Every value `var` can take, when they are all literal; `None` when the
/// variable is built in, computed, or set from other variables.
pub fn values(cfg: &Config<'_>, var: &str) -> Option<Vec<String>> {
    let defined_opaquely = OPAQUE_SETTERS.iter().any(|s| {
        cfg.named(s)
            .any(|(_, n)| n.d.args.iter().any(|a| a.value.eq_ignore_ascii_case(var)))
    });
    if defined_opaquely {
        return None;
    }
    let mut out: Vec<String> = sets(cfg, var)
        .map(|n| n.arg(1).unwrap_or("").to_string())
        .collect();
    if let Some(m) = map_of(cfg, var) {
        out.push(m.default.clone());
        out.extend(m.entries.into_iter().map(|e| e.value));
    }
    if out.is_empty() || out.iter().any(|v| v.contains('$')) {
        return None;
    }
    out.sort();
    out.dedup();
    Some(out)
}

/// Variables whose value comes from the client's request.
pub fn from_request(var: &str) -> bool {
    matches!(var, "$host" | "$http_host" | "$server_name")
        || ["$http_", "$arg_", "$cookie_"]
            .iter()
            .any(|p| var.starts_with(p))
}
