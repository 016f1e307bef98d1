//! NGX008: `https://<upstream group>` sends the group's name as SNI and
//! verifies the certificate against it, unless `proxy_ssl_name` says otherwise.

use super::ssl_no_sni::ssl_prefix;
use crate::model::nginx::Setting;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX008",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    for c in ctx.nginx_configs {
        let cfg = &c.tree;
        for p in &c.facts.passes {
            let (Some(prefix), Some(g)) = (ssl_prefix(p), c.facts.group(p)) else {
                continue;
            };
            let name_key = format!("{prefix}ssl_name");
            match cfg.effective(p.level, &name_key) {
                Setting::Default => {}
                s if s.value() == Some("$proxy_host") => {}
                _ => continue,
            }
            let sni = cfg
                .effective(p.level, &format!("{prefix}ssl_server_name"))
                .flag(false);
            let verify = cfg
                .effective(p.level, &format!("{prefix}ssl_verify"))
                .flag(false);
            if sni != Some(true) && verify != Some(true) {
                continue;
            }
            let hosts: Vec<&str> = g
                .servers
                .iter()
                .filter_map(|s| s.addr.as_ref().and_then(|a| a.host.name()))
                .collect();
            if hosts.iter().any(|h| h.eq_ignore_ascii_case(&g.name)) {
                continue;
            }
            let Some(node) = cfg.node(p.node) else {
                continue;
            };
            let uses = match (sni, verify) {
                (Some(true), Some(true)) => "as SNI and to verify the certificate",
                (Some(true), _) => "as SNI",
                _ => "to verify the certificate",
            };
            let f = emit
                .at(
                    node.arg_loc(0),
                    format!(
                        "TLS to upstream group `{}` uses the group's name `{}` {uses} (`{name_key}` defaults to `$proxy_host`): the handshake fails or `upstream SSL certificate does not match`",
                        g.name, g.name
                    ),
                )
                .resource(super::level_resource(c, p.level));
            match hosts.first() {
                Some(h) => f.help(format!("add `{name_key} {h};`")),
                None => f.help(format!(
                    "add `{name_key} <the backend's certificate name>;`"
                )),
            };
        }
    }
}
