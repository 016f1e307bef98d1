//! Which rules a run reports, answered from sets made once.

use super::Options;

/// [`Options::enabled`] as sets: asked for every finding, it went through
/// every selector (10,000 `ignore:` entries and 100,000 findings: 17 s).
/// A selector names all rules (`all`, `*`) or is a prefix of the ids it
/// names, so a rule id is looked up by its own prefixes.
pub(crate) struct Enabled {
    /// `None`: no selection list, every rule is selected.
    select: Option<Selectors>,
    ignore: Selectors,
}

#[derive(Default)]
struct Selectors {
    all: bool,
    prefixes: foldhash::HashSet<String>,
    /// The longest prefix (longer prefixes of an id are not looked up).
    longest: usize,
}

impl Selectors {
    fn of<'a>(selectors: impl IntoIterator<Item = &'a String>) -> Selectors {
        let mut set = Selectors::default();
        for s in selectors {
            // As `rule_matches` reads a selector.
            let s = s.trim();
            if s.is_empty() {
                continue;
            }
            if s.eq_ignore_ascii_case("all") || s == "*" {
                set.all = true;
            } else {
                set.longest = set.longest.max(s.len());
                set.prefixes.insert(s.to_string());
            }
        }
        set
    }

    /// Does any selector match `id` (as [`rule_matches`](crate::config::rule_matches) does)?
    fn matches(&self, id: &str) -> bool {
        self.all
            || id
                .char_indices()
                .map(|(i, c)| i + c.len_utf8())
                .take_while(|&end| end <= self.longest)
                .any(|end| id.get(..end).is_some_and(|p| self.prefixes.contains(p)))
    }
}

impl Enabled {
    pub(crate) fn new(opts: &Options) -> Enabled {
        let select = if opts.select.is_empty() {
            &opts.config.select
        } else {
            &opts.select
        };
        Enabled {
            select: (!select.is_empty()).then(|| Selectors::of(select)),
            ignore: Selectors::of(opts.ignore.iter().chain(&opts.config.ignore)),
        }
    }

    /// What [`Options::enabled`] answers.
    pub(crate) fn get(&self, id: &str) -> bool {
        self.select.as_ref().is_none_or(|s| s.matches(id)) && !self.ignore.matches(id)
    }
}
