//! `CoreEncoding`: the native half of `tokenizer_rs.Encoding` (the Python class adds tiktoken's
//! argument handling on top).

use std::ops::Deref;
use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use super::errors::IntoPyResult;
use super::text::{self, SpecialArg};
use crate::encoding::{Allowed, CoreEncoding, Disallowed};
use crate::tokenizer::map_batch;
use crate::vocab::{Rank, Vocab};

/// Texts at least this long are worked on with the GIL released; below it, releasing and
/// re-taking the GIL costs more than the work and other threads gain nothing.
pub const DETACH_MIN_BYTES: usize = 2048;

enum Shared {
    Builtin(&'static CoreEncoding),
    Custom(Arc<CoreEncoding>),
}

/// A compiled encoding, built in or custom.
#[pyclass(frozen, name = "CoreEncoding", module = "tokenizer_rs._native")]
pub struct PyCoreEncoding {
    inner: Shared,
}

impl Deref for PyCoreEncoding {
    type Target = CoreEncoding;
    fn deref(&self) -> &CoreEncoding {
        match &self.inner {
            Shared::Builtin(e) => e,
            Shared::Custom(e) => e,
        }
    }
}

impl PyCoreEncoding {
    pub fn builtin(encoding: &'static CoreEncoding) -> Self {
        PyCoreEncoding { inner: Shared::Builtin(encoding) }
    }
}

/// The converted `allowed_special` and `disallowed_special` arguments of one call.
struct SpecialRules {
    allowed: SpecialArg,
    disallowed: SpecialArg,
}

impl SpecialRules {
    fn new(allowed: &Bound<'_, PyAny>, disallowed: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(SpecialRules {
            allowed: text::special_arg(allowed, "allowed_special")?,
            disallowed: text::special_arg(disallowed, "disallowed_special")?,
        })
    }

    fn get(&self) -> (Allowed<'_>, Disallowed<'_>) {
        let allowed = allowed(&self.allowed);
        (allowed, disallowed(&self.disallowed, allowed))
    }
}

fn allowed(arg: &SpecialArg) -> Allowed<'_> {
    match arg {
        SpecialArg::All => Allowed::All,
        SpecialArg::Set(set) if set.is_empty() => Allowed::None,
        SpecialArg::Set(set) => Allowed::Some(set),
    }
}

fn disallowed<'a>(arg: &'a SpecialArg, allowed: Allowed<'a>) -> Disallowed<'a> {
    match arg {
        SpecialArg::All => Disallowed::AllBut(allowed),
        SpecialArg::Set(set) if set.is_empty() => Disallowed::None,
        SpecialArg::Set(set) => Disallowed::Some(set),
    }
}

/// Runs `work` with the GIL released when the input is large enough to be worth it.
fn maybe_detach<T: Send>(py: Python<'_>, bytes: usize, work: impl FnOnce() -> T + Send) -> T {
    if bytes >= DETACH_MIN_BYTES {
        py.detach(work)
    } else {
        work()
    }
}

#[pymethods]
impl PyCoreEncoding {
    /// A custom encoding: `mergeable_ranks` {bytes: int}, `special_tokens` {str: int}.
    #[new]
    fn new(
        py: Python<'_>,
        name: &str,
        pat_str: &str,
        mergeable_ranks: &Bound<'_, PyDict>,
        special_tokens: &Bound<'_, PyDict>,
    ) -> PyResult<Self> {
        let mut pairs: Vec<(Vec<u8>, Rank)> = Vec::with_capacity(mergeable_ranks.len());
        let bad = |what: &str, key: &str| {
            PyTypeError::new_err(format!("{what}: keys must be {key}, values ints in 0..2**32"))
        };
        for (token, rank) in mergeable_ranks.iter() {
            let token = token.cast::<PyBytes>().map_err(|_| bad("mergeable_ranks", "bytes"))?;
            pairs.push((
                token.as_bytes().to_vec(),
                rank.extract::<Rank>().map_err(|_| bad("mergeable_ranks", "bytes"))?,
            ));
        }
        let mut specials: Vec<(String, Rank)> = Vec::with_capacity(special_tokens.len());
        for (token, rank) in special_tokens.iter() {
            let token = token.extract::<String>().map_err(|_| bad("special_tokens", "str"))?;
            specials
                .push((token, rank.extract::<Rank>().map_err(|_| bad("special_tokens", "str"))?));
        }
        let encoding = py.detach(|| -> crate::error::Result<CoreEncoding> {
            let vocab = Arc::new(Vocab::from_pairs(pairs)?);
            CoreEncoding::new(name, pat_str, vocab, &specials)
        });
        Ok(PyCoreEncoding { inner: Shared::Custom(Arc::new(encoding.py()?)) })
    }

    #[getter]
    fn name(&self) -> &str {
        CoreEncoding::name(self)
    }

    #[getter]
    fn pat_str(&self) -> &str {
        CoreEncoding::pat_str(self)
    }

    #[getter]
    fn max_token_value(&self) -> Rank {
        CoreEncoding::max_token_value(self)
    }

    fn encode_ordinary(&self, py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Vec<Rank>> {
        let text = text::text(text, "text")?;
        maybe_detach(py, text.len(), || CoreEncoding::encode_ordinary(self, &text)).py()
    }

    fn encode(
        &self,
        py: Python<'_>,
        text: &Bound<'_, PyAny>,
        allowed_special: &Bound<'_, PyAny>,
        disallowed_special: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Rank>> {
        let text = text::text(text, "text")?;
        let rules = SpecialRules::new(allowed_special, disallowed_special)?;
        let (allowed, disallowed) = rules.get();
        maybe_detach(py, text.len(), || self.encode_checked(&text, allowed, disallowed)).py()
    }

    /// tiktoken's `encode_with_unstable`: (stable tokens, possible completions).
    fn encode_with_unstable(
        &self,
        py: Python<'_>,
        text: &Bound<'_, PyAny>,
        allowed_special: &Bound<'_, PyAny>,
        disallowed_special: &Bound<'_, PyAny>,
    ) -> PyResult<(Vec<Rank>, Vec<Vec<Rank>>)> {
        let text = text::text(text, "text")?;
        let rules = SpecialRules::new(allowed_special, disallowed_special)?;
        let (allowed, disallowed) = rules.get();
        py.detach(|| CoreEncoding::encode_with_unstable(self, &text, allowed, disallowed)).py()
    }

    /// The number of tokens `encode(text, allowed_special=...)` returns, with no list built
    /// and no disallowed check (counting never raises on special-token text).
    fn count(
        &self,
        py: Python<'_>,
        text: &Bound<'_, PyAny>,
        allowed_special: &Bound<'_, PyAny>,
    ) -> PyResult<usize> {
        let text = text::text(text, "text")?;
        let allowed_arg = text::special_arg(allowed_special, "allowed_special")?;
        let allowed = allowed(&allowed_arg);
        maybe_detach(py, text.len(), || CoreEncoding::count(self, &text, allowed)).py()
    }

    fn encode_batch(
        &self,
        py: Python<'_>,
        texts: &Bound<'_, PyAny>,
        allowed_special: &Bound<'_, PyAny>,
        disallowed_special: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Vec<Rank>>> {
        let items = text::sequence(texts, "texts")?;
        let texts = text::texts(&items, "each text")?;
        let rules = SpecialRules::new(allowed_special, disallowed_special)?;
        let (allowed, disallowed) = rules.get();
        py.detach(|| map_batch(&texts, |t| self.encode_checked(t, allowed, disallowed))).py()
    }

    fn encode_ordinary_batch(
        &self,
        py: Python<'_>,
        texts: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Vec<Rank>>> {
        let items = text::sequence(texts, "texts")?;
        let texts = text::texts(&items, "each text")?;
        py.detach(|| map_batch(&texts, |t| CoreEncoding::encode_ordinary(self, t))).py()
    }

    fn count_batch(
        &self,
        py: Python<'_>,
        texts: &Bound<'_, PyAny>,
        allowed_special: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<usize>> {
        let items = text::sequence(texts, "texts")?;
        let texts = text::texts(&items, "each text")?;
        let allowed_arg = text::special_arg(allowed_special, "allowed_special")?;
        let allowed = allowed(&allowed_arg);
        py.detach(|| map_batch(&texts, |t| CoreEncoding::count(self, t, allowed))).py()
    }

    fn decode_bytes<'py>(
        &self,
        py: Python<'py>,
        tokens: Vec<Rank>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let bytes =
            maybe_detach(py, tokens.len() * 4, || CoreEncoding::decode_bytes(self, &tokens));
        Ok(PyBytes::new(py, &bytes.py()?))
    }

    fn decode_bytes_batch<'py>(
        &self,
        py: Python<'py>,
        batch: Vec<Vec<Rank>>,
    ) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        let decoded: Vec<Vec<u8>> = py
            .detach(|| {
                use rayon::prelude::*;
                crate::thread_pool::install(|| {
                    batch
                        .par_iter()
                        .map(|t| CoreEncoding::decode_bytes(self, t))
                        .collect::<crate::error::Result<Vec<Vec<u8>>>>()
                })?
            })
            .py()?;
        Ok(decoded.iter().map(|b| PyBytes::new(py, b)).collect())
    }

    fn decode_single_token_bytes<'py>(
        &self,
        py: Python<'py>,
        token: Rank,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = self.token_bytes(token).ok_or(crate::error::Error::InvalidToken(token));
        Ok(PyBytes::new(py, bytes.py()?))
    }

    fn encode_single_token(&self, piece: &[u8]) -> PyResult<Rank> {
        CoreEncoding::encode_single_token(self, piece).py()
    }

    fn encode_single_piece(&self, piece: &[u8]) -> PyResult<Vec<Rank>> {
        CoreEncoding::encode_single_piece(self, piece).py()
    }

    fn encode_bytes(&self, py: Python<'_>, data: &[u8]) -> PyResult<Vec<Rank>> {
        maybe_detach(py, data.len(), || CoreEncoding::encode_bytes(self, data)).py()
    }

    /// Every mergeable token's bytes, sorted by bytes (as tiktoken returns them).
    fn token_byte_values<'py>(&self, py: Python<'py>) -> Vec<Bound<'py, PyBytes>> {
        let mut tokens: Vec<&[u8]> = self.vocab().iter().map(|(bytes, _)| bytes).collect();
        tokens.sort_unstable();
        tokens.into_iter().map(|bytes| PyBytes::new(py, bytes)).collect()
    }

    /// {bytes: rank} of the mergeable tokens, in rank order.
    fn mergeable_ranks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (bytes, rank) in self.vocab().iter() {
            dict.set_item(PyBytes::new(py, bytes), rank)?;
        }
        Ok(dict)
    }

    /// {str: id} of the special tokens, in definition order.
    fn special_tokens<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (token, rank) in CoreEncoding::special_tokens(self) {
            dict.set_item(token, rank)?;
        }
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        format!("<CoreEncoding {:?}>", CoreEncoding::name(self))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyCoreEncoding>()
}
