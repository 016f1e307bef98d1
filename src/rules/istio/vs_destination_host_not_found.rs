//! ISTIO001: a VirtualService destination host that names nothing visible.

use crate::finding::Severity;
use crate::model::mesh::HostTarget;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO001",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    // One budget for the suggestions of all this check's findings.
    let mut suggest = crate::util::Suggest::default();
    let m = ctx.model;
    for vs in &m.istio.virtual_services {
        let Some(obj) = m.k8s.object(vs.object) else {
            continue;
        };
        // The namespaces that will use this VirtualService must all see the host.
        let mut viewers: Vec<&str> = vs
            .export_to
            .iter()
            .copied()
            .filter(|e| *e != "*" && *e != "." && *e != "~")
            .collect();
        if viewers.is_empty() || vs.export_to.contains(&".") {
            viewers.push(obj.namespace);
        }
        for d in &vs.destinations {
            for viewer in &viewers {
                let (why, severity) = match m.resolve_mesh_host(d.host, viewer) {
                    HostTarget::Service(_) | HostTarget::ServiceEntry(_) => continue,
                    HostTarget::MissingService(name) => {
                        let hidden = m
                            .k8s
                            .service(&name.namespace, &name.name)
                            .is_some_and(|s| !m.service_visible_from(s, viewer));
                        if hidden {
                            (
                                format!(
                                    "Service {}/{} is not exported to namespace {viewer} (networking.istio.io/exportTo)",
                                    name.namespace, name.name
                                ),
                                Severity::Error,
                            )
                        } else if m.namespace_has_services(&name.namespace) {
                            (
                                format!("there is no Service {}/{}", name.namespace, name.name),
                                Severity::Error,
                            )
                        } else {
                            (
                                format!(
                                    "Service {}/{} is not in the analysed files (nor any Service of its namespace)",
                                    name.namespace, name.name
                                ),
                                Severity::Warning,
                            )
                        }
                    }
                    HostTarget::MissingExternal => (
                        format!("no ServiceEntry visible from namespace {viewer} declares it"),
                        Severity::Error,
                    ),
                };
                let what = if d.mirror { "mirrors to" } else { "routes to" };
                let f = emit
                    .at(
                        d.host_node.loc(),
                        format!(
                            "VirtualService {}/{} {what} host `{}`, but {why}",
                            obj.namespace, obj.name, d.host
                        ),
                    )
                    .resource(obj.resource())
                    .severity(severity);
                if let Some((svc, ns)) = d
                    .host
                    .split_once('.')
                    .filter(|(_, rest)| !rest.contains('.'))
                    && m.k8s.service(ns, svc).is_some()
                {
                    f.help(format!("Istio does not expand `{}`: write `{svc}` (same namespace) or `{svc}.{ns}.svc.{}`", d.host, m.options.cluster_domain));
                } else {
                    let short = d.host.split('.').next().unwrap_or(d.host);
                    match suggest.closest(short, m.k8s.service_names_in(obj.namespace)) {
                        Some(near) => f.help(format!("did you mean `{near}`?")),
                        None => f.help("point the destination at an existing Service, or declare the external host with a ServiceEntry"),
                    };
                }
                break;
            }
        }
    }
}
