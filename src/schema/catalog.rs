//! The schemas under `schemas/`, embedded in the binary and compiled once per
//! run, lazily, per resource definition. Nothing here touches the network or
//! the file system: every `$ref` is local (`#/$defs/...`).

use foldhash::HashMap;
use std::sync::OnceLock;

use jsonschema::Validator;
use jsonschema::json::Json;
use serde_json::{Map, Value};

use super::convert::Typing;
use super::fast::QuickSchema;
use super::tree_json::TreeJson;

/// One embedded schema file.
pub struct SchemaFile {
    /// The schema as written, `schemas/<name>` (YAML).
    pub name: &'static str,
    /// The same schema as JSON, generated from the YAML and read at run
    /// time: JSON parses several times faster, and a run that meets one
    /// object parses the whole file (a test keeps the two equal; see
    /// `embedded_json_is_the_yaml_schema`).
    pub json: &'static str,
    /// API groups of the objects it defines (`""` is the core group; `*`
    /// for any object): a file is parsed only when an object of its groups
    /// is seen. A test checks these against the file's resources.
    pub groups: &'static [&'static str],
}

/// The schema files, in lookup order.
pub static FILES: &[SchemaFile] = &[
    SchemaFile {
        name: "kubernetes.schema.yaml",
        json: include_str!("../../schemas/json/kubernetes.schema.json"),
        groups: &["", "apps", "batch", "networking.k8s.io", "extensions", "*"],
    },
    SchemaFile {
        name: "istio.schema.yaml",
        json: include_str!("../../schemas/json/istio.schema.json"),
        groups: &["networking.istio.io", "security.istio.io"],
    },
    SchemaFile {
        name: "gateway-api.schema.yaml",
        json: include_str!("../../schemas/json/gateway-api.schema.json"),
        groups: &["gateway.networking.k8s.io"],
    },
    SchemaFile {
        name: "envoy.schema.yaml",
        json: include_str!("../../schemas/json/envoy.schema.json"),
        groups: &[],
    },
];

/// The API group of an apiVersion (`""` for `v1`).
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("")
}

/// What happens to a resource with an unknown field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnknownFields {
    /// The Kubernetes API server prunes it (kubectl's strict validation rejects it).
    Dropped,
    /// The system refuses the whole configuration (Envoy).
    Rejected,
}

/// Which resources a definition validates.
#[derive(Clone, Debug)]
pub struct ResourceSpec {
    /// `apiVersion`s (`*` for any); empty for Envoy.
    pub api_versions: Vec<String>,
    /// `kind` (`*` for any); the Envoy message name for Envoy.
    pub kind: String,
    /// Envoy type URLs without the `type.googleapis.com/` prefix.
    pub types: Vec<String>,
    pub def: String,
}

#[derive(Debug)]
pub struct Family {
    pub file: &'static str,
    /// `kubernetes`, `istio`, `gateway-api`, `envoy`.
    pub name: String,
    pub unknown: UnknownFields,
    /// Said after "unknown field ...:" (`the API server drops it ...`).
    pub unknown_text: String,
    pub typing: Typing,
    /// Enum values match case-insensitively (Envoy parses JSON with
    /// `case_insensitive_enum_parsing`).
    pub enum_case_insensitive: bool,
    /// A single value is accepted where a list is expected (protobuf JSON).
    pub single_as_list: bool,
    pub doc: Value,
    pub resources: Vec<ResourceSpec>,
    validators: HashMap<String, OnceLock<Option<Validator>>>,
    /// The same definitions compiled for trees validated in place.
    tree_validators: HashMap<String, OnceLock<Option<Validator<TreeJson>>>>,
    /// And for quick verdicts on valid trees (`fast`).
    quick: HashMap<String, OnceLock<Option<QuickSchema>>>,
}

impl Family {
    /// The compiled validator of a definition (compiled on first use).
    pub fn validator(&self, def: &str) -> Option<&Validator> {
        self.validators
            .get(def)?
            .get_or_init(|| compile_def(&self.doc, def).ok())
            .as_ref()
    }

    /// The validator of a definition for a tree validated in place.
    pub fn tree_validator(&self, def: &str) -> Option<&Validator<TreeJson>> {
        self.tree_validators
            .get(def)?
            .get_or_init(|| compile_def(&self.doc, def).ok())
            .as_ref()
    }

    /// The quick schema of a definition (`None`: it has none; ask the validator).
    pub fn quick(&self, def: &str) -> Option<&QuickSchema> {
        self.quick
            .get(def)?
            .get_or_init(|| QuickSchema::compile(&self.doc, def))
            .as_ref()
    }

    /// The subschema at a canonical schema location (`/$defs/Service/properties/spec`).
    pub fn schema_at(&self, pointer: &str) -> Option<&Value> {
        let mut cur = &self.doc;
        for seg in super::pointer::segments(pointer) {
            cur = match cur {
                Value::Object(m) => m.get(&seg)?,
                Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// Does a Kubernetes-style object have a definition here?
    /// With `wildcard`, only the `*` entries (any object) are considered.
    pub fn def_for_object(&self, api_version: &str, kind: &str, wildcard: bool) -> Option<&str> {
        self.resources
            .iter()
            .find(|r| {
                if wildcard {
                    r.kind == "*"
                } else {
                    r.kind == kind && r.api_versions.iter().any(|v| v == api_version)
                }
            })
            .map(|r| r.def.as_str())
    }

    /// The definition for an Envoy type URL (`type.googleapis.com/envoy.config.cluster.v3.Cluster`).
    pub fn def_for_type(&self, type_url: &str) -> Option<&str> {
        let name = type_url.rsplit('/').next().unwrap_or(type_url);
        self.resources
            .iter()
            .find(|r| r.types.iter().any(|t| t == name))
            .map(|r| r.def.as_str())
    }

    /// The definition for an Envoy message name (`Cluster`).
    pub fn def_for_kind(&self, kind: &str) -> Option<&str> {
        self.resources
            .iter()
            .find(|r| r.kind == kind)
            .map(|r| r.def.as_str())
    }
}

/// Compile one definition as the root of its file's schema document. Only
/// the definitions it reaches are kept (compiling crawls the whole document),
/// at their places, so schema locations still resolve in the full document.
pub fn compile_def<F: Json>(doc: &Value, def: &str) -> Result<Validator<F>, String> {
    let defs = doc.get("$defs").and_then(Value::as_object);
    let mut keep: Vec<String> = vec![def.to_string()];
    let mut i = 0;
    while let Some(name) = keep.get(i).cloned() {
        i += 1;
        let mut refs = Vec::new();
        if let Some(d) = defs.and_then(|d| d.get(&name)) {
            local_refs(d, &mut refs, 0);
        }
        for r in refs {
            if !keep.contains(&r) {
                keep.push(r);
            }
        }
    }
    let mut root = Map::new();
    if let Some(top) = doc.as_object() {
        for (k, v) in top {
            if k != "$defs" && k != "x-confaudit-resources" {
                root.insert(k.clone(), v.clone());
            }
        }
    }
    let kept: Map<String, Value> = keep
        .iter()
        .filter_map(|n| Some((n.clone(), defs?.get(n)?.clone())))
        .collect();
    root.insert("$defs".into(), Value::Object(kept));
    root.insert("$ref".into(), Value::String(format!("#/$defs/{def}")));
    compile(&Value::Object(root))
}

/// Names of the definitions a schema refers to (`#/$defs/NAME`).
fn local_refs(v: &Value, out: &mut Vec<String>, depth: usize) {
    if depth > 64 {
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref"
                    && let Some(name) = x.as_str().and_then(|r| r.strip_prefix("#/$defs/"))
                {
                    out.push(name.split('/').next().unwrap_or(name).to_string());
                } else {
                    local_refs(x, out, depth + 1);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| local_refs(x, out, depth + 1)),
        _ => {}
    }
}

/// Compile a schema offline; the error says what is wrong with it.
///
/// `pattern`s run on the linear-time `regex` engine, as Kubernetes runs
/// them (RE2): no backreferences or look-around (a schema with them is an
/// error), and no backtracking limit that a match can hit (with the
/// backtracking engine, a value past the limit was judged valid, silently).
pub fn compile<F: Json>(schema: &Value) -> Result<Validator<F>, String> {
    jsonschema::options_for::<F>()
        .should_validate_formats(false)
        .with_pattern_options(jsonschema::PatternOptions::regex())
        .build(schema)
        .map_err(|e| e.to_string())
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `connect_timeout` -> `connectTimeout` (protobuf's JSON name).
pub fn lower_camel(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut upper = false;
    for c in s.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Give every property of every subschema its lowerCamelCase spelling too
/// (Envoy accepts both), walking only schema positions.
fn add_camel_case(schema: &mut Value, depth: usize) {
    if depth > 64 {
        return;
    }
    let Value::Object(m) = schema else { return };
    if let Some(Value::Object(props)) = m.get_mut("properties") {
        let names: Vec<String> = props.keys().cloned().collect();
        for n in names {
            let camel = lower_camel(&n);
            if camel != n
                && !props.contains_key(&camel)
                && let Some(sub) = props.get(&n).cloned()
            {
                props.insert(camel, sub);
            }
        }
        for sub in props.values_mut() {
            add_camel_case(sub, depth + 1);
        }
    }
    for key in ["items", "additionalProperties", "not", "if", "then", "else"] {
        if let Some(sub) = m.get_mut(key) {
            add_camel_case(sub, depth + 1);
        }
    }
    for key in ["$defs", "patternProperties"] {
        if let Some(Value::Object(defs)) = m.get_mut(key) {
            for sub in defs.values_mut() {
                add_camel_case(sub, depth + 1);
            }
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(subs)) = m.get_mut(key) {
            for sub in subs {
                add_camel_case(sub, depth + 1);
            }
        }
    }
}

fn family(file: &'static str, json: &str) -> Result<Family, String> {
    let mut doc: Value = serde_json::from_str(json).map_err(|e| format!("{file}: {e}"))?;
    let empty = Map::new();
    let top = doc.as_object().unwrap_or(&empty);
    let name = top
        .get("x-confaudit-family")
        .and_then(Value::as_str)
        .unwrap_or(file)
        .to_string();
    let typing = match top.get("x-confaudit-typing").and_then(Value::as_str) {
        Some("envoy") => Typing::Envoy,
        _ => Typing::Kubernetes,
    };
    let unknown = match top
        .get("x-confaudit-unknown-fields")
        .and_then(Value::as_str)
    {
        Some("rejected") => UnknownFields::Rejected,
        _ => UnknownFields::Dropped,
    };
    let unknown_text = top
        .get("x-confaudit-unknown-text")
        .and_then(Value::as_str)
        .unwrap_or("the API server drops it")
        .to_string();
    let flag = |k: &str| top.get(k).and_then(Value::as_bool).unwrap_or(false);
    let camel = flag("x-confaudit-camel-case");
    let enum_case_insensitive = flag("x-confaudit-enum-case-insensitive");
    let single_as_list = flag("x-confaudit-single-as-list");
    let resources: Vec<ResourceSpec> = top
        .get("x-confaudit-resources")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| {
                    Some(ResourceSpec {
                        api_versions: strings(r.get("apiVersions")),
                        kind: r.get("kind")?.as_str()?.to_string(),
                        types: strings(r.get("types")),
                        def: r.get("def")?.as_str()?.to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    if camel {
        add_camel_case(&mut doc, 0);
    }
    let validators = resources
        .iter()
        .map(|r| (r.def.clone(), OnceLock::new()))
        .collect();
    let tree_validators = resources
        .iter()
        .map(|r| (r.def.clone(), OnceLock::new()))
        .collect();
    let quick = resources
        .iter()
        .map(|r| (r.def.clone(), OnceLock::new()))
        .collect();
    Ok(Family {
        file,
        name,
        unknown,
        unknown_text,
        typing,
        enum_case_insensitive,
        single_as_list,
        doc,
        resources,
        validators,
        tree_validators,
        quick,
    })
}

/// The family of one file, parsed on first use; `None` if the file is
/// broken (caught by the schema tests).
pub fn family_at(i: usize) -> Option<&'static Family> {
    static ALL: OnceLock<Vec<OnceLock<Option<Family>>>> = OnceLock::new();
    let all = ALL.get_or_init(|| FILES.iter().map(|_| OnceLock::new()).collect());
    let file = FILES.get(i)?;
    all.get(i)?
        .get_or_init(|| family(file.name, file.json).ok())
        .as_ref()
}

/// Every schema family (parses them all).
pub fn families() -> Vec<&'static Family> {
    (0..FILES.len()).filter_map(family_at).collect()
}

/// The families that may define objects of an apiVersion's group.
fn families_for(api_version: &str, wildcard: bool) -> impl Iterator<Item = &'static Family> + '_ {
    let group = group_of(api_version);
    FILES
        .iter()
        .enumerate()
        .filter(move |(_, f)| f.groups.contains(&if wildcard { "*" } else { group }))
        .filter_map(|(i, _)| family_at(i))
}

/// The definitions an object is validated with: its kind's, and the `*` one
/// (metadata, written once in the Kubernetes family) unless its kind's is
/// already a Kubernetes definition.
pub fn for_object(api_version: &str, kind: &str) -> Vec<(&'static Family, &'static str)> {
    let mut out = Vec::new();
    let exact = families_for(api_version, false)
        .find_map(|f| f.def_for_object(api_version, kind, false).map(|d| (f, d)));
    if let Some(e) = exact {
        out.push(e);
    }
    if exact.is_none_or(|(f, _)| f.name != "kubernetes")
        && let Some(any) = families_for(api_version, true)
            .find_map(|f| f.def_for_object(api_version, kind, true).map(|d| (f, d)))
    {
        out.push(any);
    }
    out
}

/// The Envoy family.
pub fn envoy() -> Option<&'static Family> {
    FILES
        .iter()
        .position(|f| f.name == "envoy.schema.yaml")
        .and_then(family_at)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::parse::yaml;
    use crate::schema::convert;
    use std::path::Path;

    /// Read a schema written as YAML (or JSON) into a JSON value.
    fn parse_schema_text(name: &str, text: &str) -> Result<Value, String> {
        yaml::read_first_root(name, text, |root| {
            convert::to_json(root, Typing::Core)
                .map(|c| c.value)
                .map_err(|_| format!("{name}: too large"))
        })
    }

    /// The JSON read at run time is the YAML schema, value for value.
    /// `CONFAUDIT_WRITE_SCHEMA_JSON=1 cargo test --lib schema::catalog`
    /// writes it again after a schema is edited.
    #[test]
    fn embedded_json_is_the_yaml_schema() {
        for file in FILES {
            let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
            let yaml = std::fs::read_to_string(schemas.join(file.name)).unwrap();
            let from_yaml = parse_schema_text(file.name, &yaml).unwrap();
            let json_name = file.name.replace(".yaml", ".json");
            if std::env::var_os("CONFAUDIT_WRITE_SCHEMA_JSON").is_some() {
                let path = schemas.join("json").join(&json_name);
                std::fs::write(path, serde_json::to_string(&from_yaml).unwrap() + "\n").unwrap();
                continue;
            }
            let embedded: Value = serde_json::from_str(file.json).unwrap();
            assert!(
                embedded == from_yaml,
                "schemas/json/{json_name} is stale: run CONFAUDIT_WRITE_SCHEMA_JSON=1 cargo test --lib schema::catalog"
            );
        }
    }

    #[test]
    fn every_schema_file_parses_and_every_definition_compiles() {
        for file in FILES {
            let fam = family(file.name, file.json).unwrap_or_else(|e| panic!("{e}"));
            assert!(!fam.resources.is_empty(), "{}: no resources", file.name);
            for r in &fam.resources {
                assert!(
                    fam.schema_at(&format!("/$defs/{}", r.def)).is_some(),
                    "{}: no $defs/{}",
                    file.name,
                    r.def
                );
                compile_def::<jsonschema::json::SerdeJson>(&fam.doc, &r.def)
                    .unwrap_or_else(|e| panic!("{} {}: {e}", file.name, r.def));
                compile_def::<TreeJson>(&fam.doc, &r.def)
                    .unwrap_or_else(|e| panic!("{} {}: {e}", file.name, r.def));
                // Every definition gets quick verdicts (a keyword the quick
                // schemas do not handle would send all its resources to
                // the slower validator).
                assert!(
                    QuickSchema::compile(&fam.doc, &r.def).is_some(),
                    "{} {}: no quick schema",
                    file.name,
                    r.def
                );
                // The lazy lookup by group must find every resource.
                for v in &r.api_versions {
                    let g = if v == "*" { "*" } else { group_of(v) };
                    assert!(
                        file.groups.contains(&g),
                        "{}: group of {v} not declared",
                        file.name
                    );
                }
            }
        }
        assert_eq!(families().len(), FILES.len());
    }

    #[test]
    fn camel_case_names() {
        assert_eq!(lower_camel("connect_timeout"), "connectTimeout");
        assert_eq!(
            lower_camel("max_requests_per_connection"),
            "maxRequestsPerConnection"
        );
        assert_eq!(lower_camel("name"), "name");
    }
}
