//! K8S004: an Ingress backend naming a Service that is not in the tree.

use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "K8S004",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    // One budget for the suggestions of all this check's findings.
    let mut suggest = crate::util::Suggest::default();
    let k = &ctx.model.k8s;
    for b in &k.ingress_backends {
        let Some(obj) = k.object(b.object) else {
            continue;
        };
        if k.service(obj.namespace, b.service).is_some() {
            continue;
        }
        let f = emit
            .at(
                b.service_node.loc(),
                format!(
                    "Ingress {}/{} routes to Service `{}`, which is not defined in namespace {} in the analysed files",
                    obj.namespace, obj.name, b.service, obj.namespace
                ),
            )
            .resource(obj.resource());
        if let Some(near) = suggest.closest(b.service, k.service_names_in(obj.namespace)) {
            f.help(format!("did you mean Service `{near}`?"));
        } else {
            f.help("create the Service in the Ingress's namespace, or fix the name");
        }
    }
}
