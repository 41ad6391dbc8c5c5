//! The PyO3 binding layer: the extension module `tokenizer_rs._native`.
//!
//! Each binding only converts arguments, releases the GIL around work that can be long
//! (`py.detach`) and maps core errors through `errors::to_py`. No logic lives here.

use pyo3::prelude::*;

mod compression;
mod context_compiler;
mod conversation;
mod encoding;
mod errors;
mod json_value;
mod messages;
mod text;
mod tokens;
mod zstd_args;
mod zstd_dict;
mod zstd_stream;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    encoding::register(m)?;
    compression::register(m)?;
    tokens::register(m)?;
    json_value::register(m)?;
    conversation::register(m)?;
    context_compiler::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
