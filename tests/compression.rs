#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly
//! The zstd core through its public API: round trips, batches, dictionaries, streaming, and
//! every kind of bad input ending in `Error::Compression` with a message that says which.

use tokenizer_rs::compression::{
    check_level, check_max_output_size, compress, compress_batch, declared_size, decompress,
    decompress_batch, decompress_into, preallocation_size, train_dictionary, Dictionary,
    StreamCompressor, StreamDecompressor, DEFAULT_MAX_OUTPUT_SIZE,
};
use tokenizer_rs::{Error, Result};

/// Deterministic text-like bytes.
fn text(len: usize, seed: u32) -> Vec<u8> {
    let words: Vec<&[u8]> = "the model token budget user assistant system tool call result \
        context window summary file error function value message trim keep drop"
        .split(' ')
        .map(str::as_bytes)
        .collect();
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        out.extend_from_slice(words.get(state as usize % words.len()).copied().unwrap_or(b"x"));
        out.push(if state % 11 == 0 { b'\n' } else { b' ' });
    }
    out.truncate(len);
    out
}

fn message(result: Result<impl std::fmt::Debug>) -> String {
    match result {
        Err(Error::Compression(message)) => message,
        other => format!("not a compression error: {other:?}"),
    }
}

fn stream_compress(data: &[u8], chunk: usize) -> Result<Vec<u8>> {
    let mut compressor = StreamCompressor::new(3, None)?;
    let mut out = Vec::new();
    for piece in data.chunks(chunk.max(1)) {
        out.extend(compressor.compress(piece)?);
    }
    out.extend(compressor.flush()?);
    Ok(out)
}

#[test]
fn round_trips_at_every_kind_of_level() -> Result<()> {
    let data = text(200_000, 1);
    for level in [-131_072, -7, 0, 1, 3, 12, 19] {
        let frame = compress(&data, level, None)?;
        assert_eq!(decompress(&frame, data.len(), None)?, data, "level {level}");
        assert_eq!(declared_size(&frame), Some(data.len() as u64));
    }
    assert_eq!(decompress(&compress(b"", 3, None)?, 1, None)?, b"");
    Ok(())
}

#[test]
fn levels_and_caps_are_checked() {
    assert!(check_level(22).is_ok() && check_level(-131_072).is_ok());
    for bad in [23, 100, -200_000, i128::from(i64::MAX)] {
        assert!(message(check_level(bad)).contains("invalid compression level"));
    }
    assert!(message(compress(b"x", 23, None)).contains("level"));
    assert!(message(check_max_output_size(0)).contains("max_output_size"));
    assert!(message(check_max_output_size(-5)).contains("max_output_size"));
    assert_eq!(check_max_output_size(i128::MAX).ok(), Some(usize::MAX));
    assert!(message(decompress(b"whatever", 0, None)).contains("max_output_size"));
}

#[test]
fn batches_keep_order_and_report_the_first_error() -> Result<()> {
    let items: Vec<Vec<u8>> = (0..300).map(|i| text((i * 997) % 20_000, i as u32)).collect();
    let frames = compress_batch(&items, 3, None)?;
    for (item, frame) in items.iter().zip(&frames) {
        assert_eq!(&compress(item, 3, None)?, frame);
    }
    assert_eq!(decompress_batch(&frames, DEFAULT_MAX_OUTPUT_SIZE, None)?, items);

    let mut broken = frames.clone();
    if let Some(frame) = broken.get_mut(100) {
        let half = frame.len() / 2;
        frame.truncate(half);
    }
    if let Some(frame) = broken.last_mut() {
        *frame = b"garbage that is not zstd".to_vec();
    }
    let error = message(decompress_batch(&broken, DEFAULT_MAX_OUTPUT_SIZE, None));
    assert!(error.contains("truncated"), "{error}");
    Ok(())
}

#[test]
fn truncated_corrupt_and_empty_input() -> Result<()> {
    let data = text(50_000, 2);
    let frame = compress(&data, 3, None)?;
    assert!(message(decompress(b"", 1 << 20, None)).contains("truncated"));
    for cut in (1..frame.len()).step_by(37) {
        let error = message(decompress(frame.get(..cut).unwrap_or_default(), 1 << 20, None));
        assert!(error.contains("truncated"), "cut {cut}: {error}");
    }
    assert!(message(decompress(b"definitely not zstd", 1 << 20, None)).contains("corrupt"));
    let mut flipped = frame.clone();
    if let Some(byte) = flipped.get_mut(frame.len() / 2) {
        *byte ^= 0x40;
    }
    assert!(message(decompress(&flipped, 1 << 20, None)).contains("corrupt"));
    let mut bad_checksum = frame.clone();
    if let Some(byte) = bad_checksum.last_mut() {
        *byte ^= 1;
    }
    assert!(message(decompress(&bad_checksum, 1 << 20, None)).contains("checksum"));
    Ok(())
}

#[test]
fn frames_without_size_concatenated_and_skippable() -> Result<()> {
    let a = text(100_000, 3);
    let b = text(5_000, 4);
    let streamed = stream_compress(&a, 7_000)?;
    assert_eq!(declared_size(&streamed), None);
    let mut all = vec![0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 9, 9, 9];
    all.extend(&streamed);
    all.extend(compress(&b, 1, None)?);
    let expected = [a.as_slice(), b.as_slice()].concat();
    assert_eq!(decompress(&all, expected.len(), None)?, expected);
    assert!(message(decompress(&all, expected.len() - 1, None)).contains("exceeds max_output_size"));
    Ok(())
}

#[test]
fn a_gigabyte_bomb_fails_at_the_cap() -> Result<()> {
    let mut compressor = StreamCompressor::new(1, None)?;
    let zeros = vec![0u8; 1 << 20];
    let mut bomb = Vec::new();
    for _ in 0..1024 {
        bomb.extend(compressor.compress(&zeros)?);
    }
    bomb.extend(compressor.flush()?);
    assert!(bomb.len() < 1 << 20);
    let error = message(decompress(&bomb, 10 << 20, None));
    assert!(error.contains("exceeds max_output_size"), "{error}");
    let mut streaming = StreamDecompressor::new(10 << 20, None)?;
    let mut outcome = streaming.decompress(&bomb, Some(1 << 20));
    while outcome.is_ok() && !streaming.needs_input() {
        outcome = streaming.decompress(&[], Some(1 << 20));
    }
    assert!(message(outcome).contains("exceeds max_output_size"));
    assert!(streaming.total_out() <= (10 << 20) + 1);
    Ok(())
}

#[test]
fn lying_headers_are_caught() -> Result<()> {
    let data = text(100_000, 5);
    let frame = compress(&data, 3, None)?;
    // Single-segment frame: magic (4), descriptor (1), then a 4-byte content size.
    assert_eq!(frame.get(4).map(|d| d >> 6), Some(2));
    for claimed in [99_999u32, 100_001, 10, u32::MAX] {
        let mut lying = frame.clone();
        if let Some(field) = lying.get_mut(5..9) {
            field.copy_from_slice(&claimed.to_le_bytes());
        }
        assert!(decompress(&lying, DEFAULT_MAX_OUTPUT_SIZE, None).is_err(), "claimed {claimed}");
        // A claim larger than the data could ever expand to gets no buffer of that size.
        if claimed == u32::MAX {
            assert_eq!(preallocation_size(&lying, usize::MAX), None);
            let error = message(decompress(&lying, 10 << 20, None));
            assert!(error.contains("exceeds max_output_size"), "{error}");
        }
    }
    Ok(())
}

#[test]
fn decompress_into_needs_the_exact_size() -> Result<()> {
    let data = text(70_000, 6);
    let frames = [compress(&data, 3, None)?, compress(b"", 3, None)?].concat();
    let size = preallocation_size(&frames, usize::MAX).unwrap_or_default();
    assert_eq!(size, data.len());
    let mut out = vec![0u8; size];
    decompress_into(&frames, &mut out, usize::MAX, None)?;
    assert_eq!(out, data);
    let mut longer = vec![0u8; size + 1];
    assert!(decompress_into(&frames, &mut longer, usize::MAX, None).is_err());
    assert!(message(decompress_into(&frames, &mut out, size - 1, None)).contains("exceeds"));
    Ok(())
}

#[test]
fn dictionaries_train_and_must_match() -> Result<()> {
    let samples: Vec<Vec<u8>> = (0..2000)
        .map(|i| {
            format!(
                "{{\"id\":\"msg_{i:05}\",\"role\":\"{}\",\"content\":\"{}\"}}",
                if i % 2 == 0 { "user" } else { "assistant" },
                String::from_utf8_lossy(&text(200 + (i * 37) % 500, i as u32))
            )
            .into_bytes()
        })
        .collect();
    let (training, held_out) = samples.split_at(1800);
    let raw = train_dictionary(training, 16_384)?;
    let dictionary = Dictionary::new(&raw)?;
    assert!(dictionary.id().is_some());

    let mut plain = 0;
    let mut with_dict = 0;
    for sample in held_out {
        let frame = compress(sample, 3, Some(&dictionary))?;
        assert_eq!(decompress(&frame, 1 << 20, Some(&dictionary))?, *sample);
        plain += compress(sample, 3, None)?.len();
        with_dict += frame.len();
    }
    assert!(with_dict * 4 < plain * 3, "dictionary gain too small: {plain} -> {with_dict}");

    let frame = compress(held_out.first().map_or(&[][..], |s| s), 3, Some(&dictionary))?;
    assert!(message(decompress(&frame, 1 << 20, None)).contains("dictionary"));
    let reversed: Vec<Vec<u8>> =
        training.iter().map(|s| s.iter().rev().copied().collect()).collect();
    let other = Dictionary::new(&train_dictionary(&reversed, 8192)?)?;
    assert_ne!(other.id(), dictionary.id());
    assert!(message(decompress(&frame, 1 << 20, Some(&other))).contains("dictionary"));

    let batch = compress_batch(held_out, 3, Some(&dictionary))?;
    assert_eq!(decompress_batch(&batch, 1 << 20, Some(&dictionary))?, held_out);

    assert!(message(train_dictionary(&[b"tiny"; 4], 16_384)).contains("dictionary"));
    assert!(message(train_dictionary::<&[u8]>(&[], 16_384)).contains("no samples"));
    assert!(message(train_dictionary(training, 10)).contains("dict_size"));
    assert!(message(Dictionary::new(b"")).contains("empty"));
    Ok(())
}

#[test]
fn streaming_objects_bound_each_call_and_the_stream() -> Result<()> {
    let data = text(1 << 20, 7);
    let frame = stream_compress(&data, 64 * 1024)?;
    let mut decompressor = StreamDecompressor::new(DEFAULT_MAX_OUTPUT_SIZE, None)?;
    let mut out = Vec::new();
    for piece in frame.chunks(10_000) {
        let got = decompressor.decompress(piece, Some(4096))?;
        assert!(got.len() <= 4096);
        out.extend(got);
        while !decompressor.needs_input() {
            let got = decompressor.decompress(&[], Some(4096))?;
            assert!(got.len() <= 4096);
            out.extend(got);
        }
    }
    decompressor.finish()?;
    assert_eq!(out, data);

    let mut truncated = StreamDecompressor::new(DEFAULT_MAX_OUTPUT_SIZE, None)?;
    truncated.decompress(frame.get(..frame.len() - 1).unwrap_or_default(), None)?;
    assert!(message(truncated.finish()).contains("truncated"));
    let mut failed = StreamDecompressor::new(100, None)?;
    assert!(message(failed.decompress(&frame, None)).contains("exceeds"));
    assert!(message(failed.decompress(&[], None)).contains("exceeds"));
    Ok(())
}
