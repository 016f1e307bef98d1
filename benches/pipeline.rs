//! The whole library pipeline (load, model, rules, sort, JSON render) on
//! in-memory trees: a mixed tree of ~300 applications and one small file
//! (the pre-commit case). `cargo bench --bench pipeline`

mod common;

use std::hint::black_box;

use confaudit::pipeline::{self, Input, Options};
use confaudit::report;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn tree(apps: usize) -> Vec<Input> {
    let mut inputs = Vec::new();
    for i in 0..apps {
        let (display, text) = if i % 10 == 9 {
            (
                format!("apps/app-{i}/resources.json"),
                common::workload_json(i),
            )
        } else {
            (
                format!("apps/app-{i}/deployment.yaml"),
                common::workload_yaml(i),
            )
        };
        inputs.push(Input::Text { display, text });
        if i % 8 == 0 {
            inputs.push(Input::Text {
                display: format!("nginx/conf.d/app-{i}.conf"),
                text: common::nginx_site(i),
            });
        }
    }
    inputs
}

fn bytes(inputs: &[Input]) -> u64 {
    inputs
        .iter()
        .map(|i| match i {
            Input::Text { text, .. } => text.len() as u64,
            Input::Bytes { bytes, .. } => bytes.len() as u64,
            Input::File(_) => 0,
        })
        .sum()
}

fn run(inputs: Vec<Input>) -> String {
    let r = pipeline::analyze(inputs, Vec::new(), &Options::default());
    report::json::render(&r)
}

fn bench(c: &mut Criterion) {
    let mixed = tree(300);
    let one = tree(1);
    let mut g = c.benchmark_group("pipeline");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(bytes(&mixed)));
    g.bench_function("mixed_tree_300_apps", |b| {
        b.iter_batched(
            || mixed.clone(),
            |inputs| run(black_box(inputs)),
            criterion::BatchSize::LargeInput,
        )
    });
    g.throughput(Throughput::Bytes(bytes(&one)));
    g.bench_function("single_small_file", |b| {
        b.iter_batched(
            || one.clone(),
            |inputs| run(black_box(inputs)),
            criterion::BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
