//! Istio rules: destinations, subsets, gateways, protocols, mTLS, pools.

mod conflicting_gateways;
mod connection_pool_refuses;
mod dr_subset_selects_no_pods;
mod dr_tls_to_mesh_plaintext;
mod gateway_port_not_on_service;
mod gateway_selector_no_workload;
mod istio_mutual_without_sidecar;
mod mtls_strict_vs_disable;
mod port_protocol_mismatch;
mod port_protocol_unset;
mod sidecar_drain;
mod uid_1337;
mod vs_destination_host_not_found;
mod vs_destination_port;
mod vs_destination_subset_not_found;
mod vs_gateway_not_found;
mod vs_host_not_in_gateway;

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
];
