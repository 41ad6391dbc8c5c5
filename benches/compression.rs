#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)] // benches fail loudly
//! zstd payload benches: ~1 MiB of text through one-shot and streaming compression, batches of
//! chat-sized messages (sequential vs the pool), and the same messages with a dictionary.
//!
//! The inputs are generated deterministically (common English words and a long tail of
//! invented ones, Zipf-like, lines of varying length), so the bench needs no fixture and
//! compresses about as well as prose.
//!
//!     cargo bench --bench compression
//!     cargo bench --bench compression -- --quick

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tokenizer_rs::compression::{
    compress, compress_batch, decompress, decompress_batch, train_dictionary, Dictionary,
    StreamCompressor, DEFAULT_MAX_OUTPUT_SIZE,
};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic and dependency-free.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The most frequent English words, in rough frequency order, then invented longer words
/// (names, identifiers) for the long tail real text has.
const COMMON: &str = "the of and to a in is it you that he was for on are with as I his they be \
    at one have this from or had by hot word but what some we can out other were all there \
    when up use your how said an each she which do their time if will way about many then them \
    write would like so these her long make thing see him two has look more day could go come \
    did number sound no most people my over know water than call first who may down side been \
    now find any new work part take get place made live where after back little only round man \
    year came show every good me give our under name very through just form sentence great \
    think say help low line differ turn cause much mean before move right boy old too same tell \
    does set three want air well also play small end put home read hand port large spell add \
    even land here must big high such follow act why ask men change went light kind off need \
    house picture try us again animal point mother world near build self earth father model \
    token budget context message assistant user system tool function result error value file";

/// The same vocabulary for every input, so training and test messages share their words.
fn vocabulary() -> Vec<String> {
    let mut rng = Rng(0x5EED);
    let rng = &mut rng;
    let mut words: Vec<String> = COMMON.split_whitespace().map(str::to_owned).collect();
    let letters = b"etaoinshrdlucmfwypvbgkjqxz";
    for _ in 0..2000 {
        let len = 4 + rng.below(4) + rng.below(5);
        words.push(
            (0..len)
                .map(|_| {
                    char::from(letters.get(rng.below(14) + rng.below(13)).copied().unwrap_or(b'e'))
                })
                .collect(),
        );
    }
    words
}

fn word<'a>(words: &'a [String], rng: &mut Rng) -> &'a str {
    // A cubed uniform pick skews strongly towards the first (common) words, like Zipf's law.
    let n = words.len().max(1) as u64;
    let pick = (rng.next() % n) as u128;
    let skewed = (pick * pick * pick / (u128::from(n) * u128::from(n))) as usize;
    words.get(skewed).map_or("the", String::as_str)
}

fn text(size: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed | 1);
    let words = vocabulary();
    let mut out = String::with_capacity(size + 64);
    while out.len() < size {
        for _ in 0..(5 + rng.below(20)) {
            out.push_str(word(&words, &mut rng));
            out.push(' ');
        }
        out.push_str(".\n");
    }
    out.truncate(size);
    out.into_bytes()
}

/// Chat-sized JSON messages, 200-800 bytes.
fn messages(count: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut rng = Rng(seed | 1);
    let words = vocabulary();
    let roles = ["user", "assistant", "tool"];
    (0..count)
        .map(|i| {
            let target = 150 + rng.below(550);
            let mut content = String::new();
            while content.len() < target {
                content.push_str(word(&words, &mut rng));
                content.push(' ');
            }
            let role = roles.get(rng.below(3)).copied().unwrap_or("user");
            format!(
                "{{\"id\":\"msg_{i:06}\",\"role\":\"{role}\",\"content\":\"{}\"}}",
                content.trim_end()
            )
            .into_bytes()
        })
        .collect()
}

fn one_shot(c: &mut Criterion) {
    let data = text(1 << 20, 42);
    for level in [1, 3, 9] {
        let size = compress(&data, level, None).map_or(0, |f| f.len());
        println!("1 MiB text, level {level}: ratio {:.2}", data.len() as f64 / size.max(1) as f64);
    }
    let mut group = c.benchmark_group("zstd_1mib_text");
    group.throughput(Throughput::Bytes(data.len() as u64));
    for level in [1, 3, 9] {
        group.bench_with_input(BenchmarkId::new("compress", level), &level, |b, &level| {
            b.iter(|| compress(black_box(&data), level, None))
        });
        let frame = compress(&data, level, None).unwrap_or_default();
        group.bench_with_input(BenchmarkId::new("decompress", level), &frame, |b, frame| {
            b.iter(|| decompress(black_box(frame), DEFAULT_MAX_OUTPUT_SIZE, None))
        });
    }
    group.bench_function("stream_compress_64k_chunks/3", |b| {
        b.iter(|| {
            let mut compressor = StreamCompressor::new(3, None).ok()?;
            let mut size = 0;
            for chunk in data.chunks(64 * 1024) {
                size += compressor.compress(chunk).ok()?.len();
            }
            Some(size + compressor.flush().ok()?.len())
        })
    });
    group.finish();
}

fn batches(c: &mut Criterion) {
    let items = messages(2000, 7);
    let total: usize = items.iter().map(Vec::len).sum();
    let frames = compress_batch(&items, 3, None).unwrap_or_default();
    let mut group = c.benchmark_group("zstd_2000_chat_messages");
    group.throughput(Throughput::Bytes(total as u64));
    group.bench_function("compress/sequential", |b| {
        b.iter(|| {
            items.iter().map(|m| compress(m, 3, None).map(|f| f.len())).sum::<Result<usize, _>>()
        })
    });
    group.bench_function("compress/batch", |b| {
        b.iter(|| compress_batch(black_box(&items), 3, None))
    });
    group.bench_function("decompress/sequential", |b| {
        b.iter(|| {
            frames
                .iter()
                .map(|f| decompress(f, DEFAULT_MAX_OUTPUT_SIZE, None).map(|m| m.len()))
                .sum::<Result<usize, _>>()
        })
    });
    group.bench_function("decompress/batch", |b| {
        b.iter(|| decompress_batch(black_box(&frames), DEFAULT_MAX_OUTPUT_SIZE, None))
    });

    let training = messages(4000, 8);
    let Ok(dictionary) = train_dictionary(&training, 112_640).and_then(|raw| Dictionary::new(&raw))
    else {
        return;
    };
    let with_dict = compress_batch(&items, 3, Some(&dictionary)).unwrap_or_default();
    let plain_size: usize = frames.iter().map(Vec::len).sum();
    let dict_size: usize = with_dict.iter().map(Vec::len).sum();
    println!(
        "chat messages: {total} bytes -> {plain_size} without dictionary (ratio {:.2}), {dict_size} with (ratio {:.2})",
        total as f64 / plain_size.max(1) as f64,
        total as f64 / dict_size.max(1) as f64,
    );
    group.bench_function("compress_dict/sequential", |b| {
        b.iter(|| {
            items
                .iter()
                .map(|m| compress(m, 3, Some(&dictionary)).map(|f| f.len()))
                .sum::<Result<usize, _>>()
        })
    });
    group.bench_function("decompress_dict/sequential", |b| {
        b.iter(|| {
            with_dict
                .iter()
                .map(|f| decompress(f, DEFAULT_MAX_OUTPUT_SIZE, Some(&dictionary)).map(|m| m.len()))
                .sum::<Result<usize, _>>()
        })
    });
    group.finish();
}

criterion_group!(benches, one_shot, batches);
criterion_main!(benches);
