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
use std::num::NonZeroU32;

use crate::source::Span;

pub use smol_str::SmolStr;

pub use contexts::{ENTRY_BLOCKS, infer as infer_context};
pub use detect::looks_like_nginx;
pub use parser::MAX_DEPTH;

/// One argument (or the name) of a directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    /// The value after removing quotes and processing escapes as nginx
    /// does (`\"` → `"`, `\n` → line feed, `\x` kept for other `x`).
    pub value: SmolStr,
    /// The raw token, quotes included.
    pub span: Span,
    pub quoted: bool,
}

/// A directive, kept compact: names and most arguments are short, so they
/// are stored inline ([`SmolStr`], no allocation up to 23 bytes), lists are
/// exact-size boxed slices, and the name, block and Lua body spans are
/// stored as the offsets that [`Span`] does not already hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// Unquoted, unescaped name (map/types entries: the entry's first word).
    pub name: SmolStr,
    pub args: Box<[Arg]>,
    /// Child directives of a `{ ... }` block (`None` for simple directives
    /// and for Lua blocks).
    pub block: Option<Box<[Directive]>>,
    /// From the name to the `;` or `}` inclusive.
    pub span: Span,
    /// End of the name token (it starts at `span.start`).
    name_end: u32,
    /// Offset of the `{` of a block or Lua block (never 0: a name comes
    /// first); the block ends where `span` does.
    open: Option<NonZeroU32>,
    /// End of the verbatim body of a `*_by_lua_block` (it starts after `{`).
    lua_end: Option<NonZeroU32>,
}

impl Directive {
    /// A directive without a block.
    pub(crate) fn new(name: SmolStr, name_span: Span, args: Box<[Arg]>, span: Span) -> Directive {
        Directive {
            name,
            args,
            block: None,
            span,
            name_end: name_span.end,
            open: None,
            lua_end: None,
        }
    }
    /// The name token, quotes included.
    pub fn name_span(&self) -> Span {
        Span {
            start: self.span.start,
            end: self.name_end,
        }
    }
    /// From `{` to `}` inclusive (`None` for simple directives).
    pub fn block_span(&self) -> Option<Span> {
        self.open.map(|o| Span {
            start: o.get(),
            end: self.span.end,
        })
    }
    /// The verbatim body between the braces of a `*_by_lua_block`.
    pub fn opaque_body(&self) -> Option<Span> {
        let (open, end) = (self.open?, self.lua_end?);
        let start = open.get().saturating_add(1);
        Some(Span {
            start,
            end: end.get().max(start),
        })
    }
    /// Marks a block opening at `open` and ending at `end` (exclusive).
    pub(crate) fn set_block_span(&mut self, open: usize, end: usize) {
        self.open = nonzero(open);
        self.span.end = u32::try_from(end).unwrap_or(u32::MAX);
    }
    /// Marks a Lua block body ending at `end` (it starts after the `{`).
    pub(crate) fn set_lua_end(&mut self, end: usize) {
        self.lua_end = nonzero(end);
    }
    /// Replaces every span (name, block, body, arguments) by `f(span)`, as
    /// if each were a separate [`Span`] field.
    pub fn map_spans(&mut self, f: impl Fn(Span) -> Span) {
        let name = f(self.name_span());
        let block = self.block_span().map(&f);
        let body = self.opaque_body().map(&f);
        self.span = f(self.span);
        self.name_end = name.end;
        if let Some(b) = block {
            self.open = NonZeroU32::new(b.start).or(self.open);
        }
        if let Some(b) = body {
            self.lua_end = NonZeroU32::new(b.end).or(self.lua_end);
        }
        for a in self.args.iter_mut() {
            a.span = f(a.span);
        }
    }
    /// Values of the arguments.
    pub fn arg_values(&self) -> impl Iterator<Item = &str> {
        self.args.iter().map(|a| a.value.as_str())
    }
    /// The directives of the block (empty for simple directives).
    pub fn children(&self) -> &[Directive] {
        self.block.as_deref().unwrap_or(&[])
    }
}

fn nonzero(at: usize) -> Option<NonZeroU32> {
    NonZeroU32::new(u32::try_from(at).unwrap_or(u32::MAX))
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
                let n = rest.partition_point(|d| (d.span.start as usize) < start);
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
