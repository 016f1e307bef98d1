//! An NGINX file as a run keeps it: what loading read from it (the files
//! of an `nginx -T` dump, each one's top-level context and include
//! patterns) and, unless the file can be read again from disk, its text. A
//! directive tree is about four times the size of its text, so none is held
//! for the run: each configuration parses the files it reads again, and
//! drops their trees with itself.

use crate::load_embedded::LineMap;
use crate::parse::nginx::{self, Directive, FileContext, NginxFile, SmolStr};

#[derive(Debug)]
pub struct NginxText {
    /// `None`: let go ([`NginxText::forget_text`]); read again when parsed.
    text: Option<Box<str>>,
    /// Offsets in `text` to offsets in the file (a ConfigMap's block scalar).
    remap: Option<LineMap>,
    pub sections: Box<[Section]>,
}

/// One file in the text: the whole text, or one `# configuration file
/// PATH:` section of an `nginx -T` dump.
#[derive(Debug)]
pub struct Section {
    /// The dump's PATH (`None`: the file itself).
    pub path: Option<String>,
    /// Its top-level directives: `[start, end)` of the parsed text's.
    start: u32,
    end: u32,
    pub context: FileContext,
    /// The first argument of every `include`, anywhere in it.
    pub includes: Box<[SmolStr]>,
}

impl NginxText {
    /// What the run keeps of `text`, given its tree (`parsed`, spans
    /// already mapped by `remap`).
    pub fn read(text: &str, remap: Option<LineMap>, parsed: &NginxFile) -> NginxText {
        let all = &parsed.directives;
        let marks: Vec<(u32, String)> = parsed
            .comments
            .iter()
            .filter_map(|c| {
                let path = c
                    .text
                    .strip_prefix("configuration file ")?
                    .strip_suffix(':')?;
                (!path.is_empty()).then(|| (c.span.start, path.trim().to_string()))
            })
            .collect();
        let section = |path, start: usize, end: usize| {
            let directives = all.get(start..end).unwrap_or(&[]);
            Section {
                path,
                start: start as u32,
                end: end as u32,
                context: nginx::infer_context(directives),
                includes: include_args(directives),
            }
        };
        let sections = if marks.is_empty() {
            vec![section(None, 0, all.len())]
        } else {
            let mut out = Vec::with_capacity(marks.len());
            let mut start = 0;
            for (n, (_, path)) in marks.iter().enumerate() {
                let until = marks.get(n + 1).map(|m| m.0).unwrap_or(u32::MAX);
                let end = start
                    + all
                        .get(start..)
                        .unwrap_or(&[])
                        .partition_point(|d| d.span.start < until);
                out.push(section(Some(path.clone()), start, end));
                start = end;
            }
            out
        };
        NginxText {
            text: Some(text.into()),
            remap,
            sections: sections.into(),
        }
    }

    /// Let the text go: the file it came from can be read again.
    /// (A ConfigMap's block scalar keeps its text: it is not a file.)
    pub fn forget_text(&mut self) {
        if self.remap.is_none() {
            self.text = None;
        }
    }

    /// The tree again (the same one loading parsed), from the held text or,
    /// if it was let go, from `again`; `None` if the file can no longer be
    /// read as it was.
    pub fn parse(&self, again: impl FnOnce() -> Option<String>) -> Option<NginxFile> {
        let mut parsed = match &self.text {
            Some(text) => nginx::parse(text),
            None => nginx::parse(&again()?),
        };
        if let Some(m) = &self.remap {
            m.remap(&mut parsed);
        }
        Some(parsed)
    }

    /// A section's top-level directives in a tree of this text.
    pub fn section<'p>(&self, parsed: &'p NginxFile, n: usize) -> &'p [Directive] {
        self.sections
            .get(n)
            .and_then(|s| parsed.directives.get(s.start as usize..s.end as usize))
            .unwrap_or(&[])
    }
}

/// `include` arguments anywhere in a directive list.
fn include_args(directives: &[Directive]) -> Box<[SmolStr]> {
    let mut out = Vec::new();
    nginx::walk(directives, |d, _| {
        if d.name == "include"
            && let Some(a) = d.args.first()
        {
            out.push(a.value.clone());
        }
    });
    out.into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_text_let_go_is_read_again_when_parsed() {
        let text = "http { server { listen 80; } }";
        let mut kept = NginxText::read(text, None, &nginx::parse(text));
        // Held: not read again.
        assert!(kept.parse(|| panic!("read again")).is_some());
        kept.forget_text();
        let mut reads = 0;
        let parsed = kept.parse(|| {
            reads += 1;
            Some(text.to_string())
        });
        assert_eq!(parsed.unwrap().directives.len(), 1);
        assert_eq!(reads, 1);
        // Changed or gone since: no tree.
        assert!(kept.parse(|| None).is_none());
    }
}
