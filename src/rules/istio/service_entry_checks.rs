//! ISTIO020: ServiceEntries that cannot carry their traffic: TCP ports without
//! addresses, and one host:port given two protocols.

use std::collections::BTreeMap;

use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO020",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    let mut seen: BTreeMap<
        (String, i64),
        (String, &crate::model::k8s::Object<'_>, crate::source::Loc),
    > = BTreeMap::new();
    // Each side of a conflict is reported once, on its own port.
    let mut reported: foldhash::HashSet<crate::source::Loc> = foldhash::HashSet::default();
    for se in &m.istio.service_entries {
        let Some(obj) = m.k8s.object(se.object) else {
            continue;
        };
        for p in &se.ports {
            let proto = p.protocol.unwrap_or("TCP").to_ascii_uppercase();
            let opaque = matches!(proto.as_str(), "TCP" | "MONGO" | "MYSQL" | "REDIS");
            // Without an address a TCP port can only be matched by port: every such
            // entry shares one 0.0.0.0:port listener, and traffic goes astray.
            if opaque && se.addresses.is_empty() && se.workload_selector.is_none() {
                emit.at(p.node.loc(), format!(
                    "ServiceEntry {}/{} port {} is {proto} but the entry has no `addresses`: without a virtual IP (and without Istio's IP auto-allocation) the sidecar cannot tell which host a connection is for",
                    obj.namespace, obj.name, p.number.map(|n| n.to_string()).unwrap_or_default()
                ))
                .resource(obj.resource())
                .help("add `addresses:` (a VIP or CIDR), or enable DNS auto-allocation (ISTIO_META_DNS_AUTO_ALLOCATE)");
            }
            let Some(n) = p.number else { continue };
            for (host, _) in &se.hosts {
                let key = (host.to_ascii_lowercase(), n);
                match seen.get(&key) {
                    Some((other_proto, other, other_loc)) if *other_proto != proto => {
                        let sides = [
                            (obj, p.node.loc(), &proto, *other, *other_loc, other_proto),
                            (*other, *other_loc, other_proto, obj, p.node.loc(), &proto),
                        ];
                        for (me, at, mine, them, their_loc, theirs) in sides {
                            if !reported.insert(at) {
                                continue;
                            }
                            emit.at(at, format!(
                                "ServiceEntry {}/{} declares {host}:{n} as {mine}, but ServiceEntry {}/{} declares it as {theirs}; the proxy applies one of them",
                                me.namespace, me.name, them.namespace, them.name
                            ))
                            .resource(me.resource())
                            .related(their_loc, "the other declaration")
                            .help("declare one protocol per host and port");
                        }
                    }
                    Some(_) => {}
                    None => {
                        seen.insert(key, (proto.clone(), obj, p.node.loc()));
                    }
                }
            }
        }
    }
}
