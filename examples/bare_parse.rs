//! The practical floor for `confaudit DIR`: discover the same files, read
//! them, and run only our own parsers — no model, no rules, no report.
//!
//! ```sh
//! cargo run --release --example bare_parse -- [--threads N] [--nginx] DIR...
//! ```
//!
//! By default it parses YAML and JSON files with the YAML loader (NGINX
//! files are only recognised); `--nginx` also parses the NGINX files, as
//! the pipeline does. `--keep` keeps every parsed tree until the end (what
//! the pipeline holds for cross-file rules; like the pipeline it keeps no
//! file texts), to tell the trees' memory from the model's. It prints the
//! counts it saw, so a run that read nothing is visible.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use confaudit::discover::{self, DiscoverOptions};
use confaudit::load::{self, Text};
use confaudit::parse::{nginx, yaml};
use rayon::prelude::*;

/// What `--keep` holds to the end: the parsed trees (the pipeline keeps
/// no file texts; it reads a file again only for a finding's snippet).
#[allow(dead_code)]
enum Kept {
    Yaml(yaml::Loaded),
    Nginx(nginx::NginxFile),
}

fn main() {
    // As confaudit's main does, so both run on the same allocator settings.
    confaudit::util::map_large_buffers_apart();
    let mut threads = None;
    let mut parse_nginx = false;
    let mut keep = false;
    let mut roots = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => threads = args.next().and_then(|n| n.parse::<usize>().ok()),
            "--nginx" => parse_nginx = true,
            "--keep" => keep = true,
            _ => roots.push(PathBuf::from(a)),
        }
    }
    if let Some(n) = threads {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    let found = discover::discover(&roots, &DiscoverOptions::default());
    if let Some(e) = found.fatal.first() {
        eprintln!("bare_parse: {e}");
        std::process::exit(2);
    }
    let docs = AtomicUsize::new(0);
    let nodes = AtomicUsize::new(0);
    let directives = AtomicUsize::new(0);
    let problems = AtomicUsize::new(0);
    let bytes = AtomicUsize::new(0);
    let kept: Vec<Option<Kept>> = found
        .files
        .par_iter()
        .map(|c| {
            let raw = std::fs::read(&c.fs_path).ok()?;
            bytes.fetch_add(raw.len(), Ordering::Relaxed);
            let Text::Ok(text) = load::decode(raw, false) else {
                return None;
            };
            let is_nginx = !load::is_yaml_name(&c.display)
                && (load::nginx_by_name(&c.display) || load::looks_like_nginx(&text));
            if is_nginx {
                if parse_nginx {
                    let f = nginx::parse(&text);
                    let mut n = 0;
                    nginx::walk(&f.directives, |_, _| n += 1);
                    directives.fetch_add(n, Ordering::Relaxed);
                    problems.fetch_add(f.problems.len(), Ordering::Relaxed);
                    return keep.then_some(Kept::Nginx(f));
                }
                return None;
            }
            let l = yaml::load(&text, 0);
            docs.fetch_add(l.docs.len(), Ordering::Relaxed);
            nodes.fetch_add(l.docs.iter().map(|d| d.len()).sum(), Ordering::Relaxed);
            problems.fetch_add(l.problems.len(), Ordering::Relaxed);
            keep.then_some(Kept::Yaml(l))
        })
        .collect();
    println!(
        "files {} bytes {} documents {} nodes {} nginx-directives {} problems {}",
        found.files.len(),
        bytes.into_inner(),
        docs.into_inner(),
        nodes.into_inner(),
        directives.into_inner(),
        problems.into_inner()
    );
    drop(kept);
}
