//! The one place where core errors become Python exceptions.

use pyo3::exceptions::{PyKeyError, PyValueError};
use pyo3::prelude::*;

use crate::error::Error;

pyo3::create_exception!(
    tokenizer_rs,
    CompressionError,
    PyValueError,
    "A zstd payload could not be compressed or decompressed (corrupt, truncated, over the size cap, bad level)."
);

/// Maps a core error to the exception type tiktoken (or Python convention) uses for it.
pub fn to_py(error: Error) -> PyErr {
    let message = error.to_string();
    match error {
        Error::UnknownModel(_) | Error::InvalidToken(_) | Error::NotASingleToken(_) => {
            PyKeyError::new_err(message)
        }
        Error::Compression(_) => CompressionError::new_err(message),
        Error::UnknownEncoding(..)
        | Error::DisallowedSpecialToken(_)
        | Error::InvalidEncoding(_)
        | Error::Regex(_)
        | Error::InvalidArgument(_)
        | Error::InvalidMessage(_)
        | Error::InvalidJson(_) => PyValueError::new_err(message),
    }
}

/// `Result` conversion for bindings: `core_call().map_err(to_py)?` reads as `.py()?`.
pub trait IntoPyResult<T> {
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for crate::error::Result<T> {
    fn py(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("CompressionError", m.py().get_type::<CompressionError>())?;
    Ok(())
}
