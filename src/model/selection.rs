//! Selectors and what they select: [`SelectorIndex`] files selectors
//! (of Services, Sidecars) for lookup by a pod's labels, and
//! [`SharedSelections`] finds the pod templates of Services that share a
//! selector once.
//!
//! Rules ask for a Service's pods Service by Service; when many Services in
//! a namespace have the same selector, asking each time scans the same
//! templates again (Services x templates: 8,000 of each took seconds). Such
//! Services share one selection, looked up on first use and kept, within a
//! budget; a Service whose selector is its own is looked up as before.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use foldhash::{HashMap, HashMapExt};

use super::k8s::{CONTROLLER_LABELS, Object, Service};

/// (namespace, label key, value) -> ids, ascending.
pub(crate) type PairIndex<'a> = HashMap<(&'a str, &'a str, &'a str), Vec<usize>>;

/// Selectors filed by a pair of theirs, so that the ones that may select a
/// pod are found from its labels instead of by testing every selector.
/// A pod must carry every pair of a selector to be selected, so any pair
/// will do as the key: each selector is filed under the pair the fewest
/// pod templates carry (a label every pod shares, put first in many
/// charts, would file every selector in one list).
#[derive(Debug, Default)]
pub(crate) struct SelectorIndex<'a> {
    by_pair: PairIndex<'a>,
    /// Namespace -> selectors with only controller labels: they select
    /// every pod of their namespace.
    selecting_all: HashMap<&'a str, Vec<usize>>,
}

impl<'a> SelectorIndex<'a> {
    /// File selector `id` of namespace `ns` (ids in ascending order);
    /// `templates_by_label` tells how common each pair is.
    pub(crate) fn file(
        &mut self,
        id: usize,
        ns: &'a str,
        selector: &[(&'a str, &'a str)],
        templates_by_label: &PairIndex<'_>,
    ) {
        let rarest = selector
            .iter()
            .filter(|(key, _)| !CONTROLLER_LABELS.contains(key))
            .min_by_key(|&&(key, value)| {
                templates_by_label
                    .get(&(ns, key, value))
                    .map_or(0, Vec::len)
            });
        match rarest {
            Some(&(key, value)) => self.by_pair.entry((ns, key, value)).or_default().push(id),
            None => self.selecting_all.entry(ns).or_default().push(id),
        }
    }

    /// Ids of the selectors of namespace `ns` that may select a pod with
    /// any of these labels, ascending (each still to be tested).
    pub(crate) fn candidates<'s>(
        &'s self,
        ns: &'s str,
        labels: impl Iterator<Item = &'s (&'s str, &'s str)>,
    ) -> Vec<usize> {
        let mut ids: Vec<usize> = labels
            .filter_map(|&(key, value)| self.by_pair.get(&(ns, key, value)))
            .flatten()
            .chain(self.selecting_all.get(ns).into_iter().flatten())
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// Template indexes held in all kept selections at most (4 bytes each);
/// past it, selections are looked up each time again.
const MAX_HELD: usize = 4 << 20;

/// A namespace and a selector's pairs, sorted (a selector is a set).
type SelectorKey<'a> = (&'a str, Vec<(&'a str, &'a str)>);

#[derive(Debug, Default)]
pub(crate) struct SharedSelections {
    /// A Service's object index -> its selection, for selections that more
    /// than one Service shares.
    of_service: HashMap<usize, usize>,
    /// Each shared selection's templates (indexes into `K8s::templates`).
    found: Vec<OnceLock<Box<[u32]>>>,
    held: AtomicUsize,
}

impl SharedSelections {
    /// Group Services by namespace and selector (pair order aside: a
    /// selector is a set).
    pub(crate) fn of(services: &[Service<'_>], objects: &[Object<'_>]) -> SharedSelections {
        let mut groups: HashMap<SelectorKey<'_>, Vec<usize>> = HashMap::new();
        for s in services {
            let (Some(sel), Some(o)) = (&s.selector, objects.get(s.object)) else {
                continue;
            };
            let mut key = sel.clone();
            key.sort_unstable();
            key.dedup();
            groups.entry((o.namespace, key)).or_default().push(s.object);
        }
        let mut out = SharedSelections::default();
        for members in groups.into_values().filter(|m| m.len() > 1) {
            let id = out.found.len();
            out.found.push(OnceLock::new());
            out.of_service.extend(members.into_iter().map(|o| (o, id)));
        }
        out
    }

    /// The templates of a Service's shared selection: kept ones, or
    /// `find`'s (kept if the budget allows). `None`: the selection is the
    /// Service's own.
    pub(crate) fn get(
        &self,
        service_object: usize,
        find: impl FnOnce() -> Vec<u32>,
    ) -> Option<std::borrow::Cow<'_, [u32]>> {
        let slot = self.found.get(*self.of_service.get(&service_object)?)?;
        if let Some(kept) = slot.get() {
            return Some(kept.as_ref().into());
        }
        let ids = find();
        let held = self.held.fetch_add(ids.len(), Ordering::Relaxed) + ids.len();
        if held > MAX_HELD {
            return Some(ids.into());
        }
        Some(slot.get_or_init(|| ids.into_boxed_slice()).as_ref().into())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use crate::model::build_k8s;
    use crate::model::read_k8s::FileFacts;
    use crate::parse::yaml;

    const FILE: &str = r#"
{apiVersion: apps/v1, kind: Deployment, metadata: {name: a, namespace: web}, spec: {template: {metadata: {labels: {app: shop, tier: front}}}}}
---
{apiVersion: apps/v1, kind: Deployment, metadata: {name: b, namespace: web}, spec: {template: {metadata: {labels: {app: shop}}}}}
---
{apiVersion: apps/v1, kind: Deployment, metadata: {name: c, namespace: other}, spec: {template: {metadata: {labels: {app: shop, tier: front}}}}}
---
{apiVersion: v1, kind: Service, metadata: {name: s1, namespace: web}, spec: {selector: {app: shop, tier: front}}}
---
{apiVersion: v1, kind: Service, metadata: {name: s2, namespace: web}, spec: {selector: {tier: front, app: shop}}}
---
{apiVersion: v1, kind: Service, metadata: {name: s3, namespace: other}, spec: {selector: {app: shop, tier: front}}}
---
{apiVersion: v1, kind: Service, metadata: {name: s4, namespace: web}, spec: {selector: {app: shop}}}
---
{apiVersion: v1, kind: Service, metadata: {name: s5, namespace: web}, spec: {selector: {app: shop}}}
---
{apiVersion: v1, kind: Service, metadata: {name: s6, namespace: web}, spec: {selector: {app: shop, tier: back}}}
"#;

    /// The template names a Service's pods come from.
    fn names(k: &crate::model::K8s<'_>, service: &str) -> Vec<String> {
        let s = k
            .services
            .iter()
            .find(|s| k.objects[s.object].name == service)
            .unwrap();
        let mut out: Vec<String> = k
            .service_templates(s)
            .iter()
            .map(|t| k.objects[t.object].name.to_string())
            .collect();
        out.sort();
        out
    }

    #[test]
    fn services_with_one_selector_share_what_it_selects_and_see_the_same() {
        let loaded = yaml::load(FILE, 0);
        let facts = FileFacts::of_docs(&loaded.docs, "default");
        let k = build_k8s::build(facts.objects, facts.templates, facts.services);
        // s1 and s2 (pairs in another order) share a selection, s4 and s5
        // another; s3 (another namespace) and s6 have their own.
        assert_eq!(k.shared_selections.found.len(), 2);
        assert_eq!(k.shared_selections.of_service.len(), 4);
        // Asked twice (found, then kept), each sees what its selector selects.
        for _ in 0..2 {
            assert_eq!(names(&k, "s1"), ["a"]);
            assert_eq!(names(&k, "s2"), ["a"]);
            assert_eq!(names(&k, "s3"), ["c"]);
            assert_eq!(names(&k, "s4"), ["a", "b"]);
            assert_eq!(names(&k, "s5"), ["a", "b"]);
            assert!(names(&k, "s6").is_empty());
        }
        assert!(k.shared_selections.found.iter().all(|f| f.get().is_some()));
    }
}
