//! zstd payloads: `compress_payload`, `decompress_payload`, their batch forms,
//! `train_dictionary`, and the streaming `ZstdCompressor` / `ZstdDecompressor`.
//!
//! Bad values (levels, caps, dictionary sizes) and bad data raise `CompressionError`, a
//! `ValueError`; arguments of the wrong type raise `TypeError`.

use std::sync::{Mutex, MutexGuard};

use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyList, PyMemoryView, PyString};

use super::encoding::DETACH_MIN_BYTES;
use super::errors::IntoPyResult;
use super::zstd_dict::DictArg;
use crate::compression::{
    self as core, StreamCompressor, StreamDecompressor, DEFAULT_DICT_SIZE, DEFAULT_LEVEL,
    DEFAULT_MAX_OUTPUT_SIZE,
};

pub(super) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}

/// A bytes-like argument as `bytes`. `bytes` is used as is (immutable, so it can be read with
/// the GIL released); any other buffer (bytearray, memoryview, array, ...) is copied once,
/// since its owner could change it while the GIL is released.
pub(super) fn bytes_like<'py>(
    obj: &Bound<'py, PyAny>,
    what: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    if let Ok(bytes) = obj.cast::<PyBytes>() {
        return Ok(bytes.clone());
    }
    // A str has no buffer, but say so plainly: it is the most common mistake.
    if !obj.is_instance_of::<PyString>() {
        if let Ok(view) = PyMemoryView::from(obj) {
            if let Ok(copy) =
                view.call_method0("tobytes").and_then(|b| Ok(b.cast_into::<PyBytes>()?))
            {
                return Ok(copy);
            }
        }
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be a bytes-like object (bytes, bytearray, memoryview), not {}",
        type_name(obj)
    )))
}

/// A list (or tuple, or other iterable) of bytes-like objects. A single bytes-like object or
/// str is refused rather than iterated byte by byte.
fn bytes_list<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    let single = obj.is_instance_of::<PyString>() || PyMemoryView::from(obj).is_ok();
    let iter = if single { None } else { obj.try_iter().ok() };
    let Some(iter) = iter else {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a list of bytes-like objects, not {}",
            type_name(obj)
        )));
    };
    iter.map(|item| bytes_like(&item?, &format!("each item of {what}"))).collect()
}

/// An int argument (bool refused: `level=True` is a bug, not a level). Values beyond i128
/// saturate, so they are reported as out of range rather than as a type problem.
fn int_arg(obj: &Bound<'_, PyAny>) -> PyResult<i128> {
    if obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err("must be an int, not bool"));
    }
    match obj.extract::<i128>() {
        Ok(value) => Ok(value),
        Err(error) if error.is_instance_of::<PyOverflowError>(obj.py()) => {
            Ok(if obj.gt(0)? { i128::MAX } else { i128::MIN })
        }
        Err(_) => Err(PyTypeError::new_err(format!("must be an int, not {}", type_name(obj)))),
    }
}

/// A compression level, checked against zstd's range.
struct Level(i32);

impl<'a, 'py> FromPyObject<'a, 'py> for Level {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        core::check_level(int_arg(&obj)?).py().map(Level)
    }
}

/// A decompression cap: a positive number of bytes.
struct MaxOutput(usize);

impl<'a, 'py> FromPyObject<'a, 'py> for MaxOutput {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        core::check_max_output_size(int_arg(&obj)?).py().map(MaxOutput)
    }
}

/// A dictionary size in bytes, checked against the trainer's limits.
struct DictSize(usize);

impl<'a, 'py> FromPyObject<'a, 'py> for DictSize {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        core::check_dict_size(int_arg(&obj)?).py().map(DictSize)
    }
}

/// Runs `work` with the GIL released when it can take long enough to matter.
fn maybe_detach<T: Send>(py: Python<'_>, detach: bool, work: impl FnOnce() -> T + Send) -> T {
    if detach {
        py.detach(work)
    } else {
        work()
    }
}

fn as_slices<'a>(items: &'a [Bound<'_, PyBytes>]) -> Vec<&'a [u8]> {
    items.iter().map(|item| item.as_bytes()).collect()
}

fn bytes_vec<'py>(py: Python<'py>, items: Vec<Vec<u8>>) -> PyResult<Bound<'py, PyList>> {
    PyList::new(py, items.iter().map(|item| PyBytes::new(py, item)))
}

/// Compresses a bytes-like object into one zstd frame (with content size and checksum).
///
/// `level` runs from zstd's fastest negative levels to 22 (0 means the default, 3). `dict`
/// is a dictionary from `train_dictionary` (or a `zstandard.ZstdCompressionDict`); the frame
/// records its id. Raises CompressionError (a ValueError) for a bad level or dictionary.
///
/// >>> frame = compress_payload(b'{"role": "user", "content": "hi"}' * 100, level=3)
/// >>> decompress_payload(frame) == b'{"role": "user", "content": "hi"}' * 100
/// True
#[pyfunction]
#[pyo3(
    signature = (data, level = Level(DEFAULT_LEVEL), *, dict = None),
    text_signature = "(data, level=3, *, dict=None)"
)]
fn compress_payload<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    level: Level,
    dict: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let data = bytes_like(data, "data")?;
    let dict = DictArg::new(dict)?;
    let (data, lookup) = (data.as_bytes(), dict.lookup());
    let detach = data.len() >= DETACH_MIN_BYTES || dict.needs_lookup();
    let (frame, resolved) = maybe_detach(py, detach, || {
        let resolved = lookup.resolve()?;
        Ok((core::compress(data, level.0, resolved.as_deref())?, resolved))
    })
    .py()?;
    dict.remember(resolved.as_ref());
    Ok(PyBytes::new(py, &frame))
}

/// Decompresses zstd data (one or more frames, with or without content size).
///
/// Output is capped at `max_output_size` bytes (default 256 MiB); memory stays bounded by
/// the cap whatever the frame headers claim. Raises CompressionError saying whether the data
/// is corrupt, truncated, exceeds max_output_size, or needs another dictionary.
///
/// >>> decompress_payload(compress_payload(b"hello"))
/// b'hello'
/// >>> decompress_payload(compress_payload(b"x" * 1000), max_output_size=100)
/// Traceback (most recent call last):
/// ...
/// tokenizer_rs.CompressionError: exceeds max_output_size: the decompressed data is larger than 100 bytes
#[pyfunction]
#[pyo3(
    signature = (data, max_output_size = MaxOutput(DEFAULT_MAX_OUTPUT_SIZE), *, dict = None),
    text_signature = "(data, max_output_size=268435456, *, dict=None)"
)]
fn decompress_payload<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    max_output_size: MaxOutput,
    dict: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let data = bytes_like(data, "data")?;
    let dict = DictArg::new(dict)?;
    let (data, lookup, cap) = (data.as_bytes(), dict.lookup(), max_output_size.0);
    // When the headers declare a plausible total size within the cap, decode straight into
    // the `bytes` object returned, saving a copy of the whole output.
    if let Some(size) = core::preallocation_size(data, cap) {
        let detach = size >= DETACH_MIN_BYTES || dict.needs_lookup();
        let mut resolved = None;
        let out = PyBytes::new_with(py, size, |buf| {
            maybe_detach(py, detach, || {
                let found = lookup.resolve()?;
                core::decompress_into(data, buf, cap, found.as_deref())?;
                Ok(found)
            })
            .py()
            .map(|found| resolved = found)
        })?;
        dict.remember(resolved.as_ref());
        return Ok(out);
    }
    // Otherwise the size is unknown: a few bytes of input can expand to the whole cap.
    let (out, resolved) = py
        .detach(|| {
            let resolved = lookup.resolve()?;
            Ok((core::decompress(data, cap, resolved.as_deref())?, resolved))
        })
        .py()?;
    dict.remember(resolved.as_ref());
    Ok(PyBytes::new(py, &out))
}

/// `compress_payload` for each item, in parallel on the thread pool; results in input order.
/// The first failing item (in input order) raises.
///
/// >>> frames = compress_payload_batch([b"a" * 100, b"b" * 200])
/// >>> [len(x) for x in decompress_payload_batch(frames)]
/// [100, 200]
#[pyfunction]
#[pyo3(
    signature = (items, level = Level(DEFAULT_LEVEL), *, dict = None),
    text_signature = "(items, level=3, *, dict=None)"
)]
fn compress_payload_batch<'py>(
    py: Python<'py>,
    items: &Bound<'py, PyAny>,
    level: Level,
    dict: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyList>> {
    let items = bytes_list(items, "items")?;
    let dict = DictArg::new(dict)?;
    let (slices, lookup) = (as_slices(&items), dict.lookup());
    let (frames, resolved) = py
        .detach(|| {
            let resolved = lookup.resolve()?;
            Ok((core::compress_batch(&slices, level.0, resolved.as_deref())?, resolved))
        })
        .py()?;
    dict.remember(resolved.as_ref());
    bytes_vec(py, frames)
}

/// `decompress_payload` for each item, in parallel; `max_output_size` caps each item.
/// The first failing item (in input order) raises.
///
/// >>> decompress_payload_batch([compress_payload(b"one"), compress_payload(b"two")])
/// [b'one', b'two']
#[pyfunction]
#[pyo3(
    signature = (items, max_output_size = MaxOutput(DEFAULT_MAX_OUTPUT_SIZE), *, dict = None),
    text_signature = "(items, max_output_size=268435456, *, dict=None)"
)]
fn decompress_payload_batch<'py>(
    py: Python<'py>,
    items: &Bound<'py, PyAny>,
    max_output_size: MaxOutput,
    dict: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyList>> {
    let items = bytes_list(items, "items")?;
    let dict = DictArg::new(dict)?;
    let (slices, lookup) = (as_slices(&items), dict.lookup());
    let (payloads, resolved) = py
        .detach(|| {
            let resolved = lookup.resolve()?;
            let payloads = core::decompress_batch(&slices, max_output_size.0, resolved.as_deref())?;
            Ok((payloads, resolved))
        })
        .py()?;
    dict.remember(resolved.as_ref());
    bytes_vec(py, payloads)
}

/// Trains a zstd dictionary on sample payloads (zstd's fastcover trainer, as `zstd --train`).
///
/// Use it for many small similar payloads (chat messages, JSON records): pass the result as
/// `dict=` to compress and decompress. `dict_size` is the maximum size in bytes (default
/// 110 KiB, at least 256). Too few or too small samples raise CompressionError.
///
/// >>> import json
/// >>> samples = [json.dumps({"role": "user", "content": f"message {i}", "id": i}).encode()
/// ...            for i in range(2000)]
/// >>> d = train_dictionary(samples, dict_size=4096)
/// >>> frame = compress_payload(samples[0], dict=d)
/// >>> decompress_payload(frame, dict=d) == samples[0]
/// True
#[pyfunction]
#[pyo3(
    signature = (samples, dict_size = DictSize(DEFAULT_DICT_SIZE)),
    text_signature = "(samples, dict_size=112640)"
)]
fn train_dictionary<'py>(
    py: Python<'py>,
    samples: &Bound<'py, PyAny>,
    dict_size: DictSize,
) -> PyResult<Bound<'py, PyBytes>> {
    let size = dict_size.0;
    let samples = bytes_list(samples, "samples")?;
    let slices = as_slices(&samples);
    let dictionary = py.detach(|| core::train_dictionary(&slices, size)).py()?;
    Ok(PyBytes::new(py, &dictionary))
}

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
    #[pyo3(signature = (level = Level(DEFAULT_LEVEL), *, dict = None))]
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
    #[pyo3(signature = (max_output_size = MaxOutput(DEFAULT_MAX_OUTPUT_SIZE), *, dict = None))]
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
    #[pyo3(signature = (data, max_length = -1))]
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

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(compress_payload, m)?)?;
    m.add_function(wrap_pyfunction!(decompress_payload, m)?)?;
    m.add_function(wrap_pyfunction!(compress_payload_batch, m)?)?;
    m.add_function(wrap_pyfunction!(decompress_payload_batch, m)?)?;
    m.add_function(wrap_pyfunction!(train_dictionary, m)?)?;
    m.add_class::<PyZstdCompressor>()?;
    m.add_class::<PyZstdDecompressor>()?;
    m.add("DEFAULT_MAX_OUTPUT_SIZE", DEFAULT_MAX_OUTPUT_SIZE)?;
    Ok(())
}
