//! Pod templates that are copies of each other, for rules that ask every
//! Service about every pod template it selects: a tree that defines the
//! same Service and Deployment thousands of times asked the same question
//! Services x templates times (4,000 of each: 2.1 s; 8,000: 14 s).

use foldhash::{HashMap, HashSet, HashSetExt};

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
    /// Address of the model's first template: a template's class is found
    /// by its place in the model's list.
    start: usize,
    /// Class of each template, by its index in the model.
    of: Vec<u32>,
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

    /// Keys are hashed and dropped, then compared only within a hash:
    /// holding every template's key (labels, ports) while two rules built
    /// their classes added ~10 MB to the 100 MB tree's peak.
    fn by<'a, K: std::hash::Hash + Eq>(m: &Model<'a>, key: impl Fn(&PodTemplate<'a>) -> K) -> Self {
        use std::hash::BuildHasher;
        let hasher = foldhash::fast::RandomState::default();
        let templates = &m.k8s.templates;
        let mut hashed: Vec<(u64, usize)> = templates
            .iter()
            .enumerate()
            .map(|(i, t)| (hasher.hash_one(key(t)), i))
            .collect();
        hashed.sort_unstable();
        let mut of = vec![0u32; templates.len()];
        let mut classes = 0u32;
        for same_hash in hashed.chunk_by(|a, b| a.0 == b.0) {
            // A hash of its own is a class of its own: no key to compare
            // (building keys again is most of the cost).
            if let [(_, i)] = same_hash {
                classes += 1;
                if let Some(c) = of.get_mut(*i) {
                    *c = classes;
                }
                continue;
            }
            // Nearly always one key (copies share it); told apart if not.
            let mut keys: Vec<(K, u32)> = Vec::new();
            for &(_, i) in same_hash {
                let Some(t) = templates.get(i) else { continue };
                let k = key(t);
                let class = match keys.iter().find(|(seen, _)| *seen == k) {
                    Some(&(_, c)) => c,
                    None => {
                        classes += 1;
                        keys.push((k, classes));
                        classes
                    }
                };
                if let Some(c) = of.get_mut(i) {
                    *c = class;
                }
            }
        }
        TemplateClasses {
            start: templates.as_ptr().addr(),
            of,
        }
    }

    /// Is `t` the first of its class that `seen` meets?
    pub(super) fn first_seen(&self, t: &PodTemplate<'_>, seen: &mut HashSet<usize>) -> bool {
        // A template of another tree (none in practice) is its own class.
        self.class_of(t).is_none_or(|c| seen.insert(c as usize))
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
impl TemplateClasses {
    fn class_of(&self, t: &PodTemplate<'_>) -> Option<u32> {
        let at = std::ptr::from_ref(t).addr().checked_sub(self.start)?;
        let size = std::mem::size_of::<PodTemplate<'_>>();
        if size == 0 || at % size != 0 {
            return None;
        }
        self.of.get(at / size).copied()
    }
}
