//! ISTIO024: a gateway route to a host whose mesh VirtualService splits traffic
//! by subset — the split does not apply to requests from the gateway.

use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO024",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    // Hosts (FQDN) whose mesh-bound VirtualService routes to subsets, with that VirtualService.
    let mut split_hosts = Vec::new();
    for vs in m
        .istio
        .virtual_services
        .iter()
        .filter(|v| v.applies_to_mesh())
    {
        let Some(o) = m.k8s.object(vs.object) else {
            continue;
        };
        if vs
            .destinations
            .iter()
            .any(|d| d.subset.is_some() && !d.mirror)
        {
            for (h, _) in &vs.hosts {
                split_hosts.push((m.istio_fqdn(h, o.namespace), o));
            }
        }
    }
    for vs in m
        .istio
        .virtual_services
        .iter()
        .filter(|v| !v.applies_to_mesh())
    {
        let Some(obj) = m.k8s.object(vs.object) else {
            continue;
        };
        for d in vs
            .destinations
            .iter()
            .filter(|d| d.subset.is_none() && !d.mirror)
        {
            let fqdn = m.istio_fqdn(d.host, obj.namespace);
            let Some((_, mesh_vs)) = split_hosts.iter().find(|(h, _)| *h == fqdn) else {
                continue;
            };
            emit.at(d.host_node.loc(), format!(
                "VirtualService {}/{} sends gateway traffic straight to `{}`: the subset routing of VirtualService {}/{} applies only to sidecars (mesh), so requests from the gateway reach every version",
                obj.namespace, obj.name, d.host, mesh_vs.namespace, mesh_vs.name
            ))
            .resource(obj.resource())
            .related(mesh_vs.name_loc(), "the mesh VirtualService with subset routes")
            .help("route to the subsets here as well, or bind the mesh VirtualService to the gateway too (`gateways: [mesh, <gateway>]`)");
        }
    }
}
