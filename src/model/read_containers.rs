//! The containers of a pod template, read while their file loads (see
//! [`read_k8s`](super::read_k8s)).

use super::k8s::*;
use crate::parse::tree::NodeRef;

fn container_ports(ports: Option<NodeRef<'_>>) -> Vec<ContainerPort<'_>> {
    ports
        .map(|ps| {
            ps.items()
                .map(|p| {
                    let number = p.get("containerPort");
                    let name = p.get("name");
                    ContainerPort {
                        name: name.and_then(|n| n.as_str()),
                        number: number.and_then(|n| n.as_int()),
                        protocol: p.str_at("protocol").unwrap_or("TCP"),
                        loc: p.loc(),
                        name_loc: name.map(|n| n.loc()),
                        number_loc: number.map(|n| n.loc()),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

fn probes<'s>(c: &ContainerFields<'s>) -> Vec<Probe<'s>> {
    let mut out = Vec::new();
    for (kind, probe) in [
        (ProbeKind::Liveness, c.liveness_probe),
        (ProbeKind::Readiness, c.readiness_probe),
        (ProbeKind::Startup, c.startup_probe),
    ] {
        let Some(probe) = probe else {
            continue;
        };
        for handler in ["httpGet", "tcpSocket", "grpc"] {
            let Some(port_node) = probe.get(handler).and_then(|h| h.get("port")) else {
                continue;
            };
            if let Some(port) = PortRef::from_node(port_node) {
                out.push(Probe {
                    kind,
                    handler,
                    port,
                    port_loc: port_node.loc(),
                });
            }
        }
    }
    out.shrink_to_fit();
    out
}

/// The fields of a container that the model reads, its keys read once
/// (a dozen lookups, each over every key, cost more: this runs for every
/// container of the tree). The last of keys written twice wins.
#[derive(Default)]
struct ContainerFields<'s> {
    name: Option<NodeRef<'s>>,
    ports: Option<NodeRef<'s>>,
    liveness_probe: Option<NodeRef<'s>>,
    readiness_probe: Option<NodeRef<'s>>,
    startup_probe: Option<NodeRef<'s>>,
    lifecycle: Option<NodeRef<'s>>,
    restart_policy: Option<NodeRef<'s>>,
    image: Option<NodeRef<'s>>,
    command: Option<NodeRef<'s>>,
    args: Option<NodeRef<'s>>,
    env: Option<NodeRef<'s>>,
    security_context: Option<NodeRef<'s>>,
}

impl<'s> ContainerFields<'s> {
    fn of(c: NodeRef<'s>) -> ContainerFields<'s> {
        let mut f = ContainerFields::default();
        for (k, v) in c.entries() {
            let slot = match k.scalar().map(|(key, _)| key) {
                Some("name") => &mut f.name,
                Some("ports") => &mut f.ports,
                Some("livenessProbe") => &mut f.liveness_probe,
                Some("readinessProbe") => &mut f.readiness_probe,
                Some("startupProbe") => &mut f.startup_probe,
                Some("lifecycle") => &mut f.lifecycle,
                Some("restartPolicy") => &mut f.restart_policy,
                Some("image") => &mut f.image,
                Some("command") => &mut f.command,
                Some("args") => &mut f.args,
                Some("env") => &mut f.env,
                Some("securityContext") => &mut f.security_context,
                _ => continue,
            };
            *slot = Some(v);
        }
        f
    }
}

/// Facts are kept for the whole run: collect without spare capacity.
pub(super) fn exact<T>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut v: Vec<T> = items.collect();
    v.shrink_to_fit();
    v
}

/// `runAsUser` of a pod spec's or a container's `securityContext`.
pub(super) fn run_as_user(security_context: Option<NodeRef<'_>>) -> Option<IntField> {
    security_context
        .and_then(|s| s.get("runAsUser"))
        .map(|u| IntField {
            value: u.as_int(),
            loc: u.loc(),
        })
}

pub(super) fn containers<'s>(
    spec: NodeRef<'s>,
    key: &'s str,
    init: bool,
) -> impl Iterator<Item = Container<'s>> + 's {
    spec.get(key)
        .into_iter()
        .flat_map(|l| l.items())
        .map(move |c| {
            let f = ContainerFields::of(c);
            let text = |n: Option<NodeRef<'s>>| n.and_then(|n| n.as_str());
            Container {
                name: text(f.name).unwrap_or(""),
                ports: container_ports(f.ports),
                probes: probes(&f),
                has_pre_stop: f.lifecycle.and_then(|l| l.get("preStop")).is_some(),
                init,
                sidecar: init && text(f.restart_policy) == Some("Always"),
                image: text(f.image).unwrap_or(""),
                command_args: exact(
                    [f.command, f.args]
                        .into_iter()
                        .flatten()
                        .flat_map(|l| l.items())
                        .filter_map(|i| i.scalar().map(|(s, _)| s)),
                ),
                env: f
                    .env
                    .into_iter()
                    .flat_map(|l| l.items())
                    .map(|e| EnvVar {
                        name: e.str_at("name"),
                        value: e.str_at("value"),
                    })
                    .collect(),
                run_as_user: run_as_user(f.security_context),
            }
        })
}
