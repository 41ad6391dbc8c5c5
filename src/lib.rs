//! tokenizer-rs: exact tiktoken-compatible tokenization and the token work of LLM agents.
//!
//! The core is pure Rust; the PyO3 bindings live in `python/` behind the `python` feature.

pub mod bpe;
pub mod compression;
pub mod encoding;
pub mod encodings;
pub mod error;
pub mod models;
pub mod thread_pool;
pub mod tokenizer;
pub mod vocab;

#[cfg(feature = "python")]
mod python;

pub use compression::{compress, decompress, Dictionary};
pub use encoding::{Allowed, CoreEncoding, Disallowed};
pub use encodings::{get_encoding, ENCODING_NAMES};
pub use error::{Error, Result};
pub use models::encoding_name_for_model;
pub use thread_pool::init_thread_pool;
pub use tokenizer::{count_tokens, count_tokens_batch, resolve};
pub use vocab::{Rank, Vocab};
