"""tokenizer_rs: exact tiktoken-compatible token counting and the token work of LLM agents.

>>> import tokenizer_rs
>>> tokenizer_rs.count_tokens("hello world", "gpt-4o")
2
"""

from ._native import (
    DEFAULT_MAX_OUTPUT_SIZE,
    CompressionError,
    ZstdCompressor,
    ZstdDecompressor,
    compress_payload,
    compress_payload_batch,
    count_json_tokens,
    count_message_tokens,
    count_tokens,
    count_tokens_batch,
    current_num_threads,
    decompress_payload,
    decompress_payload_batch,
    estimate_json_tokens,
    init_thread_pool,
    train_dictionary,
)
from .context_compiler import (
    CompiledContext,
    ContextBlock,
    ContextBlockKind,
    ContextCompilerConfig,
    compile_context,
)
from .conversation import ContextCompactor, compress_context
from .core import Encoding
from .model import encoding_for_model, encoding_name_for_model
from .registry import get_encoding, list_encoding_names
from .types import CompressedContext, FunctionCall, Message, ToolCall
from . import core, model, registry

__version__: str = "0.1.0"

__all__ = [
    "CompiledContext",
    "CompressedContext",
    "DEFAULT_MAX_OUTPUT_SIZE",
    "CompressionError",
    "ContextBlock",
    "ContextBlockKind",
    "ContextCompactor",
    "ContextCompilerConfig",
    "Encoding",
    "FunctionCall",
    "Message",
    "ToolCall",
    "ZstdCompressor",
    "ZstdDecompressor",
    "compile_context",
    "compress_context",
    "compress_payload",
    "compress_payload_batch",
    "core",
    "count_json_tokens",
    "count_message_tokens",
    "count_tokens",
    "count_tokens_batch",
    "current_num_threads",
    "decompress_payload",
    "decompress_payload_batch",
    "encoding_for_model",
    "encoding_name_for_model",
    "estimate_json_tokens",
    "get_encoding",
    "init_thread_pool",
    "list_encoding_names",
    "model",
    "registry",
    "train_dictionary",
]
