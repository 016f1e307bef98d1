//! NGX007: proxying to an HTTPS upstream by name without sending SNI.

use crate::model::nginx::facts::{Pass, parse_pass};
use crate::model::nginx::vars;
use crate::model::nginx::{Host, NginxConfig, PassKind, Scheme, Target};
use crate::rules::{Ctx, Emit, Rule};
use foldhash::{HashMap, HashMapExt};

pub static RULE: Rule = Rule {
    id: "NGX007",
    check,
};

/// The directive prefix of a pass's TLS settings.
pub(crate) fn ssl_prefix(p: &Pass) -> Option<&'static str> {
    match (p.kind, p.scheme) {
        (PassKind::Proxy, Scheme::Https) => Some("proxy_"),
        (PassKind::Grpc, Scheme::Grpcs) => Some("grpc_"),
        (PassKind::Uwsgi, Scheme::Suwsgi) => Some("uwsgi_"),
        _ => None,
    }
}

/// The host name a pass to a variable's values opens TLS to, for each
/// variable, pass kind, scheme and whether the variable is the whole
/// argument: many locations pass to one variable, and each asked went
/// through all of its values (a 100,000-entry map per location).
type VarNames<'p> = HashMap<(&'p str, &'static str, &'static str, bool), Option<String>>;

/// A host name (not an IP) the TLS connection goes to, if any.
fn tls_name<'p>(c: &NginxConfig<'_>, p: &'p Pass, by_var: &mut VarNames<'p>) -> Option<String> {
    match &p.target {
        Target::Addr(a) => {
            if let Some(g) = c.facts.group(p) {
                return g.servers.iter().find_map(|s| {
                    s.addr
                        .as_ref()
                        .and_then(|a| a.host.name())
                        .map(str::to_string)
                });
            }
            a.host.name().map(str::to_string)
        }
        Target::Variable { var: Some(v) } => {
            let whole = c.tree.node(p.node).and_then(|n| n.arg(0)) == Some(v.as_str());
            let key = (v.as_str(), p.kind.directive(), p.scheme.as_str(), whole);
            by_var
                .entry(key)
                .or_insert_with(|| var_tls_name(c, p, v, whole))
                .clone()
        }
        Target::Variable { var: None } => None,
    }
}

/// The first name among the values of `v` that a pass opens TLS to.
fn var_tls_name(c: &NginxConfig<'_>, p: &Pass, v: &str, whole: bool) -> Option<String> {
    let vals = vars::literal_values(&c.tree, v)?;
    vals.iter().find_map(|val| {
        let (scheme, target, _) = if whole {
            parse_pass(p.kind, val)
        } else {
            parse_pass(p.kind, &format!("{}://{val}", p.scheme.as_str()))
        };
        match (scheme.tls(), target) {
            (true, Target::Addr(a)) => match a.host {
                Host::Name(n) if c.facts.upstream_named(&n, false).is_none() => Some(n),
                _ => None,
            },
            _ => None,
        }
    })
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    for c in ctx.nginx_configs {
        let cfg = &c.tree;
        let mut by_var = VarNames::new();
        for p in &c.facts.passes {
            let whole_var = matches!(&p.target, Target::Variable { var: Some(v) } if cfg.node(p.node).and_then(|n| n.arg(0)) == Some(v.as_str()));
            let prefix = match ssl_prefix(p) {
                Some(x) => x,
                None if whole_var && p.kind == PassKind::Proxy => "proxy_",
                None => continue,
            };
            let Some(name) = tls_name(c, p, &mut by_var) else {
                continue;
            };
            let key = format!("{prefix}ssl_server_name");
            if cfg.effective(p.level, &key).flag(false) != Some(false) {
                continue;
            }
            let Some(node) = cfg.node(p.node) else {
                continue;
            };
            emit.at(
                node.arg_loc(0),
                format!(
                    "TLS to `{name}` without SNI (`{key}` is off by default): backends that need SNI (CDNs, API gateways, ingress and Istio gateways) fail the handshake (`SSL_do_handshake() failed ... alert handshake failure`) or present the wrong certificate"
                ),
            )
            .resource(super::level_resource(c, p.level))
            .help(format!("add `{key} on;` next to it"));
        }
    }
}
