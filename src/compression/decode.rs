//! The bounded decoding loop shared by one-shot and streaming decompression.
//!
//! Memory is bounded by the caller's cap, not by anything the input claims:
//! - output grows geometrically and never past `limit` (cap + 1 bytes for one-shot calls, so a
//!   payload one byte over the cap is caught without decoding any further);
//! - a frame header that declares a content size above what the cap still allows fails at once,
//!   before a single block is decoded; a declared size within the cap is reserved up front, which
//!   lets zstd decode the frame in a single pass straight into the output;
//! - frames without a content size go through zstd's streaming decoder, whose window buffer is
//!   capped by `window_log_max` (zstd's own default limit, raised only when the cap is larger)
//!   and is only touched as far as output is produced.
//!
//! Truncation is detected explicitly: zstd reports "frame complete" with a hint of 0, so input
//! that runs out while a frame is open is truncated, never silently accepted.

use zstd::zstd_safe::zstd_sys::ZSTD_ErrorCode as Code;
use zstd::zstd_safe::{self, DCtx, InBuffer, OutBuffer};

use crate::error::{Error, Result};

/// Output grows by at least this much at a time (zstd's own streaming block size).
const MIN_GROW: usize = 128 * 1024;
/// zstd's default maximum window (2^27 = 128 MiB), what `zstd -d` accepts without `--long`.
const DEFAULT_WINDOW_LOG_MAX: u32 = 27;
/// The largest window zstd supports on 64-bit targets.
const ABSOLUTE_WINDOW_LOG_MAX: u32 = 31;

/// Why a call to [`decode`] returned without error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// All input was consumed and all the output it gives was produced.
    InputDone,
    /// `out` reached `limit`; input or buffered output may remain.
    OutputFull,
}

/// Where a decoder stands between calls.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FrameState {
    /// Inside a frame (its header started but its end not yet decoded).
    pub open: bool,
    /// The dictionary id the current frame's header asks for, when the header was read.
    pub dict_id: Option<u32>,
}

/// The bounds of one call: `out` may grow to `limit` bytes; the whole stream may produce
/// `cap` bytes, of which `earlier` were produced by previous calls.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    pub cap: usize,
    pub earlier: usize,
    pub limit: usize,
}

/// The window limit for a cap: zstd's default, or the cap's power of two when that is larger
/// (a frame made with `--long=28` is fine under a 256 MiB cap).
pub(crate) fn window_log_max(cap: usize) -> u32 {
    let cap_log = usize::BITS - cap.saturating_sub(1).leading_zeros();
    cap_log.clamp(DEFAULT_WINDOW_LOG_MAX, ABSOLUTE_WINDOW_LOG_MAX)
}

pub(crate) fn exceeds(cap: usize) -> Error {
    Error::Compression(format!(
        "exceeds max_output_size: the decompressed data is larger than {cap} bytes"
    ))
}

pub(crate) fn truncated() -> Error {
    Error::Compression("truncated zstd data: the input ends in the middle of a frame".into())
}

/// Decodes from `input` into `out` until the input is used up or `out` holds `bounds.limit`
/// bytes. The caller decides whether reaching the limit means "over the cap" or "come back
/// for more".
pub(crate) fn decode(
    dctx: &mut DCtx<'_>,
    input: &mut InBuffer<'_>,
    out: &mut Vec<u8>,
    bounds: Bounds,
    frame: &mut FrameState,
) -> Result<Stop> {
    let mut stalled = 0u32;
    loop {
        let rest = input.src.get(input.pos..).unwrap_or_default();
        if !frame.open && !rest.is_empty() {
            check_header(rest, out, bounds, frame)?;
        }
        if out.len() >= bounds.limit {
            return Ok(Stop::OutputFull);
        }
        grow(out, bounds.limit)?;
        let before = (input.pos, out.len());
        let hint = {
            let at = out.len();
            dctx.decompress_stream(&mut OutBuffer::around_pos(out, at), input)
        }
        .map_err(|code| classify(code, frame.dict_id, bounds.cap))?;
        let progressed = (input.pos, out.len()) != before;
        // zstd returns 0 exactly when a frame is fully decoded and flushed. A call that did
        // nothing says nothing new (between frames it returns the next header's size).
        if progressed {
            frame.open = hint != 0;
            if !frame.open {
                frame.dict_id = None;
            }
        }
        if out.len() >= bounds.limit {
            return Ok(Stop::OutputFull);
        }
        let output_full = out.len() == out.capacity();
        // With the input used up, the call is done when the frame ended, or when there was
        // room left: "output not full" means zstd flushed everything it could.
        if input.pos == input.src.len() && (!frame.open || !output_full) {
            return Ok(Stop::InputDone);
        }
        // zstd always makes progress when it has input and room; guard the loop anyway.
        if !progressed {
            stalled += 1;
            if stalled > 4 {
                return Err(Error::Compression("corrupt zstd data: the decoder stalled".into()));
            }
        } else {
            stalled = 0;
        }
    }
}

/// At a frame boundary: reads the next frame's header (when it is complete in `rest`), fails
/// fast when it declares more than the cap still allows, and otherwise reserves its size.
fn check_header(
    rest: &[u8],
    out: &mut Vec<u8>,
    bounds: Bounds,
    frame: &mut FrameState,
) -> Result<()> {
    frame.dict_id = zstd_safe::get_dict_id_from_frame(rest).map(|id| id.get());
    // An incomplete or unreadable header is left to the decoder, which reports it precisely.
    let Ok(Some(declared)) = zstd_safe::get_frame_content_size(rest) else {
        return Ok(());
    };
    let allowed = bounds.cap.saturating_sub(bounds.earlier).saturating_sub(out.len());
    if declared > allowed as u64 {
        return Err(exceeds(bounds.cap));
    }
    // `declared` fits in the cap, so this reservation is bounded by the cap too.
    let wanted = (declared as usize).min(bounds.limit.saturating_sub(out.len()));
    if out.capacity() - out.len() < wanted {
        out.try_reserve_exact(wanted).map_err(|_| no_memory())?;
    }
    Ok(())
}

/// Makes room in `out` for more output: doubles, at least `MIN_GROW`, never past `limit`.
fn grow(out: &mut Vec<u8>, limit: usize) -> Result<()> {
    if out.capacity() > out.len() {
        return Ok(());
    }
    let extra = out.len().max(MIN_GROW).min(limit.saturating_sub(out.len())).max(1);
    out.try_reserve_exact(extra).map_err(|_| no_memory())
}

fn no_memory() -> Error {
    Error::Compression("out of memory while decompressing".into())
}

/// Turns a zstd decoding error into a message that says what went wrong. `dict_id` is the
/// dictionary the failing frame's header asks for, when known.
pub(crate) fn classify(code: usize, dict_id: Option<u32>, cap: usize) -> Error {
    let name = zstd_safe::get_error_name(code);
    let is = |c: Code| code.wrapping_neg() == c as usize;
    let message = if is(Code::ZSTD_error_prefix_unknown) {
        "corrupt zstd data: not a zstd frame (unknown magic number)".to_string()
    } else if is(Code::ZSTD_error_checksum_wrong) {
        "corrupt zstd data: checksum mismatch, the data was altered".to_string()
    } else if is(Code::ZSTD_error_dictionary_wrong) {
        match dict_id {
            Some(id) => format!(
                "wrong dictionary: the frame was compressed with dictionary id {id}; pass that dictionary as dict="
            ),
            None => "wrong dictionary: the frame needs a different dictionary".to_string(),
        }
    } else if is(Code::ZSTD_error_frameParameter_windowTooLarge) {
        format!(
            "unsupported zstd frame: it needs a window larger than {} bytes (raise max_output_size to allow larger windows)",
            1u64 << window_log_max(cap)
        )
    } else if is(Code::ZSTD_error_memory_allocation) {
        "out of memory while decompressing".to_string()
    } else if is(Code::ZSTD_error_dictionary_corrupted) {
        "invalid dictionary: zstd cannot load it".to_string()
    } else {
        format!("corrupt zstd data: {name}")
    };
    Error::Compression(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_limit_follows_large_caps_only() {
        assert_eq!(window_log_max(1), 27);
        assert_eq!(window_log_max(10 << 20), 27);
        assert_eq!(window_log_max(256 << 20), 28);
        assert_eq!(window_log_max((256 << 20) + 1), 29);
        assert_eq!(window_log_max(usize::MAX), 31);
    }
}
