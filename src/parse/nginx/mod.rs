//! NGINX configuration parser: a span-keeping directive tree that follows
//! nginx's own tokeniser (`ngx_conf_file.c`) and crossplane's tree shape.
//!
//! * Every directive, argument and block has a byte [`Span`]; comments are
//!   kept in [`NginxFile::comments`].
//! * Blocks with their own entry syntax (`map`, `geo`, `types`,
//!   `split_clients`, `charset_map`, `match`) are read as directives named
//!   after each entry's first word, as crossplane does.
//! * `*_by_lua_block { ... }` bodies are kept verbatim in
//!   [`Directive::opaque_body`] (Lua strings, comments and long brackets are
//!   honoured when finding the closing brace).
//! * `if (...)` loses the parentheses around its condition, as in crossplane.
//! * Errors become [`LoadProblem`]s and parsing goes on; no input panics,
//!   nesting is capped at [`MAX_DEPTH`] and time is linear.
//!
//! Includes are not followed here; see [`includes`].

mod contexts;
mod detect;
mod lexer;
mod parser;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_errors;

use super::{Comment, LoadProblem};
use crate::source::Span;

pub use contexts::{ENTRY_BLOCKS, infer as infer_context};
pub use detect::looks_like_nginx;
pub use parser::MAX_DEPTH;

/// One argument (or the name) of a directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    /// The value after removing quotes and processing escapes as nginx
    /// does (`\"` → `"`, `\n` → line feed, `\x` kept for other `x`).
    pub value: String,
    /// The raw token, quotes included.
    pub span: Span,
    pub quoted: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// Unquoted, unescaped name (map/types entries: the entry's first word).
    pub name: String,
    pub name_span: Span,
    pub args: Vec<Arg>,
    /// Child directives of a `{ ... }` block (`None` for simple directives
    /// and for Lua blocks).
    pub block: Option<Vec<Directive>>,
    /// From `{` to `}` inclusive.
    pub block_span: Option<Span>,
    /// From the name to the `;` or `}` inclusive.
    pub span: Span,
    /// The verbatim body between the braces of a `*_by_lua_block`.
    pub opaque_body: Option<Span>,
}

impl Directive {
    /// Values of the arguments.
    pub fn arg_values(&self) -> impl Iterator<Item = &str> {
        self.args.iter().map(|a| a.value.as_str())
    }
    /// The directives of the block (empty for simple directives).
    pub fn children(&self) -> &[Directive] {
        self.block.as_deref().unwrap_or(&[])
    }
}

#[derive(Clone, Debug, Default)]
pub struct NginxFile {
    pub directives: Vec<Directive>,
    pub comments: Vec<Comment>,
    /// Sorted by position.
    pub problems: Vec<LoadProblem>,
}

/// The context a file's top level is read in (a file may be a fragment
/// included from inside `http`, `server`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileContext {
    /// A main `nginx.conf`.
    Main,
    /// Included inside `http { }` (conf.d/*.conf, sites-enabled/*).
    Http,
    /// Included inside `server { }`.
    Server,
    /// Included inside `location { }`.
    Location,
    /// Included inside `stream { }`.
    Stream,
    /// Not known: the top level is not checked.
    Unknown,
}

/// Parses a file, inferring its context from its top-level directives
/// (see [`infer_context`]). In an `nginx -T` dump each file's section is
/// inferred on its own.
pub fn parse(text: &str) -> NginxFile {
    parse_inner(text, None)
}

/// Parses a file whose top level is in `ctx`.
pub fn parse_with_context(text: &str, ctx: FileContext) -> NginxFile {
    parse_inner(text, Some(ctx))
}

fn parse_inner(text: &str, ctx: Option<FileContext>) -> NginxFile {
    let parser::Parsed {
        directives,
        comments,
        mut problems,
    } = parser::parse(text);
    match ctx {
        Some(ctx) => contexts::check(&directives, ctx, &mut problems),
        None => {
            // An `nginx -T` dump holds several files, each after a
            // `# configuration file PATH:` line; each gets its own context.
            let mut rest: &[Directive] = &directives;
            for start in dump_sections(text, &comments) {
                let n = rest.partition_point(|d| (d.name_span.start as usize) < start);
                let (section, tail) = rest.split_at(n);
                contexts::check(section, contexts::infer(section), &mut problems);
                rest = tail;
            }
            contexts::check(rest, contexts::infer(rest), &mut problems);
        }
    }
    problems.sort_by_key(|p| (p.span.start, p.span.end));
    NginxFile {
        directives,
        comments,
        problems,
    }
}

/// Offsets of the `# configuration file PATH:` lines that `nginx -T`
/// writes before each file of its dump (none for ordinary files).
fn dump_sections(text: &str, comments: &[Comment]) -> Vec<usize> {
    comments
        .iter()
        .filter(|c| c.text.starts_with("configuration file ") && c.text.ends_with(':'))
        .map(|c| c.span.start as usize)
        .filter(|&at| at == 0 || text.as_bytes().get(at - 1) == Some(&b'\n'))
        .collect()
}

/// An `include` directive found in a file.
#[derive(Clone, Debug)]
pub struct Include<'a> {
    pub directive: &'a Directive,
    /// The path (or glob) argument; `None` for a malformed `include;`.
    pub path: Option<&'a Arg>,
    /// Names of the enclosing blocks, outermost first (e.g. `["http",
    /// "server"]`), to pick the context the included file is read in.
    pub parents: Vec<&'a str>,
}

/// Every `include` directive, in file order, with its path argument.
pub fn includes(file: &NginxFile) -> Vec<Include<'_>> {
    let mut out = Vec::new();
    let mut stack: Vec<(std::slice::Iter<'_, Directive>, Option<&str>)> =
        vec![(file.directives.iter(), None)];
    while let Some((iter, _)) = stack.last_mut() {
        let Some(d) = iter.next() else {
            stack.pop();
            continue;
        };
        if d.name == "include" {
            out.push(Include {
                directive: d,
                path: d.args.first(),
                parents: stack.iter().filter_map(|(_, n)| *n).collect(),
            });
        }
        if let Some(b) = &d.block {
            stack.push((b.iter(), Some(d.name.as_str())));
        }
    }
    out
}

/// Walks every directive depth-first (pre-order) without recursion.
pub fn walk<'a>(directives: &'a [Directive], mut f: impl FnMut(&'a Directive, usize)) {
    let mut stack: Vec<std::slice::Iter<'a, Directive>> = vec![directives.iter()];
    while let Some(iter) = stack.last_mut() {
        let Some(d) = iter.next() else {
            stack.pop();
            continue;
        };
        f(d, stack.len() - 1);
        if let Some(b) = &d.block {
            stack.push(b.iter());
        }
    }
}
