//! Tokeniser following nginx's `ngx_conf_read_token`.
//!
//! * Whitespace is space, tab, CR and LF only (as in nginx).
//! * `#` starts a comment only at the start of a token; it runs to the end
//!   of the line. Comments are collected, not returned as tokens.
//! * `;`, `{` and `}` are tokens of their own at the start of a token. Inside
//!   an unquoted word, `;` and `{` end the word, except a `{` right after `$`
//!   (`${var}`); a `}` inside a word is an ordinary character, as in nginx.
//! * A backslash escapes the next byte in any word, quoted or not; values
//!   are unescaped the way nginx does (`\"` `\'` `\\` → the character,
//!   `\t` `\r` `\n` → the control character, any other pair kept as is).
//! * Quotes only open a quoted word at the start of a token; after the
//!   closing quote nginx wants whitespace, `;`, `{` or `)`.

use std::borrow::Cow;

use memchr::{memchr, memchr2};

use super::super::{Comment, LoadProblem, ProblemKind};
use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokKind {
    Word,
    Semi,
    Open,
    Close,
    Eof,
}

#[derive(Clone, Debug)]
pub(crate) struct Token<'a> {
    pub kind: TokKind,
    pub start: usize,
    pub end: usize,
    pub quoted: bool,
    /// Unquoted, unescaped value (words only), borrowed from the text
    /// unless escapes were processed.
    pub value: Cow<'a, str>,
}

impl Token<'_> {
    fn punct(kind: TokKind, at: usize, len: usize) -> Token<'static> {
        Token {
            kind,
            start: at,
            end: at + len,
            quoted: false,
            value: Cow::Borrowed(""),
        }
    }
    pub fn span(&self) -> Span {
        Span::new(self.start, self.end)
    }
}

/// Where a `*_by_lua_block` body lies.
pub(crate) struct LuaBody {
    pub start: usize,
    pub end: usize,
    /// Offset of the closing `}`; `None` when the file ended first.
    pub close: Option<usize>,
}

pub(crate) struct Lexer<'a> {
    text: &'a str,
    src: &'a [u8],
    pos: usize,
    /// End of the last token or comment read (for end-of-file messages).
    pub last_end: usize,
    pub comments: Vec<Comment>,
    pub problems: Vec<LoadProblem>,
}

pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

pub(crate) fn syntax(span: Span, message: String) -> LoadProblem {
    LoadProblem {
        kind: ProblemKind::Syntax,
        span,
        message,
        related: Vec::new(),
    }
}

/// Applies nginx's escape processing to a raw word (quotes already removed).
pub(crate) fn unescape(raw: &str) -> Cow<'_, str> {
    if memchr(b'\\', raw.as_bytes()).is_none() {
        return Cow::Borrowed(raw);
    }
    let b = raw.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'\\' {
            match b.get(i + 1) {
                Some(&n @ (b'"' | b'\'' | b'\\')) => {
                    out.push(n);
                    i += 2;
                    continue;
                }
                Some(b't') => {
                    out.push(b'\t');
                    i += 2;
                    continue;
                }
                Some(b'r') => {
                    out.push(b'\r');
                    i += 2;
                    continue;
                }
                Some(b'n') => {
                    out.push(b'\n');
                    i += 2;
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
        i += 1;
    }
    // Only ASCII bytes were replaced by ASCII bytes, so this is still UTF-8.
    Cow::Owned(
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

/// Length in bytes of the character starting at `at` (1 if not a boundary).
fn char_len(text: &str, at: usize) -> usize {
    text.get(at..)
        .and_then(|s| s.chars().next())
        .map_or(1, char::len_utf8)
}

impl<'a> Lexer<'a> {
    pub fn new(text: &'a str) -> Lexer<'a> {
        let pos = if text.starts_with('\u{feff}') { 3 } else { 0 };
        Lexer {
            text,
            src: text.as_bytes(),
            pos,
            last_end: pos,
            comments: Vec::new(),
            problems: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.src.len()
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.src.get(i).copied()
    }

    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or("")
    }

    /// Next token; comments on the way are recorded.
    pub fn next_token(&mut self) -> Token<'a> {
        loop {
            let Some(c) = self.at(self.pos) else {
                return Token::punct(TokKind::Eof, self.src.len(), 0);
            };
            let start = self.pos;
            let tok = match c {
                b' ' | b'\t' | b'\r' | b'\n' => {
                    self.pos += 1;
                    continue;
                }
                b'#' => {
                    self.comment();
                    continue;
                }
                b';' => Token::punct(TokKind::Semi, start, 1),
                b'{' => Token::punct(TokKind::Open, start, 1),
                b'}' => Token::punct(TokKind::Close, start, 1),
                b'"' | b'\'' => self.quoted(c),
                _ => self.word(),
            };
            self.pos = self.pos.max(tok.end);
            self.last_end = tok.end;
            return tok;
        }
    }

    fn comment(&mut self) {
        let start = self.pos;
        let eol = memchr(b'\n', self.src.get(start..).unwrap_or(&[]))
            .map_or(self.src.len(), |i| start + i);
        let mut end = eol;
        if end > start && self.at(end - 1) == Some(b'\r') {
            end -= 1;
        }
        let text = self.slice(start + 1, end).trim().to_string();
        self.comments.push(Comment {
            span: Span::new(start, end),
            text,
        });
        self.pos = eol;
        self.last_end = end;
    }

    /// An unquoted word starting at `self.pos`.
    fn word(&mut self) -> Token<'a> {
        let start = self.pos;
        let mut i = start;
        let mut variable = false;
        let mut escaped = false;
        while let Some(c) = self.at(i) {
            match c {
                b'\\' => {
                    escaped = true;
                    variable = false;
                    i = (i + 2).min(self.src.len());
                    continue;
                }
                b' ' | b'\t' | b'\r' | b'\n' | b';' => break,
                b'{' if !variable => break,
                b'{' => {}
                b'$' => variable = true,
                _ => variable = false,
            }
            i += 1;
        }
        // `i` may sit inside a multi-byte character only when a backslash
        // escaped its first byte; move to the next boundary.
        while i < self.src.len() && !self.text.is_char_boundary(i) {
            i += 1;
        }
        let raw = self.slice(start, i);
        Token {
            kind: TokKind::Word,
            start,
            end: i,
            quoted: false,
            value: if escaped {
                unescape(raw)
            } else {
                Cow::Borrowed(raw)
            },
        }
    }

    /// A quoted word; `self.pos` is on the opening quote `q`.
    fn quoted(&mut self, q: u8) -> Token<'a> {
        let open = self.pos;
        let mut i = open + 1;
        let close = loop {
            let rest = self.src.get(i..).unwrap_or(&[]);
            match memchr2(q, b'\\', rest) {
                Some(k) if rest.get(k) == Some(&b'\\') => i += k + 2,
                Some(k) => break Some(i + k),
                None => break None,
            }
        };
        let Some(close) = close else {
            // Unterminated: end the word at the end of the opening line (or
            // before a `;` or `{` ending that line) so the rest of the file
            // is still read.
            let line_end = memchr(b'\n', self.src.get(open..).unwrap_or(&[]))
                .map_or(self.src.len(), |k| open + k);
            let line = self.src.get(open + 1..line_end).unwrap_or(&[]);
            let eol = match line.iter().rposition(|&b| !is_space(b)) {
                Some(k) if matches!(line.get(k), Some(b';' | b'{')) => open + 1 + k,
                _ => line_end,
            };
            let mut p = syntax(
                Span::new(open, open + 1),
                format!("unterminated string: missing closing {}", q as char),
            );
            p.related
                .push((Span::new(eol, eol), "the string is cut here".to_string()));
            self.problems.push(p);
            return Token {
                kind: TokKind::Word,
                start: open,
                end: eol,
                quoted: true,
                value: unescape(self.slice(open + 1, eol)),
            };
        };
        let end = close + 1;
        match self.at(end) {
            None | Some(b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b'}' | b')') => {}
            Some(_) => {
                let len = char_len(self.text, end);
                self.problems.push(syntax(
                    Span::new(end, end + len),
                    format!(
                        "unexpected \"{}\" after a quoted string: nginx needs whitespace, \";\" or \"{{\" here",
                        self.slice(end, end + len)
                    ),
                ));
            }
        }
        Token {
            kind: TokKind::Word,
            start: open,
            end,
            quoted: true,
            value: unescape(self.slice(open + 1, close)),
        }
    }

    /// Whether a regex quantifier body (`3}`, `1,5}`, `2,}`) starts at `at`,
    /// i.e. the `{` before it was meant as part of a regular expression.
    pub fn quantifier_at(&self, at: usize) -> bool {
        let digits = |mut i: usize| {
            let s = i;
            while self.at(i).is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
            }
            (i, i > s)
        };
        let (mut i, any) = digits(at);
        if !any {
            return false;
        }
        if self.at(i) == Some(b',') {
            i = digits(i + 1).0;
        }
        self.at(i) == Some(b'}')
    }

    /// Reads a `*_by_lua_block` body; `self.pos` is just after its `{`.
    /// Lua strings, comments and long brackets are honoured so that braces
    /// inside them do not count.
    pub fn lua_body(&mut self) -> LuaBody {
        let start = self.pos;
        let n = self.src.len();
        let mut i = start;
        let mut depth = 1usize;
        while let Some(c) = self.at(i) {
            match c {
                b'-' if self.at(i + 1) == Some(b'-') => {
                    i += 2;
                    if let Some(after) = self.long_bracket(i) {
                        i = after;
                    } else {
                        i = memchr(b'\n', self.src.get(i..).unwrap_or(&[])).map_or(n, |k| i + k);
                    }
                    continue;
                }
                b'[' => {
                    if let Some(after) = self.long_bracket(i) {
                        i = after;
                        continue;
                    }
                }
                b'"' | b'\'' => {
                    i = self.lua_string(i, c);
                    continue;
                }
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        self.pos = i + 1;
                        self.last_end = i + 1;
                        return LuaBody {
                            start,
                            end: i,
                            close: Some(i),
                        };
                    }
                }
                _ => {}
            }
            i += 1;
        }
        self.pos = n;
        self.last_end = n;
        LuaBody {
            start,
            end: n,
            close: None,
        }
    }

    /// If a Lua long bracket `[==[` opens at `i`, the offset after its
    /// matching close (or the end of the text).
    fn long_bracket(&self, i: usize) -> Option<usize> {
        if self.at(i) != Some(b'[') {
            return None;
        }
        let mut j = i + 1;
        while self.at(j) == Some(b'=') {
            j += 1;
        }
        if self.at(j) != Some(b'[') {
            return None;
        }
        let level = j - i - 1;
        let mut k = j + 1;
        loop {
            let rest = self.src.get(k..)?;
            let Some(off) = memchr(b']', rest) else {
                return Some(self.src.len());
            };
            let close = k + off;
            let mut e = close + 1;
            while e - close - 1 < level && self.at(e) == Some(b'=') {
                e += 1;
            }
            if e - close - 1 == level && self.at(e) == Some(b']') {
                return Some(e + 1);
            }
            k = close + 1;
        }
    }

    /// Skips a Lua short string opening at `i`; returns the offset after it.
    /// An unescaped line break ends it (an error in Lua; we just recover).
    fn lua_string(&self, i: usize, q: u8) -> usize {
        let mut j = i + 1;
        while let Some(c) = self.at(j) {
            if c == b'\\' {
                j += 2;
                continue;
            }
            if c == q {
                return j + 1;
            }
            if c == b'\n' {
                return j;
            }
            j += 1;
        }
        self.src.len()
    }
}
