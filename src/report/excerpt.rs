//! A file as miette reads it for a snippet: a window of lines around a
//! span, clipped on long lines.

use std::borrow::Cow;
use std::collections::HashMap;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use crate::pipeline::Report;
use crate::source::{Loc, SourceFile};

/// A file as miette reads it, through its line starts: miette's own
/// sources count lines from the start of the text and were copied into
/// every diagnostic, so 40,000 findings in one 5.7 MB file took ten
/// minutes. miette reads a window of a few lines around the span instead,
/// and its line numbers are shifted back (same output, a test checks).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Excerpt<'r> {
    pub(crate) name: &'r str,
    pub(crate) text: &'r str,
    /// Where each line starts, as miette splits lines (`\n`, `\r\n` or `\r`).
    pub(crate) starts: &'r [usize],
    /// Gives the line and column a snippet's header names, as the JSON
    /// report does (miette counts columns in bytes).
    pub(crate) file: Option<&'r SourceFile>,
}

/// Lines around the span in the window besides those miette shows: the
/// window's first and last lines need not be where miette would cut.
const WINDOW_MARGIN: usize = 2;

pub(crate) fn line_starts(text: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    let mut bytes = text.iter().enumerate().peekable();
    while let Some((i, &b)) = bytes.next() {
        let end = match b {
            b'\n' => i + 1,
            b'\r' if bytes.next_if(|&(_, &n)| n == b'\n').is_some() => i + 2,
            b'\r' => i + 1,
            _ => continue,
        };
        starts.push(end);
    }
    starts
}

/// Lines longer than this are shown clipped around the span: minified
/// JSON holds a whole file on one line, which miette printed for every
/// finding on it (and it panics past 65,535 columns).
pub(crate) const LONG_LINE: usize = 1_000;
/// Bytes shown either side of a span on a long line.
pub(crate) const CLIP_AROUND: usize = 60;
/// The most of a span underlined on a long line.
pub(crate) const CLIP_SPAN: usize = 200;
/// Lines of a span and its context looked at for a long one.
const LINES_CHECKED: usize = 64;

impl Excerpt<'_> {
    /// The line (0-based, as miette counts) holding `offset`.
    pub(crate) fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    /// A line's start and end, its line break left out.
    pub(crate) fn line_bounds(&self, line: usize) -> (usize, usize) {
        let start = self.starts.get(line).copied().unwrap_or(self.text.len());
        let next = self
            .starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        let body = self.text.get(start..next).unwrap_or_default();
        (start, start + body.trim_end_matches(['\r', '\n']).len())
    }

    /// Is a line among `first..=last` too long to print whole?
    fn any_long(&self, first: usize, last: usize) -> bool {
        let last = last.min(self.starts.len().saturating_sub(1));
        let long = |l: usize| {
            let (start, end) = self.line_bounds(l);
            end - start > LONG_LINE
        };
        (first..=last).take(LINES_CHECKED).any(long) || long(last)
    }

    /// Is a line from `start` to `end`, or one beside them, too long to
    /// print whole? (Then a snippet there is clipped to one line.)
    pub(crate) fn long_lines_near(&self, start: usize, end: usize) -> bool {
        let (first, last) = (self.line_of(start), self.line_of(end.max(start)));
        self.any_long(first.saturating_sub(1), last + 1)
    }

    /// The span underlined for `loc`: near a long line, at most
    /// [`CLIP_SPAN`] bytes of its own line.
    pub(crate) fn label_span(&self, loc: Loc) -> SourceSpan {
        let start = loc.span.start as usize;
        let mut end = loc.span.end as usize;
        if self.long_lines_near(start, end) {
            let (_, line_end) = self.line_bounds(self.line_of(start));
            end = self
                .text
                .floor_char_boundary(end.min(line_end).min(start + CLIP_SPAN))
                .max(start);
        }
        SourceSpan::new(start.into(), end.saturating_sub(start))
    }

    /// The 0-based line and character column of `offset` for a snippet's
    /// header, as the JSON report counts them (`fallback`: miette's own).
    fn header_at(&self, offset: usize, fallback: (usize, usize)) -> (usize, usize) {
        match (self.file, u32::try_from(offset)) {
            (Some(file), Ok(offset)) => {
                let p = file.position(offset);
                (p.line.saturating_sub(1), p.column.saturating_sub(1))
            }
            _ => fallback,
        }
    }

    /// The span's own line from a little before it to a little after it.
    fn clipped<'a>(&'a self, span: &SourceSpan, header: bool) -> MietteSpanContents<'a> {
        let line = self.line_of(span.offset());
        let (line_start, line_end) = self.line_bounds(line);
        let from = span.offset().saturating_sub(CLIP_AROUND).max(line_start);
        let from = self.text.floor_char_boundary(from);
        let end = (span.offset() + span.len()).min(span.offset() + CLIP_SPAN);
        let to = self
            .text
            .ceil_char_boundary((end + CLIP_AROUND).min(line_end).max(from));
        let data = self.text.get(from..to).unwrap_or_default().as_bytes();
        let (shown_line, column) = if header {
            let bytes = span.offset().min(line_end).saturating_sub(line_start);
            self.header_at(span.offset(), (line, bytes))
        } else {
            (line, 0)
        };
        self.contents(data, from, shown_line, column, line)
    }

    /// What miette gets: `data` from `offset` in the text, read as the
    /// file's lines from `line` on.
    fn contents<'a>(
        &'a self,
        data: &'a [u8],
        offset: usize,
        line: usize,
        column: usize,
        line_count: usize,
    ) -> MietteSpanContents<'a> {
        let span = SourceSpan::new(offset.into(), data.len());
        MietteSpanContents::new_named(self.name.to_string(), data, span, line, column, line_count)
            .with_language("yaml")
    }
}

impl SourceCode for Excerpt<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // miette slices past the text for a span that starts beyond it.
        if span.offset() > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let (span_first, span_last) = (
            self.line_of(span.offset()),
            self.line_of(span.offset().saturating_add(span.len())),
        );
        if self.any_long(span_first.saturating_sub(before), span_last + after) {
            // Labels there are clipped to one line; a span over several is
            // two labels miette would merge: they stay apart.
            if span_last > span_first {
                return Err(MietteError::OutOfBounds);
            }
            return Ok(Box::new(self.clipped(span, before == 0)));
        }
        let first_line = span_first.saturating_sub(before + WINDOW_MARGIN);
        let last_line = span_last + after + WINDOW_MARGIN + 1;
        let start = self.starts.get(first_line).copied().unwrap_or(0);
        let end = self
            .starts
            .get(last_line)
            .copied()
            .unwrap_or(self.text.len());
        let window = self
            .text
            .as_bytes()
            .get(start..end)
            .ok_or(MietteError::OutOfBounds)?;
        let inner = SourceSpan::new(span.offset().saturating_sub(start).into(), span.len());
        let c = window.read_span(&inner, before, after)?;
        let (line, column) = (c.line() + first_line, c.column());
        // Without context lines miette reads only for a header.
        let (line, column) = if before == 0 {
            self.header_at(span.offset(), (line, column))
        } else {
            (line, column)
        };
        Ok(Box::new(self.contents(
            c.data(),
            c.span().offset() + start,
            line,
            column,
            c.line_count() + first_line,
        )))
    }
}

/// What a terminal shows of a file: its line starts, and its text and name
/// made [`terminal_safe`], worked out once for all its findings.
struct Shown<'r> {
    starts: Vec<usize>,
    text: Cow<'r, str>,
    name: Cow<'r, str>,
}

/// The files findings point at, as a terminal shows them.
#[derive(Default)]
pub(crate) struct ShownFiles<'r>(HashMap<u32, Shown<'r>>);

impl<'r> ShownFiles<'r> {
    pub(crate) fn add(&mut self, report: &'r Report, file: u32) {
        if let Some(s) = report.sources.get(file) {
            self.0.entry(file).or_insert_with(|| Shown {
                starts: line_starts(s.text().as_bytes()),
                text: terminal_safe(s.text()),
                name: printable(&s.path),
            });
        }
    }

    pub(crate) fn excerpt<'s>(&'s self, report: &'s Report, file: u32) -> Excerpt<'s> {
        match (report.sources.get(file), self.0.get(&file)) {
            (Some(s), Some(shown)) => Excerpt {
                name: &shown.name,
                text: &shown.text,
                starts: &shown.starts,
                file: Some(s),
            },
            _ => Excerpt {
                name: "",
                text: "",
                starts: &[0],
                file: None,
            },
        }
    }
}

/// Characters that drive a terminal rather than print: C0 and C1 controls
/// (an escape sequence in a config can clear the screen or retitle the
/// window) and the bidirectional overrides that reorder what is shown.
/// Tab and line breaks are kept.
fn drives_terminal(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with each character that drives a terminal replaced by one of the
/// same length in bytes (`?`, `¿` or U+FFFD), so every span still points
/// at the same bytes.
pub(crate) fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(drives_terminal) {
        return Cow::Borrowed(text);
    }
    let safe = text
        .chars()
        .map(|c| match (drives_terminal(c), c.len_utf8()) {
            (false, _) => c,
            (true, 1) => '?',
            (true, 2) => '\u{BF}',
            (true, _) => '\u{FFFD}',
        })
        .collect();
    Cow::Owned(safe)
}

/// `text` with each character that drives a terminal written as an escape
/// (`\u{1b}`), for messages and names: a carriage return too (it would
/// write over the line); line feeds stay.
pub(crate) fn printable(text: &str) -> Cow<'_, str> {
    let escaped = |c: char| drives_terminal(c) || c == '\r';
    if !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escaped(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
pub(crate) mod tests {
    use super::*;
    use miette::NamedSource;

    /// Data, span offset and length, line, column, line count, name.
    pub(crate) type Read = (Vec<u8>, usize, usize, usize, usize, usize, Option<String>);

    /// What miette reads, as plain values.
    pub(crate) fn read(
        source: &dyn SourceCode,
        span: SourceSpan,
        before: usize,
        after: usize,
    ) -> Option<Read> {
        let c = source.read_span(&span, before, after).ok()?;
        Some((
            c.data().to_vec(),
            c.span().offset(),
            c.span().len(),
            c.line(),
            c.column(),
            c.line_count(),
            c.name().map(str::to_string),
        ))
    }

    #[test]
    fn an_excerpt_reads_every_span_as_the_whole_text_does() {
        let body = "a: 1\nbb: [x, y]\n\nccc: é\n  - d\neeee: 5\nf\ng: 7\nh: 8\n";
        let texts = [
            body.to_string(),
            body.replace('\n', "\r\n"),
            body.replace('\n', "\r"),
            body.trim_end().to_string(),
            body.replacen('\n', "\r\n", 3),
            body.replacen('\n', "\r", 3),
            String::new(),
        ];
        for text in &texts {
            let starts = line_starts(text.as_bytes());
            let file = SourceFile::new("f.yaml".into(), text.as_str().into());
            let excerpt = Excerpt {
                name: "f.yaml",
                text,
                starts: &starts,
                file: Some(&file),
            };
            let whole = NamedSource::new("f.yaml", text.clone()).with_language("yaml");
            // Past the end miette panics on a whole text; an excerpt says
            // out of bounds.
            for offset in [text.len() + 1, text.len() + 9] {
                let span = SourceSpan::new(offset.into(), 0);
                assert_eq!(read(&excerpt, span, 0, 0), None);
            }
            for offset in 0..=text.len() {
                for len in [0, 1, 3, 12, 40] {
                    for (before, after) in [(0, 0), (1, 1), (2, 3)] {
                        let span = SourceSpan::new(offset.into(), len);
                        // A header's line and column are the JSON report's.
                        let mut expected = read(&whole, span, before, after);
                        if let Some(e) = expected.as_mut().filter(|_| before == 0) {
                            let p = file.position(offset as u32);
                            (e.3, e.4) = (p.line - 1, p.column - 1);
                        }
                        assert_eq!(
                            read(&excerpt, span, before, after),
                            expected,
                            "{text:?} at {offset}+{len}, context {before}/{after}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_header_column_counts_characters() {
        let text = "ccc: é: x\n";
        let starts = line_starts(text.as_bytes());
        let file = SourceFile::new("f.yaml".into(), text.into());
        let excerpt = Excerpt {
            name: "f.yaml",
            text,
            starts: &starts,
            file: Some(&file),
        };
        let after = text.find(": x").unwrap();
        let span = SourceSpan::new(after.into(), 1);
        assert_eq!(read(&excerpt, span, 0, 0).unwrap().4, 6);
    }

    #[test]
    fn terminal_control_characters_are_not_passed_through() {
        let text = "a: 1 # \u{1b}[2J\u{7}\tx\u{85}y\u{202E}z\r\nb: 2\n";
        let safe = terminal_safe(text);
        // Same bytes at the same places: spans still point where they did.
        assert_eq!(safe.len(), text.len());
        assert_eq!(safe, "a: 1 # ?[2J?\tx\u{BF}y\u{FFFD}z\r\nb: 2\n");
        assert!(matches!(terminal_safe("plain\ttext\n"), Cow::Borrowed(_)));
        assert_eq!(
            printable("svc\u{1b}[31m\rred\nnext"),
            "svc\\u{1b}[31m\\u{d}red\nnext"
        );
    }
}
