//! Module-level token functions: count_tokens, batches, the thread pool, the encoding registry
//! and the model table.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::encoding::{PyCoreEncoding, DETACH_MIN_BYTES};
use super::errors::IntoPyResult;
use super::text;
use crate::encoding::Allowed;
use crate::models::{MODEL_PREFIX_TO_ENCODING, MODEL_TO_ENCODING};
use crate::tokenizer::{map_batch, resolve};

/// The number of tokens of `text` for a model (`"gpt-4o"`) or encoding (`"cl100k_base"`):
/// the length of tiktoken's `encode(text, allowed_special="all")`, so special-token text counts
/// as that one token. Unknown model -> KeyError; non-str text -> TypeError.
///
/// >>> count_tokens("hello world", "gpt-4o")
/// 2
/// >>> count_tokens("<|endoftext|>", "cl100k_base")
/// 1
#[pyfunction]
fn count_tokens(py: Python<'_>, text: &Bound<'_, PyAny>, model: &str) -> PyResult<usize> {
    let text = text::text(text, "text")?;
    let encoding = resolve(model).py()?;
    if text.len() >= DETACH_MIN_BYTES {
        py.detach(|| encoding.count(&text, Allowed::All)).py()
    } else {
        encoding.count(&text, Allowed::All).py()
    }
}

/// `count_tokens` for each text, in parallel on the thread pool (GIL released), in input order.
///
/// >>> count_tokens_batch(["hello world", "hi", ""], "gpt-4o")
/// [2, 1, 0]
#[pyfunction]
fn count_tokens_batch(
    py: Python<'_>,
    texts: &Bound<'_, PyAny>,
    model: &str,
) -> PyResult<Vec<usize>> {
    let encoding = resolve(model).py()?;
    let items = text::sequence(texts, "texts")?;
    let texts = text::texts(&items, "each text")?;
    py.detach(|| map_batch(&texts, |t| encoding.count(t, Allowed::All))).py()
}

/// Replaces the thread pool that batch calls run on with one of `num_threads` threads (>= 1).
/// While no batch runs, the pool also counts and encodes a single text of 24 KB or more (12 KB
/// of non-ASCII text) in parts (cut after line breaks, the same tokens); one thread turns that
/// off.
/// Callable before or after first use, and again. The default is the environment variable
/// `TOKENIZER_RS_NUM_THREADS`, else the number of cores.
///
/// >>> init_thread_pool(2)
/// >>> current_num_threads()
/// 2
#[pyfunction]
fn init_thread_pool(num_threads: usize) -> PyResult<()> {
    crate::thread_pool::init_thread_pool(num_threads).py()
}

/// The number of threads batch calls use.
///
/// >>> current_num_threads() >= 1
/// True
#[pyfunction]
fn current_num_threads() -> PyResult<usize> {
    crate::thread_pool::current_num_threads().py()
}

/// A built-in encoding by name (ValueError for unknown names).
#[pyfunction]
fn get_encoding(py: Python<'_>, name: &str) -> PyResult<PyCoreEncoding> {
    let encoding = py.detach(|| crate::encodings::get_encoding(name)).py()?;
    Ok(PyCoreEncoding::builtin(encoding))
}

/// The encoding name for a model or encoding name (KeyError for unknown models).
#[pyfunction]
fn encoding_name_for_model(model: &str) -> PyResult<&'static str> {
    crate::models::encoding_name_for_model(model).py()
}

#[pyfunction]
fn list_encoding_names() -> Vec<&'static str> {
    crate::encodings::ENCODING_NAMES.to_vec()
}

/// The `explicit_n_vocab` tiktoken checks for a built-in encoding, or None.
#[pyfunction]
fn explicit_n_vocab(name: &str) -> Option<usize> {
    crate::encodings::explicit_n_vocab(name)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(count_tokens, m)?)?;
    m.add_function(wrap_pyfunction!(count_tokens_batch, m)?)?;
    m.add_function(wrap_pyfunction!(init_thread_pool, m)?)?;
    m.add_function(wrap_pyfunction!(current_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(get_encoding, m)?)?;
    m.add_function(wrap_pyfunction!(encoding_name_for_model, m)?)?;
    m.add_function(wrap_pyfunction!(list_encoding_names, m)?)?;
    m.add_function(wrap_pyfunction!(explicit_n_vocab, m)?)?;
    let py = m.py();
    let exact = PyDict::new(py);
    for (model, encoding) in MODEL_TO_ENCODING {
        exact.set_item(model, encoding)?;
    }
    let prefixes = PyDict::new(py);
    for (prefix, encoding) in MODEL_PREFIX_TO_ENCODING {
        prefixes.set_item(prefix, encoding)?;
    }
    m.add("MODEL_TO_ENCODING", exact)?;
    m.add("MODEL_PREFIX_TO_ENCODING", prefixes)?;
    Ok(())
}
