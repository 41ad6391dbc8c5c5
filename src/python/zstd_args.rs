//! Converting the arguments of the zstd functions: bytes-like data, lists of it, and the
//! int arguments (level, max_output_size, dict_size) with their range checks.
//!
//! Wrong types raise `TypeError`; values out of range raise `CompressionError` (a
//! `ValueError`), decided by the core's checks.

use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyMemoryView, PyString};

use super::errors::IntoPyResult;
use crate::compression as core;

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
pub(super) fn bytes_list<'py>(
    obj: &Bound<'py, PyAny>,
    what: &str,
) -> PyResult<Vec<Bound<'py, PyBytes>>> {
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
pub(super) struct Level(pub i32);

impl<'a, 'py> FromPyObject<'a, 'py> for Level {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        core::check_level(int_arg(&obj)?).py().map(Level)
    }
}

/// A decompression cap: a positive number of bytes.
pub(super) struct MaxOutput(pub usize);

impl<'a, 'py> FromPyObject<'a, 'py> for MaxOutput {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        core::check_max_output_size(int_arg(&obj)?).py().map(MaxOutput)
    }
}

/// A dictionary size in bytes, checked against the trainer's limits.
pub(super) struct DictSize(pub usize);

impl<'a, 'py> FromPyObject<'a, 'py> for DictSize {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        core::check_dict_size(int_arg(&obj)?).py().map(DictSize)
    }
}
