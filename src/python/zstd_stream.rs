//! The streaming classes `ZstdCompressor` and `ZstdDecompressor`: chunks in, chunks out, for
//! data larger than memory (the CLI's `zstd` subcommand runs on them).
//!
//! Each object wraps its core stream in a mutex, so sharing one between threads is safe
//! (calls are serialized); the lock is always taken with the GIL released, since a call can
//! hold it for a long time.

use std::sync::{Mutex, MutexGuard};

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::errors::IntoPyResult;
use super::zstd_args::{bytes_like, Level, MaxOutput};
use super::zstd_dict::DictArg;
use crate::compression::{
    StreamCompressor, StreamDecompressor, DEFAULT_LEVEL, DEFAULT_MAX_OUTPUT_SIZE,
};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock means a panic in zstd glue, which cannot happen on input; the state
    // itself reports errors (the stream objects remember their failure), so carry on.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Streaming compression: feed chunks, get frames out, for data larger than memory.
///
/// `compress(chunk)` returns the compressed bytes ready so far (often b"" for small chunks);
/// `flush()` ends the frame (with its checksum) and returns the rest. Data compressed after a
/// flush starts a new frame; concatenated frames decompress as one stream. Streamed frames
/// carry no content size (it is not known in advance). Safe to share between threads (calls
/// are serialized).
///
/// >>> c = ZstdCompressor(level=3)
/// >>> frame = c.compress(b"hello ") + c.compress(b"world") + c.flush()
/// >>> decompress_payload(frame)
/// b'hello world'
#[pyclass(frozen, name = "ZstdCompressor", module = "tokenizer_rs._native")]
pub struct PyZstdCompressor {
    inner: Mutex<StreamCompressor>,
}

#[pymethods]
impl PyZstdCompressor {
    #[new]
    #[pyo3(
        signature = (level = Level(DEFAULT_LEVEL), *, dict = None),
        text_signature = "(level=3, *, dict=None)"
    )]
    fn new(py: Python<'_>, level: Level, dict: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let dict = DictArg::new(dict)?;
        let lookup = dict.lookup();
        let inner =
            py.detach(|| StreamCompressor::new(level.0, lookup.resolve()?.as_deref())).py()?;
        Ok(PyZstdCompressor { inner: Mutex::new(inner) })
    }

    /// Feeds a bytes-like chunk; returns the compressed bytes that are ready.
    fn compress<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let data = bytes_like(data, "data")?;
        let data = data.as_bytes();
        let out = py.detach(|| lock(&self.inner).compress(data)).py()?;
        Ok(PyBytes::new(py, &out))
    }

    /// Ends the current frame and returns its remaining bytes (b"" if no data came since the
    /// last flush).
    fn flush<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let out = py.detach(|| lock(&self.inner).flush()).py()?;
        Ok(PyBytes::new(py, &out))
    }
}

/// Streaming decompression of any sequence of zstd frames, with a cap on the whole stream.
///
/// `decompress(chunk, max_length=-1)` returns the output the chunk gives, at most
/// `max_length` bytes when it is >= 0; then `needs_input` is False and the rest comes from
/// further calls with b"". `finish()` at the end of input raises CompressionError if the
/// stream is empty or ends mid-frame (truncated). Errors are final: later calls raise again.
///
/// >>> frame = compress_payload(b"a" * 10_000)
/// >>> d = ZstdDecompressor(max_output_size=1 << 20)
/// >>> out = d.decompress(frame[:10]) + d.decompress(frame[10:], max_length=4096)
/// >>> while not d.needs_input:
/// ...     out += d.decompress(b"", max_length=4096)
/// >>> d.finish(); len(out)
/// 10000
#[pyclass(frozen, name = "ZstdDecompressor", module = "tokenizer_rs._native")]
pub struct PyZstdDecompressor {
    inner: Mutex<StreamDecompressor>,
}

#[pymethods]
impl PyZstdDecompressor {
    #[new]
    #[pyo3(
        signature = (max_output_size = MaxOutput(DEFAULT_MAX_OUTPUT_SIZE), *, dict = None),
        text_signature = "(max_output_size=268435456, *, dict=None)"
    )]
    fn new(
        py: Python<'_>,
        max_output_size: MaxOutput,
        dict: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let dict = DictArg::new(dict)?;
        let lookup = dict.lookup();
        let inner = py
            .detach(|| StreamDecompressor::new(max_output_size.0, lookup.resolve()?.as_deref()))
            .py()?;
        Ok(PyZstdDecompressor { inner: Mutex::new(inner) })
    }

    /// Feeds a bytes-like chunk; returns up to `max_length` bytes of output (all, if < 0).
    #[pyo3(signature = (data, max_length = -1), text_signature = "($self, data, max_length=-1)")]
    fn decompress<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        max_length: i64,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let data = bytes_like(data, "data")?;
        let data = data.as_bytes();
        let max_length = usize::try_from(max_length).ok();
        let out = py.detach(|| lock(&self.inner).decompress(data, max_length)).py()?;
        Ok(PyBytes::new(py, &out))
    }

    /// False while decoded output is waiting (after a call stopped at `max_length`).
    #[getter]
    fn needs_input(&self, py: Python<'_>) -> bool {
        // Locked with the GIL released: another thread may hold the lock for a long call.
        py.detach(|| lock(&self.inner).needs_input())
    }

    /// Bytes of output produced so far.
    #[getter]
    fn total_out(&self, py: Python<'_>) -> usize {
        py.detach(|| lock(&self.inner).total_out())
    }

    /// Checks the stream is complete: raises CompressionError if it was empty or ends mid-frame.
    fn finish(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| lock(&self.inner).finish()).py()
    }
}
