//! The token-counting API: name resolution (model or encoding name) and batch work in parallel.

use rayon::prelude::*;

use crate::encoding::{Allowed, CoreEncoding};
use crate::encodings::{get_encoding, ENCODING_NAMES};
use crate::error::Result;
use crate::models::encoding_name_for_model;
use crate::thread_pool;
use crate::vocab::Rank;

/// Batches below this many bytes in all run on the calling thread: handing them to the pool
/// costs more than it saves.
const PARALLEL_MIN_BYTES: usize = 16 * 1024;
/// Each rayon task gets about this many bytes of text, so short texts go in chunks and the
/// per-task overhead stays small next to the work.
const BYTES_PER_TASK: usize = 8 * 1024;

/// The encoding for a model name (`"gpt-4o"`) or an encoding name (`"cl100k_base"`).
/// Unknown names are reported as an unknown model.
pub fn resolve(model_or_encoding: &str) -> Result<&'static CoreEncoding> {
    if ENCODING_NAMES.contains(&model_or_encoding) {
        return get_encoding(model_or_encoding);
    }
    get_encoding(encoding_name_for_model(model_or_encoding)?)
}

/// The length of tiktoken's `encode(text, allowed_special="all")`.
pub fn count_tokens(text: &str, model: &str) -> Result<usize> {
    resolve(model)?.count(text, Allowed::All)
}

/// [`count_tokens`] for many texts, in parallel, results in input order.
pub fn count_tokens_batch<S: AsRef<str> + Sync>(texts: &[S], model: &str) -> Result<Vec<usize>> {
    let encoding = resolve(model)?;
    map_batch(texts, |text| encoding.count(text, Allowed::All))
}

/// Applies `work` to every text, in parallel when the batch is large enough, in input order.
pub fn map_batch<S, T, F>(texts: &[S], work: F) -> Result<Vec<T>>
where
    S: AsRef<str> + Sync,
    T: Send,
    F: Fn(&str) -> Result<T> + Sync + Send,
{
    let total: usize = texts.iter().map(|t| t.as_ref().len()).sum();
    if total < PARALLEL_MIN_BYTES || texts.len() < 2 {
        return texts.iter().map(|t| work(t.as_ref())).collect();
    }
    let average = total / texts.len().max(1);
    let min_len = (BYTES_PER_TASK / average.max(1)).max(1);
    thread_pool::install(|| {
        texts.par_iter().with_min_len(min_len).map(|t| work(t.as_ref())).collect()
    })?
}

/// tiktoken's `encode_batch` semantics for one encoding (no disallowed check here).
pub fn encode_batch<S: AsRef<str> + Sync>(
    encoding: &CoreEncoding,
    texts: &[S],
    allowed: Allowed<'_>,
) -> Result<Vec<Vec<Rank>>> {
    map_batch(texts, |text| encoding.encode(text, allowed))
}
