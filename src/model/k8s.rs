//! Kubernetes facts: objects, pod templates, Services, Ingresses, Namespaces.

use super::held_texts::Rehome;
use super::port_index::{PortIndex, PortKey, Ports};
use crate::finding::{Resource, ResourceNames};
use crate::parse::tree::NodeRef;
use crate::source::Loc;

/// A Kubernetes-style object (anything with apiVersion and kind).
#[derive(Clone, Debug)]
pub struct Object<'a> {
    pub api_version: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    /// Effective namespace (`--namespace` where unset).
    pub namespace: &'a str,
    /// The object's tree, for kinds the models read after loading
    /// ([`reads_tree_later`]); `None` for the others, whose documents drop
    /// their trees once their file is read.
    pub node: Option<NodeRef<'a>>,
    /// The whole object, and its `metadata.labels` when written.
    pub loc: Loc,
    pub labels_loc: Option<Loc>,
    /// Where to point when the whole object is at fault: its name, else its
    /// kind ([`Object::name_loc`]).
    name_loc: Loc,
    pub labels: Vec<(&'a str, &'a str)>,
    pub annotations: Vec<(&'a str, &'a str)>,
}

impl<'a> Object<'a> {
    /// An object and its tree (both read from the document).
    pub fn new(node: NodeRef<'a>, default_ns: &'a str) -> Option<Object<'a>> {
        Object::read(node, default_ns).map(|o| o.with_node(node))
    }

    /// An object's metadata, borrowing the document's texts (no tree).
    pub fn read(node: NodeRef<'a>, default_ns: &'a str) -> Option<Object<'a>> {
        let api_version = node.str_at("apiVersion")?;
        let kind_node = node.get("kind")?;
        let kind = kind_node.as_str()?;
        // Each field looked up once: this runs for every object of the tree.
        let meta = node.get("metadata");
        let field = |key: &str| meta.and_then(|m| m.get(key));
        let name = field("name");
        let labels = field("labels");
        Some(Object {
            api_version,
            kind,
            name: name.and_then(|n| n.as_str()).unwrap_or(""),
            namespace: field("namespace")
                .and_then(|n| n.as_str())
                .unwrap_or(default_ns),
            node: None,
            loc: node.loc(),
            labels_loc: labels.map(|n| n.loc()),
            name_loc: name.unwrap_or(kind_node).loc(),
            labels: labels.map(|n| n.string_pairs()).unwrap_or_default(),
            annotations: field("annotations")
                .map(|n| n.string_pairs())
                .unwrap_or_default(),
        })
    }

    /// The same object with its tree.
    pub fn with_node<'n>(self, node: NodeRef<'n>) -> Object<'n>
    where
        'a: 'n,
    {
        Object {
            node: Some(node),
            ..self
        }
    }

    pub fn resource(&self) -> Resource {
        self.names().owned()
    }

    /// Its kind, namespace and name, borrowed.
    pub fn names(&self) -> ResourceNames<'a> {
        ResourceNames {
            kind: self.kind,
            namespace: Some(self.namespace),
            name: self.name,
        }
    }

    /// Where to point when the whole object is at fault: its name, else its kind.
    pub fn name_loc(&self) -> Loc {
        self.name_loc
    }

    /// A key of the object's tree (`None` for kinds read while loading).
    pub fn get(&self, key: &str) -> Option<NodeRef<'a>> {
        self.node?.get(key)
    }
    /// A path of keys in the object's tree.
    pub fn path(&self, keys: &[&str]) -> Option<NodeRef<'a>> {
        self.node?.path(keys)
    }

    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.annotations
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    }

    /// `group` of the apiVersion (`""` for the core group).
    pub fn group(&self) -> &'a str {
        match self.api_version.rsplit_once('/') {
            Some((g, _)) => g,
            None => "",
        }
    }
}

/// Its tree, if any, stays with the documents it came from.
impl<'a, 'b> Rehome<'a, 'b> for Object<'a> {
    type Out = Object<'b>;
    fn rehome(self, to: &mut impl FnMut(&'a str) -> &'b str) -> Object<'b> {
        let Object {
            api_version,
            kind,
            name,
            namespace,
            node: _,
            loc,
            labels_loc,
            name_loc,
            labels,
            annotations,
        } = self;
        Object {
            api_version: to(api_version),
            kind: to(kind),
            name: to(name),
            namespace: to(namespace),
            node: None,
            loc,
            labels_loc,
            name_loc,
            labels: labels.rehome(to),
            annotations: annotations.rehome(to),
        }
    }
}

/// A port reference: a number or an IANA_SVC_NAME.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PortRef<'a> {
    Number(i64),
    Name(&'a str),
    /// Digits past what an i64 holds, as written: a number out of range,
    /// not a port name.
    OutOfRange(&'a str),
}

impl<'a> PortRef<'a> {
    /// A number outside 1-65535 (names are not numbers).
    pub fn outside_port_range(&self) -> bool {
        match self {
            PortRef::Number(n) => !(1..=65535).contains(n),
            PortRef::OutOfRange(_) => true,
            PortRef::Name(_) => false,
        }
    }

    /// An int-or-string port: numbers (also quoted digits) are numbers.
    pub fn from_node(n: NodeRef<'a>) -> Option<PortRef<'a>> {
        if let Some(i) = n.as_int() {
            return Some(PortRef::Number(i));
        }
        let s = n.as_str()?;
        match s.parse::<i64>() {
            Ok(i) => Some(PortRef::Number(i)),
            Err(_) if is_integer_text(s) => Some(PortRef::OutOfRange(s)),
            Err(_) => Some(PortRef::Name(s)),
        }
    }
}

/// An optionally signed run of ASCII digits.
fn is_integer_text(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

impl std::fmt::Display for PortRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortRef::Number(n) => write!(f, "{n}"),
            PortRef::Name(s) => write!(f, "`{s}`"),
            PortRef::OutOfRange(digits) => f.write_str(digits),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ContainerPort<'a> {
    pub name: Option<&'a str>,
    pub number: Option<i64>,
    /// `TCP` when unset.
    pub protocol: &'a str,
    /// The port's entry in `ports`.
    pub loc: Loc,
    /// The `name` and `containerPort` values, when written.
    pub name_loc: Option<Loc>,
    pub number_loc: Option<Loc>,
}

impl ContainerPort<'_> {
    /// The `containerPort` value, else the entry.
    pub fn number_or_entry(&self) -> Loc {
        self.number_loc.unwrap_or(self.loc)
    }
    /// The `name` value, else the entry.
    pub fn name_or_entry(&self) -> Loc {
        self.name_loc.unwrap_or(self.loc)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeKind {
    Liveness,
    Readiness,
    Startup,
}

impl ProbeKind {
    pub fn field(self) -> &'static str {
        match self {
            ProbeKind::Liveness => "livenessProbe",
            ProbeKind::Readiness => "readinessProbe",
            ProbeKind::Startup => "startupProbe",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Probe<'a> {
    pub kind: ProbeKind,
    /// `httpGet`, `tcpSocket` or `grpc`.
    pub handler: &'static str,
    pub port: PortRef<'a>,
    pub port_loc: Loc,
}

/// An integer setting where it is written (`None`: written, not an integer).
#[derive(Clone, Copy, Debug)]
pub struct IntField {
    pub value: Option<i64>,
    pub loc: Loc,
}

/// One `env` entry: its name and value as strings (`None`: unset or null).
#[derive(Clone, Debug)]
pub struct EnvVar<'a> {
    pub name: Option<&'a str>,
    pub value: Option<&'a str>,
}

#[derive(Clone, Debug)]
pub struct Container<'a> {
    pub name: &'a str,
    pub ports: Vec<ContainerPort<'a>>,
    pub probes: Vec<Probe<'a>>,
    pub has_pre_stop: bool,
    /// An init container (restartPolicy Always makes it a native sidecar).
    pub init: bool,
    pub sidecar: bool,
    pub image: &'a str,
    /// The scalar items of `command`, then of `args`.
    pub command_args: Vec<&'a str>,
    pub env: Vec<EnvVar<'a>>,
    /// `securityContext.runAsUser`, when written.
    pub run_as_user: Option<IntField>,
}

impl<'a> Container<'a> {
    pub fn port_named(&self, name: &str) -> Option<&ContainerPort<'a>> {
        self.ports.iter().find(|p| p.name == Some(name))
    }
    pub fn port_numbered(&self, n: i64) -> Option<&ContainerPort<'a>> {
        self.ports.iter().find(|p| p.number == Some(n))
    }
    /// Does the number appear in the command, args or env values? Apps often
    /// listen on ports given there without declaring them (`--port 18080`).
    pub fn mentions_number(&self, n: i64) -> bool {
        let wanted = n.to_string();
        self.command_args
            .iter()
            .copied()
            .chain(self.env.iter().filter_map(|e| e.value))
            .any(|t| t.split(|c: char| !c.is_ascii_digit()).any(|w| w == wanted))
    }
    /// Serves traffic while the pod runs (app containers and native sidecars).
    pub fn serves(&self) -> bool {
        !self.init || self.sidecar
    }
}

/// One `matchExpressions` entry (`None`: the field is missing or not a string).
#[derive(Clone, Debug)]
pub struct SelectorExpression<'a> {
    pub key: Option<&'a str>,
    pub operator: Option<&'a str>,
    pub values: Vec<&'a str>,
}

/// A controller's `spec.selector`: a LabelSelector, or a plain map as in
/// ReplicationController.
#[derive(Clone, Debug)]
pub struct LabelSelector<'a> {
    pub loc: Loc,
    /// Written as null (`selector:` with no value).
    pub null: bool,
    /// `matchLabels`, or the plain map's pairs.
    pub match_labels: Vec<(&'a str, &'a str)>,
    pub expressions: Vec<SelectorExpression<'a>>,
}

/// A pod template, from a Pod or any workload controller.
#[derive(Clone, Debug)]
pub struct PodTemplate<'a> {
    /// Index of the owning object in [`K8s::objects`].
    pub object: usize,
    pub labels: Vec<(&'a str, &'a str)>,
    pub annotations: Vec<(&'a str, &'a str)>,
    /// The pod spec (the template itself when it has no `spec`).
    pub spec_loc: Loc,
    /// `spec.template.metadata.labels` of the object, when written.
    pub template_labels_loc: Option<Loc>,
    pub containers: Vec<Container<'a>>,
    pub grace_period: Option<(i64, Loc)>,
    /// The pod's `securityContext.runAsUser`, when written.
    pub run_as_user: Option<IntField>,
    /// The controller's own `spec.selector` (matchLabels or plain map), if any.
    pub selector: Option<LabelSelector<'a>>,
    /// The declared ports (`declared_ports`) by number and by name, as
    /// (container, port) positions (many ports only).
    pub port_index: PortIndex<(u32, u32)>,
}

impl PodTemplate<'_> {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    }
    pub fn serving_containers(&self) -> impl Iterator<Item = &Container<'_>> {
        self.containers.iter().filter(|c| c.serves())
    }
}

#[derive(Clone, Debug)]
pub struct ServicePort<'a> {
    pub name: Option<&'a str>,
    pub port: Option<i64>,
    /// `None` when unset (then it is `port`).
    pub target: Option<PortRef<'a>>,
    pub protocol: &'a str,
    pub app_protocol: Option<&'a str>,
    /// The port's entry in `ports`.
    pub loc: Loc,
    /// The `port` value and its text (`""` for a collection), when written.
    pub port_field: Option<(Loc, &'a str)>,
    /// Where `targetPort`, `name` and `appProtocol` are written.
    pub target_loc: Option<Loc>,
    pub name_loc: Option<Loc>,
    pub app_protocol_loc: Option<Loc>,
}

impl<'a> ServicePort<'a> {
    /// The pod port traffic goes to: `targetPort`, or `port` when unset.
    pub fn effective_target(&self) -> Option<PortRef<'a>> {
        self.target.or(self.port.map(PortRef::Number))
    }
    /// The `port` value, else the entry.
    pub fn port_or_entry(&self) -> Loc {
        self.port_field.map_or(self.loc, |(l, _)| l)
    }
    /// The `name` value, else the entry.
    pub fn name_or_entry(&self) -> Loc {
        self.name_loc.unwrap_or(self.loc)
    }
    /// Where to point for the target: `targetPort`, else `port`, else the entry.
    pub fn target_or_port(&self) -> Loc {
        self.target_loc.unwrap_or_else(|| self.port_or_entry())
    }
    pub fn describe(&self) -> String {
        match (self.name, self.port) {
            (Some(n), Some(p)) => format!("{p} (`{n}`)"),
            (None, Some(p)) => p.to_string(),
            (Some(n), None) => format!("`{n}`"),
            (None, None) => "?".to_string(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Service<'a> {
    pub object: usize,
    pub type_: &'a str,
    /// `None` when the Service has no selector (manual Endpoints).
    pub selector: Option<Vec<(&'a str, &'a str)>>,
    pub selector_loc: Option<Loc>,
    pub ports: Vec<ServicePort<'a>>,
    pub headless: bool,
    pub external_name: Option<&'a str>,
    /// `ports` by number and by name (many ports only).
    pub port_index: PortIndex<u32>,
}

impl<'a> Service<'a> {
    /// The first port with this number or name.
    fn first_port(&self, key: PortKey<'_>) -> Option<&ServicePort<'a>> {
        let ports = || -> Ports<'_, u32> {
            Box::new(
                self.ports
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (u32::try_from(i).unwrap_or(u32::MAX), p.port, p.name)),
            )
        };
        match self.port_index.find(self.ports.len(), ports, key) {
            Some(at) => at.first().and_then(|&i| self.ports.get(i as usize)),
            None => self.ports.iter().find(|p| key.matches(p.port, p.name)),
        }
    }
    pub fn port_numbered(&self, n: i64) -> Option<&ServicePort<'a>> {
        self.first_port(PortKey::Number(n))
    }
    pub fn port_named(&self, name: &str) -> Option<&ServicePort<'a>> {
        self.first_port(PortKey::Name(name))
    }
    pub fn port_by_ref(&self, r: PortRef<'_>) -> Option<&ServicePort<'a>> {
        match r {
            PortRef::Number(n) => self.port_numbered(n),
            PortRef::Name(s) => self.port_named(s),
            PortRef::OutOfRange(_) => None,
        }
    }
    pub fn ports_list(&self) -> String {
        crate::util::listed(self.ports.iter().map(|p| p.describe()), crate::util::LISTED)
    }
}

/// One Ingress backend that names a Service.
#[derive(Clone, Debug)]
pub struct IngressBackend<'a> {
    pub object: usize,
    pub service: &'a str,
    pub service_node: NodeRef<'a>,
    pub port: Option<PortRef<'a>>,
    pub port_node: Option<NodeRef<'a>>,
}

/// Selector keys that controllers add to pods themselves; a Service may select
/// on them although no template declares them.
pub const CONTROLLER_LABELS: [&str; 7] = [
    "pod-template-hash",
    "controller-revision-hash",
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
    "batch.kubernetes.io/job-name",
    "batch.kubernetes.io/controller-uid",
    "job-name",
];

/// Does a label selector (all pairs must match) select these labels?
pub fn selects(selector: &[(&str, &str)], labels: &[(&str, &str)]) -> bool {
    // A long selector looks the labels up in a set: a selector and labels
    // of 40,000 pairs each took seconds per comparison (a short one scans:
    // the set would cost as much as the scan).
    if selector.len() <= 8 || selector.len().saturating_mul(labels.len()) <= 256 {
        return selector.iter().all(|(k, v)| {
            CONTROLLER_LABELS.contains(k) || labels.iter().any(|(lk, lv)| lk == k && lv == v)
        });
    }
    let set: foldhash::HashSet<(&str, &str)> = labels.iter().copied().collect();
    selector
        .iter()
        .all(|&(k, v)| CONTROLLER_LABELS.contains(&k) || set.contains(&(k, v)))
}

/// Is this a valid IANA_SVC_NAME (what port names must be)? Returns why not.
pub fn port_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("is empty");
    }
    if name.len() > 15 {
        return Some("is longer than 15 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Some("may hold only lower-case letters, digits and `-`");
    }
    if !name.bytes().any(|b| b.is_ascii_lowercase()) {
        return Some("must contain at least one letter");
    }
    if name.starts_with('-') || name.ends_with('-') || name.contains("--") {
        return Some("may not begin or end with `-` or contain `--`");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::selects;

    #[test]
    fn long_selectors_select_as_short_ones_do() {
        let names: Vec<String> = (0..40).map(|i| format!("k{i}")).collect();
        let pairs: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
        let labels = pairs.clone();
        // Long selector (set), short selector (scan), and the same pairs
        // one at a time: all agree.
        assert!(selects(&pairs, &labels));
        assert!(selects(&pairs[..3], &labels));
        let mut missing = pairs.clone();
        missing.push(("absent", "v"));
        assert!(!selects(&missing, &labels));
        let mut other_value = pairs.clone();
        other_value[20] = ("k20", "w");
        assert!(!selects(&other_value, &labels));
        // A controller label in the selector is not required of the pod.
        let mut controller = pairs.clone();
        controller.push(("pod-template-hash", "abc"));
        assert!(selects(&controller, &labels));
        for n in [0, 1, 9, 40, 41] {
            let sel = &missing[..n];
            let one_by_one = sel
                .iter()
                .all(|p| selects(std::slice::from_ref(p), &labels));
            assert_eq!(selects(sel, &labels), one_by_one, "{n}");
        }
    }
}
