//! Unit tests: syntax errors with spans and recovery, context checks,
//! fragments, hostile input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::tests::{args, names, ok, slice};
use super::*;
use crate::parse::ProblemKind;

fn messages(f: &NginxFile) -> Vec<&str> {
    f.problems.iter().map(|p| p.message.as_str()).collect()
}

fn one_problem(text: &str) -> (NginxFile, LoadProblem) {
    let f = parse(text);
    assert_eq!(f.problems.len(), 1, "{:?}", f.problems);
    let p = f.problems[0].clone();
    assert_eq!(p.kind, ProblemKind::Syntax);
    (f, p)
}

#[test]
fn missing_semicolon_before_close_brace() {
    let t = "location /a {\n  proxy_pass http://x\n}\nlocation /b { return 200; }";
    let (f, p) = one_problem(t);
    assert!(
        p.message
            .contains("\"proxy_pass\" is not terminated by \";\"")
    );
    assert_eq!(slice(t, p.span), "http://x");
    assert_eq!(slice(t, p.related[0].0), "}");
    // The directive is kept, the block closes, the rest is parsed.
    assert_eq!(names(&f.directives), ["location", "location"]);
    assert_eq!(args(&f.directives[0].children()[0]), ["http://x"]);
    assert_eq!(
        slice(t, f.directives[0].children()[0].span),
        "proxy_pass http://x"
    );
    assert_eq!(args(&f.directives[1].children()[0]), ["200"]);
}

#[test]
fn missing_semicolon_at_end_of_file() {
    let t = "user nginx";
    let (f, p) = one_problem(t);
    assert!(p.message.contains("not terminated"));
    assert_eq!(slice(t, p.span), "nginx");
    assert_eq!(f.directives[0].name, "user");
    let t = "worker_processes";
    let (_, p) = one_problem(t);
    assert_eq!(slice(t, p.span), "worker_processes");
}

#[test]
fn unexpected_close_brace_recovers() {
    let t = "user a;\n}\nworker_processes 2;";
    let (f, p) = one_problem(t);
    assert_eq!(p.message, "unexpected \"}\"");
    assert_eq!(slice(t, p.span), "}");
    assert_eq!(names(&f.directives), ["user", "worker_processes"]);
}

#[test]
fn unexpected_eof_lists_open_blocks() {
    let t = "http {\n  server {\n    listen 80;\n";
    let (f, p) = one_problem(t);
    assert!(p.message.starts_with("unexpected end of file"));
    assert_eq!(p.span.start as usize, t.trim_end().len());
    let opened: Vec<_> = p.related.iter().map(|(s, _)| s.start).collect();
    assert_eq!(opened, [5, 16]);
    assert!(p.related[0].1.contains("\"http\""));
    // The partial tree is kept, blocks running to the end of the text.
    let server = &f.directives[0].children()[0];
    assert_eq!(names(server.children()), ["listen"]);
    assert_eq!(server.block_span().unwrap().end as usize, t.len());
}

#[test]
fn unterminated_quote_recovers_at_line_end() {
    let t = "add_header X \"abc;\nlisten 80;\nroot /x;";
    let (f, p) = one_problem(t);
    assert!(p.message.starts_with("unterminated string"));
    assert_eq!(slice(t, p.span), "\"");
    assert_eq!(names(&f.directives), ["add_header", "listen", "root"]);
    assert_eq!(args(&f.directives[0]), ["X", "abc"]);
    // A quote spanning lines legitimately is not cut.
    let f = ok("log_format a 'x\ny';\nuser b;");
    assert_eq!(args(&f.directives[0]), ["a", "x\ny"]);
    // Unterminated at the end of a block-opening line.
    let t = "location \"/a {\n return 200;\n}\nuser c;";
    let (f, _) = one_problem(t);
    assert_eq!(names(&f.directives), ["location", "user"]);
    assert_eq!(args(&f.directives[0]), ["/a "]);
}

#[test]
fn stray_semicolon_and_open_brace() {
    let t = "; user a;";
    let (f, p) = one_problem(t);
    assert_eq!((p.message.as_str(), p.span.start), ("unexpected \";\"", 0));
    assert_eq!(names(&f.directives), ["user"]);
    let t = "{ listen 80; }\nuser a;";
    let (f, p) = one_problem(t);
    assert!(p.message.starts_with("unexpected \"{\""));
    assert_eq!(names(&f.directives), ["listen", "user"]);
}

#[test]
fn text_glued_to_closing_quote() {
    let t = "return 200 \"a\"b;";
    let (f, p) = one_problem(t);
    assert_eq!(slice(t, p.span), "b");
    assert_eq!(args(&f.directives[0]), ["200", "a", "b"]);
    // `)` may follow a quote (if conditions), so may `;`/`{`/space.
    ok("if ($a = \"b\") { return 1; }");
    let t = "return 200 \"a\"ü;";
    let (_, p) = one_problem(t);
    assert_eq!(slice(t, p.span), "ü");
}

#[test]
fn unquoted_regex_quantifier_is_reported_and_glued() {
    let t = "server {\n location ~ ^/\\d{1,10}$ {\n  return 200;\n }\n}";
    let (f, p) = one_problem(t);
    assert!(p.message.contains("must be quoted"));
    assert_eq!(slice(t, p.span), "{");
    let loc = &f.directives[0].children()[0];
    assert_eq!(args(loc), ["~", "^/\\d{1,10}$"]);
    assert_eq!(slice(t, loc.args[1].span), "^/\\d{1,10}$");
    assert_eq!(names(loc.children()), ["return"]);
    // In a map the key is the entry's name.
    let t = "map $a $b {\n ~^/x{2,}y 1;\n default 0;\n}";
    let (f, _) = one_problem(t);
    assert_eq!(names(f.directives[0].children()), ["~^/x{2,}y", "default"]);
    // A glued `{` in a map that is no quantifier is reported too.
    let t = "map $a $b {\n ~^/x{a}y 1;\n}";
    let (f, p) = one_problem(t);
    assert!(p.message.contains("map-like block"));
    assert_eq!(names(f.directives[0].children()), ["~^/x{a}y"]);
    // A block glued to a word is fine elsewhere.
    ok("location /foo{}location /bar{}");
}

#[test]
fn lua_block_unterminated() {
    let t = "content_by_lua_block {\n local s = \"}\"\n";
    let (f, p) = one_problem(t);
    assert!(p.message.contains("Lua block"));
    assert_eq!(p.related[0].0.start, 21);
    let d = &f.directives[0];
    assert_eq!(slice(t, d.opaque_body().unwrap()), "\n local s = \"}\"\n");
    let t = "init_by_lua_block { --[[ never closed }\n";
    let (_, p) = one_problem(t);
    assert!(p.message.contains("Lua block"));
}

#[test]
fn context_errors_for_misplaced_directives() {
    let cases = [
        ("http { location / {} }", "location"),
        ("http { server { server { } } }", "server"),
        ("http { proxy_pass http://a; }", "proxy_pass"),
        ("http { server { proxy_pass http://a; } }", "proxy_pass"),
        (
            "http { server { if ($a) { proxy_pass http://a; } } }",
            "proxy_pass",
        ),
        ("http { server { upstream u {} } }", "upstream"),
        ("upstream u { server a; }\nhttp {}", "upstream"),
        ("http { server { location / { listen 80; } } }", "listen"),
        ("http { listen 80; }", "listen"),
        ("http { http { } }", "http"),
        ("http { server { events { } } }", "events"),
        ("events { http { } }", "http"),
        (
            "http { server { location / { if ($a) { location /b {} } } } }",
            "location",
        ),
    ];
    for (t, name) in cases {
        let (_, p) = one_problem(t);
        let want = format!("\"{name}\" directive is not allowed here");
        assert!(p.message.starts_with(&want), "{t}: {}", p.message);
        assert_eq!(slice(t, p.span), name, "{t}");
    }
    let t = "http { server { proxy_pass x; } }";
    let (_, p) = one_problem(t);
    assert_eq!(slice(t, p.related[0].0), "server");
}

#[test]
fn allowed_placements_and_unknown_directives() {
    ok(
        "events { worker_connections 10; }\nhttp {\n upstream u { server a:1; keepalive 2; }\n server {\n  listen 80;\n  location / {\n   proxy_pass http://u;\n   if ($a) { proxy_pass http://u; }\n   limit_except GET { proxy_pass http://u; }\n   location /in { proxy_pass http://u; }\n  }\n }\n}\nstream {\n upstream s { server b:2; }\n server { listen 53 udp; proxy_pass s; }\n}\nmail { server { listen 25; } }",
    );
    // Third-party directives and blocks are never errors, nor is what is
    // inside unknown blocks.
    ok(
        "load_module x.so;\nhttp { vhost_traffic_status_zone; server { some_block { location / {} server {} } more_set_headers 'a: b'; } }\nrtmp { server { listen 1935; } }",
    );
}

#[test]
fn fragments_infer_their_context() {
    assert_eq!(
        infer_context(&ok("server { listen 80; location / { proxy_pass http://a; } }").directives),
        FileContext::Http
    );
    assert_eq!(
        infer_context(&ok("upstream u { server a; }").directives),
        FileContext::Http
    );
    assert_eq!(
        infer_context(&ok("map $a $b { default 1; }").directives),
        FileContext::Http
    );
    assert_eq!(
        infer_context(&ok("location / { proxy_pass http://a; }\nroot /x;").directives),
        FileContext::Server
    );
    assert_eq!(
        infer_context(&ok("proxy_set_header Host $host;\nproxy_pass http://a;").directives),
        FileContext::Unknown
    );
    assert_eq!(
        infer_context(&ok("server { listen 53 udp; proxy_pass dns; }").directives),
        FileContext::Stream
    );
    assert_eq!(
        infer_context(&ok("events {}\nhttp {}").directives),
        FileContext::Main
    );
    // Mixed signals (test snippets): no guess, no errors.
    let f = ok("map $a $b { default 1; }\nlocation / { proxy_pass http://a; }");
    assert_eq!(infer_context(&f.directives), FileContext::Unknown);
    // Inferred fragments are still checked below the top level.
    let f = parse("server { server { } }");
    assert_eq!(messages(&f).len(), 1);
    let f = parse("location / {}\nserver {}");
    assert!(f.problems.is_empty());
}

#[test]
fn explicit_context() {
    let t = "location / { proxy_pass http://a; }";
    assert_eq!(parse_with_context(t, FileContext::Server).problems.len(), 0);
    assert_eq!(
        parse_with_context(t, FileContext::Location).problems.len(),
        0
    );
    assert_eq!(
        parse_with_context(t, FileContext::Unknown).problems.len(),
        0
    );
    let f = parse_with_context(t, FileContext::Http);
    assert!(
        messages(&f)[0].contains("\"location\" directive is not allowed here (in http context)")
    );
    let f = parse_with_context(t, FileContext::Main);
    assert_eq!(f.problems.len(), 1);
    let f = parse_with_context("server { proxy_pass a; }", FileContext::Stream);
    assert!(f.problems.is_empty());
    let f = parse_with_context("proxy_pass a;", FileContext::Server);
    assert_eq!(f.problems.len(), 1);
}

#[test]
fn nginx_dump_sections_get_their_own_context() {
    let t = "# configuration file /etc/nginx/nginx.conf:\nhttp { include /tmp/u.conf; }\n\n# configuration file /tmp/u.conf:\nupstream srv { server a; }\n";
    assert!(parse(t).problems.is_empty());
    // Without the markers it is upstream at main level.
    let t2 = t.replace("# configuration file /tmp/u.conf:", "");
    assert_eq!(parse(&t2).problems.len(), 1);
}

#[test]
fn problems_are_sorted_and_parsing_continues() {
    let t = "http {\n server { location / { proxy_pass a } }\n}\n}\nuser \"x;\nlisten 80;";
    let f = parse(t);
    let starts: Vec<_> = f.problems.iter().map(|p| p.span.start).collect();
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted);
    assert_eq!(f.problems.len(), 4, "{:?}", messages(&f));
    assert_eq!(names(&f.directives), ["http", "user", "listen"]);
}

/// Deterministic pseudo-random bytes drawn from nginx-ish pieces.
fn noise(seed: u64, len: usize) -> String {
    const PIECES: &[&str] = &[
        "{",
        "}",
        ";",
        "\"",
        "'",
        "\\",
        "$",
        "${",
        "#",
        "\n",
        " ",
        "\r",
        "(",
        ")",
        "if",
        "server",
        "location",
        "map",
        "content_by_lua_block",
        "set_by_lua_block",
        "--",
        "[[",
        "]]",
        "[=[",
        "]=]",
        "--[[",
        "a",
        "é",
        "\u{feff}",
        "\t",
        "1,5}",
        "proxy_pass",
        "include",
    ];
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut s = String::new();
    while s.len() < len {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s.push_str(PIECES[((x >> 33) as usize) % PIECES.len()]);
    }
    s
}

#[test]
fn hostile_input_never_panics() {
    for seed in 0..3000 {
        let t = noise(seed, (seed as usize % 300) + 1);
        let f = parse(&t);
        for p in &f.problems {
            assert!(p.span.end as usize <= t.len() && p.span.start <= p.span.end);
        }
        walk(&f.directives, |d, _| {
            assert!(d.span.end as usize <= t.len());
            assert!(
                t.get(d.name_span().start as usize..d.name_span().end as usize)
                    .is_some()
            );
            for a in &d.args {
                assert!(
                    t.get(a.span.start as usize..a.span.end as usize).is_some(),
                    "{t:?}"
                );
            }
        });
        let _ = looks_like_nginx(&t);
    }
}

#[test]
fn deep_and_long_inputs_stay_fast() {
    // 200k opening braces: depth-limited, no recursion.
    let t = "a {".repeat(200_000);
    let f = parse(&t);
    assert!(f.problems.iter().any(|p| p.kind == ProblemKind::Limit));
    // Many unterminated quotes of both kinds: linear recovery.
    let t = "a \"\n".repeat(50_000) + &"b '\n".repeat(50_000);
    let start = std::time::Instant::now();
    let f = parse(&t);
    assert!(!f.problems.is_empty());
    assert!(start.elapsed().as_secs() < 5);
    // A huge Lua body and a huge flat file.
    let t = format!(
        "content_by_lua_block {{ {} }}",
        "x = { [[}]] } -- }\n".repeat(100_000)
    );
    assert!(parse(&t).problems.is_empty());
    let t = "add_header X-A \"b\";\n".repeat(200_000);
    assert_eq!(parse(&t).directives.len(), 200_000);
}
