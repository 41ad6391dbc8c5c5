//! Turning Python arguments into Rust text and sets, with tiktoken's conventions.

use std::borrow::Cow;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};
use rustc_hash::FxHashSet;

/// A Python `str` as UTF-8. Borrowed when the string is valid UTF-8; a string with lone
/// surrogates is repaired exactly as tiktoken does (`encode("utf-16", "surrogatepass")` then
/// `decode("utf-16", "replace")`: valid pairs join, lone halves become U+FFFD). Any other type
/// is a TypeError.
pub fn text<'a>(obj: &'a Bound<'_, PyAny>, what: &str) -> PyResult<Cow<'a, str>> {
    let Ok(string) = obj.cast::<PyString>() else {
        return Err(PyTypeError::new_err(format!(
            "{what} must be str, not {}",
            obj.get_type().name()?
        )));
    };
    match string.to_str() {
        Ok(valid) => Ok(Cow::Borrowed(valid)),
        Err(_) => {
            let utf16 = string.call_method1("encode", ("utf-16", "surrogatepass"))?;
            let repaired = utf16.call_method1("decode", ("utf-16", "replace"))?;
            Ok(Cow::Owned(repaired.extract::<String>()?))
        }
    }
}

/// Every element of a list or tuple of `str`, as [`text`] converts them.
pub fn texts<'a>(items: &'a [Bound<'_, PyAny>], what: &str) -> PyResult<Vec<Cow<'a, str>>> {
    items.iter().map(|item| text(item, what)).collect()
}

/// The items of a list or tuple (anything else is a TypeError; a str is not a list of texts).
pub fn sequence<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Vec<Bound<'py, PyAny>>> {
    if obj.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(format!("{what} must be a list of str, not a str")));
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        return Ok(tuple.iter().collect());
    }
    obj.try_iter()
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "{what} must be a list of str, not {}",
                obj.get_type().name().map(|n| n.to_string()).unwrap_or_default()
            ))
        })?
        .collect()
}

/// A special-token argument: the string "all", or a collection of strings.
pub enum SpecialArg {
    All,
    Set(FxHashSet<String>),
}

pub fn special_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<SpecialArg> {
    if let Ok(s) = obj.cast::<PyString>() {
        if s.to_str()? == "all" {
            return Ok(SpecialArg::All);
        }
        return Err(PyTypeError::new_err(format!("{what} must be \"all\" or a collection of str")));
    }
    let mut set = FxHashSet::default();
    for item in obj.try_iter()? {
        set.insert(text(&item?, what)?.into_owned());
    }
    Ok(SpecialArg::Set(set))
}
