//! Istio rules: destinations, subsets, gateways, protocols, mTLS, pools.

mod conflicting_gateways;
mod connection_pool_refuses;
mod dr_host_not_found;
mod dr_subset_selects_no_pods;
mod dr_tls_no_ca;
mod dr_tls_to_mesh_plaintext;
mod externalname_port_name;
mod gateway_bypasses_mesh_routes;
mod gateway_port_not_on_service;
mod gateway_selector_no_workload;
mod istio_mutual_without_sidecar;
mod mtls_strict_vs_disable;
mod port_protocol_mismatch;
mod port_protocol_unset;
mod service_entry_checks;
mod sidecar_drain;
mod sidecar_selector;
mod template_classes;
mod uid_1337;
mod vs_destination_host_not_found;
mod vs_destination_port;
mod vs_destination_subset_not_found;
mod vs_gateway_not_found;
mod vs_host_not_in_gateway;
mod workload_port_conflicts;

use super::Rule;

pub static RULES: &[&Rule] = &[
    &vs_destination_host_not_found::RULE,
    &vs_destination_subset_not_found::RULE,
    &dr_subset_selects_no_pods::RULE,
    &vs_destination_port::RULE,
    &gateway_port_not_on_service::RULE,
    &gateway_selector_no_workload::RULE,
    &vs_gateway_not_found::RULE,
    &vs_host_not_in_gateway::RULE,
    &conflicting_gateways::RULE,
    &port_protocol_mismatch::RULE,
    &port_protocol_unset::RULE,
    &mtls_strict_vs_disable::RULE,
    &dr_tls_to_mesh_plaintext::RULE,
    &istio_mutual_without_sidecar::RULE,
    &connection_pool_refuses::RULE,
    &sidecar_drain::RULE,
    &uid_1337::RULE,
    &sidecar_selector::RULE,
    &workload_port_conflicts::RULE,
    &service_entry_checks::RULE,
    &dr_host_not_found::RULE,
    &externalname_port_name::RULE,
    &dr_tls_no_ca::RULE,
    &gateway_bypasses_mesh_routes::RULE,
];
