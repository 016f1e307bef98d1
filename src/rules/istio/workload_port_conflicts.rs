//! ISTIO019: one pod port exposed by several Services with different protocols
//! or different Service ports.

use std::collections::BTreeMap;

use foldhash::{HashSet, HashSetExt};

use super::template_classes::TemplateClasses;

use crate::model::k8s::PortRef;
use crate::model::protocol::{ProtocolSource, service_port_protocol};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO019",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    if !m.mesh_in_use() {
        return;
    }
    // A copy of a template (same workload, labels and ports) gets the same
    // findings at the same places: look at one of each.
    let classes = TemplateClasses::by_identity(m);
    let mut seen = HashSet::new();
    for t in &m.k8s.templates {
        let Some(wl) = m.k8s.template_object(t) else {
            continue;
        };
        if !classes.first_seen(t, &mut seen) {
            continue;
        }
        // Pod port -> every Service port that targets it.
        let mut by_target: BTreeMap<i64, Vec<(&str, &crate::model::k8s::ServicePort<'_>)>> =
            BTreeMap::new();
        for svc in m.k8s.services_selecting(t) {
            let name = m.k8s.service_object(svc).map(|o| o.name).unwrap_or("");
            for sp in &svc.ports {
                let target = match sp.effective_target() {
                    Some(PortRef::Number(n)) => Some(n),
                    Some(PortRef::Name(n)) => {
                        t.port_for_name(n, sp.protocol).and_then(|p| p.number)
                    }
                    Some(PortRef::OutOfRange(_)) | None => None,
                };
                if let Some(target) = target {
                    by_target.entry(target).or_default().push((name, sp));
                }
            }
        }
        for (target, ports) in by_target {
            let Some((first_svc, first)) = ports.first().copied() else {
                continue;
            };
            let (p0, s0) = service_port_protocol(first);
            for (svc, sp) in ports.iter().skip(1).copied() {
                let (p1, s1) = service_port_protocol(sp);
                let explicit = s0 != ProtocolSource::Detected || s1 != ProtocolSource::Detected;
                let what = if p0 != p1 && explicit {
                    format!(
                        "as {} by Service {first_svc} and as {} by Service {svc}: Istio configures one protocol per pod port, so one of them is misread",
                        p0.as_str(),
                        p1.as_str()
                    )
                } else if first.port != sp.port {
                    format!(
                        "as port {} by Service {first_svc} and as port {} by Service {svc}: Istio's inbound listener for the pod port takes one Service port",
                        first.port.unwrap_or(0),
                        sp.port.unwrap_or(0)
                    )
                } else {
                    continue;
                };
                emit.at(sp.name_loc.or(sp.port_field.map(|(l, _)| l)).unwrap_or(sp.loc), format!("{} {}/{}: pod port {target} is exposed {what}", wl.kind, wl.namespace, wl.name))
                    .resource(wl.resource())
                    .related(first.loc, format!("Service {first_svc}"))
                    .help("expose one pod port with one protocol and one Service port number across Services");
            }
        }
    }
}
