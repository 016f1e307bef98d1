//! The bodies of the fuzz targets (`fuzz/`), shared with the regression
//! test that replays `testdata/fuzz/<target>/*` on stable. Each takes
//! arbitrary bytes, must not panic or hang, and checks that every span it
//! gets back lies inside the text.
#![doc(hidden)]

use crate::load::{self, Text};
use crate::parse::nginx::{self, FileContext};
use crate::parse::yaml;
use crate::pipeline::{self, Input, Options};
use crate::report;

fn text_of(data: &[u8]) -> Option<String> {
    match load::decode(data.to_vec(), false) {
        Text::Ok(t) => Some(t),
        Text::Invalid(_, prefix) => Some(prefix),
        Text::Skip(_) => None,
    }
}

fn check_loaded(
    docs: &[crate::parse::tree::Doc],
    problems: &[crate::parse::LoadProblem],
    len: usize,
) {
    let len = u32::try_from(len).unwrap_or(u32::MAX);
    for d in docs {
        assert!(d.span.end <= len, "doc span {:?} past {len}", d.span);
        for id in 0..d.len() {
            let span = d.node(id as u32).span();
            assert!(span.start <= span.end && span.end <= len, "{span:?}");
            // Every child id is a node of this document.
            for c in d
                .node(id as u32)
                .items()
                .chain(d.node(id as u32).entries().flat_map(|(k, v)| [k, v]))
            {
                assert!((c.id as usize) < d.len(), "child {} of {id}", c.id);
            }
        }
        let _ = load::classify(d.root());
    }
    for p in problems {
        assert!(p.span.end <= len, "{p:?}");
    }
}

/// The YAML loader.
pub fn yaml(data: &[u8]) {
    let Some(text) = text_of(data) else { return };
    let l = yaml::load(&text, 0);
    check_loaded(&l.docs, &l.problems, text.len());
}

/// The JSON path: a `.json` file through `load::load`.
pub fn json(data: &[u8]) {
    let Some(text) = text_of(data) else { return };
    let l = load::load(0, "fuzz.json", &text);
    check_loaded(&l.docs, &l.problems, text.len());
}

/// The NGINX parser; the first byte picks the context.
pub fn nginx(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let parsed = match sel % 7 {
        0 => nginx::parse(text),
        1 => nginx::parse_with_context(text, FileContext::Main),
        2 => nginx::parse_with_context(text, FileContext::Http),
        3 => nginx::parse_with_context(text, FileContext::Server),
        4 => nginx::parse_with_context(text, FileContext::Location),
        5 => nginx::parse_with_context(text, FileContext::Stream),
        _ => nginx::parse_with_context(text, FileContext::Unknown),
    };
    let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
    nginx::walk(&parsed.directives, |d, _| {
        assert!(
            d.span.start <= d.span.end && d.span.end <= len,
            "{:?}",
            d.span
        );
        for a in &d.args {
            assert!(a.span.end <= len, "{:?}", a.span);
        }
    });
    for p in &parsed.problems {
        assert!(p.span.end <= len, "{p:?}");
    }
    let _ = nginx::includes(&parsed);
    let _ = nginx::looks_like_nginx(text);
}

const NAMES: [&str; 6] = [
    "a.yaml",
    "b.yml",
    "c.json",
    "nginx.conf",
    "sites-enabled/default",
    "other",
];

/// The whole pipeline: the bytes are split into up to eight files at NUL
/// bytes (the first byte of each part picks its name, so YAML, JSON and
/// NGINX paths all occur), analysed together and rendered in every format.
pub fn pipeline(data: &[u8]) {
    let mut inputs = Vec::new();
    for (i, part) in data
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .take(8)
        .enumerate()
    {
        let Some((&b, body)) = part.split_first() else {
            continue;
        };
        let name = NAMES
            .get(usize::from(b) % NAMES.len())
            .copied()
            .unwrap_or("x.yaml");
        let Some(text) = text_of(body) else { continue };
        inputs.push(Input::Text {
            display: format!("f{i}/{name}"),
            text,
        });
    }
    let report = pipeline::analyze(inputs, Vec::new(), &Options::default());
    let _ = report::json::render(&report);
    let _ = report::json::render_lines(&report);
    let _ = report::sarif::render(&report);
    let _ = report::human::render(&report, false, false);
    let _ = report::github::render(&report);
    let _ = report::junit::render(&report);
    let _ = report::gitlab::render(&report);
}

/// Validate a file's plain resources in place and converted; panics if the
/// two disagree. Returns how many resources were compared, and how many of
/// them have issues.
pub fn validate_both_ways(path: &str, text: &str) -> (usize, usize) {
    use crate::load::DocKind;
    use crate::model::k8s::Object;
    use crate::schema::{Plan, Results, envoy, tree_json, validate};
    let show = |r: &Results| format!("{:#?}\n{:#?}", r.issues, r.limits);
    let lf = load::load(0, path, text);
    let plan = Plan {
        builtin: true,
        user_rules: Default::default(),
    };
    let (mut compared, mut with_issues) = (0, 0);
    for (doc, kind) in lf.docs.iter().zip(&lf.doc_kinds) {
        if !tree_json::validates_in_place(doc) {
            continue;
        }
        let (a, b) = match kind {
            DocKind::K8s => {
                let Some((o, root)) = doc
                    .root()
                    .and_then(|r| Some((Object::new(r, "default")?, r)))
                else {
                    continue;
                };
                (
                    validate::check_object_as(&o, root, &plan, true),
                    validate::check_object_as(&o, root, &plan, false),
                )
            }
            DocKind::Envoy => (
                envoy::check_doc_as(doc, true),
                envoy::check_doc_as(doc, false),
            ),
            DocKind::Other => continue,
        };
        assert_eq!(show(&a), show(&b), "{path}:\n{text}");
        compared += 1;
        with_issues += usize::from(!a.issues.is_empty());
    }
    (compared, with_issues)
}

/// Schema validation in place against validation of the converted value.
pub fn schema(data: &[u8]) {
    let Some(text) = text_of(data) else { return };
    validate_both_ways("fuzz.yaml", &text);
}
