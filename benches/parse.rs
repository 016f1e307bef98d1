//! Parser throughput: YAML, JSON (through the YAML loader) and NGINX.
//! `cargo bench --bench parse`

mod common;

use std::hint::black_box;

use confaudit::parse::{nginx, yaml};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn parse(c: &mut Criterion) {
    let yaml_text = common::many(300, common::workload_yaml, "---\n");
    let json_text = big_json(300);
    let nginx_text = format!(
        "http {{\n{}}}\n",
        common::many(300, common::nginx_site, "\n")
    );
    let small = common::workload_yaml(1);

    let mut g = c.benchmark_group("parse");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(yaml_text.len() as u64));
    g.bench_function("yaml", |b| b.iter(|| yaml::load(black_box(&yaml_text), 0)));
    g.throughput(Throughput::Bytes(json_text.len() as u64));
    g.bench_function("json", |b| b.iter(|| yaml::load(black_box(&json_text), 0)));
    g.throughput(Throughput::Bytes(nginx_text.len() as u64));
    g.bench_function("nginx", |b| b.iter(|| nginx::parse(black_box(&nginx_text))));
    g.throughput(Throughput::Bytes(small.len() as u64));
    g.bench_function("yaml_small_file", |b| {
        b.iter(|| yaml::load(black_box(&small), 0))
    });
    g.finish();
}

/// One JSON array of `n` Lists (a `kubectl get -o json` dump).
fn big_json(n: usize) -> String {
    let items: Vec<String> = (0..n).map(common::workload_json).collect();
    format!("[\n{}\n]\n", items.join(",\n"))
}

criterion_group!(benches, parse);
criterion_main!(benches);
