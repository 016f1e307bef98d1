//! K8S006: a probe aimed at a port its container does not declare.

use crate::finding::Severity;
use crate::model::k8s::PortRef;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "K8S006",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let k = &ctx.model.k8s;
    for t in &k.templates {
        let Some(obj) = k.template_object(t) else {
            continue;
        };
        for c in &t.containers {
            for probe in &c.probes {
                let field = probe.kind.field();
                // Written only into a finding's message (most probes have none).
                let what = std::fmt::from_fn(|f| {
                    write!(
                        f,
                        "{field} of container `{}` ({} {})",
                        c.name, obj.kind, obj.name
                    )
                });
                match probe.port {
                    PortRef::Name(name) if probe.handler == "grpc" => {
                        emit.at(probe.port_loc, format!("{what}: a gRPC probe takes a port number, not the name `{name}`; the API rejects it"))
                            .resource(obj.resource())
                            .help(c.port_named(name).and_then(|p| p.number).map(|n| format!("use {n}")).unwrap_or_else(|| "use the port number".into()));
                    }
                    PortRef::Name(name) => {
                        match c.port_named(name) {
                            None => {
                                let f = emit
                                .at(probe.port_loc, format!("{what} probes the port name `{name}`, which the container does not declare; the probe fails and the pod is {}", consequence(field)))
                                .resource(obj.resource());
                                match c.ports.iter().filter_map(|p| p.name).collect::<Vec<_>>().as_slice() {
                                [] => f.help(format!("declare the port: ports: [{{name: {name}, containerPort: N}}], or probe a number")),
                                names => f.help(format!("use one of the declared names: {}", names.join(", "))),
                            };
                            }
                            Some(p)
                                if probe.handler != "grpc"
                                    && !p.protocol.eq_ignore_ascii_case("TCP") =>
                            {
                                emit.at(probe.port_loc, format!("{what} probes `{name}`, a {} port; {} probes connect over TCP", p.protocol, probe.handler))
                                .resource(obj.resource())
                                .related(p.loc, format!("`{name}` is declared {}", p.protocol))
                                .help("probe a TCP port");
                            }
                            Some(_) => {}
                        }
                    }
                    PortRef::Number(n) if (1..=65535).contains(&n) => {
                        if c.ports.is_empty() || c.port_numbered(n).is_some() {
                            continue;
                        }
                        let declared: Vec<String> = c
                            .ports
                            .iter()
                            .filter_map(|p| p.number.map(|x| x.to_string()))
                            .collect();
                        let f = emit
                            .at(
                                probe.port_loc,
                                format!(
                                    "{what} probes port {n}, but the container declares only {}",
                                    declared.join(", ")
                                ),
                            )
                            .resource(obj.resource())
                            .severity(Severity::Warning);
                        if let Some(first) = c.ports.first() {
                            f.related(first.loc, "declared ports");
                        }
                        f.help("probe the port the application listens on (or declare it)");
                    }
                    // A number outside 1-65535, or digits past any number.
                    port => {
                        emit.at(
                            probe.port_loc,
                            format!("{what} probes port {port}, outside 1-65535"),
                        )
                        .resource(obj.resource());
                    }
                }
            }
        }
    }
}

fn consequence(field: &str) -> &'static str {
    match field {
        "livenessProbe" => "restarted over and over",
        "readinessProbe" => "never Ready and gets no traffic (no healthy upstream)",
        _ => "killed before it starts",
    }
}
