//! K8S005: an Ingress backend port that its Service does not expose.

use foldhash::{HashMap, HashMapExt};

use crate::model::k8s::{PortRef, ServicePort};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "K8S005",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let k = &ctx.model.k8s;
    // Per Service: the first port by its target, made once (each miss
    // scanned every port: 8,000 paths to a Service of 8,000 ports).
    let mut by_target: HashMap<usize, HashMap<PortRef<'_>, &ServicePort<'_>>> = HashMap::new();
    for b in &k.ingress_backends {
        let (Some(obj), Some(port), Some(port_node)) = (k.object(b.object), b.port, b.port_node)
        else {
            continue;
        };
        let Some(svc) = k.service(obj.namespace, b.service) else {
            continue;
        };
        if svc.type_ == "ExternalName" || svc.port_by_ref(port).is_some() {
            continue;
        }
        let f = emit
            .at(
                port_node.loc(),
                format!(
                    "Ingress {}/{} sends traffic to port {port} of Service {}, which exposes only {}",
                    obj.namespace,
                    obj.name,
                    b.service,
                    if svc.ports.is_empty() { "no ports".to_string() } else { svc.ports_list() }
                ),
            )
            .resource(obj.resource());
        if let Some(so) = k.service_object(svc) {
            for p in svc.ports.iter().take(4) {
                let at = p.port_or_entry();
                f.related(at, format!("Service {} exposes {}", so.name, p.describe()));
            }
        }
        // The classic slip: the container port used where the Service port is needed.
        let via_target = by_target
            .entry(svc.object)
            .or_insert_with(|| {
                let mut first = HashMap::new();
                for p in &svc.ports {
                    if let Some(t) = p.effective_target() {
                        first.entry(t).or_insert(p);
                    }
                }
                first
            })
            .get(&port)
            .copied();
        match (via_target, svc.ports.as_slice()) {
            (Some(p), _) => f.help(format!(
                "{port} is the pod's port; the Ingress needs the Service port: use {}",
                p.port
                    .map(|x| x.to_string())
                    .unwrap_or_else(|| p.describe())
            )),
            (None, [only]) => f.help(format!("use the Service port {}", only.describe())),
            _ => f.help(format!(
                "use one of the Service ports: {}",
                svc.ports_list()
            )),
        };
    }
}
