//! Streaming compression and decompression, for inputs larger than memory.
//!
//! Both objects take input in chunks of any size and hand back output as it becomes ready, so
//! the memory they use depends on the chunk size and zstd's window, never on the stream length.
//! The decompressor enforces `max_output_size` over the whole stream and, through
//! `max_length`, bounds the output of each call, so even a chunk that expands a million-fold
//! is handed back in pieces of the caller's choosing.

use std::sync::Arc;

use zstd::zstd_safe::{CCtx, CParameter, DCtx, DDict, DParameter, InBuffer, OutBuffer};

use super::contexts::out_of_memory;
use super::decode::{decode, exceeds, truncated, window_log_max, Bounds, FrameState, Stop};
use super::{check_cap, check_level, zstd_error, Dictionary};
use crate::error::{Error, Result};

/// Makes sure `out` has spare capacity, doubling it (at least zstd's recommended output size).
fn make_room(out: &mut Vec<u8>) -> Result<()> {
    if out.capacity() == out.len() {
        let extra = out.len().max(CCtx::out_size());
        out.try_reserve_exact(extra)
            .map_err(|_| Error::Compression("out of memory while compressing".into()))?;
    }
    Ok(())
}

/// Compresses a stream of chunks into zstd frames with checksums (no content size: it is not
/// known in advance, as with `zstd` reading a pipe).
pub struct StreamCompressor {
    cctx: CCtx<'static>,
    /// Data was given since the last `flush` (or nothing was flushed yet): `flush` has a
    /// frame to end.
    frame_pending: bool,
}

impl StreamCompressor {
    pub fn new(level: i32, dict: Option<&Dictionary>) -> Result<Self> {
        let level = check_level(level.into())?;
        let mut cctx = CCtx::try_create().ok_or_else(out_of_memory)?;
        cctx.set_parameter(CParameter::CompressionLevel(level)).map_err(zstd_error)?;
        cctx.set_parameter(CParameter::ChecksumFlag(true)).map_err(zstd_error)?;
        if let Some(dict) = dict {
            // The context keeps its own copy, so it does not borrow from `dict`.
            cctx.load_dictionary(dict.as_bytes()).map_err(zstd_error)?;
        }
        Ok(StreamCompressor { cctx, frame_pending: true })
    }

    /// Feeds `data`; returns the compressed bytes that are ready (often none for small chunks:
    /// zstd emits whole blocks).
    pub fn compress(&mut self, data: &[u8]) -> Result<Vec<u8>> {
        self.frame_pending = true;
        let mut out = Vec::new();
        let mut input = InBuffer::around(data);
        while input.pos < data.len() {
            make_room(&mut out)?;
            let at = out.len();
            self.cctx
                .compress_stream(&mut OutBuffer::around_pos(&mut out, at), &mut input)
                .map_err(zstd_error)?;
        }
        Ok(out)
    }

    /// Ends the current frame (epilogue and checksum) and returns the rest of it. The next
    /// `compress` starts a new frame. Returns nothing when no data came since the last flush;
    /// the very first flush always ends a frame, so an empty stream is one valid empty frame.
    pub fn flush(&mut self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        if !self.frame_pending {
            return Ok(out);
        }
        loop {
            make_room(&mut out)?;
            let at = out.len();
            let remaining = self
                .cctx
                .end_stream(&mut OutBuffer::around_pos(&mut out, at))
                .map_err(zstd_error)?;
            if remaining == 0 {
                break;
            }
        }
        self.frame_pending = false;
        Ok(out)
    }
}

/// Decompresses a stream of chunks holding any sequence of frames.
pub struct StreamDecompressor {
    // Declared before `_ddict` so it is dropped first: it refers to the prepared dictionary.
    dctx: DCtx<'static>,
    _ddict: Option<Arc<DDict<'static>>>,
    cap: usize,
    total_out: usize,
    frame: FrameState,
    /// Input a previous call could not consume because its output limit was reached.
    pending: Vec<u8>,
    needs_input: bool,
    received_input: bool,
    /// After a failure the stream cannot continue; every later call reports the same error.
    failed: Option<Error>,
}

impl StreamDecompressor {
    pub fn new(max_output_size: usize, dict: Option<&Dictionary>) -> Result<Self> {
        let max_output_size = check_cap(max_output_size)?;
        let mut dctx = DCtx::try_create().ok_or_else(out_of_memory)?;
        dctx.set_parameter(DParameter::WindowLogMax(window_log_max(max_output_size)))
            .map_err(zstd_error)?;
        let ddict = dict.map(Dictionary::ddict).transpose()?;
        if let Some(ddict) = &ddict {
            dctx.ref_ddict(ddict).map_err(zstd_error)?;
        }
        Ok(StreamDecompressor {
            dctx,
            _ddict: ddict,
            cap: max_output_size,
            total_out: 0,
            frame: FrameState::default(),
            pending: Vec::new(),
            needs_input: true,
            received_input: false,
            failed: None,
        })
    }

    /// Feeds `data` and returns up to `max_length` bytes of output (None: as much as the input
    /// gives, within the cap). When the limit stops it early, the rest of the input is kept and
    /// [`needs_input`](Self::needs_input) is false: call again (with empty data) for more.
    pub fn decompress(&mut self, data: &[u8], max_length: Option<usize>) -> Result<Vec<u8>> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let result = self.step(data, max_length);
        if let Err(error) = &result {
            self.failed = Some(error.clone());
        }
        result
    }

    fn step(&mut self, data: &[u8], max_length: Option<usize>) -> Result<Vec<u8>> {
        self.received_input |= !data.is_empty();
        let held;
        let source: &[u8] = if self.pending.is_empty() {
            data
        } else {
            self.pending.extend_from_slice(data);
            held = std::mem::take(&mut self.pending);
            &held
        };
        let room = self.cap.saturating_sub(self.total_out).saturating_add(1);
        let limit = max_length.map_or(room, |max| max.min(room));
        let bounds = Bounds { cap: self.cap, earlier: self.total_out, limit };
        let mut out = Vec::new();
        let mut input = InBuffer::around(source);
        let stop = decode(&mut self.dctx, &mut input, &mut out, bounds, &mut self.frame)?;
        self.total_out = self.total_out.saturating_add(out.len());
        if self.total_out > self.cap {
            return Err(exceeds(self.cap));
        }
        self.needs_input = stop == Stop::InputDone;
        if stop == Stop::OutputFull {
            self.pending = source.get(input.pos..).unwrap_or_default().to_vec();
        }
        Ok(out)
    }

    /// True when all input given so far has been decoded and its output handed back.
    pub fn needs_input(&self) -> bool {
        self.needs_input
    }

    /// Bytes of output produced so far.
    pub fn total_out(&self) -> usize {
        self.total_out
    }

    /// Call at the end of the input: fails if the stream is empty or ends inside a frame
    /// (truncated), or if output is still waiting to be read.
    pub fn finish(&self) -> Result<()> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        if !self.needs_input {
            return Err(Error::Compression(
                "decompressed output is still waiting: call decompress(b\"\") until needs_input is true"
                    .into(),
            ));
        }
        if !self.received_input {
            return Err(Error::Compression("truncated zstd data: the input is empty".into()));
        }
        if self.frame.open {
            return Err(truncated());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_round_trip_in_small_pieces() -> Result<()> {
        let data: Vec<u8> = (0..300_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        let mut compressor = StreamCompressor::new(3, None)?;
        let mut frame = Vec::new();
        for chunk in data.chunks(10_000) {
            frame.extend(compressor.compress(chunk)?);
        }
        frame.extend(compressor.flush()?);
        assert!(compressor.flush()?.is_empty());

        let mut decompressor = StreamDecompressor::new(usize::MAX, None)?;
        let mut back = Vec::new();
        for chunk in frame.chunks(777) {
            back.extend(decompressor.decompress(chunk, Some(4096))?);
            while !decompressor.needs_input() {
                back.extend(decompressor.decompress(b"", Some(4096))?);
            }
        }
        decompressor.finish()?;
        assert_eq!(back, data);
        Ok(())
    }

    #[test]
    fn stream_cap_covers_the_whole_stream() -> Result<()> {
        let frame = super::super::compress(&[7u8; 10_000], 3, None)?;
        let mut decompressor = StreamDecompressor::new(15_000, None)?;
        decompressor.decompress(&frame, None)?;
        assert!(decompressor.decompress(&frame, None).is_err());
        assert!(decompressor.finish().is_err());
        Ok(())
    }

    #[test]
    fn stream_reports_truncation_and_empty_input() -> Result<()> {
        let frame = super::super::compress(&[1u8; 1000], 3, None)?;
        let mut decompressor = StreamDecompressor::new(1 << 20, None)?;
        decompressor.decompress(frame.get(..frame.len() - 2).unwrap_or_default(), None)?;
        assert!(decompressor.finish().is_err());
        assert!(StreamDecompressor::new(1 << 20, None)?.finish().is_err());
        Ok(())
    }
}
