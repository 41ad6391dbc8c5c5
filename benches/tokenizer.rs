#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)] // benches fail loudly
//! `cargo bench --bench tokenizer`: counting and encoding 10k tokens of English prose on
//! cl100k_base and o200k_base (with byte throughput), and a batch of short texts.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tokenizer_rs::{count_tokens, count_tokens_batch, get_encoding, Allowed};

const LARGE_TEXT: &str = include_str!("../fixtures/large_text.txt");

/// The first ~10,000 tokens of the fixture (cut at a line end).
fn ten_k_tokens(encoding: &str) -> &'static str {
    let enc = get_encoding(encoding).expect("built-in encoding");
    let mut end = 0;
    for line in LARGE_TEXT.split_inclusive('\n') {
        if enc.count(&LARGE_TEXT[..end], Allowed::All).expect("count") >= 10_000 {
            break;
        }
        end += line.len();
    }
    &LARGE_TEXT[..end]
}

fn count_tokens_10k(c: &mut Criterion) {
    let mut group = c.benchmark_group("count_tokens_10k");
    for encoding in ["cl100k_base", "o200k_base"] {
        let text = ten_k_tokens(encoding);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(encoding), text, |b, text| {
            b.iter(|| count_tokens(black_box(text), encoding).expect("count"))
        });
    }
    group.finish();
}

fn encode_10k(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode_10k");
    for encoding in ["cl100k_base", "o200k_base"] {
        let text = ten_k_tokens(encoding);
        let enc = get_encoding(encoding).expect("built-in encoding");
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(encoding), text, |b, text| {
            b.iter(|| enc.encode(black_box(text), Allowed::All).expect("encode"))
        });
    }
    group.finish();
}

fn count_batch_short_texts(c: &mut Criterion) {
    let lines: Vec<&str> = LARGE_TEXT.lines().filter(|l| !l.trim().is_empty()).collect();
    let texts: Vec<&str> = lines.iter().cycle().take(10_000).copied().collect();
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    let mut group = c.benchmark_group("count_tokens_batch_10000_lines");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("o200k_base/batch", |b| {
        b.iter(|| count_tokens_batch(black_box(&texts), "o200k_base").expect("batch"))
    });
    group.bench_function("o200k_base/loop", |b| {
        b.iter(|| {
            texts.iter().map(|t| count_tokens(t, "o200k_base").expect("count")).sum::<usize>()
        })
    });
    group.finish();
}

fn worst_case_runs(c: &mut Criterion) {
    let mut group = c.benchmark_group("worst_case_100kb");
    group.sample_size(10);
    let cases = [("one_char", "x".repeat(100_000)), ("letters", "abcdefghij".repeat(10_000))];
    for (name, text) in cases {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &text, |b, text| {
            b.iter(|| count_tokens(black_box(text), "cl100k_base").expect("count"))
        });
    }
    group.finish();
}

criterion_group!(benches, count_tokens_10k, encode_10k, count_batch_short_texts, worst_case_runs);
criterion_main!(benches);
