//! NGX017: a `*_pass` whose host comes from a variable, with no `resolver`
//! in scope, where the value is not an upstream group: every request fails
//! with `no resolver defined to resolve ...`.

use crate::model::nginx::facts::{Facts, Pass, parse_addr, parse_pass};
use crate::model::nginx::{Config, Host, Setting, Target, vars};
use crate::rules::{Ctx, Emit, Rule};
use foldhash::{HashMap, HashMapExt};

pub static RULE: Rule = Rule {
    id: "NGX017",
    check,
};

/// The first variable in the host part of a pass argument.
fn host_var(arg: &str) -> Option<&str> {
    let rest = arg.split_once("://").map(|(_, r)| r).unwrap_or(arg);
    let start = rest.find('$')?;
    if rest.get(..start)?.contains('/') {
        return None;
    }
    let tail = rest.get(start..)?;
    let end = tail
        .char_indices()
        .skip(1)
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map(|(i, _)| i)
        .unwrap_or(tail.len());
    tail.get(..end)
}

/// Host names among the values of the variable that need DNS at run time.
fn names_needing_dns(
    cfg: &Config<'_>,
    facts: &Facts,
    p: &Pass,
    var: &str,
    whole: bool,
) -> Option<Vec<String>> {
    let vals = vars::literal_values(cfg, var)?;
    let mut out = Vec::new();
    for v in vals {
        let host = if whole {
            match parse_pass(p.kind, v).1 {
                Target::Addr(a) => Some(a.host),
                Target::Variable { .. } => return None,
            }
        } else {
            parse_addr(v).map(|a| a.host)
        };
        if let Some(Host::Name(n)) = host
            && facts.upstream_named(&n, false).is_none()
        {
            out.push(n);
        }
    }
    Some(out)
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    for c in ctx.nginx_configs {
        let cfg = &c.tree;
        // The answer depends on the variable, the pass kind and whether the
        // variable is the whole argument only: worked out once for each,
        // not per location (1,000 locations passing to one variable of a
        // 100,000-entry map parsed every value 1,000 times).
        let mut needing_dns = HashMap::new();
        for p in &c.facts.passes {
            let Target::Variable { var } = &p.target else {
                continue;
            };
            if !matches!(cfg.effective(p.level, "resolver"), Setting::Default) {
                continue;
            }
            let Some(node) = cfg.node(p.node) else {
                continue;
            };
            let arg = node.arg(0).unwrap_or("");
            let names = match var {
                Some(v) => needing_dns
                    .entry((v.as_str(), p.kind.directive(), arg == v))
                    .or_insert_with(|| names_needing_dns(cfg, &c.facts, p, v, arg == v))
                    .as_ref(),
                None => None,
            };
            let what = match names {
                Some(n) if n.is_empty() => continue,
                Some(n) => format!(
                    "`{}` can be {}",
                    var.as_deref().unwrap_or(""),
                    n.iter()
                        .map(|x| format!("`{x}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => {
                    // Unknown values: only a host taken from the request is
                    // sure to need DNS (unless upstream groups are named like hosts).
                    let Some(v) = host_var(arg).filter(|v| vars::from_request(v)) else {
                        continue;
                    };
                    if c.facts.upstreams.iter().any(|u| !u.stream) {
                        continue;
                    }
                    format!("the host comes from the request (`{v}`)")
                }
            };
            emit.at(
                node.arg_loc(0),
                format!(
                    "`{} {arg}`: {what}, which is not an upstream group, and no `resolver` is defined here; nginx resolves such names per request and fails every one with `no resolver defined to resolve ...` (502)",
                    p.kind.directive()
                ),
            )
            .resource(super::level_resource(c, p.level))
            .help("add a `resolver` (e.g. `resolver kube-dns.kube-system.svc.cluster.local valid=10s;`, or 127.0.0.11 in Docker) to the http, server or location block, or name an upstream group");
        }
    }
}
