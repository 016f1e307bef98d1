//! Kubernetes rules: Services, pods, probes, Ingress.

mod container_port_invalid;
mod ingress_backend_port;
mod ingress_backend_service_missing;
mod network_policy_peer_matches_nothing;
mod probe_port_not_declared;
mod service_named_target_port;
mod service_ports_invalid;
mod service_selector_matches_nothing;
mod service_target_port;
mod termination_grace_zero;
mod workload_selector_mismatch;

use super::Rule;

pub static RULES: &[&Rule] = &[
    &service_target_port::RULE,
    &service_named_target_port::RULE,
    &service_selector_matches_nothing::RULE,
    &ingress_backend_service_missing::RULE,
    &ingress_backend_port::RULE,
    &probe_port_not_declared::RULE,
    &service_ports_invalid::RULE,
    &termination_grace_zero::RULE,
    &workload_selector_mismatch::RULE,
    &container_port_invalid::RULE,
    &network_policy_peer_matches_nothing::RULE,
];
