//! `.confaudit.yaml`: rule selection, severity overrides, per-path ignores,
//! thresholds. Found upward from the first path, or named with `--config`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::finding::Severity;
use crate::parse::tree::NodeRef;
use crate::parse::yaml;
use crate::schema::user::{self, UserRule};

pub const FILE_NAME: &str = ".confaudit.yaml";

/// Numbers rules compare against; every one can be set in the config file.
#[derive(Clone, Debug, Default)]
pub struct Thresholds {
    /// Values are named as in the config file's `thresholds:` map.
    pub values: BTreeMap<String, f64>,
}

impl Thresholds {
    /// A threshold's configured value, or the rule's default.
    pub fn get(&self, name: &str, default: f64) -> f64 {
        self.values.get(name).copied().unwrap_or(default)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Config {
    pub path: Option<PathBuf>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub severity: BTreeMap<String, Severity>,
    /// Glob -> rules ignored under it (`*`/`all` for every rule).
    pub per_path_ignores: Vec<(String, Vec<String>)>,
    pub exclude: Vec<String>,
    pub thresholds: Thresholds,
    pub namespace: Option<String>,
    pub cluster_domain: Option<String>,
    pub max_file_size: Option<u64>,
    /// Rule files and directories named by `rules:` (relative to the config file).
    pub rule_files: Vec<String>,
    /// The user-defined rules they hold (loaded with the config file).
    pub user_rules: Vec<Arc<UserRule>>,
    per_path_globs: Option<GlobSet>,
}

/// A list of strings, or one comma-separated string; anything else (a
/// mapping, a nested list) is an error rather than nothing. A number reads
/// as its text.
fn strings(what: &str, n: NodeRef<'_>) -> Result<Vec<String>, String> {
    let wrong = || format!("`{what}` must be a list of strings or a comma-separated string");
    let pieces: Vec<String> = if n.is_null() {
        Vec::new()
    } else if n.is_seq() {
        n.items()
            .map(|i| i.as_str().map(str::to_string).ok_or_else(wrong))
            .collect::<Result<_, _>>()?
    } else {
        let s = n.as_str().ok_or_else(wrong)?;
        s.split(',').map(str::to_string).collect()
    };
    Ok(pieces
        .into_iter()
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect())
}

/// A string setting (null: not set).
fn string(what: &str, n: NodeRef<'_>) -> Result<Option<String>, String> {
    if n.is_null() {
        return Ok(None);
    }
    n.as_str()
        .map(|s| Some(s.to_string()))
        .ok_or_else(|| format!("`{what}` must be a string"))
}

/// The entries of a mapping setting (null: none).
fn mapping<'a>(
    what: &str,
    n: NodeRef<'a>,
) -> Result<impl Iterator<Item = (NodeRef<'a>, NodeRef<'a>)> + 'a, String> {
    if n.is_null() || n.is_map() {
        Ok(n.entries())
    } else {
        Err(format!("`{what}` must be a mapping"))
    }
}

/// Does a rule id match a selector (`K8S001`, a prefix `K8S`, or `ALL`)?
pub fn rule_matches(selector: &str, id: &str) -> bool {
    let s = selector.trim();
    // An empty selector (`--ignore "ISTIO,"`) names no rule: as a prefix it
    // matched every one, parse errors included.
    !s.is_empty() && (s.eq_ignore_ascii_case("all") || s == "*" || id.starts_with(s))
}

/// Sizes like `16MiB`, `512k`, `1000`.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// The largest config file read.
const MAX_CONFIG_SIZE: u64 = 16 << 20;

impl Config {
    /// Read and check a config file; the error says what is wrong and where.
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = crate::util::read_text_capped(path, MAX_CONFIG_SIZE)?;
        let mut c = Config::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        c.path = Some(path.to_path_buf());
        let base = path.parent().unwrap_or(Path::new("."));
        c.load_rules(base)?;
        Ok(c)
    }

    /// Read the user-defined rules named by `rules:`, relative to `base`.
    pub fn load_rules(&mut self, base: &Path) -> Result<(), String> {
        self.user_rules = user::load(base, &self.rule_files)?
            .into_iter()
            .map(Arc::new)
            .collect();
        Ok(())
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        let loaded = yaml::load(text, 0);
        if let Some(p) = loaded.problems.first() {
            return Err(p.message.clone());
        }
        let mut c = Config::default();
        let Some(root) = loaded.docs.first().and_then(|d| d.root()) else {
            return Ok(c);
        };
        if !root.is_map() {
            if root.is_null() {
                return Ok(c);
            }
            return Err("the config must be a mapping".into());
        }
        for (k, v) in root.entries() {
            let key = k.as_str().unwrap_or("");
            match key {
                "select" => c.select = strings(key, v)?,
                "ignore" => c.ignore = strings(key, v)?,
                "exclude" => {
                    c.exclude = strings(key, v)?;
                    // Checked here, so the error names the setting, not --exclude.
                    for glob in &c.exclude {
                        Glob::new(glob).map_err(|e| format!("exclude: bad glob `{glob}`: {e}"))?;
                    }
                }
                "namespace" => c.namespace = string(key, v)?,
                "cluster-domain" | "cluster_domain" => c.cluster_domain = string(key, v)?,
                "max-file-size" | "max_file_size" => {
                    let s = v.as_str().unwrap_or("");
                    c.max_file_size =
                        Some(parse_size(s).ok_or_else(|| format!("bad max-file-size `{s}`"))?);
                }
                "severity" => {
                    for (rk, rv) in mapping(key, v)? {
                        let id = rk.as_str().unwrap_or("").to_string();
                        let sv = rv.as_str().unwrap_or("");
                        let sev = Severity::parse(sv).ok_or_else(|| {
                            format!("severity of {id}: `{sv}` is not error, warning or info")
                        })?;
                        c.severity.insert(id, sev);
                    }
                }
                "per-path-ignores" | "per_path_ignores" => {
                    for (pk, pv) in mapping(key, v)? {
                        let glob = pk.as_str().unwrap_or("").to_string();
                        Glob::new(&glob)
                            .map_err(|e| format!("per-path-ignores: bad glob `{glob}`: {e}"))?;
                        let rules = strings(&format!("{key}: {glob}"), pv)?;
                        c.per_path_ignores.push((glob, rules));
                    }
                }
                "thresholds" => {
                    for (tk, tv) in mapping(key, v)? {
                        let name = tk.as_str().unwrap_or("").to_string();
                        let val = tv
                            .as_f64()
                            .or_else(|| tv.as_int().map(|i| i as f64))
                            .ok_or_else(|| format!("threshold `{name}` must be a number"))?;
                        c.thresholds.values.insert(name, val);
                    }
                }
                "rules" => c.rule_files = strings(key, v)?,
                other => return Err(format!("unknown key `{other}`")),
            }
        }
        let mut b = GlobSetBuilder::new();
        for (g, _) in &c.per_path_ignores {
            if let Ok(glob) = Glob::new(g) {
                b.add(glob);
            }
        }
        c.per_path_globs = b.build().ok();
        Ok(c)
    }

    /// Find `.confaudit.yaml` in `start` or a parent directory.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        let start = if start.is_dir() {
            start.to_path_buf()
        } else {
            start.parent()?.to_path_buf()
        };
        let abs = std::fs::canonicalize(&start).ok()?;
        abs.ancestors()
            .map(|d| d.join(FILE_NAME))
            .find(|p| p.is_file())
    }

    /// Is this rule ignored for this path by `per-path-ignores`?
    pub fn path_ignores(&self, path: &str, rule: &str) -> bool {
        let Some(set) = &self.per_path_globs else {
            return false;
        };
        set.matches(path).into_iter().any(|i| {
            self.per_path_ignores
                .get(i)
                .is_some_and(|(_, rules)| rules.iter().any(|r| rule_matches(r, rule)))
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn settings_of_the_wrong_type_are_errors_not_ignored() {
        for text in [
            "ignore: {K8S003: x}\n",
            "ignore: [[K8S003]]\n",
            "namespace: [a]\n",
            "cluster-domain: {a: b}\n",
            "severity: [K8S003]\n",
            "thresholds: 5\n",
            "per-path-ignores: [x]\n",
            "per-path-ignores: {'**': {a: b}}\n",
            "rules: {a: b}\n",
        ] {
            assert!(Config::parse(text).is_err(), "{text}");
        }
        // Null and the usual spellings still read (a number is its text:
        // `ignore: 5` is then an unknown rule, exit 2).
        for text in [
            "ignore:\nselect: K8S001, K8S002\nnamespace:\nseverity:\n",
            "ignore: [K8S003, ' ']\nnamespace: prod\nthresholds: {connect_timeout_warn_ms: 5}\n",
        ] {
            assert!(Config::parse(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn parses_every_key() {
        let c = Config::parse(
            "select: [K8S]\nignore: K8S003\nseverity: {K8S001: warning}\nper-path-ignores:\n  'legacy/**': [K8S001]\nthresholds:\n  connect_timeout_warn_ms: 100\nmax-file-size: 1MiB\n",
        )
        .unwrap();
        assert_eq!(c.select, vec!["K8S"]);
        assert_eq!(c.ignore, vec!["K8S003"]);
        assert_eq!(c.severity.get("K8S001"), Some(&Severity::Warning));
        assert!(c.path_ignores("legacy/a.yaml", "K8S001"));
        assert!(!c.path_ignores("new/a.yaml", "K8S001"));
        assert_eq!(c.thresholds.get("connect_timeout_warn_ms", 250.0), 100.0);
        assert_eq!(c.max_file_size, Some(1 << 20));
    }

    #[test]
    fn rejects_unknown_keys_and_bad_values() {
        assert!(Config::parse("selct: [K8S]\n").is_err());
        assert!(Config::parse("severity: {K8S001: fatal}\n").is_err());
        let e = Config::parse("exclude: ['vendor/[a']\n").unwrap_err();
        assert!(e.starts_with("exclude: bad glob `vendor/[a`"), "{e}");
    }
}
