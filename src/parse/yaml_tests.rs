//! Tests of the YAML/JSON loader.
use super::*;

fn one(text: &str) -> Loaded {
    load(text, 0)
}

#[test]
fn loads_multi_document_streams_with_spans() {
    let text = "a: 1\nb: [x, 'y']\n---\nkind: Service\n";
    let l = one(text);
    assert_eq!(l.docs.len(), 2);
    let root = l.docs[0].root().unwrap();
    let b = root.get("b").unwrap();
    assert_eq!(
        &text[b.span().start as usize..b.span().end as usize],
        "[x, 'y']"
    );
    assert_eq!(root.get("a").unwrap().as_int(), Some(1));
    assert_eq!(l.docs[1].root().unwrap().str_at("kind"), Some("Service"));
}

#[test]
fn block_collections_end_at_their_last_child() {
    let text = "a:\n  - x: 1\n    y: 2\n\nb: 3\n";
    let l = one(text);
    let a = l.docs[0].root().unwrap().get("a").unwrap();
    let item = a.items().next().unwrap();
    assert_eq!(
        &text[item.span().start as usize..item.span().end as usize],
        "x: 1\n    y: 2"
    );
    assert_eq!(
        &text[a.span().start as usize..a.span().end as usize],
        "- x: 1\n    y: 2"
    );
}

#[test]
fn quoted_numbers_are_strings() {
    let l = one("p: \"80\"\nq: 80\n");
    let r = l.docs[0].root().unwrap();
    assert_eq!(r.get("p").unwrap().as_int(), None);
    assert_eq!(r.get("q").unwrap().as_int(), Some(80));
}

#[test]
fn merge_keys_and_aliases() {
    let l = one("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n");
    let m = l.docs[0].root().unwrap().get("m").unwrap();
    assert_eq!(m.get("x").unwrap().as_int(), Some(1));
    assert_eq!(m.get("y").unwrap().as_int(), Some(3));
    assert!(m.get("<<").is_none());
}

#[test]
fn duplicate_keys_are_problems() {
    let l = one("a: 1\nb: 2\na: 3\n");
    assert_eq!(l.problems.len(), 1);
    assert_eq!(l.problems[0].kind, ProblemKind::DuplicateKey);
    assert_eq!(l.problems[0].span.start, 10);
    assert_eq!(
        l.docs[0].root().unwrap().get("a").unwrap().as_int(),
        Some(3)
    );
}

#[test]
fn recovers_after_a_broken_document() {
    let l = one("a: [1, 2\n---\nkind: Pod\n");
    assert!(l.problems.iter().any(|p| p.kind == ProblemKind::Syntax));
    assert!(
        l.docs
            .iter()
            .any(|d| d.root().and_then(|r| r.str_at("kind")) == Some("Pod"))
    );
}

#[test]
fn deep_nesting_is_bounded() {
    let text = "[".repeat(5000);
    let l = one(&text);
    assert!(!l.problems.is_empty());
}

#[test]
fn alias_bomb_costs_no_memory() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..30 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let l = one(&text);
    assert!(l.docs[0].nodes.len() < 1000);
}

#[test]
fn json_loads() {
    let l = one("{\n\t\"a\": {\"b\": [1, \"2\"]},\n\t\"c\": null\n}\n");
    assert!(l.problems.is_empty(), "{:?}", l.problems);
    let r = l.docs[0].root().unwrap();
    assert_eq!(r.path(&["a", "b"]).unwrap().items().count(), 2);
    assert!(r.get("c").unwrap().is_null());
}

#[test]
fn suppression_comments_are_kept() {
    let l = one("a: 1 # confaudit:ignore K8S001\n# other\n");
    assert_eq!(l.comments.len(), 1);
}
