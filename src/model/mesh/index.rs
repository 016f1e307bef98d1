//! Indexes behind the mesh-wide lookups: DestinationRules and
//! ServiceEntries by host, PeerAuthentications by namespace and selector,
//! so that a lookup reads the few that may match instead of every one
//! (thousands of wildcard hosts, each tested against every destination,
//! took seconds).

use foldhash::HashMap;

use crate::model::istio::PeerAuthentication;
use crate::model::k8s::Object;
use crate::model::selection::{PairIndex, SelectorIndex};

/// Ids filed by a wildcard host pattern (`*.example.com`, `*`), found from
/// a host the pattern matches. `host_matches(pattern, host)` holds exactly
/// when the host ends with the part after the `*` (ASCII case aside; `*`
/// leaves an empty part, which every host ends with): the ids are filed
/// under that part, and a host looks up its own endings of the lengths
/// some part has.
#[derive(Debug, Default)]
pub(crate) struct WildcardIndex {
    /// Part after the `*` (lowercase) -> ids, ascending.
    by_suffix: HashMap<String, Vec<usize>>,
    /// The lengths of those parts, ascending, without repeats.
    lengths: Vec<usize>,
}

impl WildcardIndex {
    /// File id `id` (ids in ascending order) under a pattern starting with `*`.
    pub(crate) fn file(&mut self, id: usize, pattern: &str) {
        let suffix = pattern.get(1..).unwrap_or("").to_ascii_lowercase();
        if let Err(at) = self.lengths.binary_search(&suffix.len()) {
            self.lengths.insert(at, suffix.len());
        }
        let ids = self.by_suffix.entry(suffix).or_default();
        if ids.last() != Some(&id) {
            ids.push(id);
        }
    }

    /// Ids of the patterns that match a host, ascending.
    pub(crate) fn matching(&self, host: &str) -> Vec<usize> {
        let host = host.to_ascii_lowercase();
        let mut ids: Vec<usize> = self
            .lengths
            .iter()
            .take_while(|&&len| len <= host.len())
            // Not a character boundary: no pattern's part can start there.
            .filter_map(|&len| host.get(host.len() - len..))
            .filter_map(|ending| self.by_suffix.get(ending))
            .flatten()
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// Ids of resources by their hosts: a plain host (lowercase) matches only
/// itself, case aside; the wildcard ones are filed by what they match.
#[derive(Debug, Default)]
pub(crate) struct HostIndex {
    exact: HashMap<String, Vec<usize>>,
    pub(crate) wildcard: WildcardIndex,
}

impl HostIndex {
    /// File id `id` (ids in ascending order) under one of its hosts.
    pub(crate) fn file(&mut self, id: usize, host: &str) {
        if host.starts_with('*') {
            self.wildcard.file(id, host);
        } else {
            let ids = self.exact.entry(host.to_ascii_lowercase()).or_default();
            if ids.last() != Some(&id) {
                ids.push(id);
            }
        }
    }

    /// Ids filed under a plain host exactly (case aside), ascending.
    pub(crate) fn exact(&self, host: &str) -> &[usize] {
        self.exact
            .get(&host.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }
}

/// DestinationRule indexes by their FQDN host.
pub(crate) type DrIndex = HostIndex;

/// ServiceEntry indexes (into `service_entries`) by their hosts.
pub(crate) type SeIndex = HostIndex;

/// PeerAuthentication indexes (into `peer_authentications`, ascending):
/// the ones without a selector by namespace, the others filed by a pair
/// of their selector, so that the policies of a pod are looked up from
/// its namespace and labels instead of testing every policy per pod.
#[derive(Debug, Default)]
pub(crate) struct PaIndex<'a> {
    namespace_wide: HashMap<&'a str, Vec<usize>>,
    by_selector: SelectorIndex<'a>,
}

impl<'a> PaIndex<'a> {
    pub(crate) fn of(
        policies: &[PeerAuthentication<'a>],
        objects: &[Object<'a>],
        templates_by_label: &PairIndex<'_>,
    ) -> Self {
        let mut index = PaIndex::default();
        for (i, pa) in policies.iter().enumerate() {
            let Some(ns) = objects.get(pa.object).map(|o| o.namespace) else {
                continue;
            };
            match &pa.selector {
                Some(sel) => index.by_selector.file(i, ns, sel, templates_by_label),
                None => index.namespace_wide.entry(ns).or_default().push(i),
            }
        }
        index
    }

    /// Policies of namespace `ns` without a selector, ascending.
    pub(crate) fn namespace_wide(&self, ns: &str) -> &[usize] {
        self.namespace_wide.get(ns).map_or(&[], Vec::as_slice)
    }

    /// Policies of namespace `ns` whose selector may select a pod with
    /// these labels, ascending (each still to be tested).
    pub(crate) fn with_selector<'s>(
        &'s self,
        ns: &'s str,
        labels: &'s [(&'s str, &'s str)],
    ) -> Vec<usize> {
        self.by_selector.candidates(ns, labels.iter())
    }
}
