//! Ports found by number and by name without a scan. A Service or pod
//! template with thousands of ports, asked once for each port of another
//! resource (each Service port, each Ingress path), made those rules
//! quadratic: 8,000 ports took K8S002 0.36 s and K8S001 0.18 s. A pod
//! template's port lookups live here too, beside the index they use.

use std::sync::OnceLock;

use foldhash::{HashMap, HashMapExt};

use super::k8s::{Container, ContainerPort, PodTemplate};

/// Below this many ports a scan is as quick as a lookup: no index is built.
const INDEXED_FROM: usize = 16;

/// Where the ports of each number and of each name are, in order; built on
/// first use, and only for many ports.
#[derive(Clone, Debug, Default)]
pub struct PortIndex<At> {
    built: OnceLock<Positions<At>>,
}

#[derive(Clone, Debug)]
struct Positions<At> {
    by_number: HashMap<i64, Vec<At>>,
    by_name: HashMap<Box<str>, Vec<At>>,
}

/// Each port's position, number and name, in order.
pub type Ports<'p, At> = Box<dyn Iterator<Item = (At, Option<i64>, Option<&'p str>)> + 'p>;

/// What to look up.
#[derive(Clone, Copy)]
pub enum PortKey<'k> {
    Number(i64),
    Name(&'k str),
}

impl PortKey<'_> {
    /// Does a port of this number and name have the key (what a scan asks)?
    pub fn matches(self, number: Option<i64>, name: Option<&str>) -> bool {
        match self {
            PortKey::Number(n) => number == Some(n),
            PortKey::Name(s) => name == Some(s),
        }
    }
}

impl<At: Copy> PortIndex<At> {
    /// The positions of the ports with this key, in order; `None`: too few
    /// ports to index (`count`), scan them. `ports` gives each port's
    /// position, number and name, in order.
    pub fn find<'p>(
        &self,
        count: usize,
        ports: impl FnOnce() -> Ports<'p, At>,
        key: PortKey<'_>,
    ) -> Option<&[At]> {
        if count < INDEXED_FROM {
            return None;
        }
        let built = self.built.get_or_init(|| {
            let mut by_number: HashMap<i64, Vec<At>> = HashMap::new();
            let mut by_name: HashMap<Box<str>, Vec<At>> = HashMap::new();
            for (at, number, name) in ports() {
                if let Some(n) = number {
                    by_number.entry(n).or_default().push(at);
                }
                if let Some(s) = name {
                    by_name.entry(s.into()).or_default().push(at);
                }
            }
            Positions { by_number, by_name }
        });
        let found = match key {
            PortKey::Number(n) => built.by_number.get(&n),
            PortKey::Name(s) => built.by_name.get(s),
        };
        Some(found.map_or(&[][..], Vec::as_slice))
    }
}

/// A pod template's declared ports, found through its [`PortIndex`].
impl<'a> PodTemplate<'a> {
    /// Ports declared by containers that serve traffic.
    pub fn declared_ports(&self) -> impl Iterator<Item = (&Container<'a>, &ContainerPort<'a>)> {
        self.containers
            .iter()
            .filter(|c| c.serves())
            .flat_map(|c| c.ports.iter().map(move |p| (c, p)))
    }
    pub fn declares_number(&self, n: i64) -> bool {
        self.declared_with(PortKey::Number(n)).next().is_some()
    }
    /// The declared ports with this number or name, in order: through the
    /// index when there is one, else by a scan.
    fn declared_with<'s>(
        &'s self,
        key: PortKey<'_>,
    ) -> impl Iterator<Item = (&'s Container<'a>, &'s ContainerPort<'a>)> {
        let indexed = self.indexed_ports(key);
        let scanned = indexed.is_none().then(|| {
            self.declared_ports()
                .filter(move |(_, p)| key.matches(p.number, p.name))
        });
        indexed
            .into_iter()
            .flatten()
            .filter_map(|&at| self.declared_at(at))
            .chain(scanned.into_iter().flatten())
    }
    /// Positions of the declared ports with this number or name (`None`:
    /// too few to index).
    fn indexed_ports(&self, key: PortKey<'_>) -> Option<&[(u32, u32)]> {
        let serving = || {
            self.containers
                .iter()
                .enumerate()
                .filter(|(_, c)| c.serves())
        };
        let count = serving().map(|(_, c)| c.ports.len()).sum();
        let ports = || -> Ports<'_, (u32, u32)> {
            let at = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
            Box::new(serving().flat_map(move |(ci, c)| {
                c.ports
                    .iter()
                    .enumerate()
                    .map(move |(pi, p)| ((at(ci), at(pi)), p.number, p.name))
            }))
        };
        self.port_index.find(count, ports, key)
    }
    fn declared_at(&self, (c, p): (u32, u32)) -> Option<(&Container<'a>, &ContainerPort<'a>)> {
        let container = self.containers.get(c as usize)?;
        Some((container, container.ports.get(p as usize)?))
    }
    /// The declared ports with this name, in order.
    pub fn ports_named(&self, name: &str) -> Vec<(&Container<'a>, &ContainerPort<'a>)> {
        self.declared_with(PortKey::Name(name)).collect()
    }
    /// Declares the port, or names it in a serving container's command line or env.
    pub fn may_listen_on(&self, n: i64) -> bool {
        self.declares_number(n)
            || self
                .containers
                .iter()
                .filter(|c| c.serves())
                .any(|c| c.mentions_number(n))
    }
    /// The port a named targetPort resolves to (name and protocol must match).
    pub fn port_for_name(&self, name: &str, protocol: &str) -> Option<&ContainerPort<'a>> {
        self.declared_with(PortKey::Name(name))
            .map(|(_, p)| p)
            .find(|p| p.protocol.eq_ignore_ascii_case(protocol))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn lookups_give_the_positions_a_scan_gives() {
        let ports: Vec<(Option<i64>, Option<String>)> = (0..40)
            .map(|i| (Some(i % 7), (i % 3 != 0).then(|| format!("p{}", i % 5))))
            .collect();
        let all = || -> Ports<'_, usize> {
            Box::new(
                ports
                    .iter()
                    .enumerate()
                    .map(|(i, (n, s))| (i, *n, s.as_deref())),
            )
        };
        let index = PortIndex::default();
        for n in 0..8 {
            let scan: Vec<usize> = (0..40).filter(|&i| ports[i].0 == Some(n)).collect();
            assert_eq!(index.find(40, all, PortKey::Number(n)).unwrap(), scan);
        }
        for s in ["p0", "p1", "p4", "p9"] {
            let scan: Vec<usize> = (0..40)
                .filter(|&i| ports[i].1.as_deref() == Some(s))
                .collect();
            assert_eq!(index.find(40, all, PortKey::Name(s)).unwrap(), scan);
        }
        // Few ports: no index, the caller scans.
        assert!(
            PortIndex::<usize>::default()
                .find(3, all, PortKey::Number(1))
                .is_none()
        );
    }
}
