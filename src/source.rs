//! Source text, spans and the offset -> line/column index.
//!
//! A file read from disk does not keep its text: the trees own what the
//! rules read, and only files that findings point at need their text again
//! (for columns, snippets and fingerprints). Those are read again, once,
//! on first use; a 100 MB tree does not hold 100 MB of text to the end.

use std::sync::{Arc, OnceLock};

/// Index of a file in [`Sources`].
pub type FileId = u32;

/// A byte range in one file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        let start = u32::try_from(start).unwrap_or(u32::MAX);
        let end = u32::try_from(end).unwrap_or(u32::MAX).max(start);
        Span { start, end }
    }
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A span in a known file: what findings point at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Loc {
    pub file: FileId,
    pub span: Span,
}

/// Reads a file's text again (the same way it was read for parsing), or
/// `None` when it is gone or changed since.
/// Reads a file's text again, given the file's display path.
pub type Reload = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// One loaded file: its display path, text and line starts.
pub struct SourceFile {
    /// Path as discovered from the user's argument, with `/` separators.
    pub path: String,
    text: OnceLock<Arc<str>>,
    lines: OnceLock<LineIndex>,
    reload: Option<Reload>,
}

impl std::fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceFile")
            .field("path", &self.path)
            .field("text_loaded", &self.text.get().is_some())
            .finish()
    }
}

/// A 1-based line, 1-based character column and 0-based byte offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

impl SourceFile {
    /// A file whose text is kept (stdin, rendered streams, tests).
    pub fn new(path: String, text: Arc<str>) -> SourceFile {
        SourceFile {
            path,
            text: OnceLock::from(text),
            lines: OnceLock::new(),
            reload: None,
        }
    }

    /// A file whose text is read again only if something asks for it.
    pub fn on_disk(path: String, reload: Reload) -> SourceFile {
        SourceFile {
            path,
            text: OnceLock::new(),
            lines: OnceLock::new(),
            reload: Some(reload),
        }
    }

    /// The file's text (empty if it can no longer be read as it was).
    pub fn text(&self) -> &str {
        self.text.get_or_init(|| {
            let again = self.reload.as_ref().and_then(|r| r(&self.path));
            Arc::from(again.unwrap_or_default())
        })
    }

    /// The file's text as it was read for loading, without keeping it
    /// (`None`: it changed or went since).
    pub fn read_again(&self) -> Option<String> {
        match (self.text.get(), &self.reload) {
            (Some(text), _) => Some(text.to_string()),
            (None, Some(reload)) => reload(&self.path),
            (None, None) => None,
        }
    }

    fn lines(&self) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::of(self.text()))
    }

    fn line_starts(&self) -> &[u32] {
        &self.lines().starts
    }

    /// Line (1-based), character column (1-based) and byte offset of `offset`.
    pub fn position(&self, offset: u32) -> Position {
        let text = self.text();
        let lines = self.lines();
        let offset = (offset as usize).min(text.len());
        let line_idx = match lines.starts.binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let line_start = lines.starts.get(line_idx).copied().unwrap_or(0) as usize;
        let column = match (
            lines.chars_before(text, offset),
            lines.chars_before(text, line_start),
        ) {
            (Some(at), Some(start)) => at.saturating_sub(start),
            _ => 0,
        };
        Position {
            line: line_idx + 1,
            column: column + 1,
            offset,
        }
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: u32) -> usize {
        match self.line_starts().binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// Byte range of a 1-based line without its line break (LF, CRLF or CR).
    pub fn line_span(&self, line: usize) -> Option<Span> {
        let text = self.text();
        let starts = self.line_starts();
        let start = *starts.get(line.checked_sub(1)?)? as usize;
        let end = starts.get(line).map(|&e| e as usize).unwrap_or(text.len());
        let line = text.get(start..end).unwrap_or("");
        let kept = line
            .strip_suffix("\r\n")
            .or_else(|| line.strip_suffix('\n'))
            .or_else(|| line.strip_suffix('\r'))
            .map_or(line.len(), str::len);
        Some(Span::new(start, start + kept))
    }

    pub fn line_count(&self) -> usize {
        self.line_starts().len()
    }

    pub fn slice(&self, span: Span) -> &str {
        self.text()
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }
}

/// Where lines start, and enough to count characters quickly: a finding's
/// column counts the characters before it on its line, and on one long
/// line (minified JSON) counting from the line's start for every finding
/// cost findings x line length (40k Services on one line: 13 s).
#[derive(Debug, Default)]
struct LineIndex {
    starts: Vec<u32>,
    /// Characters before each multiple of [`CHAR_MARK`] bytes (before the
    /// character boundary at or below it); empty for an ASCII text, where
    /// bytes are characters.
    char_marks: Vec<u32>,
}

const CHAR_MARK: usize = 4096;

impl LineIndex {
    fn of(text: &str) -> LineIndex {
        // Lines end at LF, CRLF or a lone CR, as YAML (and miette, which
        // draws the snippets) reads them: a file saved with CR endings is
        // not one line to positions and suppressions.
        let bytes = text.as_bytes();
        let mut starts = vec![0u32];
        for pos in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            if bytes.get(pos) == Some(&b'\r') && bytes.get(pos + 1) == Some(&b'\n') {
                continue;
            }
            starts.push(u32::try_from(pos + 1).unwrap_or(u32::MAX));
        }
        let mut char_marks = Vec::new();
        if !text.is_ascii() {
            let (mut chars, mut from) = (0usize, 0usize);
            for mark in (0..=text.len()).step_by(CHAR_MARK) {
                let at = boundary_at_or_below(text, mark);
                chars += text.get(from..at).map_or(0, |s| s.chars().count());
                char_marks.push(u32::try_from(chars).unwrap_or(u32::MAX));
                from = at;
            }
        }
        LineIndex { starts, char_marks }
    }

    /// Characters before byte `offset` (`None` inside a character).
    fn chars_before(&self, text: &str, offset: usize) -> Option<usize> {
        if !text.is_char_boundary(offset) {
            return None;
        }
        if self.char_marks.is_empty() {
            return Some(offset);
        }
        let k = offset / CHAR_MARK;
        let at = boundary_at_or_below(text, k * CHAR_MARK);
        let before = *self.char_marks.get(k)? as usize;
        Some(before + text.get(at..offset)?.chars().count())
    }
}

/// The character boundary at or below byte `i` of `text`.
pub(crate) fn boundary_at_or_below(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Every file of a run, addressed by [`FileId`]: the file's index among the
/// run's inputs, so ids are known while files load in parallel (inputs that
/// were skipped leave their id unused).
#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<Option<SourceFile>>,
    count: usize,
}

impl Sources {
    /// Room for `inputs` ids, none of them used yet.
    pub fn with_inputs(inputs: usize) -> Sources {
        Sources {
            files: std::iter::repeat_with(|| None).take(inputs).collect(),
            count: 0,
        }
    }
    /// Put a file at its id (growing the table if the id is new).
    pub fn insert(&mut self, id: FileId, file: SourceFile) {
        let i = id as usize;
        if self.files.len() <= i {
            self.files.resize_with(i + 1, || None);
        }
        if let Some(slot) = self.files.get_mut(i) {
            if slot.is_none() {
                self.count += 1;
            }
            *slot = Some(file);
        }
    }
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id as usize).and_then(Option::as_ref)
    }
    /// Number of files held.
    pub fn len(&self) -> usize {
        self.count
    }
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
    /// One past the largest id.
    pub fn id_bound(&self) -> usize {
        self.files.len()
    }
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .filter_map(|(i, f)| Some((i as FileId, f.as_ref()?)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        let f = SourceFile::new("a".into(), "ab\nçd: x\n".into());
        assert_eq!(f.position(0).line, 1);
        let p = f.position(6); // after "ç" (2 bytes) and "d"
        assert_eq!((p.line, p.column), (2, 3));
        assert_eq!(f.line_of(3), 2);
        assert_eq!(f.slice(f.line_span(2).unwrap()), "çd: x");
    }

    #[test]
    fn columns_on_long_lines_are_counted_as_from_the_line_start() {
        // Lines longer than the marks, characters of 1 to 4 bytes across
        // them, in ASCII and non-ASCII texts.
        let mixed: String = (0..3000)
            .map(|i| ["a", "é", "€", "😀", "\n"][i * 7 % 5])
            .collect();
        let long_ascii = "x".repeat(9000) + "\n" + &"y".repeat(5000);
        for text in [mixed, long_ascii, "😀".repeat(3000)] {
            let f = SourceFile::new("t".into(), text.as_str().into());
            for offset in (0..=text.len() + 2).step_by(37) {
                let p = f.position(offset as u32);
                let at = offset.min(text.len());
                let line_start = text
                    .get(..at)
                    .map_or(0, |h| h.rfind('\n').map_or(0, |i| i + 1));
                let want = text.get(line_start..at).map_or(0, |s| s.chars().count()) + 1;
                assert_eq!(p.column, want, "offset {offset}");
                assert_eq!(p.line, f.line_of(at as u32));
            }
        }
    }

    #[test]
    fn lines_end_at_lf_crlf_or_a_lone_cr() {
        // The same three lines with every ending, and mixed.
        for (text, ending) in [
            ("a: 1\nbb: 2\nc: 3", 1),
            ("a: 1\r\nbb: 2\r\nc: 3", 2),
            ("a: 1\rbb: 2\rc: 3", 1),
        ] {
            let f = SourceFile::new("t".into(), text.into());
            assert_eq!(f.line_count(), 3, "{text:?}");
            let second = 4 + ending;
            let p = f.position(second as u32 + 1);
            assert_eq!((p.line, p.column), (2, 2), "{text:?}");
            assert_eq!(f.slice(f.line_span(2).unwrap()), "bb: 2", "{text:?}");
            assert_eq!(f.slice(f.line_span(3).unwrap()), "c: 3", "{text:?}");
        }
        let mixed = SourceFile::new("t".into(), "a\r\rb\r\nc\n\rd".into());
        let lines: Vec<&str> = (1..=mixed.line_count())
            .map(|l| mixed.slice(mixed.line_span(l).unwrap()))
            .collect();
        assert_eq!(lines, ["a", "", "b", "c", "", "d"]);
    }

    #[test]
    fn disk_files_read_their_text_once_and_only_when_asked() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let calls = Arc::new(AtomicUsize::new(0));
        let c = Arc::clone(&calls);
        let f = SourceFile::on_disk(
            "a".into(),
            Box::new(move |path: &str| {
                assert_eq!(path, "a");
                c.fetch_add(1, Ordering::SeqCst);
                Some("x: 1\ny: 2\n".to_string())
            }),
        );
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        assert_eq!(f.position(5).line, 2);
        assert_eq!(f.slice(Span::new(5, 6)), "y");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_file_gone_since_gives_no_text_not_a_crash() {
        let f = SourceFile::on_disk("a".into(), Box::new(|_: &str| None));
        assert_eq!(f.text(), "");
        assert_eq!(f.position(40).line, 1);
        assert_eq!(f.line_span(3), None);
    }
}
