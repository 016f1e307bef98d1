//! NGX024: ingress-nginx `ssl-passthrough`: the controller must run with
//! `--enable-ssl-passthrough`, and every other annotation of the Ingress
//! stops working (the TLS stream is passed on untouched, at layer 4).

use super::ingress_backend_protocol::{PREFIX, nginx_ingresses};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX024",
    check,
};

/// Annotations that still matter with passthrough (or say nothing about traffic).
fn unaffected(key: &str) -> bool {
    matches!(key, "ssl-passthrough" | "ingress.class")
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let k = &ctx.model.k8s;
    // ingress-nginx controllers in the tree, and whether they enable passthrough.
    let controllers: Vec<bool> = k
        .templates
        .iter()
        .flat_map(|t| t.containers.iter())
        .filter(|c| {
            c.image.contains("ingress-nginx/controller")
                || c.image.contains("nginx-ingress-controller")
        })
        .map(|c| {
            c.command_args
                .iter()
                .any(|a| a.starts_with("--enable-ssl-passthrough") && !a.ends_with("=false"))
        })
        .collect();
    for o in nginx_ingresses(ctx) {
        let key = format!("{PREFIX}ssl-passthrough");
        if o.annotation(&key) != Some("true") {
            continue;
        }
        let at = |k: &str| {
            o.path(&["metadata", "annotations", k])
                .map(|n| n.loc())
                .unwrap_or_else(|| o.name_loc())
        };
        if !controllers.is_empty() && controllers.iter().all(|e| !e) {
            emit.at(
                at(&key),
                format!(
                    "Ingress {}/{} asks for SSL passthrough, but the ingress-nginx controller in the tree runs without `--enable-ssl-passthrough`: the annotation is ignored and TLS is terminated (or sent to the default backend)",
                    o.namespace, o.name
                ),
            )
            .resource(o.resource())
            .help("add `--enable-ssl-passthrough` to the controller's args");
        }
        let ignored: Vec<&str> = o
            .annotations
            .iter()
            .filter_map(|(a, _)| a.strip_prefix(PREFIX))
            .filter(|a| !unaffected(a))
            .collect();
        if let Some(first) = ignored.first() {
            emit.at(
                at(&format!("{PREFIX}{first}")),
                format!(
                    "Ingress {}/{} uses SSL passthrough, which passes the TLS stream on at layer 4: its other ingress-nginx annotations ({}) have no effect",
                    o.namespace,
                    o.name,
                    ignored.join(", ")
                ),
            )
            .resource(o.resource())
            .help("move the settings to the backend itself, or terminate TLS in ingress-nginx instead of passing it through");
        }
    }
}
