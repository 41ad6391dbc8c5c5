#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)] // benches fail loudly
//! compress_context and the message accounting on histories of 1,000 and 10,000 messages (the
//! fixture conversation repeated, every copy's texts and tool call ids made unique), first calls
//! (history never seen) and next turns (counts remembered); and the JSON estimate against the
//! exact count on the JSON fixtures.
//!
//! cargo bench --bench compressor [-- --quick]

use std::borrow::Cow;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use tokenizer_rs::compressor::select;
use tokenizer_rs::json_events::parse_json_events;
use tokenizer_rs::json_tokens::{count_json_events, estimate_json_events};
use tokenizer_rs::message_tokens::message_token_counts;
use tokenizer_rs::{compress_context, count_message_tokens, messages_from_json, resolve, Message};

const MODEL: &str = "gpt-4o";

fn fixture(name: &str) -> String {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        eprintln!("cannot read {path}: {e}");
        std::process::exit(1)
    })
}

/// The fixture history repeated to `count` messages, as owned messages. Every copy's texts are
/// marked (and `tag` marks whole histories), so that nothing repeats: the counts memo must not
/// flatter a first call.
fn history(count: usize, tag: &str) -> Vec<Message<'static>> {
    let value: serde_json::Value =
        serde_json::from_str(&fixture("messages.json")).unwrap_or_default();
    let base = messages_from_json(&value).unwrap_or_default();
    let mut out = Vec::with_capacity(count);
    for copy in 0.. {
        let mark = format!("[{tag}{copy}] ");
        for message in &base {
            if out.len() == count {
                return out;
            }
            let mut owned = Message {
                role: Cow::Owned(message.role.to_string()),
                content: message.content.clone().into_owned_content(&mark),
                tool_calls: Vec::new(),
                name: message.name.as_ref().map(|n| Cow::Owned(n.to_string())),
                tool_call_id: message
                    .tool_call_id
                    .as_ref()
                    .map(|id| Cow::Owned(format!("{id}-{tag}{copy}"))),
            };
            owned.tool_calls = message
                .tool_calls
                .iter()
                .map(|call| {
                    tokenizer_rs::ToolCall::new(
                        format!("{}-{tag}{copy}", call.id),
                        call.function.name.to_string(),
                        format!("{mark}{}", call.function.arguments),
                    )
                })
                .collect();
            out.push(owned);
        }
        if base.is_empty() {
            break;
        }
    }
    out
}

/// Content with every string owned (the bench outlives the parsed fixture).
trait IntoOwnedContent {
    fn into_owned_content(self, mark: &str) -> tokenizer_rs::Content<'static>;
}

impl IntoOwnedContent for tokenizer_rs::Content<'_> {
    fn into_owned_content(self, mark: &str) -> tokenizer_rs::Content<'static> {
        use tokenizer_rs::{Content, ContentPart};
        match self {
            Content::None => Content::None,
            Content::Text(text) => Content::Text(Cow::Owned(format!("{mark}{text}"))),
            Content::Parts(parts) => Content::Parts(
                parts
                    .into_iter()
                    .map(|part| match part {
                        ContentPart::Text(text) => {
                            ContentPart::Text(Cow::Owned(format!("{mark}{text}")))
                        }
                        ContentPart::Image(detail) => ContentPart::Image(detail),
                        // The fixture's parts are text and images only.
                        ContentPart::Other(_) => ContentPart::Text(Cow::Borrowed("")),
                    })
                    .collect(),
            ),
        }
    }
}

fn bench_compressor(c: &mut Criterion) {
    let encoding = match resolve(MODEL) {
        Ok(encoding) => encoding,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    let mut fresh = 0usize;
    let mut group = c.benchmark_group("compress_context");
    group.sample_size(10);
    for count in [1_000usize, 10_000] {
        let messages = history(count, "");
        let total = count_message_tokens(&messages, MODEL).unwrap_or(0);
        let half = total / 2;
        group.throughput(Throughput::Elements(count as u64));
        // First calls: a history never seen before (built outside the timing).
        let mut unseen = || {
            fresh += 1;
            history(count, &format!("b{fresh}-"))
        };
        group.bench_function(BenchmarkId::new("first_call_half_budget", count), |b| {
            b.iter_batched(
                &mut unseen,
                |m| compress_context(&m, half, 5, MODEL),
                BatchSize::PerIteration,
            )
        });
        group.bench_function(BenchmarkId::new("first_call_32k_budget", count), |b| {
            b.iter_batched(
                &mut unseen,
                |m| compress_context(&m, 32_000, 5, MODEL),
                BatchSize::PerIteration,
            )
        });
        group.bench_function(BenchmarkId::new("count_message_tokens_first_call", count), |b| {
            b.iter_batched(
                &mut unseen,
                |m| count_message_tokens(&m, MODEL),
                BatchSize::PerIteration,
            )
        });
        // The next agent turn: the same history again (its counts remembered).
        group.bench_with_input(
            BenchmarkId::new("next_turn_half_budget", count),
            &messages,
            |b, m| b.iter(|| compress_context(black_box(m), half, 5, MODEL)),
        );
        let counts = message_token_counts(&messages, encoding).unwrap_or_default();
        group.bench_with_input(BenchmarkId::new("select_only", count), &messages, |b, m| {
            b.iter(|| select(black_box(m), &counts, half, 5))
        });
    }
    group.finish();
}

fn bench_json(c: &mut Criterion) {
    let Ok(encoding) = resolve(MODEL) else { return };
    let text = fixture("json_samples.json");
    let Ok(events) = parse_json_events(&text) else { return };
    let mut group = c.benchmark_group("json_tokens");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("estimate_json_events", |b| {
        b.iter(|| estimate_json_events(black_box(&events), encoding))
    });
    group.bench_function("count_json_events", |b| {
        b.iter(|| count_json_events(black_box(&events), encoding, false))
    });
    group.bench_function("parse_json_events", |b| b.iter(|| parse_json_events(black_box(&text))));
    group.finish();
}

criterion_group!(benches, bench_compressor, bench_json);
criterion_main!(benches);
