//! zstd payloads: one-shot and batch compression, bounded decompression, dictionaries.
//!
//! Frames are standard zstd frames (RFC 8878) that the `zstd` tool and python-zstandard read
//! and write: one-shot frames record their content size and a checksum (and the dictionary id
//! when a trained dictionary is used). Decompression accepts any sequence of frames, including
//! frames without a content size (streamed) and skippable frames, and never produces more
//! than the caller's `max_output_size`; see `decode.rs` for how memory stays bounded.
//!
//! Streaming (inputs larger than memory) lives in `stream.rs`.

use rayon::prelude::*;
use zstd::zstd_safe::{self, CParameter, DParameter, InBuffer};

use crate::error::{Error, Result};
use crate::thread_pool;

mod contexts;
mod decode;
mod dictionary;
mod stream;

pub use dictionary::Dictionary;
pub use stream::{StreamCompressor, StreamDecompressor};

use contexts::{with_cctx, with_dctx};
use decode::{classify, decode, exceeds, truncated, window_log_max, Bounds, FrameState, Stop};

/// The default compression level (zstd's own default).
pub const DEFAULT_LEVEL: i32 = 3;
/// The default cap on decompressed output: 256 MiB. Large enough for any chat payload, small
/// enough that a decompression bomb cannot take the process's memory.
pub const DEFAULT_MAX_OUTPUT_SIZE: usize = 256 << 20;
/// The default dictionary size (zstd's and python-zstandard's default, 110 KiB).
pub const DEFAULT_DICT_SIZE: usize = 112_640;
/// zstd cannot train a dictionary smaller than this.
pub const MIN_DICT_SIZE: usize = 256;
/// A ceiling on `dict_size` so a typo cannot reserve gigabytes; real dictionaries are KiBs.
pub const MAX_DICT_SIZE: usize = 1 << 30;

/// Batches below this many bytes in all run on the calling thread: the pool costs more.
const PARALLEL_MIN_BYTES: usize = 64 * 1024;
/// Each pool task gets about this many input bytes, so tiny payloads go in chunks.
const BYTES_PER_TASK: usize = 32 * 1024;

/// The range of levels zstd accepts: negative "fast" levels, 0 (= default, 3), 1..=22.
pub fn level_range() -> std::ops::RangeInclusive<i32> {
    zstd::compression_level_range()
}

/// Checks a level (given as i128 so out-of-range values from callers are reported, not wrapped).
pub fn check_level(level: i128) -> Result<i32> {
    let range = level_range();
    match i32::try_from(level) {
        Ok(level) if range.contains(&level) => Ok(level),
        _ => Err(Error::Compression(format!(
            "invalid compression level {level}: zstd levels run from {} to {} (0 means the default, {DEFAULT_LEVEL})",
            range.start(),
            range.end()
        ))),
    }
}

/// Checks a decompression cap given as a signed number, so a negative value is reported as
/// such (values above `usize::MAX` mean "no practical limit" and are clamped).
pub fn check_max_output_size(max_output_size: i128) -> Result<usize> {
    if max_output_size <= 0 {
        return Err(Error::Compression(format!(
            "max_output_size must be a positive number of bytes, got {max_output_size}"
        )));
    }
    Ok(usize::try_from(max_output_size).unwrap_or(usize::MAX))
}

fn check_cap(cap: usize) -> Result<usize> {
    check_max_output_size(cap as i128)
}

/// Checks a dictionary size (signed, so a negative value is reported as such).
pub fn check_dict_size(dict_size: i128) -> Result<usize> {
    match usize::try_from(dict_size) {
        Ok(size) if (MIN_DICT_SIZE..=MAX_DICT_SIZE).contains(&size) => Ok(size),
        _ => Err(Error::Compression(format!(
            "dict_size must be between {MIN_DICT_SIZE} and {MAX_DICT_SIZE} bytes, got {dict_size}"
        ))),
    }
}

/// A zstd error code from a call whose failure has no more specific meaning.
pub(crate) fn zstd_error(code: usize) -> Error {
    Error::Compression(format!("zstd error: {}", zstd_safe::get_error_name(code)))
}

/// Compresses `data` into one frame with its content size and a checksum.
pub fn compress(data: &[u8], level: i32, dict: Option<&Dictionary>) -> Result<Vec<u8>> {
    let level = check_level(level.into())?;
    // Held until the end of this function, so it outlives its use by the context.
    let cdict = dict.map(|d| d.cdict(level)).transpose()?;
    with_cctx(|cctx| {
        cctx.set_parameter(CParameter::CompressionLevel(level)).map_err(zstd_error)?;
        cctx.set_parameter(CParameter::ChecksumFlag(true)).map_err(zstd_error)?;
        cctx.set_parameter(CParameter::ContentSizeFlag(true)).map_err(zstd_error)?;
        if let Some(cdict) = &cdict {
            cctx.ref_cdict(cdict).map_err(zstd_error)?;
        }
        let mut out = Vec::new();
        out.try_reserve_exact(zstd_safe::compress_bound(data.len()))
            .map_err(|_| Error::Compression("out of memory while compressing".into()))?;
        cctx.compress2(&mut out, data).map_err(zstd_error)?;
        Ok(out)
    })
}

/// Decompresses every frame in `data`, refusing output beyond `max_output_size` bytes.
///
/// Errors say which problem it is: "corrupt" (bad magic, checksum, blocks), "truncated" (the
/// input ends inside a frame, or is empty), "exceeds max_output_size", "wrong dictionary".
pub fn decompress(
    data: &[u8],
    max_output_size: usize,
    dict: Option<&Dictionary>,
) -> Result<Vec<u8>> {
    let cap = check_cap(max_output_size)?;
    let mut out = Vec::new();
    match run_decoder(data, &mut out, cap, cap.saturating_add(1), dict)? {
        (Stop::OutputFull, _) => Err(exceeds(cap)),
        (Stop::InputDone, _) if out.len() > cap => Err(exceeds(cap)),
        (Stop::InputDone, frame) if frame.open => Err(truncated()),
        (Stop::InputDone, _) => Ok(out),
    }
}

/// The total content size the frame headers in `data` declare, when every frame declares one
/// (skippable frames count 0) and the frames fill `data` exactly; otherwise None. Reads only
/// headers: a lying header is caught when the frame is decoded.
pub fn declared_size(data: &[u8]) -> Option<u64> {
    let mut total = 0u64;
    let mut rest = data;
    while !rest.is_empty() {
        let size = zstd_safe::get_frame_content_size(rest).ok()??;
        let frame_len = zstd_safe::find_frame_compressed_size(rest).ok()?;
        total = total.checked_add(size)?;
        rest = rest.get(frame_len..).filter(|_| frame_len > 0)?;
    }
    Some(total)
}

/// No zstd input can expand more than this: a block is at least 4 bytes (3 of header, 1 of
/// RLE content) and produces at most 128 KiB.
const MAX_EXPANSION: u64 = 32 * 1024;

/// The size to allocate for [`decompress_into`]: the declared total when it is within the cap
/// and within what the input could possibly expand to. A header that claims more than its
/// data can hold gets no buffer of that size (the growing path then catches the lie), so
/// a few bytes of input never make the caller allocate and clear a large buffer.
pub fn preallocation_size(data: &[u8], max_output_size: usize) -> Option<usize> {
    let size = declared_size(data)?;
    let plausible = size <= (data.len() as u64).saturating_mul(MAX_EXPANSION);
    usize::try_from(size).ok().filter(|&size| plausible && size <= max_output_size)
}

/// [`decompress`] into a buffer of exactly [`preallocation_size`] bytes, so the output needs
/// no second copy. Fails if the data does not fill `out` exactly.
///
/// [`preallocation_size`] has already walked the frames, so they are complete, declare their
/// sizes, and fit in `out`: zstd's one-shot decoder applies (no window buffer, no streaming
/// state), and it checks every frame's size and checksum.
pub fn decompress_into(
    data: &[u8],
    out: &mut [u8],
    max_output_size: usize,
    dict: Option<&Dictionary>,
) -> Result<()> {
    let cap = check_cap(max_output_size)?;
    if out.len() > cap {
        return Err(exceeds(cap));
    }
    if data.is_empty() {
        return Err(empty_input());
    }
    let ddict = dict.map(Dictionary::ddict).transpose()?;
    let written = with_dctx(|dctx| {
        if let Some(ddict) = &ddict {
            dctx.ref_ddict(ddict).map_err(zstd_error)?;
        }
        dctx.decompress(out, data).map_err(|code| {
            let dict_id = zstd_safe::get_dict_id_from_frame(data).map(|id| id.get());
            classify(code, dict_id, cap)
        })
    })?;
    if written != out.len() {
        return Err(Error::Compression(
            "corrupt zstd data: the content does not match the sizes the frame headers declare"
                .into(),
        ));
    }
    Ok(())
}

fn empty_input() -> Error {
    Error::Compression(
        "truncated zstd data: the input is empty (a zstd frame is at least 9 bytes)".into(),
    )
}

/// Runs this thread's decoder over all of `data` into `out`, at most `limit` bytes.
fn run_decoder(
    data: &[u8],
    out: &mut Vec<u8>,
    cap: usize,
    limit: usize,
    dict: Option<&Dictionary>,
) -> Result<(Stop, FrameState)> {
    if data.is_empty() {
        return Err(empty_input());
    }
    let ddict = dict.map(Dictionary::ddict).transpose()?;
    with_dctx(|dctx| {
        dctx.set_parameter(DParameter::WindowLogMax(window_log_max(cap))).map_err(zstd_error)?;
        if let Some(ddict) = &ddict {
            dctx.ref_ddict(ddict).map_err(zstd_error)?;
        }
        let mut input = InBuffer::around(data);
        let mut frame = FrameState::default();
        let bounds = Bounds { cap, earlier: 0, limit };
        let stop = decode(dctx, &mut input, out, bounds, &mut frame)?;
        Ok((stop, frame))
    })
}

/// [`compress`] for many payloads, in parallel on the thread pool, results in input order.
pub fn compress_batch<S: AsRef<[u8]> + Sync>(
    items: &[S],
    level: i32,
    dict: Option<&Dictionary>,
) -> Result<Vec<Vec<u8>>> {
    check_level(level.into())?;
    map_payloads(items, |item| compress(item, level, dict))
}

/// [`decompress`] for many payloads, in parallel; the cap applies to each payload.
pub fn decompress_batch<S: AsRef<[u8]> + Sync>(
    items: &[S],
    max_output_size: usize,
    dict: Option<&Dictionary>,
) -> Result<Vec<Vec<u8>>> {
    map_payloads(items, |item| decompress(item, max_output_size, dict))
}

/// Applies `work` to every payload, in parallel when the batch is large enough. All results
/// are computed, and the error reported is the first in input order, so the outcome does not
/// depend on thread scheduling.
fn map_payloads<S, F>(items: &[S], work: F) -> Result<Vec<Vec<u8>>>
where
    S: AsRef<[u8]> + Sync,
    F: Fn(&[u8]) -> Result<Vec<u8>> + Sync + Send,
{
    let total: usize = items.iter().map(|i| i.as_ref().len()).sum();
    if total < PARALLEL_MIN_BYTES || items.len() < 2 {
        return items.iter().map(|i| work(i.as_ref())).collect();
    }
    let min_len = (BYTES_PER_TASK / (total / items.len()).max(1)).max(1);
    let results: Vec<Result<Vec<u8>>> = thread_pool::install(|| {
        items.par_iter().with_min_len(min_len).map(|i| work(i.as_ref())).collect()
    })?;
    results.into_iter().collect()
}

/// Trains a dictionary of at most `dict_size` bytes on `samples` (zstd's fastcover trainer,
/// the same as `zstd --train` and python-zstandard's `train_dictionary`).
pub fn train_dictionary<S: AsRef<[u8]>>(samples: &[S], dict_size: usize) -> Result<Vec<u8>> {
    let dict_size = check_dict_size(dict_size as i128)?;
    if samples.is_empty() {
        return Err(Error::Compression("cannot train a dictionary: no samples".into()));
    }
    if u32::try_from(samples.len()).is_err() {
        return Err(Error::Compression("cannot train a dictionary: too many samples".into()));
    }
    zstd::dict::from_samples(samples, dict_size).map_err(|e| {
        Error::Compression(format!(
            "cannot train a dictionary from {} samples ({e}): zstd needs many samples \
             (typically hundreds or more) that together are much larger than dict_size",
            samples.len()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(len: usize) -> Vec<u8> {
        let words = ["token", "budget", "assistant", "user", "system", "zstd", "frame", "the"];
        let mut out = Vec::with_capacity(len + 16);
        let mut state = 0x2545_f491_u32;
        while out.len() < len {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            out.extend_from_slice(
                words.get((state % 8) as usize).map_or(&b""[..], |w| w.as_bytes()),
            );
            out.push(b' ');
        }
        out.truncate(len);
        out
    }

    #[test]
    fn round_trip_at_several_levels() -> Result<()> {
        for level in [-5, 0, 1, 3, 9, 19] {
            for len in [0, 1, 100, 100_000] {
                let data = text(len);
                let frame = compress(&data, level, None)?;
                assert_eq!(decompress(&frame, DEFAULT_MAX_OUTPUT_SIZE, None)?, data);
            }
        }
        Ok(())
    }

    #[test]
    fn cap_is_exact_with_and_without_content_size() -> Result<()> {
        let data = text(300_000);
        let sized = compress(&data, 3, None)?;
        let mut streamed = StreamCompressor::new(3, None)?;
        let mut unsized_frame = streamed.compress(&data)?;
        unsized_frame.extend(streamed.flush()?);
        for frame in [&sized, &unsized_frame] {
            assert_eq!(decompress(frame, data.len(), None)?, data);
            for cap in [data.len() - 1, 1000, 1] {
                assert_eq!(decompress(frame, cap, None), Err(exceeds(cap)));
            }
        }
        let mut exact = vec![0u8; data.len()];
        decompress_into(&sized, &mut exact, data.len(), None)?;
        assert_eq!(exact, data);
        let mut short = vec![0u8; data.len() - 1];
        assert!(decompress_into(&sized, &mut short, usize::MAX, None).is_err());
        Ok(())
    }

    #[test]
    fn frames_record_content_size_and_checksum() -> Result<()> {
        let frame = compress(b"hello hello hello", 3, None)?;
        assert_eq!(zstd_safe::get_frame_content_size(&frame).ok(), Some(Some(17)));
        // Frame header descriptor: bit 2 is the content checksum flag.
        assert_eq!(frame.get(4).map(|d| d & 0b100), Some(0b100));
        Ok(())
    }
}
