//! The crate's one error type. The Python layer maps each variant to one exception type in one
//! place (src/python/errors.rs), so every error a user sees is decided here.

use thiserror::Error;

/// Every way a core call can fail on its input.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// A model name that neither the model table nor its prefixes know (tiktoken: KeyError).
    #[error(
        "Could not automatically map {0} to a tokeniser. Please use `get_encoding` to explicitly get the tokeniser you expect."
    )]
    UnknownModel(String),

    /// An encoding name that is not built in (tiktoken: ValueError).
    #[error("Unknown encoding {0}. Known encodings: {1}")]
    UnknownEncoding(String, String),

    /// Text contains a special token the caller did not allow (tiktoken: ValueError).
    #[error(
        "Encountered text corresponding to disallowed special token {0:?}.\nIf you want this text to be encoded as a special token, pass it to `allowed_special`, e.g. `allowed_special={{{0:?}, ...}}`.\nIf you want this text to be encoded as normal text, disable the check for this token by passing `disallowed_special=(enc.special_tokens_set - {{{0:?}}})`.\nTo disable this check for all special tokens, pass `disallowed_special=()`.\n"
    )]
    DisallowedSpecialToken(String),

    /// A token id with no bytes in this encoding (tiktoken: KeyError).
    #[error("Invalid token for decoding: {0}")]
    InvalidToken(u32),

    /// Bytes that are not a single token (tiktoken: KeyError).
    #[error("{0:?} is not a single token")]
    NotASingleToken(Vec<u8>),

    /// A custom encoding whose definition is inconsistent (bad regex, ranks, special tokens).
    #[error("invalid encoding definition: {0}")]
    InvalidEncoding(String),

    /// The split regex failed at run time (e.g. its backtrack limit); never silently ignored.
    #[error("the split pattern failed on this input: {0}")]
    Regex(String),

    /// An argument out of its documented range.
    #[error("{0}")]
    InvalidArgument(String),

    /// A message list or message that breaks the conversation rules.
    #[error("{0}")]
    InvalidMessage(String),

    /// A JSON string that does not parse.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),

    /// zstd: corrupt, truncated, over-cap or otherwise undecodable payloads, bad levels.
    #[error("{0}")]
    Compression(String),
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
