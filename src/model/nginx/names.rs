//! A configuration's directives grouped by name, and by level and name:
//! each name gets a small number once, and the groups are laid out by
//! counting, so a lookup is one hash of the name and integer compares (the
//! rules ask ~60,000 times per 10 MB tree; sorting by name and comparing
//! names in every binary search cost ~60 M instructions there).

use foldhash::{HashMap, HashMapExt};

use super::tree::{Level, Node};

/// Node ids grouped by name, and by (level, name); within a group, in
/// node order.
#[derive(Debug, Default)]
pub(super) struct NameIndex<'a> {
    /// Directive name -> its number (in order of first use).
    numbers: HashMap<&'a str, u32>,
    /// Recently numbered names, in front of `numbers` (see [`Recent`]).
    recent: Recent<'a>,
    /// Each node's name number, by node id.
    name_of: Vec<u32>,
    /// Node ids by (name number, id): name `k`'s are
    /// `by_name[name_start[k]..name_start[k + 1]]`.
    by_name: Vec<u32>,
    name_start: Vec<u32>,
    /// Node ids by (level, name number, id): a level's are
    /// `by_level[level_start[s]..level_start[s + 1]]`, `s` its [`slot`].
    by_level: Vec<u32>,
    level_start: Vec<u32>,
}

/// A level's place in `level_start`: the top level first, then each node.
fn slot(level: Level) -> usize {
    level.map_or(0, |p| p + 1)
}

/// `items` laid out by their group, in their order within each: the
/// reordered items and where each group starts (`groups + 1` offsets).
fn by_group(
    items: impl Iterator<Item = (usize, u32)> + Clone,
    groups: usize,
) -> (Vec<u32>, Vec<u32>) {
    let mut start = vec![0u32; groups + 1];
    for (g, _) in items.clone() {
        if let Some(c) = start.get_mut(g + 1) {
            *c += 1;
        }
    }
    for g in 1..start.len() {
        let before = start.get(g - 1).copied().unwrap_or(0);
        if let Some(c) = start.get_mut(g) {
            *c += before;
        }
    }
    let mut next = start.clone();
    let mut out = vec![0u32; start.last().copied().unwrap_or(0) as usize];
    for (g, item) in items {
        if let Some(at) = next.get_mut(g)
            && let Some(o) = out.get_mut(*at as usize)
        {
            *o = item;
            *at += 1;
        }
    }
    (out, start)
}

/// A direct-mapped cache of names and their numbers: a configuration
/// holds a hundred or so distinct names, and hashing each of its
/// directives' names with the map's seeded hasher cost ~250 instructions a
/// directive. A slot is chosen by a cheap unseeded mix of the name and
/// holds the last name numbered there; on a miss the seeded map answers,
/// so names crafted to share slots cost no more than the map alone.
#[derive(Debug)]
struct Recent<'a>(Vec<Option<(&'a str, u32)>>);

const RECENT_SLOTS: usize = 256;

impl Default for Recent<'_> {
    fn default() -> Self {
        Recent(vec![None; RECENT_SLOTS])
    }
}

impl<'a> Recent<'a> {
    fn slot(name: &str) -> usize {
        // The length and a few bytes from both ends and the middle.
        let b = name.as_bytes();
        let n = b.len();
        [0, 1, n / 2, n.saturating_sub(2), n.saturating_sub(1)]
            .iter()
            .fold(n, |h, &i| {
                h.wrapping_mul(31)
                    .wrapping_add(usize::from(b.get(i).copied().unwrap_or(0)))
            })
            % RECENT_SLOTS
    }

    fn get(&self, name: &str) -> Option<u32> {
        match self.0.get(Self::slot(name)) {
            Some(Some((held, k))) if *held == name => Some(*k),
            _ => None,
        }
    }

    fn put(&mut self, name: &'a str, k: u32) {
        if let Some(s) = self.0.get_mut(Self::slot(name)) {
            *s = Some((name, k));
        }
    }
}

impl<'a> NameIndex<'a> {
    pub(super) fn new(nodes: &[Node<'a>]) -> NameIndex<'a> {
        // Sized for the hundred or so names of a configuration: no rehashing.
        let mut numbers: HashMap<&'a str, u32> = HashMap::with_capacity(128);
        let mut recent = Recent::default();
        let name_of: Vec<u32> = nodes
            .iter()
            .map(|n| {
                let name = n.d.name.as_str();
                if let Some(k) = recent.get(name) {
                    return k;
                }
                let next = u32::try_from(numbers.len()).unwrap_or(u32::MAX);
                let k = *numbers.entry(name).or_insert(next);
                recent.put(name, k);
                k
            })
            .collect();
        let (by_name, name_start) = by_group(
            name_of.iter().zip(0u32..).map(|(&k, i)| (k as usize, i)),
            numbers.len(),
        );
        // Laid out by level from the name order: (level, name, id).
        let (by_level, level_start) = by_group(
            by_name.iter().map(|&i| {
                let parent = nodes.get(i as usize).and_then(Node::parent);
                (slot(parent), i)
            }),
            nodes.len() + 1,
        );
        NameIndex {
            numbers,
            recent,
            name_of,
            by_name,
            name_start,
            by_level,
            level_start,
        }
    }

    /// The number of a directive name (`None`: no directive has it).
    pub(super) fn number(&self, name: &str) -> Option<u32> {
        self.recent
            .get(name)
            .or_else(|| self.numbers.get(name).copied())
    }

    /// Ids of every directive with name number `k`, in order.
    pub(super) fn named(&self, k: u32) -> &[u32] {
        let k = k as usize;
        match (self.name_start.get(k), self.name_start.get(k + 1)) {
            (Some(&lo), Some(&hi)) => self.by_name.get(lo as usize..hi as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Ids of the directives with name number `k` directly in a level, in
    /// order.
    pub(super) fn own(&self, level: Level, k: u32) -> &[u32] {
        let s = slot(level);
        let level = match (self.level_start.get(s), self.level_start.get(s + 1)) {
            (Some(&lo), Some(&hi)) => self.by_level.get(lo as usize..hi as usize).unwrap_or(&[]),
            _ => &[],
        };
        let name = |i: &u32| self.name_of.get(*i as usize).copied().unwrap_or(u32::MAX);
        let lo = level.partition_point(|i| name(i) < k);
        let rest = level.get(lo..).unwrap_or(&[]);
        rest.get(..rest.partition_point(|i| name(i) == k))
            .unwrap_or(&[])
    }
}
