//! NGINX rules: upstream targets against Kubernetes Services, TLS to
//! upstreams, keepalive, WebSocket, DNS, retries, buffers, ingress-nginx
//! annotations. Shared helpers for naming and finding things live here.

mod buffers_rejected;
mod connect_timeout_over_75s;
mod connection_header_forced;
mod grpc_pass_without_http2;
mod grpc_through_proxy_pass;
mod include_not_resolved;
mod ingress_backend_protocol;
mod ingress_service_upstream;
mod ingress_ssl_passthrough;
mod keepalive_not_used;
mod keepalive_timeout_over_backend;
mod localhost_upstream;
mod next_upstream_non_idempotent;
mod proxy_set_header_drops_inherited;
mod service_not_found;
mod service_port_not_exposed;
mod single_server_defaults;
mod ssl_name_upstream_group;
mod ssl_no_sni;
mod ssl_verify_without_ca;
mod static_dns;
mod upstream_protocol_mismatch;
mod variable_pass_without_resolver;
mod websocket_read_timeout;
mod websocket_upgrade_missing;
mod worker_connections_low;

use super::{Ctx, Rule};
use crate::finding::Resource;
use crate::model::Model;
use crate::model::hosts::ServiceName;
use crate::model::k8s::{Service, ServicePort};
use crate::model::nginx::facts::{Pass, UpstreamServer};
use crate::model::nginx::k8s::HostService;
use crate::model::nginx::{BlockKind, Config, Host, Level, NginxConfig, SetAt, Setting, Upstream};
use crate::source::Loc;

/// What a rule reads besides the model: rules that read NGINX
/// configurations ([`Ctx::nginx_configs`]) also run once per configuration,
/// while it is built (see `rules::run`); those that also read Ingress
/// annotations do that in the model pass only ([`crate::rules::Pass::Model`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reads {
    Model,
    Configs,
}

/// Every NGINX rule, in registry order.
pub(crate) static RULES: &[(&Rule, Reads)] = &[
    (&include_not_resolved::RULE, Reads::Model),
    (&service_not_found::RULE, Reads::Configs),
    (&service_port_not_exposed::RULE, Reads::Configs),
    (&upstream_protocol_mismatch::RULE, Reads::Configs),
    (&ingress_backend_protocol::RULE, Reads::Model),
    (&grpc_through_proxy_pass::RULE, Reads::Configs),
    (&grpc_pass_without_http2::RULE, Reads::Configs),
    (&ssl_no_sni::RULE, Reads::Configs),
    (&ssl_name_upstream_group::RULE, Reads::Configs),
    (&ssl_verify_without_ca::RULE, Reads::Configs),
    (&keepalive_not_used::RULE, Reads::Configs),
    (&connection_header_forced::RULE, Reads::Configs),
    (&proxy_set_header_drops_inherited::RULE, Reads::Configs),
    (&keepalive_timeout_over_backend::RULE, Reads::Configs),
    (&websocket_upgrade_missing::RULE, Reads::Configs),
    (&websocket_read_timeout::RULE, Reads::Configs),
    (&static_dns::RULE, Reads::Configs),
    (&variable_pass_without_resolver::RULE, Reads::Configs),
    (&localhost_upstream::RULE, Reads::Configs),
    (&single_server_defaults::RULE, Reads::Configs),
    (&next_upstream_non_idempotent::RULE, Reads::Configs),
    (&connect_timeout_over_75s::RULE, Reads::Configs),
    (&buffers_rejected::RULE, Reads::Configs),
    (&worker_connections_low::RULE, Reads::Configs),
    (&ingress_ssl_passthrough::RULE, Reads::Model),
    (&ingress_service_upstream::RULE, Reads::Model),
];

/// The rules that read NGINX configurations.
pub(crate) fn config_rules() -> impl Iterator<Item = &'static Rule> {
    RULES
        .iter()
        .filter(|(_, reads)| *reads == Reads::Configs)
        .map(|(rule, _)| *rule)
}

/// The `location` (or stream `server`) a level belongs to, for naming.
pub(crate) fn location_of(cfg: &Config<'_>, level: Level) -> Level {
    cfg.enclosing(level, BlockKind::Location)
        .or_else(|| cfg.enclosing(level, BlockKind::StreamServer))
        .unwrap_or(level)
}

/// The resource a finding at a level is about: its location (`location
/// /api`), else its server.
pub(crate) fn level_resource(c: &NginxConfig<'_>, level: Level) -> Resource {
    let cfg = &c.tree;
    let loc = location_of(cfg, level);
    match loc.and_then(|id| cfg.node(id)) {
        Some(n) if n.kind == BlockKind::Location => Resource {
            kind: "location".into(),
            namespace: None,
            name: n
                .d
                .args
                .iter()
                .map(|a| a.value.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        },
        _ => match c.facts.server_of(cfg, level) {
            Some(s) => server_resource(s),
            None => Resource {
                kind: "server".into(),
                namespace: None,
                name: "_".into(),
            },
        },
    }
}

/// Like [`level_resource`], but `None` for a level outside any server or
/// location (the http block).
pub(crate) fn level_resource_opt(c: &NginxConfig<'_>, level: Level) -> Option<Resource> {
    let cfg = &c.tree;
    let in_block = cfg.enclosing(level, BlockKind::Location).is_some()
        || cfg.enclosing(level, BlockKind::StreamServer).is_some()
        || c.facts.server_of(cfg, level).is_some();
    in_block.then(|| level_resource(c, level))
}

pub(crate) fn server_resource(s: &crate::model::nginx::facts::ServerBlock) -> Resource {
    Resource {
        kind: "server".into(),
        namespace: None,
        name: s.label(),
    }
}

pub(crate) fn upstream_resource(u: &Upstream) -> Resource {
    Resource {
        kind: "upstream".into(),
        namespace: None,
        name: u.name.clone(),
    }
}

/// Where traffic leaves nginx for a named host: an upstream `server` line or
/// a `*_pass` with a literal address.
pub(crate) struct Endpoint<'c> {
    pub host: &'c str,
    /// The port nginx connects to (explicit, or the default it uses).
    pub port: Option<u16>,
    pub port_explicit: bool,
    /// The address argument.
    pub loc: Loc,
    pub resource: Resource,
    /// How it is written, for messages (`upstream backend: server backend`).
    pub what: String,
    /// The passes that send requests here (for an upstream server: every
    /// pass naming its group).
    pub passes: Vec<&'c Pass>,
    pub server: Option<&'c UpstreamServer>,
    pub upstream: Option<&'c Upstream>,
    /// What `host` names in the tree, resolved once for the rules that ask.
    pub service: HostService<'c, 'c>,
}

/// Each NGINX configuration with every named host it connects to, derived
/// once per run (several rules read them).
pub(crate) fn config_endpoints<'c, 'm, 'a>(
    ctx: &'c Ctx<'m, 'a>,
) -> impl Iterator<Item = (&'m NginxConfig<'a>, &'c [Endpoint<'m>])> + 'c {
    let (model, configs) = (ctx.model, ctx.nginx_configs);
    let all = ctx
        .nginx_endpoints
        .get_or_init(|| configs.iter().map(|c| endpoints(model, c)).collect());
    configs.iter().zip(all.iter().map(Vec::as_slice))
}

/// Every named host nginx connects to, in one configuration.
fn endpoints<'c>(model: &'c Model<'_>, c: &'c NginxConfig<'_>) -> Vec<Endpoint<'c>> {
    let cfg = &c.tree;
    let mut out = Vec::new();
    for u in &c.facts.upstreams {
        let passes: Vec<&Pass> = c.facts.passes_to(u).collect();
        for s in &u.servers {
            let (Some(addr), Some(node)) = (&s.addr, cfg.node(s.node)) else {
                continue;
            };
            let Host::Name(host) = &addr.host else {
                continue;
            };
            // An http upstream server without a port uses 80; stream needs one.
            let port = addr.port.or((!u.stream).then_some(80));
            out.push(Endpoint {
                host,
                port,
                port_explicit: addr.port.is_some(),
                loc: node.arg_loc(0),
                resource: upstream_resource(u),
                what: format!(
                    "upstream `{}`: server `{}`",
                    u.name,
                    node.arg(0).unwrap_or("")
                ),
                passes: passes.clone(),
                server: Some(s),
                upstream: Some(u),
                service: model.nginx_host_service(c, host),
            });
        }
    }
    for p in &c.facts.passes {
        if c.facts.group(p).is_some() {
            continue;
        }
        let crate::model::nginx::Target::Addr(addr) = &p.target else {
            continue;
        };
        let (Host::Name(host), Some(node)) = (&addr.host, cfg.node(p.node)) else {
            continue;
        };
        out.push(Endpoint {
            host,
            port: addr.port.or(p.scheme.default_port()),
            port_explicit: addr.port.is_some(),
            loc: node.arg_loc(0),
            resource: level_resource(c, p.level),
            what: format!("{} {}", p.kind.directive(), node.arg(0).unwrap_or("")),
            passes: vec![p],
            server: None,
            upstream: None,
            service: model.nginx_host_service(c, host),
        });
    }
    out
}

/// The Service port a connection to `port` reaches (a headless Service is
/// reached on the pods' ports directly).
pub(crate) fn service_port<'s, 'a>(svc: &'s Service<'a>, port: u16) -> Option<&'s ServicePort<'a>> {
    let n = i64::from(port);
    if svc.headless {
        return svc.port_numbered(n).or_else(|| {
            svc.ports.iter().find(|p| {
                matches!(p.effective_target(), Some(crate::model::k8s::PortRef::Number(t)) if t == n)
            })
        });
    }
    svc.port_numbered(n)
}

/// `ns/name` for messages, saying where a short name's namespace came from.
pub(crate) fn service_label(
    model: &Model<'_>,
    c: &NginxConfig<'_>,
    host: &str,
    sn: &ServiceName,
) -> String {
    if host.contains('.') {
        return format!("{}/{}", sn.namespace, sn.name);
    }
    match &c.configmap {
        Some(cm) => format!(
            "{}/{} (a short name, read in the namespace of ConfigMap {}/{})",
            sn.namespace, sn.name, cm.namespace, cm.name
        ),
        None => format!(
            "{}/{} (namespace `{}` assumed for a short name; set --namespace)",
            sn.namespace, sn.name, model.options.default_namespace
        ),
    }
}

/// Is the effective header set at `level` known to set `name`, and to what?
/// `Some(None)`: the set is known and lacks it; `None`: cannot tell.
pub(crate) fn header<'c>(cfg: &'c Config<'_>, level: Level, name: &str) -> Option<Option<&'c str>> {
    // Found by name at the level that sets the headers, not by reading
    // them all: a level can set thousands, asked about per location.
    match cfg.effective_at(level, "proxy_set_header") {
        SetAt::Level { level, complete } => match cfg.proxy_header_at(level, name) {
            Some(n) => Some(Some(n.arg(1).unwrap_or(""))),
            None if complete => Some(None),
            None => None,
        },
        SetAt::Default => Some(None),
        SetAt::Unknown => None,
    }
}

/// The effective `proxy_http_version` as (major, minor), nginx's default
/// for the version when unset; `None` when unknown.
pub(crate) fn http_version(
    model: &Model<'_>,
    cfg: &Config<'_>,
    level: Level,
) -> Option<&'static str> {
    let setting = cfg.effective(level, "proxy_http_version");
    match setting {
        Setting::Set { .. } => match setting.value() {
            Some("1.1") => Some("1.1"),
            Some("2") | Some("2.0") => Some("2"),
            Some(_) => Some("1.0"),
            None => None,
        },
        Setting::Default if model.nginx.version.keepalive_by_default() => Some("1.1"),
        Setting::Default => Some("1.0"),
        Setting::Unknown => None,
    }
}

/// Is keepalive to this upstream group on (explicit `keepalive N`, or the
/// 1.29.7+ default)?
pub(crate) fn keepalive_on(model: &Model<'_>, u: &Upstream) -> bool {
    match u.keepalive {
        Some((_, n)) => n > 0,
        None => model.nginx.version.keepalive_by_default() && !u.stream,
    }
}

/// An endpoint that reaches a Kubernetes Service port whose protocol the
/// Service declares (appProtocol or port name).
pub(crate) struct DeclaredPort<'m, 'a, 'c> {
    pub config: &'m crate::model::nginx::NginxConfig<'a>,
    pub endpoint: &'c Endpoint<'m>,
    pub service_name: &'c crate::model::hosts::ServiceName,
    pub port: u16,
    pub service_port: &'m ServicePort<'m>,
    pub protocol: crate::model::protocol::Protocol,
    pub source: crate::model::protocol::ProtocolSource,
}

/// Every endpoint of every config that reaches a declared Service port.
pub(crate) fn declared_service_ports<'c, 'm, 'a>(
    ctx: &'c Ctx<'m, 'a>,
) -> Vec<DeclaredPort<'m, 'a, 'c>> {
    use crate::model::protocol::{ProtocolSource, service_port_protocol};
    let mut out = Vec::new();
    for (c, endpoints) in config_endpoints(ctx) {
        for e in endpoints {
            let (HostService::Found(svc, sn), Some(port)) = (&e.service, e.port) else {
                continue;
            };
            let Some(sp) = service_port(svc, port) else {
                continue;
            };
            let (protocol, source) = service_port_protocol(sp);
            if source == ProtocolSource::Detected {
                continue;
            }
            out.push(DeclaredPort {
                config: c,
                endpoint: e,
                service_name: sn,
                port,
                service_port: sp,
                protocol,
                source,
            });
        }
    }
    out
}
