//! JSON instance paths (JSON Pointers from the validator) back to arena nodes.
//!
//! The walk makes the same choices as the conversion (`convert`): a mapping
//! key is its scalar text and the last of duplicate keys wins; so the node
//! found is the one whose value the validator saw.

use crate::parse::tree::NodeRef;

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
    let mut cur = Located {
        key: None,
        value: root,
    };
    for seg in segments(pointer) {
        if cur.value.is_map() {
            let (k, v) = entry(cur.value, &seg)?;
            cur = Located {
                key: Some(k),
                value: v,
            };
        } else if cur.value.is_seq() {
            let i: usize = seg.parse().ok()?;
            cur = Located {
                key: None,
                value: cur.value.items().nth(i)?,
            };
        } else {
            return None;
        }
    }
    Some(cur)
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
