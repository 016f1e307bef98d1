//! JSON instance paths (JSON Pointers from the validator) back to arena nodes.
//!
//! The walk makes the same choices as the conversion (`convert`): a mapping
//! key is its scalar text and the last of duplicate keys wins; so the node
//! found is the one whose value the validator saw.

use std::collections::HashMap;

use crate::parse::tree::{NodeId, NodeKind, NodeRef};

use super::convert::key_str;

/// The node at a path, with the key it is the value of (for map entries).
#[derive(Clone, Copy, Debug)]
pub struct Located<'a> {
    pub key: Option<NodeRef<'a>>,
    pub value: NodeRef<'a>,
}

/// Split a JSON Pointer into unescaped segments (`~1` is `/`, `~0` is `~`).
pub fn segments(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
}

/// The entry of a mapping with this key text (the last one, as in conversion).
pub fn entry<'a>(map: NodeRef<'a>, key: &str) -> Option<(NodeRef<'a>, NodeRef<'a>)> {
    let mut found = None;
    for (k, v) in map.entries() {
        if key_str(k) == key {
            found = Some((k, v));
        }
    }
    found
}

/// Resolve a pointer from `root`; `None` when the path leaves the tree.
pub fn resolve<'a>(root: NodeRef<'a>, pointer: &str) -> Option<Located<'a>> {
    Finder::default().resolve(root, pointer)
}

/// Mappings with more entries than this are indexed on their first lookup.
const SCAN_AT_MOST: usize = 16;

/// Finds the places of one resource's errors: a resource with thousands of
/// unknown or mistyped keys in one mapping has as many errors, and finding
/// each key by a scan of the mapping was quadratic (20,000 labels: 5.7 s).
/// A large mapping's keys are indexed the first time a lookup reads it.
#[derive(Default)]
pub struct Finder<'a> {
    maps: HashMap<NodeId, HashMap<&'a str, (NodeRef<'a>, NodeRef<'a>)>>,
}

impl<'a> Finder<'a> {
    /// [`entry`], through the index of a large mapping.
    pub fn entry(&mut self, map: NodeRef<'a>, key: &str) -> Option<(NodeRef<'a>, NodeRef<'a>)> {
        let Some(NodeKind::Map(pairs)) = map.kind() else {
            return None;
        };
        if pairs.len() / 2 <= SCAN_AT_MOST {
            return entry(map, key);
        }
        let index = self.maps.entry(map.id).or_insert_with(|| {
            let mut keys = HashMap::with_capacity(pairs.len() / 2);
            for (k, v) in map.entries() {
                // Later duplicates replace earlier ones: the last wins.
                keys.insert(key_str(k), (k, v));
            }
            keys
        });
        index.get(key).copied()
    }

    /// [`resolve`], through the indexes.
    pub fn resolve(&mut self, root: NodeRef<'a>, pointer: &str) -> Option<Located<'a>> {
        let mut cur = Located {
            key: None,
            value: root,
        };
        for seg in segments(pointer) {
            cur = match cur.value.kind()? {
                NodeKind::Map(_) => {
                    let (k, v) = self.entry(cur.value, &seg)?;
                    Located {
                        key: Some(k),
                        value: v,
                    }
                }
                NodeKind::Seq(items) => Located {
                    key: None,
                    value: cur.value.doc.node(*items.get(seg.parse::<usize>().ok()?)?),
                },
                NodeKind::Scalar { .. } => return None,
            };
        }
        Some(cur)
    }
}

/// A readable form of a pointer: `spec.ports[0].targetPort`.
pub fn display(pointer: &str) -> String {
    let mut out = String::new();
    for seg in segments(pointer) {
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else if seg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'@')
            && !seg.is_empty()
        {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        } else {
            out.push_str(&format!("[{seg:?}]"));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::parse::yaml;

    const SRC: &str = "spec:\n  ports:\n    - port: 80\n      targetport: 8080\n  selector: {a/b: x, c~d: y}\n  k: 1\n  k: 2\n";

    fn text<'a>(src: &'a str, n: NodeRef<'_>) -> &'a str {
        &src[n.span().start as usize..n.span().end as usize]
    }

    #[test]
    fn pointers_map_to_keys_and_values() {
        let l = yaml::load(SRC, 0);
        let root = l.docs.first().unwrap().root().unwrap();
        let at = resolve(root, "/spec/ports/0/targetport").unwrap();
        assert_eq!(text(SRC, at.key.unwrap()), "targetport");
        assert_eq!(text(SRC, at.value), "8080");
        let item = resolve(root, "/spec/ports/0").unwrap();
        assert!(item.key.is_none() && item.value.is_map());
        assert_eq!(
            text(SRC, resolve(root, "/spec/selector/a~1b").unwrap().value),
            "x"
        );
        assert_eq!(
            text(SRC, resolve(root, "/spec/selector/c~0d").unwrap().value),
            "y"
        );
        // The last duplicate wins, as in the conversion.
        assert_eq!(text(SRC, resolve(root, "/spec/k").unwrap().value), "2");
        assert!(resolve(root, "/spec/ports/3").is_none());
        assert!(resolve(root, "/spec/nope").is_none());
        assert!(resolve(root, "").unwrap().key.is_none());
    }

    #[test]
    fn the_index_of_a_large_mapping_finds_what_the_scan_finds() {
        // 40 keys (past SCAN_AT_MOST), some written twice: the last wins.
        let mut src = String::from("m:\n");
        for i in 0..40 {
            src.push_str(&format!("  k{}: v{i}\n", i % 30));
        }
        src.push_str("  list: [a, b, c]\n");
        let l = yaml::load(&src, 0);
        let root = l.docs.first().unwrap().root().unwrap();
        let map = root.get("m").unwrap();
        let mut finder = Finder::default();
        for key in (0..32)
            .map(|i| format!("k{i}"))
            .chain(["list".into(), "".into()])
        {
            let scanned = entry(map, &key).map(|(k, v)| (k.id, v.id));
            let indexed = finder.entry(map, &key).map(|(k, v)| (k.id, v.id));
            assert_eq!(indexed, scanned, "{key}");
        }
        assert_eq!(text(&src, finder.entry(map, "k3").unwrap().1), "v33");
        let at = finder.resolve(root, "/m/k5").unwrap();
        assert_eq!(
            (text(&src, at.key.unwrap()), text(&src, at.value)),
            ("k5", "v35")
        );
        assert_eq!(
            text(&src, finder.resolve(root, "/m/list/2").unwrap().value),
            "c"
        );
        for p in ["/m/list/3", "/m/k5/x", "/m/nope", "/m/list/x"] {
            assert!(finder.resolve(root, p).is_none(), "{p}");
        }
    }

    #[test]
    fn display_is_readable() {
        assert_eq!(
            display("/spec/ports/0/targetPort"),
            "spec.ports[0].targetPort"
        );
        assert_eq!(
            display("/metadata/labels/app.kubernetes.io~1name"),
            "metadata.labels[\"app.kubernetes.io/name\"]"
        );
        assert_eq!(display(""), "");
    }
}
