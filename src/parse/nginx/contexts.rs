//! Where nginx allows some directives, and which context a file fragment
//! is in. Only a compact table of well-known placements is checked: unknown
//! directives and blocks (third-party modules) are never errors.

use super::lexer::syntax;
use super::{Directive, FileContext};
use crate::parse::LoadProblem;

/// The context a directive list is read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctx {
    Main,
    Events,
    Http,
    Server,
    Location,
    IfServer,
    IfLocation,
    LimitExcept,
    Upstream,
    Stream,
    StreamServer,
    StreamUpstream,
    Mail,
    MailServer,
    /// A `server` whose flavour (http, stream, mail) is unknown.
    AnyServer,
    /// Top level of a file of unknown context: nothing is checked.
    Free,
    /// Contents of `map`, `types`, third-party blocks, ...: not checked.
    Opaque,
}

/// Blocks whose entries have an arbitrary first word (parsed as directives
/// named after that word, as crossplane does); never checked.
pub const ENTRY_BLOCKS: &[&str] = &[
    "map",
    "geo",
    "types",
    "split_clients",
    "charset_map",
    "match",
];

use Ctx::*;

/// Directive → contexts it is allowed in (checked everywhere except in
/// `Free` and `Opaque`).
const PLACEMENT: &[(&str, &[Ctx])] = &[
    ("http", &[Main]),
    ("events", &[Main]),
    ("stream", &[Main]),
    ("mail", &[Main]),
    ("server", &[Http, Stream, Mail, Upstream, StreamUpstream]),
    ("upstream", &[Http, Stream]),
    ("location", &[Server, Location, AnyServer]),
    ("listen", &[Server, StreamServer, MailServer, AnyServer]),
    (
        "proxy_pass",
        &[Location, IfLocation, LimitExcept, StreamServer, AnyServer],
    ),
];

fn ctx_name(c: Ctx) -> &'static str {
    match c {
        Main => "main",
        Events => "events",
        Http => "http",
        Server | AnyServer => "server",
        Location => "location",
        IfServer => "if in server",
        IfLocation => "if in location",
        LimitExcept => "limit_except",
        Upstream | StreamUpstream => "upstream",
        Stream => "stream",
        StreamServer => "stream server",
        Mail => "mail",
        MailServer => "mail server",
        Free | Opaque => "unknown",
    }
}

fn root_ctx(fc: FileContext) -> Ctx {
    match fc {
        FileContext::Main => Main,
        FileContext::Http => Http,
        FileContext::Server => Server,
        FileContext::Location => Location,
        FileContext::Stream => Stream,
        FileContext::Unknown => Free,
    }
}

/// The context inside a `name { ... }` block opened in `ctx`.
fn enter(ctx: Ctx, name: &str) -> Ctx {
    if ctx == Opaque || ENTRY_BLOCKS.contains(&name) {
        return Opaque;
    }
    match (ctx, name) {
        (_, "http") => Http,
        (_, "events") => Events,
        (_, "stream") => Stream,
        (_, "mail") => Mail,
        (Stream | StreamServer | StreamUpstream, "server") => StreamServer,
        (Stream, "upstream") => StreamUpstream,
        (Mail | MailServer, "server") => MailServer,
        (Http | Server | Location | IfServer | IfLocation | LimitExcept, "server") => Server,
        (_, "server") => AnyServer,
        (_, "upstream") => Upstream,
        (_, "location") => Location,
        (Server | IfServer, "if") => IfServer,
        (_, "if") => IfLocation,
        (_, "limit_except") => LimitExcept,
        _ => Opaque,
    }
}

/// Reports directives placed where nginx rejects them.
pub(crate) fn check(directives: &[Directive], fc: FileContext, problems: &mut Vec<LoadProblem>) {
    // (remaining siblings, their context, the block owner)
    let mut stack: Vec<(std::slice::Iter<'_, Directive>, Ctx, Option<&Directive>)> =
        vec![(directives.iter(), root_ctx(fc), None)];
    while let Some((iter, ctx, owner)) = stack.last_mut() {
        let Some(d) = iter.next() else {
            stack.pop();
            continue;
        };
        let (ctx, owner) = (*ctx, *owner);
        let allowed = PLACEMENT.iter().find(|(n, _)| *n == d.name).map(|(_, a)| a);
        if let Some(allowed) = allowed
            && !matches!(ctx, Free | Opaque)
            && !allowed.contains(&ctx)
        {
            let mut p = syntax(
                d.name_span(),
                format!(
                    "\"{}\" directive is not allowed here (in {} context)",
                    d.name,
                    ctx_name(ctx)
                ),
            );
            if let Some(o) = owner {
                p.related
                    .push((o.name_span(), format!("inside this \"{}\" block", o.name)));
            }
            problems.push(p);
        }
        if let Some(block) = &d.block {
            stack.push((block.iter(), enter(ctx, &d.name), Some(d)));
        }
    }
}

fn has_child(d: &Directive, name: &str) -> bool {
    d.block
        .as_ref()
        .is_some_and(|b| b.iter().any(|c| c.name == name))
}

/// Guesses the context of a whole file from its top-level directives:
/// `http`/`events`/`stream`/`mail` → main; `server`/`upstream`/`map` → http
/// (stream when a top-level server proxies without locations, as stream
/// servers do); `location` → server; both of the last two, or neither →
/// unknown.
pub fn infer(directives: &[Directive]) -> FileContext {
    let has = |n: &str| directives.iter().any(|d| d.name == n);
    if ["http", "events", "stream", "mail"].iter().any(|n| has(n)) {
        return FileContext::Main;
    }
    let http_level = ["server", "upstream", "map"].iter().any(|n| has(n));
    if http_level && has("location") {
        // No context allows both (e.g. test snippets mixing `map` and
        // `location`): do not guess.
        return FileContext::Unknown;
    }
    if http_level {
        let stream_like = directives
            .iter()
            .any(|d| d.name == "server" && has_child(d, "proxy_pass") && !has_child(d, "location"));
        return if stream_like {
            FileContext::Stream
        } else {
            FileContext::Http
        };
    }
    if has("location") {
        return FileContext::Server;
    }
    FileContext::Unknown
}
