//! Envoy rules: clusters, listeners and routes, alone and against the
//! Kubernetes objects in the tree.

mod alpn_contradicts_codec;
mod auto_config_without_alpn;
mod circuit_breaker_too_low;
mod cluster_without_endpoints;
mod connect_timeout_too_low;
mod deprecated_field;
mod dump_resource_not_active;
mod endpoint_port_not_in_service;
mod grpc_without_http2;
mod http2_to_http1_upstream;
mod idle_timeout_keepalive_race;
mod loopback_endpoint_in_gateway;
mod max_requests_per_connection_h2;
mod outlier_ejects_all;
mod route_cluster_missing;
mod sni_match_without_tls_inspector;
mod tls_port_mismatch;
mod tls_without_sni;
mod upstream_proxy_protocol_mismatch;

use super::Rule;
use crate::model::Model;
use crate::model::envoy::{Cluster, Endpoint};
use crate::model::hosts::resolve_host;
use crate::model::k8s::{Service, ServicePort};

pub static RULES: &[&Rule] = &[
    &route_cluster_missing::RULE,
    &dump_resource_not_active::RULE,
    &grpc_without_http2::RULE,
    &http2_to_http1_upstream::RULE,
    &auto_config_without_alpn::RULE,
    &alpn_contradicts_codec::RULE,
    &tls_without_sni::RULE,
    &tls_port_mismatch::RULE,
    &endpoint_port_not_in_service::RULE,
    &loopback_endpoint_in_gateway::RULE,
    &cluster_without_endpoints::RULE,
    &connect_timeout_too_low::RULE,
    &circuit_breaker_too_low::RULE,
    &outlier_ejects_all::RULE,
    &idle_timeout_keepalive_race::RULE,
    &max_requests_per_connection_h2::RULE,
    &sni_match_without_tls_inspector::RULE,
    &deprecated_field::RULE,
    &upstream_proxy_protocol_mismatch::RULE,
];

/// The Kubernetes Service an endpoint host names, if it is in the tree.
/// Envoy has no namespace of its own: a one-label host is tried in the
/// default namespace, then matched to a Service of that name if only one
/// namespace has it.
pub(crate) fn service_of_host<'m, 'a>(model: &'m Model<'a>, host: &str) -> Option<&'m Service<'a>> {
    let opts = &model.options;
    let name = resolve_host(host, &opts.default_namespace, &opts.cluster_domain)?;
    if let Some(s) = model.k8s.service(&name.namespace, &name.name) {
        return Some(s);
    }
    if host.contains('.') {
        return None;
    }
    let mut found = model.k8s.services.iter().filter(|s| {
        model
            .k8s
            .service_object(s)
            .is_some_and(|o| o.name.eq_ignore_ascii_case(&name.name))
    });
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// The Service port an endpoint reaches, when its host is a Service in the tree.
pub(crate) fn service_port_of<'m, 'a>(
    model: &'m Model<'a>,
    ep: &Endpoint<'_>,
) -> Option<(&'m Service<'a>, &'m ServicePort<'a>)> {
    let svc = service_of_host(model, ep.address?)?;
    let port = svc.port_numbered(ep.port?)?;
    Some((svc, port))
}

/// What a Service port says about its protocol: `Some(true)` HTTP/2 or gRPC,
/// `Some(false)` HTTP/1 only, `None` unknown.
pub(crate) fn port_speaks_h2(p: &ServicePort<'_>) -> Option<bool> {
    if let Some(ap) = p.app_protocol {
        let ap = ap.to_ascii_lowercase();
        return match ap.as_str() {
            "grpc" | "http2" | "h2c" | "kubernetes.io/h2c" | "grpc-web" => Some(true),
            "http" | "http1" | "http/1.1" | "kubernetes.io/ws" => Some(false),
            _ => None,
        };
    }
    // Istio's port naming convention: `<protocol>[-<suffix>]`.
    let name = p.name?.to_ascii_lowercase();
    let proto = name.split('-').next().unwrap_or("");
    match proto {
        "grpc" | "http2" | "grpc-web" => Some(true),
        _ => None,
    }
}

/// Is the cluster sent HTTP by some route (rather than only by tcp_proxy)?
pub(crate) fn routed_by_http(model: &Model<'_>, c: &Cluster<'_>) -> bool {
    model.envoy.usage(c).http
}

/// Is the cluster a tcp_proxy target (TLS passthrough and other raw TCP)?
pub(crate) fn routed_by_tcp_proxy(model: &Model<'_>, c: &Cluster<'_>) -> bool {
    model.envoy.usage(c).tcp
}
