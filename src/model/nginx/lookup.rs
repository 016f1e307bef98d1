//! Reading a configuration: levels, their directives, and nginx's
//! inheritance of settings from outer levels to inner ones.

use super::tree::{BlockKind, Config, Level, Node, NodeId};

impl<'a> Config<'a> {
    pub fn node(&self, id: NodeId) -> Option<&Node<'a>> {
        self.nodes.get(id)
    }

    /// The kind of a level.
    pub fn kind(&self, level: Level) -> BlockKind {
        match level {
            None => self.root_kind,
            Some(id) => self
                .nodes
                .get(id)
                .map(|n| n.kind)
                .unwrap_or(BlockKind::Opaque),
        }
    }

    /// Directives directly in a level (includes expanded), in order.
    pub fn children(&self, level: Level) -> impl Iterator<Item = NodeId> + '_ {
        let (first, end) = match level {
            None => (0, self.nodes.len()),
            Some(id) => match self.nodes.get(id) {
                Some(n) => (id + 1, n.end()),
                None => (0, 0),
            },
        };
        // Each child's block is skipped by jumping to its end.
        std::iter::successors(Some(first), move |&c| self.nodes.get(c).map(|n| n.end()))
            .take_while(move |&c| c < end)
    }

    pub fn parent(&self, level: Level) -> Option<Level> {
        level.map(|id| self.nodes.get(id).and_then(|n| n.parent()))
    }

    /// Directives named `name` directly in a level.
    pub fn own<'s, 'n>(
        &'s self,
        level: Level,
        name: &'n str,
    ) -> impl Iterator<Item = (NodeId, &'s Node<'a>)> + use<'s, 'n, 'a> {
        self.nodes_of(self.own_ids(level, name))
    }

    pub fn own_first(&self, level: Level, name: &str) -> Option<&Node<'a>> {
        self.own(level, name).map(|(_, n)| n).next()
    }

    /// Does a level hold an include whose contents are unknown?
    pub fn level_unknown(&self, level: Level) -> bool {
        self.unknown_levels.contains(&level)
    }

    /// The levels a setting is inherited through, innermost first: the
    /// level itself, enclosing locations/ifs, the server, the http block
    /// (walked, not collected: most lookups stop early).
    fn levels_up(&self, level: Level) -> impl Iterator<Item = Level> + '_ {
        let mut cur = Some(level);
        let mut steps = 0;
        std::iter::from_fn(move || {
            let l = cur?;
            let k = self.kind(l);
            if !k.is_http_level() || steps > 256 {
                cur = None;
                return None;
            }
            steps += 1;
            cur = if k == BlockKind::Http {
                None
            } else {
                self.parent(l)
            };
            Some(l)
        })
    }

    /// The effective value of a directive at a level, as nginx merges it:
    /// the innermost level that sets it wins; for array-like directives
    /// (`proxy_set_header`) every occurrence at that level counts and outer
    /// ones are dropped. Past the outermost level, nginx's default applies
    /// if that level is an `http` block, rather than a fragment whose outer
    /// levels are not known.
    pub fn effective(&self, level: Level, name: &str) -> Setting<'_, 'a> {
        match self.setting_ids(level, name) {
            (SetAt::Level { level, complete }, ids) => Setting::Set {
                level,
                nodes: self.nodes_of(ids).map(|(_, n)| n).collect(),
                complete,
            },
            (SetAt::Default, _) => Setting::Default,
            (SetAt::Unknown, _) => Setting::Unknown,
        }
    }

    /// Where `effective` finds a directive, without collecting it: an
    /// array directive can be set thousands of times at one level.
    pub fn effective_at(&self, level: Level, name: &str) -> SetAt {
        self.setting_ids(level, name).0
    }

    /// Where a directive is set, and its ids at that level.
    fn setting_ids(&self, level: Level, name: &str) -> (SetAt, &[u32]) {
        let number = self.name_number(name);
        let mut outermost = None;
        for l in self.levels_up(level) {
            outermost = Some(l);
            let ids = number.map_or(&[][..], |k| self.own_numbered(l, k));
            if !ids.is_empty() {
                let complete = !self.level_unknown(l);
                return (SetAt::Level { level: l, complete }, ids);
            }
            if self.level_unknown(l) {
                return (SetAt::Unknown, &[]);
            }
        }
        if outermost.is_some_and(|l| self.kind(l) == BlockKind::Http) {
            (SetAt::Default, &[])
        } else {
            (SetAt::Unknown, &[])
        }
    }

    /// The last `proxy_set_header` of header `name` (case aside) directly
    /// at a level: a short run is read backwards; long ones (thousands of
    /// headers asked about per location) through an index built once.
    pub fn proxy_header_at(&self, level: Level, name: &str) -> Option<&Node<'a>> {
        const SCANNED: usize = 16;
        let ids = self.own_ids(level, "proxy_set_header");
        if ids.len() <= SCANNED {
            return ids
                .iter()
                .rev()
                .filter_map(|&i| self.node(i as NodeId))
                .find(|n| n.arg(0).is_some_and(|h| h.eq_ignore_ascii_case(name)));
        }
        let index = self.proxy_headers.get_or_init(|| {
            let mut index = foldhash::HashMap::default();
            for (id, n) in self.named("proxy_set_header") {
                if let Some(header) = n.arg(0) {
                    index.insert((n.parent(), header.to_ascii_lowercase()), id);
                }
            }
            index
        });
        let id = index.get(&(level, name.to_ascii_lowercase()))?;
        self.node(*id)
    }

    /// Every block of a kind, in file order.
    pub fn blocks(&self, kind: BlockKind) -> impl Iterator<Item = (NodeId, &Node<'a>)> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .filter(move |(_, n)| n.kind == kind)
    }

    /// The innermost enclosing block of a kind (the level itself counts).
    pub fn enclosing(&self, level: Level, kind: BlockKind) -> Option<Level> {
        let mut cur = Some(level);
        let mut steps = 0;
        while let Some(l) = cur {
            if self.kind(l) == kind {
                return Some(l);
            }
            steps += 1;
            if l.is_none() || steps > 256 {
                return None;
            }
            cur = self.parent(l);
        }
        None
    }
}

/// The directives that set a setting at one level: one, or a few for
/// array directives, so held inline.
pub type SetBy<'c, 'a> = smallvec::SmallVec<[&'c Node<'a>; 2]>;

/// Where a setting comes from (see [`Config::effective_at`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetAt {
    /// Set at `level` (`complete`: that level includes no unknown file).
    Level {
        level: Level,
        complete: bool,
    },
    Default,
    Unknown,
}

/// The result of an inheritance lookup.
#[derive(Debug)]
pub enum Setting<'c, 'a> {
    /// Set at `level` by these directives (several for array directives).
    Set {
        level: Level,
        nodes: SetBy<'c, 'a>,
        /// False when that level also includes a file that is not known.
        complete: bool,
    },
    /// Not set anywhere up to the http block: nginx's default applies.
    Default,
    /// Not set where we can see, but an unresolved include or a missing
    /// main config may set it.
    Unknown,
}

impl<'c, 'a> Setting<'c, 'a> {
    /// The last directive setting it (the one nginx uses for single-value
    /// directives).
    pub fn node(&self) -> Option<&'c Node<'a>> {
        match self {
            Setting::Set { nodes, .. } => nodes.last().copied(),
            _ => None,
        }
    }
    /// First argument of the directive that sets it.
    pub fn value(&self) -> Option<&'c str> {
        self.node()
            .and_then(|n| n.d.args.first())
            .map(|a| a.value.as_str())
    }
    pub fn is_default(&self) -> bool {
        matches!(self, Setting::Default)
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Setting::Unknown)
    }
    /// An `on`/`off` flag with its default; `None` when unknown.
    pub fn flag(&self, default: bool) -> Option<bool> {
        match self {
            Setting::Set { .. } => Some(self.value().is_some_and(|v| v.eq_ignore_ascii_case("on"))),
            Setting::Default => Some(default),
            Setting::Unknown => None,
        }
    }
}
