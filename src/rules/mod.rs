//! The rule registry. A rule is `rules/<ID>.yaml` (what users read) plus one
//! file under `src/rules/<system>/` holding `pub static RULE` and its check.

mod emit;
pub mod envoy;
pub mod gateway_api;
pub mod istio;
pub mod k8s;
pub mod meta;
pub mod nginx;
pub mod schema;

use crate::config::Thresholds;
use crate::finding::Finding;
use crate::model::Model;
use crate::model::nginx::{IncludeNote, NginxConfig};

pub use emit::Emit;

/// A check over the model.
pub struct Rule {
    pub id: &'static str,
    pub check: fn(&Ctx<'_, '_>, &mut Emit),
}

/// What a check can read.
pub struct Ctx<'m, 'a> {
    pub model: &'m Model<'a>,
    pub thresholds: &'m Thresholds,
    /// What schema validation found (read by the SCH rules).
    pub schema: &'m crate::schema::Results,
    /// Which pass this is (see [`run`]).
    pub pass: Pass,
    /// The NGINX configurations a check reads: one in a
    /// [`Pass::NginxConfig`], none in the model pass.
    pub nginx_configs: &'m [NginxConfig<'a>],
    /// Every configuration's unresolved includes, in configuration order.
    pub nginx_notes: &'m [IncludeNote],
    /// Each NGINX configuration's endpoints, derived once for the rules
    /// that read them (see `nginx::config_endpoints`).
    pub(crate) nginx_endpoints: std::sync::OnceLock<Vec<Vec<nginx::Endpoint<'m>>>>,
}

/// Every rule runs once over the whole model; the rules that read NGINX
/// configurations also run once per configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    Model,
    NginxConfig,
}

impl<'m, 'a> Ctx<'m, 'a> {
    fn new(
        model: &'m Model<'a>,
        thresholds: &'m Thresholds,
        schema: &'m crate::schema::Results,
        nginx_configs: &'m [NginxConfig<'a>],
        nginx_notes: &'m [IncludeNote],
    ) -> Ctx<'m, 'a> {
        Ctx {
            pass: if nginx_configs.is_empty() {
                Pass::Model
            } else {
                Pass::NginxConfig
            },
            model,
            thresholds,
            schema,
            nginx_configs,
            nginx_notes,
            nginx_endpoints: std::sync::OnceLock::new(),
        }
    }
}

/// Rules of the tool itself, raised by the pipeline rather than a check.
pub mod tool {
    pub const PARSE_ERROR: &str = "CA001";
    pub const DUPLICATE_KEY: &str = "CA002";
    pub const UNUSED_SUPPRESSION: &str = "CA003";
    pub const LIMIT: &str = "CA004";
    pub const ALL: [&str; 4] = [PARSE_ERROR, DUPLICATE_KEY, UNUSED_SUPPRESSION, LIMIT];
}

/// Every check, in registry order.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    k8s::RULES
        .iter()
        .chain(istio::RULES)
        .chain(gateway_api::RULES)
        .chain(envoy::RULES)
        .chain(schema::RULES)
        .copied()
        .chain(nginx::RULES.iter().map(|(rule, _)| *rule))
}

/// Run every selected check. Checks only read the model, so they run in
/// parallel; the findings come back in rule order (and are sorted later).
///
/// NGINX configurations are built here, one per worker at a time: each is
/// checked by the rules that read configurations and dropped before the next.
pub fn run(
    model: &Model<'_>,
    thresholds: &Thresholds,
    schema: &crate::schema::Results,
    selected: impl Fn(&str) -> bool + Sync,
) -> Vec<Finding> {
    use rayon::prelude::*;
    let config_rules: Vec<&Rule> = nginx::config_rules().filter(|r| selected(r.id)).collect();
    let (per_config, not_built) = model.nginx.each_config(|mut config| {
        model.relate_nginx(&mut config);
        let notes = std::mem::take(&mut config.tree.notes);
        let ctx = Ctx::new(
            model,
            thresholds,
            schema,
            std::slice::from_ref(&config),
            &[],
        );
        let findings: Vec<Finding> = config_rules
            .iter()
            .flat_map(|rule| check(rule, &ctx))
            .collect();
        (findings, notes)
    });
    crate::timing::phase_done("nginx configs");
    let mut findings = Vec::new();
    let mut notes = not_built;
    for (f, n) in per_config {
        findings.extend(f);
        notes.extend(n);
    }
    let ctx = Ctx::new(model, thresholds, schema, &[], &notes);
    let rules: Vec<&Rule> = all().filter(|r| selected(r.id)).collect();
    let per_rule: Vec<Vec<Finding>> = rules.par_iter().map(|rule| check(rule, &ctx)).collect();
    findings.extend(per_rule.into_iter().flatten());
    findings
}

fn check(rule: &Rule, ctx: &Ctx<'_, '_>) -> Vec<Finding> {
    crate::timing::rule(rule.id, || {
        let mut emit = Emit::new(rule.id);
        (rule.check)(ctx, &mut emit);
        emit.finish()
    })
}
