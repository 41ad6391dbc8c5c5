//! zstd payloads: `compress_payload`, `decompress_payload`, their batch forms and
//! `train_dictionary` (the streaming classes are in `zstd_stream.rs`).
//!
//! Bad values (levels, caps, dictionary sizes) and bad data raise `CompressionError`, a
//! `ValueError`; arguments of the wrong type raise `TypeError` (see `zstd_args.rs`).

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use super::encoding::DETACH_MIN_BYTES;
use super::errors::IntoPyResult;
use super::zstd_args::{bytes_like, bytes_list, DictSize, Level, MaxOutput};
use super::zstd_dict::DictArg;
use super::zstd_stream::{PyZstdCompressor, PyZstdDecompressor};
use crate::compression::{self as core, DEFAULT_DICT_SIZE, DEFAULT_LEVEL, DEFAULT_MAX_OUTPUT_SIZE};

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
