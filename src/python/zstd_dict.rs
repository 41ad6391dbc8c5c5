//! The `dict=` argument of the zstd functions, resolved to a prepared dictionary.
//!
//! The core finds a dictionary again by comparing its bytes, which for a 110 KiB dictionary
//! costs about as much as compressing a chat message. Callers almost always pass the same
//! `bytes` object on every call, so this layer first looks the object itself up: `bytes` is
//! immutable and the cache holds a reference to it, so the same object always means the same
//! content. Bounded: a few entries, each keeping one `bytes` object alive.

use std::sync::{Arc, Mutex, MutexGuard};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::zstd_args::{bytes_like, type_name};
use crate::compression::Dictionary;

const ENTRIES: usize = 4;

type Entries = Vec<(Py<PyBytes>, Arc<Dictionary>)>;

static BY_IDENTITY: Mutex<Entries> = Mutex::new(Vec::new());

fn entries() -> MutexGuard<'static, Entries> {
    // Only taken with the GIL held and never across a GIL release; entries are whole.
    BY_IDENTITY.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A converted `dict=` argument.
pub struct DictArg<'py> {
    ready: Option<Arc<Dictionary>>,
    raw: Option<Bound<'py, PyBytes>>,
    /// `raw` is the caller's own `bytes` object (not a copy of another buffer), so it can be
    /// remembered by identity.
    caller_bytes: bool,
}

/// What the work needs to find the dictionary with the GIL released.
pub struct Lookup<'a> {
    ready: Option<Arc<Dictionary>>,
    raw: Option<&'a [u8]>,
}

impl Lookup<'_> {
    /// The prepared dictionary (a content lookup, and validation of a new dictionary, when it
    /// was not found by identity).
    pub fn resolve(&self) -> crate::Result<Option<Arc<Dictionary>>> {
        match (&self.ready, self.raw) {
            (Some(dictionary), _) => Ok(Some(Arc::clone(dictionary))),
            (None, Some(raw)) => Dictionary::shared(raw).map(Some),
            (None, None) => Ok(None),
        }
    }
}

impl<'py> DictArg<'py> {
    /// Converts the argument: bytes-like content (as `train_dictionary` returns) or a
    /// python-zstandard `ZstdCompressionDict` (anything with `as_bytes()`).
    pub fn new(obj: Option<&Bound<'py, PyAny>>) -> PyResult<Self> {
        let Some(obj) = obj else {
            return Ok(DictArg { ready: None, raw: None, caller_bytes: false });
        };
        let raw = match bytes_like(obj, "dict") {
            Ok(raw) => raw,
            Err(_) => match obj.getattr("as_bytes") {
                Ok(as_bytes) => bytes_like(&as_bytes.call0()?, "dict.as_bytes()")?,
                Err(_) => {
                    return Err(PyTypeError::new_err(format!(
                        "dict must be bytes (e.g. from train_dictionary) or a zstandard.ZstdCompressionDict, not {}",
                        type_name(obj)
                    )))
                }
            },
        };
        let found = {
            let mut cache = entries();
            let at = cache.iter().position(|(known, _)| known.bind(obj.py()).is(&raw));
            // Most recently used first, so the entries in use are the ones kept.
            if let Some(head) = at.and_then(|at| cache.get_mut(..=at)) {
                head.rotate_right(1);
            }
            at.and_then(|_| cache.first()).map(|entry| Arc::clone(&entry.1))
        };
        let caller_bytes = raw.is(obj);
        Ok(match found {
            Some(dictionary) => DictArg { ready: Some(dictionary), raw: None, caller_bytes },
            None => DictArg { ready: None, raw: Some(raw), caller_bytes },
        })
    }

    /// True when finding the dictionary needs a content lookup (worth releasing the GIL).
    pub fn needs_lookup(&self) -> bool {
        self.raw.is_some()
    }

    pub fn lookup(&self) -> Lookup<'_> {
        Lookup { ready: self.ready.clone(), raw: self.raw.as_ref().map(|raw| raw.as_bytes()) }
    }

    /// Remembers the caller's `bytes` object for a dictionary just found by content, so the
    /// next call with the same object skips the lookup.
    pub fn remember(&self, resolved: Option<&Arc<Dictionary>>) {
        let (Some(raw), Some(dictionary), true) = (&self.raw, resolved, self.caller_bytes) else {
            return;
        };
        let mut cache = entries();
        cache.insert(0, (raw.clone().unbind(), Arc::clone(dictionary)));
        cache.truncate(ENTRIES);
    }
}
