"""Model name -> encoding, exactly as tiktoken 0.14 maps them (the table lives in the Rust core)."""

from __future__ import annotations

from . import _native
from .core import Encoding
from .registry import get_encoding

MODEL_TO_ENCODING: dict[str, str] = dict(_native.MODEL_TO_ENCODING)
MODEL_PREFIX_TO_ENCODING: dict[str, str] = dict(_native.MODEL_PREFIX_TO_ENCODING)


def encoding_name_for_model(model_name: str) -> str:
    """Return the name of the encoding a model uses; ``KeyError`` if the model is unknown.

    >>> encoding_name_for_model("gpt-4o-mini")
    'o200k_base'
    """
    if not isinstance(model_name, str):
        raise TypeError(f"model_name must be str, not {type(model_name).__name__}")
    return _native.encoding_name_for_model(model_name)


def encoding_for_model(model_name: str) -> Encoding:
    """Return the encoding a model uses; ``KeyError`` if the model is unknown.

    >>> encoding_for_model("gpt-4").name
    'cl100k_base'
    """
    return get_encoding(encoding_name_for_model(model_name))
