"""tokenizer_rs: exact tiktoken-compatible token counting and the token work of LLM agents.

>>> import tokenizer_rs
>>> tokenizer_rs.count_tokens("hello world", "gpt-4o")
2
"""

from ._native import (
    CompressionError,
    count_tokens,
    count_tokens_batch,
    current_num_threads,
    init_thread_pool,
)
from .core import Encoding
from .model import encoding_for_model, encoding_name_for_model
from .registry import get_encoding, list_encoding_names
from . import core, model, registry

__version__: str = "0.1.0"

__all__ = [
    "CompressionError",
    "Encoding",
    "core",
    "count_tokens",
    "count_tokens_batch",
    "current_num_threads",
    "encoding_for_model",
    "encoding_name_for_model",
    "get_encoding",
    "init_thread_pool",
    "list_encoding_names",
    "model",
    "registry",
]
