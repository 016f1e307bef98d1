//! Builds the directive tree from tokens with an explicit stack (no
//! recursion), recovering after errors.

use super::lexer::{Lexer, TokKind, Token, syntax};
use super::{Arg, Directive, ENTRY_BLOCKS, SmolStr};
use crate::parse::{Comment, LoadProblem};
use crate::source::Span;

/// Deepest block nesting that is built; deeper blocks are skipped.
pub const MAX_DEPTH: usize = 100;

pub(crate) struct Parsed {
    pub directives: Vec<Directive>,
    pub comments: Vec<Comment>,
    pub problems: Vec<LoadProblem>,
}

struct Frame {
    /// The directive owning the block; `None` for a stray `{`, whose
    /// contents are kept in the parent.
    owner: Option<Directive>,
    open: usize,
    /// Where the block's directives start in [`Parser::pending`].
    first: usize,
}

pub(crate) fn is_lua_block(name: &str) -> bool {
    name.ends_with("_by_lua_block")
}

struct Parser<'a> {
    lx: Lexer<'a>,
    /// Directives of every open block, outermost first; a block's are moved
    /// into an exact-size slice when it closes.
    pending: Vec<Directive>,
    stack: Vec<Frame>,
    /// Reused for each directive's arguments.
    args: Vec<Arg>,
}

pub(crate) fn parse(text: &str) -> Parsed {
    let mut p = Parser {
        lx: Lexer::new(text),
        pending: Vec::new(),
        stack: Vec::new(),
        args: Vec::new(),
    };
    p.run();
    let Parser {
        lx, mut pending, ..
    } = p;
    pending.shrink_to_fit();
    Parsed {
        directives: pending,
        comments: lx.comments,
        problems: lx.problems,
    }
}

fn arg_of(t: Token<'_>) -> Arg {
    Arg {
        span: t.span(),
        quoted: t.quoted,
        value: SmolStr::new(&t.value),
    }
}

/// Removes the parentheses around an `if` condition the way crossplane
/// does: `($a = b)` → `$a`, `=`, `b`; a lone `(` or `)` disappears.
fn strip_if_parens(args: &mut Vec<Arg>) {
    let (Some(first), Some(last)) = (args.first(), args.last()) else {
        return;
    };
    if !first.value.starts_with('(') || !last.value.ends_with(')') {
        return;
    }
    // Spans move past the parenthesis itself (one raw byte when unquoted).
    if let Some(a) = args.first_mut() {
        let mut v = a.value.to_string();
        v.remove(0);
        a.value = SmolStr::new(v.trim_start());
        if !a.quoted {
            a.span.start = a.span.start.saturating_add(1).min(a.span.end);
        }
    }
    if let Some(a) = args.last_mut() {
        let mut v = a.value.to_string();
        v.pop();
        a.value = SmolStr::new(v.trim_end());
        if !a.quoted {
            a.span.end = a.span.end.saturating_sub(1).max(a.span.start);
        }
    }
    if args.last().is_some_and(|a| a.value.is_empty()) {
        args.pop();
    }
    if args.first().is_some_and(|a| a.value.is_empty()) {
        args.remove(0);
    }
}

impl<'a> Parser<'a> {
    fn push(&mut self, d: Directive) {
        self.pending.push(d);
    }

    fn run(&mut self) {
        loop {
            let tok = self.lx.next_token();
            match tok.kind {
                TokKind::Eof => break,
                TokKind::Word => self.statement(tok),
                TokKind::Semi => self
                    .lx
                    .problems
                    .push(syntax(tok.span(), "unexpected \";\"".to_string())),
                TokKind::Open => {
                    self.lx.problems.push(syntax(
                        tok.span(),
                        "unexpected \"{\": a block needs a directive name".to_string(),
                    ));
                    self.open_block(None, tok.start);
                }
                TokKind::Close => self.close_block(&tok),
            }
        }
        self.finish_at_eof();
    }

    /// Whether the innermost open block is a `map`-like entry block.
    fn in_entry_block(&self) -> bool {
        self.stack
            .last()
            .and_then(|f| f.owner.as_ref())
            .is_some_and(|d| ENTRY_BLOCKS.contains(&d.name.as_str()))
    }

    /// Reads a directive's arguments and terminator; `name` is its first word.
    fn statement(&mut self, mut name: Token<'a>) {
        let mut args = std::mem::take(&mut self.args);
        args.clear();
        let mut pending: Option<Token> = None;
        loop {
            let tok = match pending.take() {
                Some(t) => t,
                None => self.lx.next_token(),
            };
            match tok.kind {
                TokKind::Word => args.push(arg_of(tok)),
                TokKind::Semi => {
                    let d = self.directive(name, &mut args, tok.end);
                    self.args = args;
                    self.push(d);
                    return;
                }
                TokKind::Open
                    if !is_lua_block(&name.value) && self.stray_brace(&name, &args, &tok) =>
                {
                    // Glue `{` (and a word right after it) onto the word
                    // before, as the author meant: `^/\d{1,3}$`.
                    let next = self.lx.next_token();
                    let mut extra = "{".to_string();
                    let mut end = tok.end;
                    if next.kind == TokKind::Word && next.start == tok.end && !next.quoted {
                        extra.push_str(&next.value);
                        end = next.end;
                    } else {
                        pending = Some(next);
                    }
                    match args.last_mut() {
                        Some(a) => {
                            a.value = SmolStr::from(format!("{}{extra}", a.value));
                            a.span = Span::new(a.span.start as usize, end);
                        }
                        None => {
                            name.value.to_mut().push_str(&extra);
                            name.end = end;
                        }
                    }
                }
                TokKind::Open => {
                    let lua = is_lua_block(&name.value);
                    let mut d = self.directive(name, &mut args, tok.end);
                    self.args = args;
                    if lua {
                        self.lua_block(d, tok.start);
                    } else {
                        d.block = Some(Box::default());
                        self.open_block(Some(d), tok.start);
                    }
                    return;
                }
                TokKind::Close | TokKind::Eof => {
                    let last_end = args.last().map_or(name.end, |a| a.span.end as usize);
                    let last_start = args.last().map_or(name.start, |a| a.span.start as usize);
                    let mut p = syntax(
                        Span::new(last_start, last_end),
                        format!("directive \"{}\" is not terminated by \";\"", name.value),
                    );
                    p.related.push(if tok.kind == TokKind::Close {
                        (tok.span(), "\"}\" found here".to_string())
                    } else {
                        let e = self.lx.last_end;
                        (Span::new(e, e), "the file ends here".to_string())
                    });
                    self.lx.problems.push(p);
                    let d = self.directive(name, &mut args, last_end);
                    self.args = args;
                    self.push(d);
                    if tok.kind == TokKind::Close {
                        self.close_block(&tok);
                    }
                    return;
                }
            }
        }
    }

    /// Reports a `{` that cannot open a block: one glued to the previous
    /// word and followed by a regex quantifier (`\d{1,3}`), or one glued to
    /// a word inside a `map`-like block (nginx: unexpected "{"). Returns
    /// whether the `{` is to be read as part of that word.
    fn stray_brace(&mut self, name: &Token<'a>, args: &[Arg], open: &Token<'a>) -> bool {
        let prev_end = args.last().map_or(name.end, |a| a.span.end as usize);
        let prev_quoted = args.last().map_or(name.quoted, |a| a.quoted);
        if prev_end != open.start || prev_quoted {
            return false;
        }
        let message = if self.lx.quantifier_at(open.end) {
            "unexpected \"{\": a regular expression containing \"{\" must be quoted"
        } else if self.in_entry_block() {
            "unexpected \"{\" in a map-like block: quote values containing \"{\""
        } else {
            return false;
        };
        self.lx
            .problems
            .push(syntax(open.span(), message.to_string()));
        true
    }

    /// A directive taking the arguments out of `args` (left empty).
    fn directive(&self, name: Token<'a>, args: &mut Vec<Arg>, end: usize) -> Directive {
        if name.value == "if" {
            strip_if_parens(args);
        }
        Directive::new(
            SmolStr::new(&name.value),
            name.span(),
            args.drain(..).collect(),
            Span::new(name.start, end),
        )
    }

    fn lua_block(&mut self, mut d: Directive, open: usize) {
        let body = self.lx.lua_body();
        debug_assert_eq!(body.start, open + 1);
        d.set_lua_end(body.end);
        match body.close {
            Some(close) => d.set_block_span(open, close + 1),
            None => {
                let mut p = syntax(
                    Span::new(body.end, body.end),
                    "unexpected end of file in a Lua block, expecting \"}\"".to_string(),
                );
                p.related.push((
                    Span::new(open, open + 1),
                    "Lua block opened here".to_string(),
                ));
                self.lx.problems.push(p);
                d.set_block_span(open, body.end);
            }
        }
        self.push(d);
    }

    fn open_block(&mut self, owner: Option<Directive>, open: usize) {
        if self.stack.len() >= MAX_DEPTH {
            self.lx.problems.push(LoadProblem::limit(
                Span::new(open, open + 1),
                format!("blocks nested deeper than {MAX_DEPTH} levels; this block is skipped"),
            ));
            let close = self.skip_block();
            if let Some(mut d) = owner {
                let end = close.map_or(self.lx.len(), |c| c + 1);
                d.set_block_span(open, end);
                self.push(d);
            }
            return;
        }
        self.stack.push(Frame {
            owner,
            open,
            first: self.pending.len(),
        });
    }

    /// Consumes tokens up to the `}` matching an already read `{`.
    fn skip_block(&mut self) -> Option<usize> {
        let mut depth = 1usize;
        let mut at_start = true;
        let mut lua = false;
        loop {
            let tok = self.lx.next_token();
            match tok.kind {
                TokKind::Eof => return None,
                TokKind::Word => {
                    if at_start {
                        lua = is_lua_block(&tok.value);
                    }
                    at_start = false;
                }
                TokKind::Semi => at_start = true,
                TokKind::Open if lua => {
                    self.lx.lua_body();
                    at_start = true;
                    lua = false;
                }
                TokKind::Open => {
                    depth += 1;
                    at_start = true;
                }
                TokKind::Close => {
                    depth -= 1;
                    at_start = true;
                    if depth == 0 {
                        return Some(tok.start);
                    }
                }
            }
        }
    }

    fn close_block(&mut self, close: &Token<'a>) {
        let Some(frame) = self.stack.pop() else {
            self.lx
                .problems
                .push(syntax(close.span(), "unexpected \"}\"".to_string()));
            return;
        };
        self.attach(frame, close.end);
    }

    fn attach(&mut self, frame: Frame, end: usize) {
        // A stray `{`'s contents stay where they are, in the parent.
        if let Some(mut d) = frame.owner {
            let first = frame.first.min(self.pending.len());
            d.block = Some(self.pending.drain(first..).collect());
            d.set_block_span(frame.open, end);
            self.push(d);
        }
    }

    fn finish_at_eof(&mut self) {
        if self.stack.is_empty() {
            return;
        }
        let e = self.lx.last_end;
        let mut p = syntax(
            Span::new(e, e),
            "unexpected end of file, expecting \"}\"".to_string(),
        );
        for f in &self.stack {
            let what = match &f.owner {
                Some(d) => format!("\"{}\" block opened here is not closed", d.name),
                None => "block opened here is not closed".to_string(),
            };
            p.related.push((Span::new(f.open, f.open + 1), what));
        }
        self.lx.problems.push(p);
        let end = self.lx.len();
        while let Some(frame) = self.stack.pop() {
            self.attach(frame, end);
        }
    }
}
