//! User-defined rules: YAML files named by `rules:` in `.confaudit.yaml`, each
//! with an id, severity, symptoms, message, the kinds it applies to and a JSON
//! Schema the object must satisfy. They are read by config loading (never by
//! rules) and validated with the same machinery as the built-in schemas.
//!
//! Rule ids flow into findings as `&'static str` like built-in ids: a user id
//! is interned once per process (a leaked string in a global set), so the
//! memory kept is bounded by the distinct ids ever loaded, and `Finding`, the
//! registry and every reporter stay as they are.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use globset::{Glob, GlobMatcher};
use jsonschema::Validator;
use serde_json::Value;

use super::catalog;
use super::convert::{self, Typing};
use crate::finding::{Severity, Symptom};
use crate::model::k8s::Object;
use crate::parse::tree::NodeRef;
use crate::parse::yaml;
use crate::rules::meta::RuleMeta;

/// Which objects a rule applies to: globs over apiVersion, kind, namespace, name.
#[derive(Clone, Debug)]
pub struct KindMatch {
    pub api_version: GlobMatcher,
    pub kind: GlobMatcher,
    pub namespace: Option<GlobMatcher>,
    pub name: Option<GlobMatcher>,
}

impl KindMatch {
    fn matches(&self, o: &Object<'_>) -> bool {
        self.api_version.is_match(o.api_version)
            && self.kind.is_match(o.kind)
            && self
                .namespace
                .as_ref()
                .is_none_or(|g| g.is_match(o.namespace))
            && self.name.as_ref().is_none_or(|g| g.is_match(o.name))
    }
}

#[derive(Clone, Debug)]
pub struct UserRule {
    pub id: &'static str,
    pub meta: RuleMeta,
    /// Starts every finding's message.
    pub message: String,
    pub help: Option<String>,
    pub kinds: Vec<KindMatch>,
    pub schema: Value,
    pub validator: Validator,
}

impl UserRule {
    pub fn applies_to(&self, o: &Object<'_>) -> bool {
        self.kinds.iter().any(|k| k.matches(o))
    }

    /// The kinds it can apply to, when every `kind` is a plain name (no
    /// glob): `None` if some kind is a pattern.
    fn literal_kinds(&self) -> Option<Vec<&str>> {
        self.kinds
            .iter()
            .map(|k| {
                let kind = k.kind.glob().glob();
                (!kind.contains(['*', '?', '[', ']', '{', '}', '\\'])).then_some(kind)
            })
            .collect()
    }
}

/// The user rules a run validates with, indexed by the kinds they name:
/// an object is matched only against the rules that can apply to its kind
/// (4,000 rules over 20,000 objects were 80 M glob matches).
#[derive(Clone, Debug, Default)]
pub struct UserRules {
    rules: Vec<Arc<UserRule>>,
    /// Rule indexes by the plain kind names of their `kinds`.
    by_kind: HashMap<String, Vec<usize>>,
    /// Rules with a glob for some kind: tried on every object.
    any_kind: Vec<usize>,
}

impl FromIterator<Arc<UserRule>> for UserRules {
    fn from_iter<I: IntoIterator<Item = Arc<UserRule>>>(iter: I) -> UserRules {
        let mut out = UserRules {
            rules: iter.into_iter().collect(),
            ..UserRules::default()
        };
        for (i, r) in out.rules.iter().enumerate() {
            match r.literal_kinds() {
                Some(kinds) => {
                    for k in kinds {
                        let at = out.by_kind.entry(k.to_string()).or_default();
                        // A rule naming a kind twice is listed once.
                        if at.last() != Some(&i) {
                            at.push(i);
                        }
                    }
                }
                None => out.any_kind.push(i),
            }
        }
        out
    }
}

impl UserRules {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules that apply to an object, in the order they were given.
    pub fn applying_to(&self, o: &Object<'_>) -> Vec<&UserRule> {
        let named = self.by_kind.get(o.kind).map_or(&[][..], Vec::as_slice);
        let mut at: Vec<usize> = named.iter().chain(&self.any_kind).copied().collect();
        if !named.is_empty() && !self.any_kind.is_empty() {
            at.sort_unstable();
        }
        at.iter()
            .filter_map(|&i| self.rules.get(i))
            .map(|r| r.as_ref())
            .filter(|r| r.applies_to(o))
            .collect()
    }
}

/// The one `&'static str` for an id (leaked once per distinct id).
pub fn intern(id: &str) -> &'static str {
    static SET: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let set = SET.get_or_init(|| Mutex::new(HashSet::new()));
    let mut guard = match set.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(s) = guard.get(id) {
        return s;
    }
    let leaked: &'static str = Box::leak(id.to_string().into_boxed_str());
    guard.insert(leaked);
    leaked
}

/// Ids of user rules must look like ours: `ACME001`, `TEAM-PORTS_1`.
fn valid_id(id: &str) -> bool {
    let mut b = id.bytes();
    b.next().is_some_and(|c| c.is_ascii_uppercase())
        && id.len() <= 40
        && id
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'-' || c == b'_')
}

fn text(n: Option<NodeRef<'_>>) -> Option<String> {
    n.and_then(|n| n.as_str()).map(|s| s.trim().to_string())
}

fn strings(n: Option<NodeRef<'_>>) -> Vec<String> {
    n.map(|n| {
        n.items()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect()
    })
    .unwrap_or_default()
}

fn glob(what: &str, pattern: &str) -> Result<GlobMatcher, String> {
    Glob::new(pattern)
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("bad {what} glob `{pattern}`: {e}"))
}

const KEYS: [&str; 11] = [
    "id",
    "name",
    "severity",
    "symptoms",
    "message",
    "help",
    "summary",
    "why",
    "references",
    "kinds",
    "schema",
];

/// Parse one rule (one YAML document).
fn parse_rule(root: NodeRef<'_>) -> Result<UserRule, String> {
    if !root.is_map() {
        return Err("a rule must be a mapping".into());
    }
    for (k, _) in root.entries() {
        let key = k.as_str().unwrap_or("");
        if !KEYS.contains(&key) {
            return Err(format!(
                "unknown key `{key}` (expected one of {})",
                KEYS.join(", ")
            ));
        }
    }
    let id = text(root.get("id")).ok_or("`id` is required")?;
    if !valid_id(&id) {
        return Err(format!(
            "id `{id}` must be upper-case letters, digits, `-` or `_`, starting with a letter"
        ));
    }
    if crate::rules::meta::get(&id).is_some() {
        return Err(format!("id `{id}` is a built-in rule's id"));
    }
    let sev_text = text(root.get("severity")).unwrap_or_else(|| "error".into());
    let severity = Severity::parse(&sev_text)
        .ok_or_else(|| format!("{id}: severity `{sev_text}` is not error, warning or info"))?;
    let mut symptoms = Vec::new();
    for s in strings(root.get("symptoms")) {
        symptoms.push(Symptom::parse(&s).ok_or_else(|| {
            format!(
                "{id}: unknown symptom `{s}` (one of {})",
                Symptom::ALL.map(|x| x.as_str()).join(", ")
            )
        })?);
    }
    let message =
        text(root.get("message")).ok_or_else(|| format!("{id}: `message` is required"))?;
    let help = text(root.get("help"));
    let mut kinds = Vec::new();
    let kinds_node = root
        .get("kinds")
        .filter(|k| k.is_seq())
        .ok_or_else(|| format!("{id}: `kinds` must list the kinds it applies to"))?;
    for k in kinds_node.items() {
        let field = |name: &str| text(k.get(name));
        let api =
            field("apiVersion").ok_or_else(|| format!("{id}: every kind needs `apiVersion`"))?;
        let kind = field("kind").ok_or_else(|| format!("{id}: every kind needs `kind`"))?;
        kinds.push(KindMatch {
            api_version: glob("apiVersion", &api).map_err(|e| format!("{id}: {e}"))?,
            kind: glob("kind", &kind).map_err(|e| format!("{id}: {e}"))?,
            namespace: field("namespace")
                .map(|n| glob("namespace", &n))
                .transpose()
                .map_err(|e| format!("{id}: {e}"))?,
            name: field("name")
                .map(|n| glob("name", &n))
                .transpose()
                .map_err(|e| format!("{id}: {e}"))?,
        });
    }
    if kinds.is_empty() {
        return Err(format!("{id}: `kinds` is empty"));
    }
    let schema_node = root
        .get("schema")
        .ok_or_else(|| format!("{id}: `schema` is required"))?;
    let schema = convert::to_json(schema_node, Typing::Core)
        .map_err(|_| format!("{id}: the schema is too large"))?
        .value;
    if !schema.is_object() {
        return Err(format!("{id}: `schema` must be a mapping (a JSON Schema)"));
    }
    if let Some(r) = find_remote_ref(&schema, 0) {
        return Err(format!(
            "{id}: `$ref: {r}` is not local; user rules may only refer inside their own schema (`#/...`)"
        ));
    }
    let validator = catalog::compile(&schema).map_err(|e| {
        let hint = if e.contains("is not a \"regex\"") {
            " (patterns are RE2, as in Kubernetes: no backreferences or look-around)"
        } else {
            ""
        };
        format!("{id}: the schema is invalid: {e}{hint}")
    })?;
    let name = text(root.get("name")).unwrap_or_else(|| id.to_ascii_lowercase());
    let summary = text(root.get("summary")).unwrap_or_else(|| message.clone());
    let interned = intern(&id);
    Ok(UserRule {
        id: interned,
        meta: RuleMeta {
            id: id.clone(),
            name,
            severity,
            symptoms,
            summary,
            why: text(root.get("why")).unwrap_or_else(|| {
                "A rule of this project (user-defined in `.confaudit.yaml`).".into()
            }),
            fix: help.clone().unwrap_or_default(),
            references: strings(root.get("references")),
            fail: Default::default(),
            pass: Default::default(),
            see_also: Vec::new(),
        },
        message,
        help,
        kinds,
        schema,
        validator,
    })
}

fn find_remote_ref(v: &Value, depth: usize) -> Option<String> {
    if depth > 64 {
        return None;
    }
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if (k == "$ref" || k == "$dynamicRef")
                    && let Some(r) = x.as_str()
                    && !r.starts_with('#')
                {
                    return Some(r.to_string());
                }
                if let Some(r) = find_remote_ref(x, depth + 1) {
                    return Some(r);
                }
            }
            None
        }
        Value::Array(a) => a.iter().find_map(|x| find_remote_ref(x, depth + 1)),
        _ => None,
    }
}

/// Parse a rule file (one rule per YAML document); `name` prefixes errors.
pub fn parse_file(name: &str, src: &str) -> Result<Vec<UserRule>, String> {
    let loaded = yaml::load(src, 0);
    if let Some(p) = loaded.problems.first() {
        return Err(format!("{name}: {}", p.message));
    }
    let mut out = Vec::new();
    for d in &loaded.docs {
        let Some(root) = d.root() else { continue };
        if root.is_null() {
            continue;
        }
        out.push(parse_rule(root).map_err(|e| format!("{name}: {e}"))?);
    }
    if out.is_empty() {
        return Err(format!("{name}: no rule in the file"));
    }
    Ok(out)
}

/// Load the rule files and directories (their `*.yaml`/`*.yml`) named by the
/// config, relative to the config file's directory.
pub fn load(base: &Path, entries: &[String]) -> Result<Vec<UserRule>, String> {
    let mut files = Vec::new();
    for e in entries {
        let p = base.join(e);
        if p.is_dir() {
            let mut in_dir: Vec<_> = std::fs::read_dir(&p)
                .map_err(|err| format!("rules: cannot read {}: {err}", p.display()))?
                .filter_map(|d| d.ok().map(|d| d.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                .collect();
            in_dir.sort();
            files.extend(in_dir);
        } else {
            files.push(p);
        }
    }
    let mut out: Vec<UserRule> = Vec::new();
    // A set, not a pass over the rules so far: loading stays linear.
    let mut ids: HashSet<&'static str> = HashSet::new();
    for f in files {
        let src = std::fs::read_to_string(&f)
            .map_err(|err| format!("rules: cannot read {}: {err}", f.display()))?;
        for r in parse_file(&f.display().to_string(), &src)? {
            if !ids.insert(r.id) {
                return Err(format!("rules: id `{}` is defined twice", r.id));
            }
            out.push(r);
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const RULE: &str = "id: ACME001\nseverity: warning\nsymptoms: [protocol_error]\nmessage: every Service port needs appProtocol\nkinds:\n  - {apiVersion: v1, kind: Service, namespace: 'prod-*'}\nschema:\n  properties:\n    spec:\n      properties:\n        ports:\n          items: {required: [appProtocol]}\n";

    #[test]
    fn an_id_defined_twice_is_refused_across_files() {
        let dir = tempfile::tempdir().unwrap();
        let other = RULE.replace("ACME001", "ACME002");
        std::fs::write(dir.path().join("a.yaml"), RULE).unwrap();
        std::fs::write(dir.path().join("b.yaml"), &other).unwrap();
        let loaded = load(dir.path(), &[".".to_string()]).unwrap();
        assert_eq!(
            loaded.iter().map(|r| r.id).collect::<Vec<_>>(),
            ["ACME001", "ACME002"]
        );
        std::fs::write(dir.path().join("c.yaml"), RULE).unwrap();
        let err = load(dir.path(), &[".".to_string()]).unwrap_err();
        assert_eq!(err, "rules: id `ACME001` is defined twice");
    }

    /// The kind index picks what matching every rule picks, in rule order.
    #[test]
    fn rules_by_kind_are_the_rules_that_apply() {
        let rule = |id: &str, kinds: &str| {
            format!("id: {id}\nmessage: m\nkinds: {kinds}\nschema: {{type: object}}\n")
        };
        let text = [
            rule("R1", "[{apiVersion: v1, kind: Service}]"),
            rule("R2", "[{apiVersion: '*', kind: 'Serv*'}]"),
            rule(
                "R3",
                "[{apiVersion: apps/v1, kind: Deployment}, {apiVersion: v1, kind: Service}]",
            ),
            rule(
                "R4",
                "[{apiVersion: v1, kind: Service}, {apiVersion: v2, kind: Service}]",
            ),
            rule("R5", "[{apiVersion: v1, kind: Ingress}]"),
            rule("R6", "[{apiVersion: v1, kind: 'Ingres[s]'}]"),
        ]
        .join("---\n");
        let rules: Vec<Arc<UserRule>> = parse_file("r.yaml", &text)
            .unwrap()
            .into_iter()
            .map(Arc::new)
            .collect();
        assert_eq!(rules.len(), 6);
        let index: UserRules = rules.iter().cloned().collect();
        let objects = "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b}\n---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: c}\n---\napiVersion: v1\nkind: Ingress\nmetadata: {name: d}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: e}\n";
        let lf = crate::load::load(0, "o.yaml", objects);
        let mut matched = Vec::new();
        for doc in &lf.docs {
            let o = Object::new(doc.root().unwrap(), "default").unwrap();
            let scan: Vec<&str> = rules
                .iter()
                .filter(|r| r.applies_to(&o))
                .map(|r| r.id)
                .collect();
            let indexed: Vec<&str> = index.applying_to(&o).iter().map(|r| r.id).collect();
            assert_eq!(indexed, scan, "{}", o.kind);
            matched.push(indexed.join(","));
        }
        assert_eq!(matched, ["R1,R2,R3,R4", "R3", "R2", "R5,R6", ""]);
    }

    #[test]
    fn parses_a_rule() {
        let r = parse_file("r.yaml", RULE).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].id, "ACME001");
        assert_eq!(r[0].meta.severity, Severity::Warning);
        assert_eq!(r[0].meta.name, "acme001");
        assert!(std::ptr::eq(intern("ACME001"), r[0].id));
    }

    #[test]
    fn rejects_bad_rules() {
        for (bad, why) in [
            (RULE.replace("ACME001", "acme"), "must be upper-case"),
            (RULE.replace("ACME001", "K8S001"), "built-in"),
            (RULE.replace("warning", "fatal"), "severity"),
            (RULE.replace("protocol_error", "boom"), "unknown symptom"),
            (RULE.replace("message:", "mesage:"), "unknown key"),
            (
                RULE.replace("required: [appProtocol]", "type: 12"),
                "invalid",
            ),
            (
                RULE.replace("required: [appProtocol]", "$ref: 'https://x/y.json'"),
                "not local",
            ),
            (RULE.replace("'prod-*'", "'prod-[*'"), "glob"),
        ] {
            let e = parse_file("r.yaml", &bad).err().unwrap_or_default();
            assert!(e.contains(why), "{why}: {e}");
        }
    }
}
