//! Run a validator over a converted resource and turn each error into an
//! [`Issue`] at the right span: unknown fields at the unknown key, wrong
//! values at the value, missing fields at the object's key.

use std::collections::HashSet;

use jsonschema::ValidationError;
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use super::catalog::{self, Family, UnknownFields};
use super::convert::{self, ConvertError, Converted, Typing};
use super::pointer::{self, Finder, Located};
use super::tree_json::{self, Reading, RootKeys, TreeValue};
use super::user::UserRule;
use super::{Issue, IssueKind, Plan, Results};
use crate::finding::{ResourceNames, Severity};
use crate::model::k8s::Object;
use crate::parse::tree::{NodeRef, ScalarStyle};
use crate::source::Loc;
use crate::util;

/// Keys whose values are meant as octal (file modes).
const OCTAL_KEYS: [&str; 2] = ["defaultMode", "mode"];

/// What the validator reads: the converted value, or the tree itself.
pub enum Instance<'a> {
    Converted(&'a Converted),
    /// Validated in place (`tree_json::validates_in_place`): no leading-zero numbers.
    InPlace(Reading<'a>),
}

/// The resource being validated.
pub struct Subject<'a> {
    pub root: NodeRef<'a>,
    pub instance: Instance<'a>,
    pub resource: Option<ResourceNames<'a>>,
    pub typing: Typing,
    /// Where to point when the whole resource is at fault (its name).
    pub name_node: Option<NodeRef<'a>>,
}

/// The budget message (CA004) for a resource that is not validated.
pub fn limit_message(what: &str, e: ConvertError) -> String {
    match e {
        ConvertError::TooLarge => format!(
            "{what} expands to more than {} nodes (aliases?); it is not schema-validated",
            convert::MAX_NODES
        ),
        ConvertError::TooDeep => format!(
            "{what} nests deeper than {} levels; it is not schema-validated",
            convert::MAX_DEPTH
        ),
    }
}

/// Validate one Kubernetes-style object (its metadata and its tree `root`)
/// with its built-in schema and every user rule that applies to it.
pub fn check_object(o: &Object<'_>, root: NodeRef<'_>, plan: &Plan) -> Results {
    check_object_as(o, root, plan, true)
}

/// `check_object`, validating in place only if `allow_in_place` (tests
/// compare both ways).
pub(crate) fn check_object_as(
    o: &Object<'_>,
    root: NodeRef<'_>,
    plan: &Plan,
    allow_in_place: bool,
) -> Results {
    let mut out = Results::default();
    let builtin = if plan.builtin {
        catalog::for_object(o.api_version, o.kind)
    } else {
        Vec::new()
    };
    let rules = plan.user_rules.applying_to(o);
    if builtin.is_empty() && rules.is_empty() {
        return out;
    }
    let name_node = o.path(&["metadata", "name"]).or_else(|| o.get("kind"));
    // Kinds we do not model are checked for their metadata only.
    let metadata_only = rules.is_empty()
        && builtin
            .iter()
            .all(|(f, d)| f.def_for_object("*", "*", true) == Some(*d));
    // A plain tree is validated in place when no user rule needs the value;
    // otherwise it is converted (just the metadata where that is all that is read).
    let converted;
    let instance = if allow_in_place && rules.is_empty() && tree_json::validates_in_place(root.doc)
    {
        Instance::InPlace(Reading {
            root_keys: if metadata_only {
                RootKeys::Only("metadata")
            } else {
                RootKeys::All
            },
            ..Reading::plain(Typing::Kubernetes)
        })
    } else {
        let result = if metadata_only {
            metadata_of(root)
        } else {
            convert::to_json(root, Typing::Kubernetes)
        };
        converted = match result {
            Ok(c) => c,
            Err(e) => {
                let what = format!("{} {}", o.kind, o.name);
                out.limits.push((o.name_loc(), limit_message(&what, e)));
                return out;
            }
        };
        Instance::Converted(&converted)
    };
    let subject = Subject {
        root,
        instance,
        // Owned only for an issue: most objects have none.
        resource: Some(o.names()),
        typing: Typing::Kubernetes,
        name_node,
    };
    let mut octal_done = false;
    for (family, def) in builtin {
        if let Some(issues) = builtin_issues(&subject, family, def, !octal_done) {
            out.issues.extend(issues);
            octal_done = true;
        }
    }
    for r in rules {
        out.issues.extend(user_issues(&subject, r));
    }
    out
}

/// `{"metadata": ...}` of an object, converted (the rest is not looked at).
fn metadata_of(node: NodeRef<'_>) -> Result<Converted, ConvertError> {
    let Some(meta) = node.get("metadata") else {
        return Ok(Converted {
            value: Value::Object(serde_json::Map::new()),
            ..Converted::default()
        });
    };
    let mut c = convert::to_json(meta, Typing::Kubernetes)?;
    let mut m = serde_json::Map::new();
    m.insert("metadata".into(), std::mem::take(&mut c.value));
    c.value = Value::Object(m);
    Ok(c)
}

/// Issues of a resource against a built-in schema (`None`: the definition
/// has no validator). `octal`: also report the leading-zero numbers of the
/// resource (once per resource).
pub fn builtin_issues(
    s: &Subject<'_>,
    family: &Family,
    def: &str,
    octal: bool,
) -> Option<Vec<Issue>> {
    let mut out = Vec::new();
    let mut type_errors_on: Vec<u32> = Vec::new();
    // Most resources are valid: `is_valid` stops at nothing and builds no
    // error, so errors are collected only for the few that are not.
    let errors = match s.instance {
        Instance::Converted(c) => {
            let v = family.validator(def)?;
            (!v.is_valid(&c.value)).then(|| v.iter_errors(&c.value))
        }
        // A tree the quick schema accepts has no error to look for.
        Instance::InPlace(how) if family.quick(def).is_some_and(|q| q.accepts(s.root, &how)) => {
            None
        }
        Instance::InPlace(how) => {
            let v = family.tree_validator(def)?;
            let root = TreeValue::root(s.root, how);
            (!v.is_valid(root)).then(|| v.iter_errors(root))
        }
    }
    .into_iter()
    .flatten();
    let mut finder = Finder::default();
    for e in errors {
        for i in map_error(s, &mut finder, &family.doc, Some(family), &e) {
            if i.kind == IssueKind::WrongType
                && matches!(e.kind(), ValidationErrorKind::Type { .. })
                && let Some(at) = finder.resolve(s.root, e.instance_path().as_str())
            {
                type_errors_on.push(at.value.id);
            }
            out.push(i);
        }
    }
    let leading_zeros = match s.instance {
        Instance::Converted(c) => c.leading_zeros.as_slice(),
        Instance::InPlace(_) => &[],
    };
    if octal && s.typing == Typing::Kubernetes {
        // Sets, and one pass over `out`: 20,000 quoted-looking names with
        // leading zeros cost 20,000 scans of 40,000 issues each before.
        let type_errors_on: HashSet<u32> = type_errors_on.into_iter().collect();
        let mut explained: HashSet<Loc> = HashSet::new();
        let mut octal_issues = Vec::new();
        for lz in leading_zeros {
            if lz.key.as_deref().is_some_and(|k| OCTAL_KEYS.contains(&k)) {
                continue;
            }
            let node = s.root.doc.node(lz.node);
            let needs_string = type_errors_on.contains(&lz.node);
            if needs_string {
                explained.insert(node.loc());
            }
            octal_issues.push(octal_issue(s, node, lz, needs_string));
        }
        // One finding per node: the octal trap explains the type error too.
        if !explained.is_empty() {
            out.retain(|i| !(i.kind == IssueKind::WrongType && explained.contains(&i.loc)));
        }
        out.append(&mut octal_issues);
    }
    Some(out)
}

fn octal_issue(
    s: &Subject<'_>,
    node: NodeRef<'_>,
    lz: &convert::LeadingZero,
    needs_string: bool,
) -> Issue {
    let t = &lz.text;
    let digits = t.trim_start_matches(['-', '+']).trim_start_matches('0');
    let decimal = if digits.is_empty() { "0" } else { digits };
    let octal = t
        .bytes()
        .all(|b| b.is_ascii_digit() && b < b'8' || b == b'-' || b == b'+' || b == b'_');
    let mut message = if octal {
        format!(
            "`{t}` has a leading zero: kubectl and Helm (YAML 1.1) read it as the octal number {}, YAML 1.2 tools as {decimal}",
            lz.read_as
                .map(|n| n.to_string())
                .unwrap_or_else(|| "?".into())
        )
    } else {
        format!(
            "`{t}` has a leading zero: kubectl reads {decimal}, but it is not a YAML 1.1 integer (PyYAML-based tools read the string \"{t}\"), and similar numbers with digits 0-7 are read as octal"
        )
    };
    if needs_string {
        message.push_str("; this field needs a string, so kubectl rejects the object");
    }
    let help = if needs_string {
        format!("quote it: \"{t}\"")
    } else if octal {
        format!(
            "write the decimal number without the leading zero ({decimal}), or quote it if a string is meant"
        )
    } else {
        format!("write {decimal}")
    };
    Issue {
        kind: IssueKind::OctalNumber,
        severity: None,
        loc: node.loc(),
        message,
        help: Some(help),
        resource: s.resource.map(ResourceNames::owned),
        related: Vec::new(),
    }
}

/// Issues of a resource against a user rule's schema.
pub fn user_issues(s: &Subject<'_>, rule: &UserRule) -> Vec<Issue> {
    let mut out = Vec::new();
    let Instance::Converted(c) = s.instance else {
        return Vec::new();
    };
    let mut finder = Finder::default();
    for e in rule.validator.iter_errors(&c.value) {
        for mut i in map_error(s, &mut finder, &rule.schema, None, &e) {
            i.kind = IssueKind::User(rule.id);
            i.severity = None;
            i.message = format!("{}: {}", rule.message, i.message);
            if rule.help.is_some() {
                i.help = rule.help.clone();
            }
            out.push(i);
        }
    }
    out
}

/// The schema that holds the failing keyword (the location minus its last segment).
fn parent_schema<'d>(doc: &'d Value, schema_path: &str) -> Option<&'d Value> {
    let parent = schema_path.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
    let mut cur = doc;
    for seg in pointer::segments(parent) {
        cur = match cur {
            Value::Object(m) => m.get(&seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn x_str<'d>(schema: Option<&'d Value>, key: &str) -> Option<&'d str> {
    schema?.get(key)?.as_str()
}

/// The field a pointer ends at, for messages: `targetPort`, `ports[1]`.
fn field_name(instance_path: &str) -> String {
    let segs: Vec<String> = pointer::segments(instance_path).collect();
    match segs.as_slice() {
        [] => "the resource".to_string(),
        [.., parent, last] if last.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{parent}[{last}]")
        }
        [.., last] => last.clone(),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn type_word(t: &str) -> &str {
    match t {
        "integer" => "an integer",
        "number" => "a number",
        "string" => "a string",
        "boolean" => "a boolean (true or false)",
        "array" => "a list",
        "object" => "a mapping",
        "null" => "null",
        other => other,
    }
}

fn expected_types(schema: Option<&Value>) -> Vec<String> {
    match schema.and_then(|s| s.get("type")) {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|t| t.as_str().map(str::to_string))
            .filter(|t| t != "null")
            .collect(),
        _ => Vec::new(),
    }
}

/// `x-confaudit-number-help`: the help for a bare number where the schema
/// wants something else (a duration without unit), `{value}` being the number.
fn number_help(parent: Option<&Value>, at: Option<&Located<'_>>, v: &Value) -> Option<String> {
    let h = x_str(parent, "x-confaudit-number-help")?;
    let text = scalar_text(at, v);
    text.parse::<f64>().ok()?;
    Some(h.replace("{value}", &text))
}

/// The source text of a scalar (for help templates).
fn scalar_text(at: Option<&Located<'_>>, v: &Value) -> String {
    at.and_then(|a| a.value.scalar())
        .map(|(t, _)| t.chars().take(60).collect())
        .unwrap_or_else(|| v.to_string())
}

/// How a value is written in the source: `"80"`, `80`, a mapping.
fn shown(at: Option<&Located<'_>>, v: &Value) -> String {
    if let Some((text, style)) = at.and_then(|a| a.value.scalar()) {
        let t: String = text.chars().take(60).collect();
        return match style {
            ScalarStyle::Plain => format!("`{t}`"),
            _ => format!("`\"{t}\"`"),
        };
    }
    match v {
        Value::Object(_) => "a mapping".into(),
        Value::Array(_) => "a list".into(),
        other => format!("`{other}`"),
    }
}

fn join_or(options: &[String]) -> String {
    match options {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn map_error<'a>(
    s: &Subject<'a>,
    finder: &mut Finder<'a>,
    doc: &Value,
    family: Option<&Family>,
    e: &ValidationError<'_>,
) -> Vec<Issue> {
    let ipath = e.instance_path().as_str();
    let spath = e.schema_path().as_str();
    let instance: &Value = e.instance();
    let kind = e.kind();
    // `null` is the default for every field the APIs know (Go and protobuf JSON).
    if instance.is_null() && !matches!(kind, ValidationErrorKind::Required { .. }) {
        return Vec::new();
    }
    let at = finder.resolve(s.root, ipath);
    let parent = parent_schema(doc, spath);
    let field = field_name(ipath);
    let mut issue = Issue {
        kind: IssueKind::InvalidValue,
        severity: None,
        loc: at.map(|a| a.value.loc()).unwrap_or_else(|| s.root.loc()),
        message: String::new(),
        help: None,
        resource: s.resource.map(ResourceNames::owned),
        related: Vec::new(),
    };
    let custom = x_str(parent, "x-confaudit-message");
    match kind {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let Some(at) = at else { return Vec::new() };
            return unknown_fields(finder, family, parent, at, ipath, unexpected, issue);
        }
        ValidationErrorKind::Type { .. } => {
            let expected = expected_types(parent);
            if family.is_some_and(|f| f.single_as_list) && expected.iter().any(|t| t == "array") {
                return Vec::new();
            }
            let words: Vec<String> = expected.iter().map(|t| type_word(t).to_string()).collect();
            let plain_bool_word = at
                .and_then(|a| a.value.scalar())
                .filter(|(t, st)| *st == ScalarStyle::Plain && convert::is_yaml11_only_bool(t));
            if let (Some((word, _)), true, true) = (
                plain_bool_word,
                matches!(s.typing, Typing::Kubernetes),
                expected.iter().any(|t| t == "string"),
            ) {
                issue.kind = IssueKind::Yaml11Boolean;
                issue.message = format!(
                    "`{word}` is a boolean in YAML 1.1, which kubectl and Helm use to read manifests: `{field}` needs a string, so kubectl rejects the object with `cannot unmarshal bool into ... of type string` (YAML 1.2 tools such as kustomize pass the string \"{word}\" instead)"
                );
                issue.help = Some(format!("quote it: \"{word}\""));
                return vec![issue];
            }
            issue.kind = IssueKind::WrongType;
            issue.message = if matches!(instance, Value::Object(_) | Value::Array(_)) {
                format!(
                    "`{field}` must be {}, but it is {}",
                    join_or(&words),
                    json_type(instance)
                )
            } else {
                format!(
                    "`{field}` must be {}, but {} is {}",
                    join_or(&words),
                    shown(at.as_ref(), instance),
                    json_type(instance)
                )
            };
            if let Some(c) = custom {
                issue.message.push_str(&format!(": {c}"));
            }
            issue.help = number_help(parent, at.as_ref(), instance)
                .or_else(|| type_help(at.as_ref(), instance, &expected));
        }
        ValidationErrorKind::Pattern { .. } | ValidationErrorKind::Not { .. } => {
            issue.kind = match x_str(parent, "x-confaudit-kind") {
                Some("invalid-value") => IssueKind::InvalidValue,
                Some("wrong-type") => IssueKind::WrongType,
                _ if matches!(kind, ValidationErrorKind::Not { .. }) => IssueKind::WrongType,
                _ => IssueKind::InvalidValue,
            };
            let value = shown(at.as_ref(), instance);
            issue.message = match custom {
                Some(c) => format!("`{field}`: {value} is not valid: {c}"),
                None => format!("`{field}`: {value} is not valid ({e})"),
            };
            if let Some(h) = number_help(parent, at.as_ref(), instance) {
                issue.help = Some(h);
            } else if let Value::String(t) = instance
                && !t.is_empty()
                && t.bytes().all(|b| b.is_ascii_digit())
            {
                issue.help = Some(format!("write the number without quotes: {t}"));
            }
        }
        ValidationErrorKind::Enum { options } => {
            if let (Some(f), Value::String(got)) = (family, instance)
                && f.enum_case_insensitive
                && options.as_array().is_some_and(|a| {
                    a.iter()
                        .any(|o| o.as_str() == Some(got.to_ascii_uppercase().as_str()))
                })
            {
                return Vec::new();
            }
            let opts: Vec<String> = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|o| o.as_str().filter(|s| !s.is_empty()).map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let value = shown(at.as_ref(), instance);
            issue.message = format!(
                "`{field}`: {value} is not one of {}",
                join_or(&opts.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>())
            );
            if let Some(c) = custom {
                issue.message.push_str(&format!(": {c}"));
            }
            if let Value::String(got) = instance
                && let Some(best) = util::closest(got, opts.iter().map(String::as_str))
                    .or_else(|| containing(got, &opts))
            {
                issue
                    .message
                    .push_str(&format!(" (did you mean `{best}`?)"));
                issue.help = Some(format!("write {best}"));
            }
        }
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => {
            let lo = parent.and_then(|p| p.get("minimum")).map(|v| v.to_string());
            let hi = parent.and_then(|p| p.get("maximum")).map(|v| v.to_string());
            let range = match (lo, hi) {
                (Some(l), Some(h)) => format!("{l} to {h}"),
                (Some(l), None) => format!("at least {l}"),
                (None, Some(h)) => format!("at most {h}"),
                (None, None) => format!("limit {limit}"),
            };
            issue.message = format!(
                "`{field}`: {} is out of range ({range})",
                shown(at.as_ref(), instance)
            );
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or("?");
            let where_ = if ipath.is_empty() {
                "the resource".to_string()
            } else {
                format!("`{}`", pointer::display(ipath))
            };
            issue.message = format!("`{name}` is missing from {where_}");
            issue.loc = match at {
                Some(Located { key: Some(k), .. }) => k.loc(),
                Some(a) if ipath.is_empty() => s.name_node.unwrap_or(a.value).loc(),
                // A list item: its first key, one line rather than the whole item.
                Some(a) => a
                    .value
                    .entries()
                    .next()
                    .map(|(k, _)| k)
                    .unwrap_or(a.value)
                    .loc(),
                None => s.root.loc(),
            };
            issue.help = Some(format!("add `{name}` to {where_}"));
        }
        _ => {
            let value = shown(at.as_ref(), instance);
            issue.message = match custom {
                Some(c) => format!("`{field}`: {value} is not valid: {c}"),
                None => format!("`{field}`: {value} is not valid ({e})"),
            };
        }
    }
    vec![issue]
}

/// The one option that contains the value or is contained in it,
/// case-insensitively (`Prefix` -> `PathPrefix`, `MUTUAL_TLS` -> `MUTUAL`).
fn containing<'o>(got: &str, options: &'o [String]) -> Option<&'o str> {
    let g = got.to_ascii_lowercase();
    if g.len() < 3 {
        return None;
    }
    let hits: Vec<&String> = options
        .iter()
        .filter(|o| {
            let o = o.to_ascii_lowercase();
            o.len() >= 3 && (o.contains(&g) || g.contains(&o))
        })
        .collect();
    match hits.as_slice() {
        [one] => Some(one.as_str()),
        _ => None,
    }
}

fn type_help(at: Option<&Located<'_>>, v: &Value, expected: &[String]) -> Option<String> {
    let want = |t: &str| expected.iter().any(|x| x == t);
    match v {
        Value::String(t) if (want("integer") || want("number")) && t.parse::<f64>().is_ok() => {
            Some(format!("remove the quotes: {t}"))
        }
        Value::Number(_) | Value::Bool(_) if want("string") => {
            let text = at
                .and_then(|a| a.value.scalar())
                .map(|(t, _)| t.to_string())
                .unwrap_or_else(|| v.to_string());
            Some(format!("quote it: \"{text}\""))
        }
        _ => None,
    }
}

/// Unknown-field issues for every unexpected key of one object.
fn unknown_fields<'a>(
    finder: &mut Finder<'a>,
    family: Option<&Family>,
    parent: Option<&Value>,
    at: Located<'a>,
    ipath: &str,
    unexpected: &[String],
    template: Issue,
) -> Vec<Issue> {
    let props = parent
        .and_then(|p| p.get("properties"))
        .and_then(Value::as_object);
    let known: Vec<&str> = props
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let what = x_str(parent, "x-confaudit-what")
        .map(str::to_string)
        .unwrap_or_else(|| {
            if ipath.is_empty() {
                "the resource".to_string()
            } else {
                format!("`{}`", pointer::display(ipath))
            }
        });
    let mut out = Vec::new();
    for name in unexpected {
        let key_node = finder.entry(at.value, name).map(|(k, _)| k);
        let mut issue = template.clone();
        issue.kind = IssueKind::UnknownField;
        if let Some(k) = key_node {
            issue.loc = k.loc();
        }
        let synonym = parent
            .and_then(|p| p.get("x-confaudit-synonyms"))
            .and_then(|m| m.get(name.as_str()))
            .and_then(Value::as_str)
            .filter(|sg| known.contains(sg));
        let suggestion = util::closest(name, known.iter().copied()).or(synonym);
        let moved = if suggestion.is_some() {
            None
        } else {
            parent
                .and_then(|p| p.get("x-confaudit-moved"))
                .and_then(|m| m.get(name.as_str()))
                .and_then(Value::as_str)
                .or_else(|| x_str(parent, "x-confaudit-other-keys-belong-in"))
        };
        // The field meant: the suggestion, or the sibling it belongs under.
        let meant = suggestion.or_else(|| {
            moved
                .map(|m| m.trim_matches('`'))
                .filter(|m| known.contains(m))
        });
        let prop = meant.and_then(|sg| props.and_then(|p| p.get(sg)));
        let already_set = meant.is_some_and(|sg| finder.entry(at.value, sg).is_some());
        let reads = prop
            .and_then(|p| p.get("x-confaudit-reads"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let (policy, policy_text) = match family {
            Some(f) => (f.unknown, f.unknown_text.as_str()),
            None => (UnknownFields::Dropped, "it is not part of the schema"),
        };
        let mut msg = format!("unknown field `{name}` in {what}");
        if let Some(sg) = suggestion {
            msg.push_str(&format!(" (did you mean `{sg}`?)"));
        } else if let Some(m) = moved {
            msg.push_str(&format!(" (it belongs under {m})"));
        }
        msg.push_str(&format!(": {policy_text}"));
        if let (Some(sg), false, UnknownFields::Dropped) = (meant, already_set, policy) {
            let default = x_str(prop, "x-confaudit-default");
            let from = x_str(prop, "x-confaudit-default-from")
                .and_then(|f| finder.entry(at.value, f))
                .and_then(|(_, v)| v.scalar().map(|(t, _)| t.to_string()));
            match (default, from) {
                (Some(d), Some(f)) => {
                    msg.push_str(&format!(", so `{sg}` is unset and {d} ({f}) applies"))
                }
                (Some(d), None) => msg.push_str(&format!(", so `{sg}` is unset ({d})")),
                (None, _) => msg.push_str(&format!(", so `{sg}` is unset")),
            }
            if let Some(c) = x_str(prop, "x-confaudit-consequence") {
                msg.push_str(&format!(": {c}"));
            }
        }
        issue.message = msg;
        issue.help = Some(match suggestion {
            Some(sg) if already_set => format!("remove `{name}`: `{sg}` is already set"),
            Some(sg) => format!("rename `{name}` to `{sg}`"),
            None if moved.is_some() => {
                format!("move `{name}` under {}", moved.unwrap_or_default())
            }
            None => {
                let mut k: Vec<&str> = known.clone();
                k.sort_unstable();
                let shown: Vec<String> = k.iter().take(12).map(|x| format!("`{x}`")).collect();
                let more = if k.len() > 12 { ", ..." } else { "" };
                format!("remove it; the known fields are {}{more}", shown.join(", "))
            }
        });
        issue.severity = Some(match policy {
            UnknownFields::Rejected => Severity::Error,
            UnknownFields::Dropped if reads && !already_set => Severity::Error,
            UnknownFields::Dropped => Severity::Warning,
        });
        out.push(issue);
    }
    out
}
