//! Unit tests: tokenising, tree shape, spans, Lua blocks, includes,
//! detection. Errors and contexts are in `tests_errors.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::parse::ProblemKind;

pub(super) fn slice(text: &str, span: Span) -> &str {
    &text[span.start as usize..span.end as usize]
}

pub(super) fn args(d: &Directive) -> Vec<&str> {
    d.arg_values().collect()
}

pub(super) fn names(ds: &[Directive]) -> Vec<&str> {
    ds.iter().map(|d| d.name.as_str()).collect()
}

pub(super) fn ok(text: &str) -> NginxFile {
    let f = parse(text);
    assert!(f.problems.is_empty(), "{:?}", f.problems);
    f
}

#[test]
fn simple_tree_with_spans() {
    let t = "user nginx;\nhttp {\n  server { listen 80; }\n}\n";
    let f = ok(t);
    assert_eq!(names(&f.directives), ["user", "http"]);
    let user = &f.directives[0];
    assert_eq!(slice(t, user.span), "user nginx;");
    assert_eq!(slice(t, user.name_span()), "user");
    assert_eq!(slice(t, user.args[0].span), "nginx");
    assert!(user.block.is_none() && user.block_span().is_none());
    let http = &f.directives[1];
    assert_eq!(slice(t, http.span), "http {\n  server { listen 80; }\n}");
    assert_eq!(
        slice(t, http.block_span().unwrap()),
        "{\n  server { listen 80; }\n}"
    );
    let server = &http.children()[0];
    assert_eq!(slice(t, server.block_span().unwrap()), "{ listen 80; }");
    let listen = &server.children()[0];
    assert_eq!((listen.name.as_str(), args(listen)), ("listen", vec!["80"]));
    assert_eq!(slice(t, listen.span), "listen 80;");
}

#[test]
fn quotes_and_escapes_follow_nginx() {
    let t = r#"add_header X "a \"b\" \\ \n \x" 'it\'s' "" '{;}' plain\;semi;"#;
    let f = ok(t);
    let d = &f.directives[0];
    assert_eq!(
        args(d),
        ["X", "a \"b\" \\ \n \\x", "it's", "", "{;}", "plain\\;semi"]
    );
    assert_eq!(slice(t, d.args[1].span), r#""a \"b\" \\ \n \x""#);
    assert!(d.args[1].quoted && !d.args[0].quoted);
    assert_eq!(slice(t, d.args[3].span), "\"\"");
    // A quoted name is unquoted too; tabs/CR are whitespace.
    let t = "\"events\"\t{\r\n'worker_connections' 10;\r\n}\r\n";
    let f = ok(t);
    assert_eq!(f.directives[0].name, "events");
    assert_eq!(slice(t, f.directives[0].name_span()), "\"events\"");
    assert_eq!(args(&f.directives[0].children()[0]), ["10"]);
    // Escaped whitespace stays in the word; `\t` becomes a tab.
    let f = ok(r"return 200 a\ b\tc;");
    assert_eq!(args(&f.directives[0]), ["200", "a\\ b\tc"]);
}

#[test]
fn quoted_strings_span_lines_and_hold_specials() {
    let t = "location \"/sta;\n tus\" { return 302 '}'; }";
    let f = ok(t);
    assert_eq!(args(&f.directives[0]), ["/sta;\n tus"]);
    assert_eq!(args(&f.directives[0].children()[0]), ["302", "}"]);
}

#[test]
fn variables_with_braces_and_literal_close_brace() {
    let t = "try_files /a/${uri} ${uri}.html =404;\nset $x a}b;\nlocation /x{}";
    let f = ok(t);
    assert_eq!(args(&f.directives[0]), ["/a/${uri}", "${uri}.html", "=404"]);
    // nginx: `}` inside a word is an ordinary character.
    assert_eq!(args(&f.directives[1]), ["$x", "a}b"]);
    // `{` not after `$` ends the word and opens a block.
    assert_eq!(args(&f.directives[2]), ["/x"]);
    assert_eq!(f.directives[2].children().len(), 0);
    assert!(f.directives[2].block.is_some());
}

#[test]
fn hash_inside_word_is_not_a_comment() {
    let t = "location /a#b { } # real\nlog_format x \\#y;";
    let f = ok(t);
    assert_eq!(args(&f.directives[0]), ["/a#b"]);
    assert_eq!(args(&f.directives[1]), ["x", "\\#y"]);
    assert_eq!(f.comments.len(), 1);
    assert_eq!(f.comments[0].text, "real");
    assert_eq!(slice(t, f.comments[0].span), "# real");
}

#[test]
fn comments_everywhere_with_spans() {
    let t = "#top\r\nhttp { #c1\n  log_format #c2\n    a #c3\n    ;\n}\n#   end   ";
    let f = ok(t);
    let texts: Vec<_> = f.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["top", "c1", "c2", "c3", "end"]);
    assert_eq!(slice(t, f.comments[0].span), "#top");
    assert_eq!(slice(t, f.comments[4].span), "#   end   ");
    assert_eq!(args(&f.directives[0].children()[0]), ["a"]);
}

#[test]
fn if_condition_parentheses_are_removed() {
    let t = "if ($request_method = POST) { return 405; }\nif ( $a ) {}\nif ($uri ~* \"^/(a|b)\") {}\nif (-f $f){}";
    let f = ok(t);
    let d = &f.directives[0];
    assert_eq!(args(d), ["$request_method", "=", "POST"]);
    assert_eq!(slice(t, d.args[0].span), "$request_method");
    assert_eq!(slice(t, d.args[2].span), "POST");
    assert_eq!(args(&f.directives[1]), ["$a"]);
    assert_eq!(args(&f.directives[2]), ["$uri", "~*", "^/(a|b)"]);
    assert_eq!(args(&f.directives[3]), ["-f", "$f"]);
    // Only `if` is touched.
    let f = ok("set $a (b);");
    assert_eq!(args(&f.directives[0]), ["$a", "(b)"]);
}

#[test]
fn map_like_blocks_are_entry_directives() {
    let t = "http {\n map $http_upgrade $conn {\n  default upgrade;\n  '' close;\n  ~^/foo 1;\n  \"~Opera Mini\" 1;\n  location 2;\n  listen 3;\n }\n types { text/html html htm; }\n geo $a { default 0; 10.0.0.0/8 1; proxy 1.2.3.4; }\n split_clients $x $y { 50% a; * b; }\n charset_map koi8-r utf-8 { C0 D0B0; }\n}";
    let f = ok(t);
    let http = f.directives[0].children();
    let map = &http[0];
    assert_eq!(args(map), ["$http_upgrade", "$conn"]);
    assert_eq!(
        names(map.children()),
        ["default", "", "~^/foo", "~Opera Mini", "location", "listen"]
    );
    assert_eq!(args(&map.children()[1]), ["close"]);
    assert!(map.children()[1].args[0].span.len() == 5);
    let types = &http[1];
    assert_eq!(names(types.children()), ["text/html"]);
    assert_eq!(args(&types.children()[0]), ["html", "htm"]);
    assert_eq!(
        names(http[2].children()),
        ["default", "10.0.0.0/8", "proxy"]
    );
    assert_eq!(names(http[3].children()), ["50%", "*"]);
    assert_eq!(names(http[4].children()), ["C0"]);
}

#[test]
fn lua_block_bodies_are_opaque() {
    let t = "content_by_lua_block {\n  local t = { a = \"}\", b = '{' }\n  -- a comment with } and '\n  ngx.say(\"\\\"}\")\n}\nlisten 80;";
    let f = ok(t);
    assert_eq!(names(&f.directives), ["content_by_lua_block", "listen"]);
    let d = &f.directives[0];
    assert!(d.block.is_none() && d.args.is_empty());
    let body = slice(t, d.opaque_body().unwrap());
    assert!(body.starts_with("\n  local t") && body.ends_with("\")\n"));
    assert_eq!(slice(t, d.block_span().unwrap()), format!("{{{body}}}"));
    assert_eq!(slice(t, d.span), format!("content_by_lua_block {{{body}}}"));
}

#[test]
fn lua_long_brackets_and_long_comments() {
    let t = "init_by_lua_block {\n  local s = [[ } {% x %} ]]\n  local u = [==[ ]] } ]=] ]==]\n  --[[ } multi\n  line } ]]\n  --[=[ ]] } ]=]\n  local v = a[b[1]]\n  local w = t[ [[k]] ]\n}\nuser x;";
    let f = ok(t);
    assert_eq!(names(&f.directives), ["init_by_lua_block", "user"]);
    let body = slice(t, f.directives[0].opaque_body().unwrap());
    assert!(body.ends_with("t[ [[k]] ]\n"), "{body}");
}

#[test]
fn lua_block_with_args_and_quoted_name() {
    let t = "server {\n server_name content_by_lua_block;\n set_by_lua_block $res { return 1 + 2 }\n \"rewrite_by_lua_block\" { a = { 1 } }\n access_by_lua_block{ x() }\n}\nupstream content_by_lua_block { server a; }";
    let f = parse(t);
    assert!(f.problems.is_empty(), "{:?}", f.problems);
    let s = f.directives[0].children();
    assert_eq!(
        names(s),
        [
            "server_name",
            "set_by_lua_block",
            "rewrite_by_lua_block",
            "access_by_lua_block"
        ]
    );
    assert_eq!(args(&s[1]), ["$res"]);
    assert_eq!(slice(t, s[1].opaque_body().unwrap()), " return 1 + 2 ");
    assert_eq!(slice(t, s[2].opaque_body().unwrap()), " a = { 1 } ");
    assert_eq!(slice(t, s[3].opaque_body().unwrap()), " x() ");
    // Used as an argument, the name is an ordinary word.
    let up = &f.directives[1];
    assert_eq!(args(up), ["content_by_lua_block"]);
    assert_eq!(names(up.children()), ["server"]);
}

#[test]
fn lua_unfinished_short_string_ends_at_line_break() {
    // A stray quote must not swallow the rest of the block.
    let t = "content_by_lua_block {\n  x = \"oops\n}\nuser a;";
    let f = ok(t);
    assert_eq!(names(&f.directives), ["content_by_lua_block", "user"]);
}

#[test]
fn includes_are_listed_with_their_parents() {
    let t = "include mime.types;\nhttp { include conf.d/*.conf; server { location / { include \"snip pets/a.conf\"; } } }\ninclude;";
    let f = ok(t);
    let inc = includes(&f);
    let paths: Vec<_> = inc
        .iter()
        .map(|i| i.path.map(|a| a.value.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            Some("mime.types"),
            Some("conf.d/*.conf"),
            Some("snip pets/a.conf"),
            None
        ]
    );
    assert_eq!(inc[0].parents, Vec::<&str>::new());
    assert_eq!(inc[1].parents, ["http"]);
    assert_eq!(inc[2].parents, ["http", "server", "location"]);
    assert_eq!(slice(t, inc[2].path.unwrap().span), "\"snip pets/a.conf\"");
}

#[test]
fn walk_visits_in_order_with_depth() {
    let f = ok("a { b { c; } d; } e;");
    let mut seen = Vec::new();
    walk(&f.directives, |d, depth| {
        seen.push((d.name.to_string(), depth))
    });
    let want = [("a", 0), ("b", 1), ("c", 2), ("d", 1), ("e", 0)];
    assert_eq!(
        seen,
        want.iter()
            .map(|(n, d)| (n.to_string(), *d))
            .collect::<Vec<_>>()
    );
}

#[test]
fn byte_order_mark_is_skipped() {
    let f = ok("\u{feff}user nginx;");
    assert_eq!(f.directives[0].name, "user");
    assert_eq!(f.directives[0].name_span().start, 3);
}

#[test]
fn utf8_arguments_and_comments() {
    let t = "# Мёльн\nreturn 200 \"Привет {\";\nset $a Straße;";
    let f = ok(t);
    assert_eq!(f.comments[0].text, "Мёльн");
    assert_eq!(args(&f.directives[0]), ["200", "Привет {"]);
    assert_eq!(slice(t, f.directives[1].args[1].span), "Straße");
}

#[test]
fn detects_nginx_text() {
    let yes = [
        "user nginx;\nevents {}\nhttp { server { listen 80; } }",
        "server {\n  listen 80;\n  location = /x { return 404; }\n}",
        "location /api {\n  proxy_pass http://b;\n  proxy_set_header Host $host;\n}",
        "upstream b { server 10.0.0.1:80; keepalive 8; }",
        "types {\n text/html html;\n image/png png;\n}",
        "if ($http_origin !~ '^https://a') {\n}",
        "more_set_headers \"X: y\";",
        "# comment\nmap $a $b { default 0; }",
    ];
    for t in yes {
        assert!(looks_like_nginx(t), "should be nginx: {t}");
    }
    let no = [
        "",
        "# only a comment",
        "{\"server\": {\"listen\": 80}}",
        "server:\n  listen: 80\n  location: /\n",
        "---\nkind: Ingress\n",
        "#!/bin/sh\nset -e\nif [ -f x ]; then echo hi; fi\n",
        "server {\n  enabled = true\n  bootstrap_expect = 3\n}\n",
        "resource \"aws_instance\" \"x\" {\n  ami = \"abc\"\n}\n",
        "[section]\nkey=value\n",
        "<VirtualHost *:80>\n ServerName x\n</VirtualHost>",
        "example.com {\n  root * /srv\n  file_server\n}",
        "FROM nginx\nCOPY nginx.conf /etc/nginx/nginx.conf\n",
        "return 403;",
    ];
    for t in no {
        assert!(!looks_like_nginx(t), "should not be nginx: {t}");
    }
}

#[test]
fn limit_problem_kind_for_depth() {
    let t = "a {".repeat(MAX_DEPTH + 5) + &"}".repeat(MAX_DEPTH + 5) + "\nuser x;";
    let f = parse(&t);
    assert_eq!(f.problems.len(), 1, "{:?}", f.problems);
    assert_eq!(f.problems[0].kind, ProblemKind::Limit);
    assert_eq!(names(&f.directives), ["a", "user"]);
    let mut depth = 0;
    walk(&f.directives, |_, d| depth = depth.max(d));
    assert_eq!(depth, MAX_DEPTH);
}
