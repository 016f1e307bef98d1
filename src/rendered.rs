//! Rendered manifest streams (`helm template ... | confaudit -`): split the
//! stream at the `# Source: chart/templates/x.yaml` comments Helm writes, so
//! findings name the template file. Lines count within that file's rendered
//! documents.

use std::collections::HashMap;

/// (source path, its documents) in order of first appearance; `None` when the
/// stream names no sources. Documents without a `# Source:` line go under
/// `unnamed` (the stream's display name, `--stdin-filename`).
pub fn split_by_source(text: &str, unnamed: &str) -> Option<Vec<(String, String)>> {
    if !text.contains("# Source: ") {
        return None;
    }
    let mut out: Vec<(String, String)> = Vec::new();
    // Where each name is in `out`: looking it up there took a pass over the
    // names seen so far for every document.
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut current = String::new();
    let mut current_source: Option<String> = None;
    let mut flush = |doc: &mut String, source: &Option<String>, out: &mut Vec<(String, String)>| {
        if doc.trim().is_empty() {
            doc.clear();
            return;
        }
        let name = source.as_deref().unwrap_or(unnamed);
        match index.get(name).and_then(|&i| out.get_mut(i)) {
            Some((_, body)) => {
                body.push_str("---\n");
                body.push_str(doc);
            }
            None => {
                index.insert(name.to_string(), out.len());
                out.push((name.to_string(), std::mem::take(doc)));
            }
        }
        doc.clear();
    };
    // Whether `current` is blank so far: trimming it for every `# Source:`
    // line read it again each time (160,000 blank lines, then as many
    // `# Source:` lines: 20 s).
    let mut blank = true;
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            flush(&mut current, &current_source, &mut out);
            current_source = None;
            blank = true;
            continue;
        }
        let trimmed = line.trim();
        if let Some(src) = trimmed.strip_prefix("# Source: ")
            && blank
        {
            current_source = Some(src.trim().to_string());
        }
        blank &= trimmed.is_empty();
        current.push_str(line);
    }
    flush(&mut current, &current_source, &mut out);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_helm_output_by_source() {
        let text = "---\n# Source: app/templates/svc.yaml\nkind: Service\n---\n# Source: app/templates/deploy.yaml\nkind: Deployment\n---\n# Source: app/templates/svc.yaml\nkind: Service\n";
        let parts = split_by_source(text, "<stdin>").unwrap_or_default();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].0, "app/templates/svc.yaml");
        assert!(parts[0].1.contains("---\n# Source: app/templates/svc.yaml"));
        assert_eq!(parts[1].0, "app/templates/deploy.yaml");
        assert!(split_by_source("kind: Service\n", "<stdin>").is_none());
    }

    #[test]
    fn documents_without_a_source_take_the_stream_name() {
        let text = "kind: A\n---\n# Source: c/templates/b.yaml\nkind: B\n---\nkind: C\n";
        let parts = split_by_source(text, "rendered.yaml").unwrap_or_default();
        let names: Vec<&str> = parts.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["rendered.yaml", "c/templates/b.yaml"]);
        assert_eq!(parts[0].1, "kind: A\n---\nkind: C\n");
    }

    #[test]
    fn a_source_line_names_a_document_only_before_its_first_text() {
        // Blank lines (any whitespace) before it, then more source lines:
        // only the first names the document.
        let mut text = String::from("---\n");
        for _ in 0..3000 {
            text.push_str(" \t\u{a0}\r\n\n");
        }
        for i in 0..3000 {
            text.push_str(&format!("# Source: c/t{i}.yaml\n"));
        }
        text.push_str(
            "kind: A\n---\n\n# Source: c/b.yaml\nkind: B\n---\nkind: C\n# Source: c/x.yaml\n",
        );
        let parts = split_by_source(&text, "<stdin>").unwrap_or_default();
        let names: Vec<&str> = parts.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["c/t0.yaml", "c/b.yaml", "<stdin>"]);
        assert_eq!(parts[2].1, "kind: C\n# Source: c/x.yaml\n");
        assert!(parts[0].1.ends_with("# Source: c/t2999.yaml\nkind: A\n"));
    }

    #[test]
    fn many_sources_keep_their_first_order_and_gather_their_documents() {
        let mut text = String::new();
        for round in 0..3 {
            for i in (0..50).rev() {
                text.push_str(&format!("---\n# Source: c/t{i}.yaml\nkind: K{round}\n"));
            }
        }
        let parts = split_by_source(&text, "<stdin>").unwrap_or_default();
        assert_eq!(parts.len(), 50);
        for (k, (name, body)) in parts.iter().enumerate() {
            let i = 49 - k;
            assert_eq!(*name, format!("c/t{i}.yaml"));
            let doc = |round| format!("# Source: c/t{i}.yaml\nkind: K{round}\n");
            assert_eq!(*body, format!("{}---\n{}---\n{}", doc(0), doc(1), doc(2)));
        }
    }
}
