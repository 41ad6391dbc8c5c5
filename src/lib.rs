//! tokenizer-rs: exact tiktoken-compatible tokenization and the token work of LLM agents.
//!
//! The core is pure Rust; the PyO3 bindings live in `python/` behind the `python` feature.

pub mod bpe;
pub mod compression;
pub mod compressor;
pub mod context_compiler;
pub mod count_cache;
pub mod encoding;
pub mod encodings;
pub mod error;
pub mod json_compact;
pub mod json_events;
pub mod json_tokens;
pub mod message_json;
pub mod message_tokens;
pub mod models;
pub mod splitter;
pub mod thread_pool;
pub mod tokenizer;
pub mod truncate;
pub mod types;
pub mod unicode_classes;
pub mod vocab;

#[cfg(test)]
mod test_rng;

#[cfg(feature = "python")]
mod python;

pub use compression::{compress, decompress, Dictionary};
pub use compressor::compress_context;
pub use context_compiler::{
    compile_context, CompiledBlock, CompiledContext, ContextBlock, ContextBlockKind,
    ContextCompilerConfig,
};
pub use encoding::{Allowed, CoreEncoding, Disallowed};
pub use encodings::{get_encoding, ENCODING_NAMES};
pub use error::{Error, Result};
pub use json_tokens::{count_json_tokens, estimate_json_tokens};
pub use message_json::messages_from_json;
pub use message_tokens::count_message_tokens;
pub use models::encoding_name_for_model;
pub use thread_pool::init_thread_pool;
pub use tokenizer::{count_tokens, count_tokens_batch, resolve};
pub use types::{
    CompressedContext, Content, ContentPart, FunctionCall, ImageDetail, Message, ToolCall,
};
pub use vocab::{Rank, Vocab};
