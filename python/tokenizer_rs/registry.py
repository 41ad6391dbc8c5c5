"""The built-in encodings, one shared :class:`Encoding` object per name (tiktoken's registry)."""

from __future__ import annotations

import threading

from . import _native
from .core import Encoding

ENCODINGS: dict[str, Encoding] = {}
_lock = threading.Lock()


def get_encoding(encoding_name: str) -> Encoding:
    """Return the built-in encoding called ``encoding_name``; ``ValueError`` if there is none.

    The vocabulary is built on first use and shared for the life of the process.

    >>> get_encoding("cl100k_base").encode("hello world")
    [15339, 1917]
    """
    if not isinstance(encoding_name, str):
        raise TypeError(f"encoding_name must be str, not {type(encoding_name).__name__}")
    encoding = ENCODINGS.get(encoding_name)
    if encoding is not None:
        return encoding
    core = _native.get_encoding(encoding_name)  # ValueError for unknown names
    with _lock:
        if encoding_name not in ENCODINGS:
            ENCODINGS[encoding_name] = Encoding._from_core(core)
        return ENCODINGS[encoding_name]


def list_encoding_names() -> list[str]:
    """The names of the built-in encodings.

    >>> "o200k_base" in list_encoding_names()
    True
    """
    return list(_native.list_encoding_names())
