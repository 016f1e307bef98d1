//! Rendered manifest streams (`helm template ... | confaudit -`): split the
//! stream at the `# Source: chart/templates/x.yaml` comments Helm writes, so
//! findings name the template file. Lines count within that file's rendered
//! documents.

/// (source path, its documents) in order of first appearance; `None` when the
/// stream names no sources.
pub fn split_by_source(text: &str) -> Option<Vec<(String, String)>> {
    if !text.contains("# Source: ") {
        return None;
    }
    let mut out: Vec<(String, String)> = Vec::new();
    let mut current = String::new();
    let mut current_source: Option<String> = None;
    let flush = |doc: &mut String, source: &Option<String>, out: &mut Vec<(String, String)>| {
        if doc.trim().is_empty() {
            doc.clear();
            return;
        }
        let name = source.clone().unwrap_or_else(|| "<stdin>".to_string());
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some((_, body)) => {
                body.push_str("---\n");
                body.push_str(doc);
            }
            None => out.push((name, std::mem::take(doc))),
        }
        doc.clear();
    };
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            flush(&mut current, &current_source, &mut out);
            current_source = None;
            continue;
        }
        if let Some(src) = line.trim().strip_prefix("# Source: ")
            && current.trim().is_empty()
        {
            current_source = Some(src.trim().to_string());
        }
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
        let parts = split_by_source(text).unwrap_or_default();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].0, "app/templates/svc.yaml");
        assert!(parts[0].1.contains("---\n# Source: app/templates/svc.yaml"));
        assert_eq!(parts[1].0, "app/templates/deploy.yaml");
        assert!(split_by_source("kind: Service\n").is_none());
    }
}
