//! Gateway API rules: routes against their backends, parents and grants.

mod backend_port_missing;
mod backend_port_not_exposed;
mod backend_protocol_mismatch;
mod backend_ref_not_permitted;
mod backend_service_missing;
mod common;
mod parent_gateway_missing;
mod parent_listener_missing;
mod route_not_allowed;

use super::Rule;

pub static RULES: &[&Rule] = &[
    &backend_service_missing::RULE,
    &backend_port_not_exposed::RULE,
    &backend_port_missing::RULE,
    &backend_ref_not_permitted::RULE,
    &parent_gateway_missing::RULE,
    &parent_listener_missing::RULE,
    &route_not_allowed::RULE,
    &backend_protocol_mismatch::RULE,
];
