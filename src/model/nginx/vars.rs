//! What a variable can hold, as far as the configuration says: the values of
//! `set $v ...` and of `map $src $v { ... }`. Variable names are
//! case-insensitive in nginx.

use foldhash::{HashMap, HashMapExt, HashSet};
use std::sync::OnceLock;

use super::tree::{BlockKind, Config, Node, NodeId};

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
    /// Each key's first entry.
    by_key: HashMap<String, usize>,
    has_regex_key: bool,
}

impl Map {
    /// The value for one source value (exact keys only; regex keys and
    /// hostnames are not evaluated: `None` when one might match).
    pub fn value_for(&self, source: &str) -> Option<&str> {
        if let Some(e) = self.by_key.get(source).and_then(|&i| self.entries.get(i)) {
            return Some(&e.value);
        }
        if self.has_regex_key {
            return None;
        }
        Some(&self.default)
    }
}

/// Where a configuration's variables get their values, gathered once: the
/// rules ask per location, and scanning every `set` and `map` each time
/// cost locations x definitions (10,000 locations using one 10,000-entry
/// map: 32 s). Keys are `$name`s, ASCII lowercase.
#[derive(Debug, Default)]
pub struct VarIndex {
    /// The `set` directives of each variable, in file order.
    sets: HashMap<String, Vec<NodeId>>,
    /// The first `map` block defining each variable.
    maps: HashMap<String, Map>,
    /// Variables named by directives whose values confaudit cannot follow.
    opaque: HashSet<String>,
    /// The literal values of each variable with a `set` or a `map`, worked
    /// out on first use: the rules ask per `*_pass`, and gathering and
    /// sorting a 100,000-entry map's values each time cost locations x
    /// entries (1,000 locations: 20 s).
    values: HashMap<String, OnceLock<Option<Vec<String>>>>,
}

impl VarIndex {
    pub(super) fn of(cfg: &Config<'_>) -> VarIndex {
        let mut index = VarIndex::default();
        for (id, n) in cfg.named("set") {
            if let (BlockKind::Simple, Some(var)) = (n.kind, n.arg(0)) {
                index
                    .sets
                    .entry(var.to_ascii_lowercase())
                    .or_default()
                    .push(id);
            }
        }
        for (id, n) in cfg.named("map") {
            if let (Some(_), Some(var)) = (&n.d.block, n.arg(1)) {
                index
                    .maps
                    .entry(var.to_ascii_lowercase())
                    .or_insert_with(|| read_map(cfg, id, n));
            }
        }
        for setter in OPAQUE_SETTERS {
            for (_, n) in cfg.named(setter) {
                index
                    .opaque
                    .extend(n.d.args.iter().map(|a| a.value.to_ascii_lowercase()));
            }
        }
        let defined = index.sets.keys().chain(index.maps.keys());
        index.values = defined
            .filter(|v| !index.opaque.contains(*v))
            .map(|v| (v.clone(), OnceLock::new()))
            .collect();
        index
    }
}

fn read_map(cfg: &Config<'_>, id: NodeId, n: &Node<'_>) -> Map {
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
    let mut by_key = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        by_key.entry(e.key.clone()).or_insert(i);
    }
    Map {
        source: n.arg(0).unwrap_or("").to_string(),
        has_regex_key: entries.iter().any(|e| e.key.starts_with('~')),
        entries,
        default,
        by_key,
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

/// Index keys are ASCII lowercase (variable names are case-insensitive).
fn key(var: &str) -> std::borrow::Cow<'_, str> {
    crate::util::ascii_lowercase(var)
}

/// The `map` defining `var` (`$name`).
pub fn map_of<'c>(cfg: &'c Config<'_>, var: &str) -> Option<&'c Map> {
    cfg.vars().maps.get(key(var).as_ref())
}

fn sets<'c, 'a>(cfg: &'c Config<'a>, var: &str) -> impl Iterator<Item = &'c Node<'a>> + 'c {
    let ids = cfg.vars().sets.get(key(var).as_ref());
    ids.into_iter().flatten().filter_map(|&id| cfg.node(id))
}

/// Every value `var` can take, sorted and without repeats, when they are
/// all literal; `None` when the variable is built in, computed, or set from
/// other variables. Gathered once per configuration and variable.
pub fn literal_values<'c>(cfg: &'c Config<'_>, var: &str) -> Option<&'c [String]> {
    // Only variables with a `set` or a `map`, and none from an opaque
    // setter, have an entry; any other has no values to gather.
    let cell = cfg.vars().values.get(key(var).as_ref())?;
    cell.get_or_init(|| gather_values(cfg, var)).as_deref()
}

/// `literal_values`, copied.
pub fn values(cfg: &Config<'_>, var: &str) -> Option<Vec<String>> {
    literal_values(cfg, var).map(<[String]>::to_vec)
}

fn gather_values(cfg: &Config<'_>, var: &str) -> Option<Vec<String>> {
    let mut out: Vec<String> = sets(cfg, var)
        .map(|n| n.arg(1).unwrap_or("").to_string())
        .collect();
    if let Some(m) = map_of(cfg, var) {
        out.push(m.default.clone());
        out.extend(m.entries.iter().map(|e| e.value.clone()));
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
