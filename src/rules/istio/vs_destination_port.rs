//! ISTIO004: destination port missing for a multi-port Service, or not exposed.

use crate::model::mesh::HostTarget;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO004",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    for vs in &m.istio.virtual_services {
        let Some(obj) = m.k8s.object(vs.object) else {
            continue;
        };
        let who = format!("VirtualService {}/{}", obj.namespace, obj.name);
        for d in &vs.destinations {
            match (m.resolve_mesh_host(d.host, obj.namespace), d.port) {
                (HostTarget::Service(svc), None) if svc.ports.len() > 1 => {
                    emit.at(d.host_node.loc(), format!(
                        "{who} routes to `{}`, which exposes several ports ({}), without saying which; Istio cannot pick one",
                        d.host,
                        svc.ports_list()
                    ))
                    .resource(obj.resource())
                    .help("add `port: {number: N}` to the destination");
                }
                (HostTarget::Service(svc), Some((n, node))) if svc.port_numbered(n).is_none() => {
                    let f = emit
                        .at(
                            node.loc(),
                            format!(
                                "{who} routes to port {n} of `{}`, which exposes only {}",
                                d.host,
                                svc.ports_list()
                            ),
                        )
                        .resource(obj.resource());
                    match svc.ports.iter().find(|p| {
                        p.effective_target() == Some(crate::model::k8s::PortRef::Number(n))
                    }) {
                        Some(p) => f.help(format!(
                            "{n} is the pods' port; route to the Service port {}",
                            p.port.unwrap_or(0)
                        )),
                        None => f.help(format!(
                            "use one of the Service ports: {}",
                            svc.ports_list()
                        )),
                    };
                }
                (HostTarget::ServiceEntry(se), Some((n, node)))
                    if !se.ports.is_empty() && !se.ports.iter().any(|p| p.number == Some(n)) =>
                {
                    let ports: Vec<String> = se
                        .ports
                        .iter()
                        .filter_map(|p| p.number.map(|x| x.to_string()))
                        .collect();
                    emit.at(node.loc(), format!("{who} routes to port {n} of `{}`, but its ServiceEntry declares only {}", d.host, crate::util::listed(&ports, crate::util::LISTED)))
                        .resource(obj.resource())
                        .help("route to a declared port, or add the port to the ServiceEntry");
                }
                _ => {}
            }
        }
    }
}
