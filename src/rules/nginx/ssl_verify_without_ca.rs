//! NGX009: `proxy_ssl_verify on` without `proxy_ssl_trusted_certificate`.

use foldhash::{HashSet, HashSetExt};

use super::ssl_no_sni::ssl_prefix;
use crate::model::nginx::Setting;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX009",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    for c in ctx.nginx_configs {
        let cfg = &c.tree;
        let mut seen = HashSet::new();
        for p in &c.facts.passes {
            let Some(prefix) = ssl_prefix(p) else {
                continue;
            };
            let key = format!("{prefix}ssl_verify");
            let verify = cfg.effective(p.level, &key);
            let Some(vnode) = verify.node() else { continue };
            if verify.flag(false) != Some(true) {
                continue;
            }
            let ca_key = format!("{prefix}ssl_trusted_certificate");
            if !matches!(cfg.effective(p.level, &ca_key), Setting::Default) {
                continue;
            }
            if !seen.insert(vnode.loc()) {
                continue;
            }
            emit.at(
                vnode.loc(),
                format!(
                    "`{key} on` without `{ca_key}`: nginx loads no CA of its own to check the upstream's certificate against and refuses to start (`[emerg] no {ca_key} for {key}`)"
                ),
            )
            .resource_opt(super::level_resource_opt(c, vnode.parent()))
            .help(format!(
                "add `{ca_key} /etc/ssl/certs/ca-certificates.crt;` (or the CA bundle that signed the backend's certificate)"
            ));
        }
    }
}
