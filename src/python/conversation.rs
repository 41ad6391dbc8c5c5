//! count_message_tokens and compress_context: convert the messages once, count and select with
//! the GIL released, hand back the caller's own message objects.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyList};

use super::errors::IntoPyResult;
use super::messages::{borrow, items, read_messages};
use crate::compressor::compress_with_encoding;
use crate::encoding::CoreEncoding;
use crate::message_tokens::{message_token_counts, REPLY_PRIMING_TOKENS};
use crate::tokenizer::resolve;
use crate::types::Message;

/// A token budget or a count: a non-negative int (ValueError if negative); ints beyond the
/// machine's range mean "no limit".
pub fn non_negative(value: &Bound<'_, PyAny>, what: &str) -> PyResult<usize> {
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        let found = value.get_type().name().map(|n| n.to_string()).unwrap_or_default();
        return Err(PyTypeError::new_err(format!("{what} must be an int, not {found}")));
    }
    if let Ok(small) = value.extract::<i64>() {
        return usize::try_from(small)
            .map_err(|_| PyValueError::new_err(format!("{what} must be >= 0, got {small}")));
    }
    if value.lt(0)? {
        return Err(PyValueError::new_err(format!("{what} must be >= 0, got {value}")));
    }
    Ok(usize::MAX)
}

/// Reads `messages` (checking every one) and runs `work` on them with the GIL released.
fn with_messages<'py, T: Send>(
    py: Python<'py>,
    messages: &Bound<'py, PyAny>,
    model: &str,
    work: impl FnOnce(&[Message<'_>], &'static CoreEncoding) -> crate::error::Result<T> + Send,
) -> PyResult<(Vec<Bound<'py, PyAny>>, T)> {
    let encoding = resolve(model).py()?;
    let objects = items(messages, "messages")?;
    let raw = read_messages(&objects)?;
    let lent = raw.iter().map(borrow).collect::<PyResult<Vec<Message<'_>>>>()?;
    let result = py.detach(|| work(&lent, encoding)).py()?;
    drop(lent);
    Ok((objects, result))
}

/// The prompt tokens of a list of chat messages, by the OpenAI chat accounting.
///
/// Messages are dicts (content a str, None or a list of parts; tool_calls as the API returns
/// them; name; tool_call_id) or `Message` objects. Each message costs 3 tokens plus the tokens
/// of its role, content, name (+1) and tool_call_id; each tool call its id, function name and
/// arguments plus 3; the reply priming adds 3. See docs/conversations.md for every rule.
///
/// >>> import tokenizer_rs
/// >>> tokenizer_rs.count_message_tokens([{"role": "user", "content": "Hello!"}], "gpt-4o")
/// 9
#[pyfunction]
fn count_message_tokens(
    py: Python<'_>,
    messages: &Bound<'_, PyAny>,
    model: &str,
) -> PyResult<usize> {
    let (_, total) = with_messages(py, messages, model, |lent, encoding| {
        Ok(message_token_counts(lent, encoding)?.iter().sum::<usize>() + REPLY_PRIMING_TOKENS)
    })?;
    Ok(total)
}

/// The native half of `compress_context`: (kept message objects, total_tokens, truncated_count).
#[pyfunction]
fn compress_messages<'py>(
    py: Python<'py>,
    messages: &Bound<'py, PyAny>,
    max_tokens: &Bound<'py, PyAny>,
    preserve_last_n: &Bound<'py, PyAny>,
    model: &str,
) -> PyResult<(Bound<'py, PyList>, usize, usize)> {
    let max_tokens = non_negative(max_tokens, "max_tokens")?;
    let preserve_last_n = non_negative(preserve_last_n, "preserve_last_n")?;
    let (objects, compressed) = with_messages(py, messages, model, |lent, encoding| {
        compress_with_encoding(lent, max_tokens, preserve_last_n, encoding)
    })?;
    let kept: Vec<&Bound<'py, PyAny>> =
        compressed.kept.iter().filter_map(|&index| objects.get(index)).collect();
    Ok((PyList::new(py, kept)?, compressed.total_tokens, compressed.truncated_count))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(count_message_tokens, m)?)?;
    m.add_function(wrap_pyfunction!(compress_messages, m)?)?;
    Ok(())
}
