"""Trimming a chat history to a token budget without breaking it.

>>> from tokenizer_rs import compress_context
>>> history = [
...     {"role": "system", "content": "You are terse."},
...     {"role": "user", "content": "an old question " * 50},
...     {"role": "assistant", "content": "an old answer " * 50},
...     {"role": "user", "content": "What now?"},
... ]
>>> result = compress_context(history, max_tokens=100, preserve_last_n=1, model="gpt-4o")
>>> [m["role"] for m in result.messages], result.truncated_count
(['system', 'user'], 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from . import _native
from ._native import count_message_tokens
from .types import CompressedContext

M = TypeVar("M")

__all__ = ["ContextCompactor", "compress_context", "count_message_tokens"]


def compress_context(
    messages: Sequence[M], max_tokens: int, preserve_last_n: int, model: str
) -> CompressedContext[M]:
    """Trim ``messages`` to at most ``max_tokens`` prompt tokens of ``model``.

    Kept: every system (and developer) message, the last ``preserve_last_n`` messages, and each
    assistant message with tool calls together with the tool messages that answer it (kept or
    dropped as one unit; if the last N start inside such a unit, all of it is kept). The oldest
    other messages (or units) are dropped first until the total fits. If the protected messages
    alone exceed the budget they are returned anyway with their true total.

    ``messages`` may mix dicts and ``Message`` objects; the result holds the caller's own
    objects in their original order. Raises ValueError for a negative budget or a message
    without a role, TypeError for wrong types, KeyError for an unknown model.

    >>> r = compress_context([{"role": "user", "content": "hi"}], 1000, 5, "gpt-4o")
    >>> r.total_tokens, r.truncated_count
    (8, 0)
    """
    kept, total_tokens, truncated_count = _native.compress_messages(
        messages, max_tokens, preserve_last_n, model
    )
    return CompressedContext(kept, total_tokens, truncated_count)


class ContextCompactor:
    """A reusable trimmer for one model: ``compact(messages, max_tokens)`` returns the kept
    messages (see ``compress_context``).

    >>> compactor = ContextCompactor("gpt-4o", preserve_last_n=2)
    >>> compactor.compact([{"role": "user", "content": "hi"}], max_tokens=1000)
    [{'role': 'user', 'content': 'hi'}]
    """

    def __init__(self, model: str, preserve_last_n: int = 5) -> None:
        # Fail here rather than at the first compact(): unknown model -> KeyError, bad count ->
        # TypeError/ValueError.
        _native.compress_messages([], 0, preserve_last_n, model)
        self.model = model
        self.preserve_last_n = preserve_last_n

    def compact(self, messages: Sequence[M], max_tokens: int) -> list[M]:
        return compress_context(messages, max_tokens, self.preserve_last_n, self.model).messages

    def __repr__(self) -> str:
        return f"ContextCompactor(model={self.model!r}, preserve_last_n={self.preserve_last_n!r})"
