#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)] // benches fail loudly
//! `cargo bench --bench corpus`: counting and encoding the bench corpus (fixtures/bench) as
//! compare.py does, in chunks of ~10k tokens each counted once, so the vocabulary lookups see
//! text they have not seen (criterion's repeated input keeps every table entry it touches in
//! cache). Prints the median time per 10k tokens of each (kind, encoding, operation). With an
//! argument `kind/encoding[/encode]` it runs only that case, in a loop over the corpus for a few
//! seconds, for `perf record`. `--cold` evicts the caches before every chunk.

use std::time::Instant;

use tokenizer_rs::CoreEncoding as Encoding;
use tokenizer_rs::{get_encoding, Allowed};

const KINDS: [&str; 3] = ["english", "code", "multilingual"];
const ENCODINGS: [&str; 2] = ["cl100k_base", "o200k_base"];

/// Consecutive chunks of `text` at line ends, each reaching 10,000 tokens. Counted on a thread
/// of its own, so that the thread timed later has not seen the chunks (its cache of merged
/// pieces, `src/bpe/piece_cache.rs`, is per thread).
fn chunks(enc: &Encoding, text: &str) -> Vec<(String, usize)> {
    std::thread::scope(|s| s.spawn(|| chunks_here(enc, text)).join().expect("chunking"))
}

fn chunks_here(enc: &Encoding, text: &str) -> Vec<(String, usize)> {
    let (mut out, mut chunk, mut tokens) = (Vec::new(), String::new(), 0);
    for line in text.split_inclusive('\n') {
        chunk.push_str(line);
        tokens += enc.count(line, Allowed::All).expect("count");
        if tokens >= 10_000 {
            let exact = enc.count(&chunk, Allowed::All).expect("count");
            out.push((std::mem::take(&mut chunk), exact));
            tokens = 0;
        }
    }
    out
}

/// Reads `evict` (larger than the last-level cache) so the next chunk starts with cold caches,
/// as it does in compare.py, where the peers run between our calls. Each pass over the chunks
/// runs on a new thread, whose cache of merged pieces starts empty: a piece met in an earlier
/// chunk of the pass may be remembered (as in compare.py), but no chunk is timed twice.
fn run(enc: &Encoding, chunks: &[(String, usize)], encode: bool, evict: &[u64]) -> Vec<f64> {
    std::thread::scope(|s| s.spawn(|| run_here(enc, chunks, encode, evict)).join().expect("run"))
}

fn run_here(enc: &Encoding, chunks: &[(String, usize)], encode: bool, evict: &[u64]) -> Vec<f64> {
    chunks
        .iter()
        .map(|(chunk, tokens)| {
            evict_caches(evict);
            let start = Instant::now();
            let n = if encode {
                enc.encode(chunk, Allowed::All).expect("encode").len()
            } else {
                enc.count(chunk, Allowed::All).expect("count")
            };
            let us = start.elapsed().as_secs_f64() * 1e6;
            assert_eq!(n, *tokens);
            us * 10_000.0 / *tokens as f64
        })
        .collect()
}

#[inline(never)]
fn evict_caches(evict: &[u64]) {
    if !evict.is_empty() {
        std::hint::black_box(evict.iter().step_by(8).sum::<u64>());
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let cold = std::env::args().any(|a| a == "--cold");
    let evict: Vec<u64> = if cold { (0..16u64 << 20).collect() } else { Vec::new() };
    for kind in KINDS {
        let text = std::fs::read_to_string(format!("fixtures/bench/{kind}.txt")).expect("corpus");
        for encoding in ENCODINGS {
            let enc = get_encoding(encoding).expect("encoding");
            let chunks = chunks(enc, &text);
            for encode in [false, true] {
                let name = format!("{kind}/{encoding}{}", if encode { "/encode" } else { "" });
                match &only {
                    Some(o) if *o == name => {
                        let start = Instant::now();
                        let mut all = Vec::new();
                        while start.elapsed().as_secs() < 5 {
                            all.extend(run(enc, &chunks, encode, &evict));
                        }
                        println!("{name:40} {:8.1} us per 10k tokens", median(all));
                    }
                    Some(_) => {}
                    None => {
                        let us = median(run(enc, &chunks, encode, &evict));
                        println!("{name:40} {us:8.1} us per 10k tokens ({} chunks)", chunks.len());
                    }
                }
            }
        }
    }
}
