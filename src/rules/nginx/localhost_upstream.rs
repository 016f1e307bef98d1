//! NGX018: `localhost` as an upstream: it resolves to 127.0.0.1 and ::1,
//! two servers, and a backend listening on IPv4 only refuses the second.

use super::config_endpoints;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX018",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    for (_, endpoints) in config_endpoints(ctx) {
        for e in endpoints {
            if !e.host.eq_ignore_ascii_case("localhost") {
                continue;
            }
            let port = e.port.map(|p| format!(":{p}")).unwrap_or_default();
            emit.at(
                e.loc,
                format!(
                    "{}: `localhost` resolves to both 127.0.0.1 and ::1, so nginx has two servers; a backend that listens on IPv4 only refuses [::1]{port} (`connect() failed (111: Connection refused) while connecting to upstream, upstream: \"http://[::1]{port}\"`) and it is marked down again and again",
                    e.what
                ),
            )
            .resource(e.resource.clone())
            .help(format!("use `127.0.0.1{port}` (or `[::1]{port}` if the backend listens on IPv6)"));
        }
    }
}
