//! Pod templates that are copies of each other, for rules that ask every
//! Service about every pod template it selects: a tree that defines the
//! same Service and Deployment thousands of times asked the same question
//! Services x templates times (4,000 of each: 2.1 s; 8,000: 14 s).

use std::collections::{HashMap, HashSet};

use crate::model::Model;
use crate::model::k8s::{PodTemplate, Service};

/// What a port lookup reads of a template: its serving containers' ports
/// (name, number, protocol) in order.
type Ports<'a> = Vec<(Option<&'a str>, Option<i64>, &'a str)>;

/// The templates selected in a namespace by a selector (pairs sorted), one
/// of each class.
pub(super) type Selected<'m, 'a> =
    HashMap<(&'m str, Vec<(&'a str, &'a str)>), Vec<&'m PodTemplate<'a>>>;

/// A workload's kind, namespace, name and labels (sorted), with its ports.
type Identity<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Vec<(&'a str, &'a str)>,
    Ports<'a>,
);

fn ports<'a>(t: &PodTemplate<'a>) -> Ports<'a> {
    t.declared_ports()
        .map(|(_, p)| (p.name, p.number, p.protocol))
        .collect()
}

/// A number per pod template: equal numbers, equal answers.
pub(super) struct TemplateClasses {
    of: HashMap<*const (), usize>,
}

impl TemplateClasses {
    /// Templates that declare the same ports in the same order: the same
    /// answers to `port_for_name` and to lookups by number.
    pub(super) fn by_ports(m: &Model<'_>) -> Self {
        Self::by(m, |t| ports(t))
    }

    /// Templates of the same workload (kind, namespace and name), labels and
    /// ports: the same Services select them and every finding about them
    /// reads the same.
    pub(super) fn by_identity(m: &Model<'_>) -> Self {
        Self::by(m, |t| -> Option<Identity<'_>> {
            let o = m.k8s.template_object(t)?;
            let mut labels = t.labels.clone();
            labels.sort_unstable();
            Some((o.kind, o.namespace, o.name, labels, ports(t)))
        })
    }

    fn by<'a, K: std::hash::Hash + Eq>(m: &Model<'a>, key: impl Fn(&PodTemplate<'a>) -> K) -> Self {
        let mut classes: HashMap<K, usize> = HashMap::new();
        let mut of = HashMap::new();
        for t in &m.k8s.templates {
            let next = classes.len();
            let class = *classes.entry(key(t)).or_insert(next);
            of.insert(address(t), class);
        }
        TemplateClasses { of }
    }

    /// Is `t` the first of its class that `seen` meets?
    pub(super) fn first_seen(&self, t: &PodTemplate<'_>, seen: &mut HashSet<usize>) -> bool {
        // A template of another tree (none in practice) is its own class.
        self.of.get(&address(t)).is_none_or(|&c| seen.insert(c))
    }

    /// The templates a Service selects, one of each class, in order; found
    /// once per namespace and selector (a set) of the Services asked.
    pub(super) fn distinct_templates<'m, 'a>(
        &self,
        m: &'m Model<'a>,
        svc: &'m Service<'a>,
        found: &mut Selected<'m, 'a>,
    ) -> Vec<&'m PodTemplate<'a>> {
        let (Some(sel), Some(o)) = (&svc.selector, m.k8s.service_object(svc)) else {
            return Vec::new();
        };
        let mut key = sel.clone();
        key.sort_unstable();
        key.dedup();
        found
            .entry((o.namespace, key))
            .or_insert_with(|| {
                let mut seen = HashSet::new();
                m.k8s
                    .service_templates(svc)
                    .into_iter()
                    .filter(|t| self.first_seen(t, &mut seen))
                    .collect()
            })
            .clone()
    }
}

/// A template's place in memory: its identity among the model's templates
/// (only compared, never read through).
fn address(t: &PodTemplate<'_>) -> *const () {
    std::ptr::from_ref(t).cast()
}
