//! ISTIO021: a DestinationRule whose host matches no Service or ServiceEntry.

use crate::model::mesh::HostTarget;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO021",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    // One budget for the suggestions of all this check's findings.
    let mut suggest = crate::util::Suggest::default();
    let m = ctx.model;
    for dr in &m.istio.destination_rules {
        let Some(obj) = m.k8s.object(dr.object) else {
            continue;
        };
        if dr.host.contains('*') {
            continue;
        }
        let (missing, partial) = match m.resolve_mesh_host(dr.host, obj.namespace) {
            HostTarget::MissingService(name) if m.namespace_has_services(&name.namespace) => (
                format!("there is no Service {}/{}", name.namespace, name.name),
                false,
            ),
            HostTarget::MissingService(name) => (
                format!(
                    "Service {}/{} is not in the analysed files",
                    name.namespace, name.name
                ),
                true,
            ),
            HostTarget::MissingExternal if !m.istio.service_entries.is_empty() => {
                ("no ServiceEntry declares it".to_string(), false)
            }
            _ => continue,
        };
        let f = emit
            .at(dr.host_node.loc(), format!("DestinationRule {}/{} is for host `{}`, but {missing}: its traffic policy (TLS, pools, subsets) applies to nothing", obj.namespace, obj.name, dr.host))
            .resource(obj.resource());
        if partial {
            // The namespace has no Service in the tree: it may be deployed from elsewhere.
            f.severity(crate::finding::Severity::Info);
        }
        let short = dr.host.split('.').next().unwrap_or(dr.host);
        match suggest.closest(short, m.k8s.service_names_in(obj.namespace)) {
            Some(near) => f.help(format!("did you mean `{near}`?")),
            None => f.help("set host to an existing Service (short names resolve in the DestinationRule's namespace)"),
        };
    }
}
