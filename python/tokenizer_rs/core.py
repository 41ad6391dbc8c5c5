"""`Encoding`: tiktoken's Encoding class, same methods and semantics, backed by the Rust core.

Code written for tiktoken runs unchanged with ``import tokenizer_rs as tiktoken``. Additions:
:meth:`Encoding.count` and :meth:`Encoding.count_batch`, which never build token lists.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, AbstractSet, Any, Literal, Union

from . import _native

if TYPE_CHECKING:
    import numpy as np  # type: ignore[import-not-found,unused-ignore]
    import numpy.typing as npt  # type: ignore[import-not-found,unused-ignore]

SpecialArg = Union[Literal["all"], AbstractSet[str]]
DisallowedArg = Union[Literal["all"], Collection[str]]


class Encoding:
    """A byte-pair encoding: split pattern, mergeable ranks and special tokens.

    >>> enc = get_encoding("cl100k_base")
    >>> enc.decode(enc.encode("hello world"))
    'hello world'
    """

    name: str
    max_token_value: int

    def __init__(
        self,
        name: str,
        *,
        pat_str: str,
        mergeable_ranks: dict[bytes, int],
        special_tokens: dict[str, int],
        explicit_n_vocab: int | None = None,
    ) -> None:
        """Create a custom encoding, as tiktoken's ``Encoding(...)`` does.

        Raises ``ValueError`` if ``pat_str`` does not compile, ranks repeat, or
        ``explicit_n_vocab`` does not match the tokens given.

        >>> ranks = {bytes([b]): b for b in range(256)}
        >>> enc = Encoding("bytes", pat_str=r"\\S+|\\s+", mergeable_ranks=ranks, special_tokens={})
        >>> enc.encode("hi")
        [104, 105]
        """
        if not isinstance(name, str) or not isinstance(pat_str, str):
            raise TypeError("name and pat_str must be str")
        if not isinstance(mergeable_ranks, dict) or not isinstance(special_tokens, dict):
            raise TypeError("mergeable_ranks and special_tokens must be dicts")
        if not mergeable_ranks:
            raise ValueError("mergeable_ranks must not be empty")
        core = _native.CoreEncoding(name, pat_str, mergeable_ranks, special_tokens)
        if explicit_n_vocab:
            if len(mergeable_ranks) + len(special_tokens) != explicit_n_vocab:
                raise ValueError(
                    f"explicit_n_vocab={explicit_n_vocab} but there are {len(mergeable_ranks)} "
                    f"mergeable and {len(special_tokens)} special tokens"
                )
            if core.max_token_value != explicit_n_vocab - 1:
                raise ValueError(
                    f"explicit_n_vocab={explicit_n_vocab} but the largest token id is "
                    f"{core.max_token_value}"
                )
        self._init(core, mergeable_ranks=mergeable_ranks, special_tokens=special_tokens, builtin=False)

    @classmethod
    def _from_core(cls, core: _native.CoreEncoding) -> Encoding:
        """A built-in encoding around a native one (ranks exported only when asked for)."""
        self = cls.__new__(cls)
        self._init(core, mergeable_ranks=None, special_tokens=core.special_tokens(), builtin=True)
        return self

    def _init(
        self,
        core: _native.CoreEncoding,
        *,
        mergeable_ranks: dict[bytes, int] | None,
        special_tokens: dict[str, int],
        builtin: bool,
    ) -> None:
        self._core = core
        self.name = core.name
        self.max_token_value = core.max_token_value
        self._ranks_cache = mergeable_ranks
        self._special_tokens = special_tokens
        self._special_token_values = frozenset(special_tokens.values())
        self._builtin = builtin

    def __repr__(self) -> str:
        return f"<Encoding {self.name!r}>"

    # ---- what real code reaches for -----------------------------------------------------

    @property
    def _pat_str(self) -> str:
        return self._core.pat_str

    @property
    def _mergeable_ranks(self) -> dict[bytes, int]:
        """{token bytes: rank}; for built-in encodings exported from the core on first access."""
        if self._ranks_cache is None:
            self._ranks_cache = self._core.mergeable_ranks()
        return self._ranks_cache

    # ---- encoding -----------------------------------------------------------------------

    def encode_ordinary(self, text: str) -> list[int]:
        """Encode ``text``, treating special-token text as ordinary text.

        >>> get_encoding("gpt2").encode_ordinary("hello world")
        [31373, 995]
        """
        return self._core.encode_ordinary(text)

    def encode(
        self,
        text: str,
        *,
        allowed_special: SpecialArg = frozenset(),
        disallowed_special: DisallowedArg = "all",
    ) -> list[int]:
        """Encode ``text`` with tiktoken's special-token rules.

        Special-token text in ``allowed_special`` becomes the special token; by default any
        other special-token text raises ``ValueError`` (pass ``disallowed_special=()`` to
        encode it as ordinary text).

        >>> enc = get_encoding("gpt2")
        >>> enc.encode("hello world")
        [31373, 995]
        >>> enc.encode("<|endoftext|>", allowed_special="all")
        [50256]
        """
        return self._core.encode(text, allowed_special, disallowed_special)

    def encode_to_numpy(
        self,
        text: str,
        *,
        allowed_special: SpecialArg = frozenset(),
        disallowed_special: DisallowedArg = "all",
    ) -> npt.NDArray[np.uint32]:
        """:meth:`encode`, as a numpy uint32 array (needs numpy)."""
        import numpy as np

        tokens = self.encode(
            text, allowed_special=allowed_special, disallowed_special=disallowed_special
        )
        return np.asarray(tokens, dtype=np.uint32)

    def encode_ordinary_batch(self, text: list[str], *, num_threads: int = 8) -> list[list[int]]:
        """:meth:`encode_ordinary` for each text, in parallel on the shared thread pool.

        ``num_threads`` is accepted for tiktoken compatibility; the pool size is set by
        :func:`init_thread_pool`.

        >>> get_encoding("gpt2").encode_ordinary_batch(["hello world", "goodbye world"])
        [[31373, 995], [11274, 16390, 995]]
        """
        return self._core.encode_ordinary_batch(text)

    def encode_batch(
        self,
        text: list[str],
        *,
        num_threads: int = 8,
        allowed_special: SpecialArg = frozenset(),
        disallowed_special: DisallowedArg = "all",
    ) -> list[list[int]]:
        """:meth:`encode` for each text, in parallel on the shared thread pool.

        >>> get_encoding("gpt2").encode_batch(["hello world", "goodbye world"])
        [[31373, 995], [11274, 16390, 995]]
        """
        return self._core.encode_batch(text, allowed_special, disallowed_special)

    def encode_with_unstable(
        self,
        text: str,
        *,
        allowed_special: SpecialArg = frozenset(),
        disallowed_special: DisallowedArg = "all",
    ) -> tuple[list[int], list[list[int]]]:
        """Stable tokens of ``text`` and every token sequence its unstable end could continue as
        (tiktoken's own warning applies: this API should itself be considered unstable).
        Completions come sorted; tiktoken returns the same set in hash order.

        >>> stable, completions = get_encoding("gpt2").encode_with_unstable("hello fanta")
        >>> stable
        [31373]
        >>> [277, 4910] in completions
        True
        """
        return self._core.encode_with_unstable(text, allowed_special, disallowed_special)

    def encode_single_token(self, text_or_bytes: str | bytes) -> int:
        """The id of text or bytes that are exactly one token (special tokens included);
        ``KeyError`` otherwise.

        >>> get_encoding("gpt2").encode_single_token("hello")
        31373
        """
        if isinstance(text_or_bytes, str):
            text_or_bytes = text_or_bytes.encode("utf-8")
        return self._core.encode_single_token(_as_bytes(text_or_bytes))

    # ---- counting (no token lists) --------------------------------------------------------

    def count(self, text: str, *, allowed_special: SpecialArg = "all") -> int:
        """The number of tokens of ``text``, without building the token list.

        Equal to ``len(self.encode(text, allowed_special=allowed_special,
        disallowed_special=()))``; by default special-token text counts as the special token,
        like :func:`count_tokens`.

        >>> get_encoding("cl100k_base").count("hello world<|endoftext|>")
        3
        """
        return self._core.count(text, allowed_special)

    def count_batch(self, texts: Sequence[str], *, allowed_special: SpecialArg = "all") -> list[int]:
        """:meth:`count` for each text, in parallel, in input order.

        >>> get_encoding("cl100k_base").count_batch(["hello world", "hi"])
        [2, 1]
        """
        return self._core.count_batch(texts, allowed_special)

    # ---- decoding -------------------------------------------------------------------------

    def decode_bytes(self, tokens: Sequence[int]) -> bytes:
        """The bytes of the tokens, concatenated; ``KeyError`` for an unknown token.

        >>> get_encoding("gpt2").decode_bytes([31373, 995])
        b'hello world'
        """
        return self._core.decode_bytes(tokens)

    def decode(self, tokens: Sequence[int], errors: str = "replace") -> str:
        """The text of the tokens; invalid UTF-8 is handled by ``errors`` (as ``bytes.decode``).

        >>> get_encoding("gpt2").decode([31373, 995])
        'hello world'
        """
        return self._core.decode_bytes(tokens).decode("utf-8", errors=errors)

    def decode_single_token_bytes(self, token: int) -> bytes:
        """The bytes of one token (special tokens included); ``KeyError`` if unknown.

        >>> get_encoding("gpt2").decode_single_token_bytes(31373)
        b'hello'
        """
        return self._core.decode_single_token_bytes(token)

    def decode_tokens_bytes(self, tokens: Sequence[int]) -> list[bytes]:
        """The bytes of each token.

        >>> get_encoding("gpt2").decode_tokens_bytes([31373, 995])
        [b'hello', b' world']
        """
        single = self._core.decode_single_token_bytes
        return [single(token) for token in tokens]

    def decode_with_offsets(self, tokens: Sequence[int]) -> tuple[str, list[int]]:
        """The text and, per token, the index of the first character it contributes to.

        A token that starts inside a multi-byte character gets that character's index.
        Raises ``UnicodeDecodeError`` if the tokens do not form valid UTF-8 (as tiktoken).

        >>> get_encoding("gpt2").decode_with_offsets([31373, 995])
        ('hello world', [0, 5])
        """
        token_bytes = self.decode_tokens_bytes(tokens)
        offsets = []
        chars = 0  # characters started so far = bytes that are not UTF-8 continuation bytes
        for piece in token_bytes:
            starts_inside = 1 if piece and 0x80 <= piece[0] < 0xC0 else 0
            offsets.append(max(0, chars - starts_inside))
            chars += sum(1 for byte in piece if not 0x80 <= byte < 0xC0)
        return b"".join(token_bytes).decode("utf-8", errors="strict"), offsets

    def decode_batch(
        self, batch: Sequence[Sequence[int]], *, errors: str = "replace", num_threads: int = 8
    ) -> list[str]:
        """:meth:`decode` for each token list (decoded in parallel)."""
        return [b.decode("utf-8", errors=errors) for b in self._core.decode_bytes_batch(batch)]

    def decode_bytes_batch(
        self, batch: Sequence[Sequence[int]], *, num_threads: int = 8
    ) -> list[bytes]:
        """:meth:`decode_bytes` for each token list (in parallel)."""
        return self._core.decode_bytes_batch(batch)

    # ---- vocabulary -------------------------------------------------------------------------

    def token_byte_values(self) -> list[bytes]:
        """The bytes of every mergeable token, sorted by bytes (as tiktoken)."""
        return self._core.token_byte_values()

    @property
    def eot_token(self) -> int:
        """The id of ``<|endoftext|>``."""
        return self._special_tokens["<|endoftext|>"]

    @functools.cached_property
    def special_tokens_set(self) -> set[str]:
        """The special tokens' texts."""
        return set(self._special_tokens)

    def is_special_token(self, token: int) -> bool:
        """Whether ``token`` is the id of a special token."""
        if not isinstance(token, int):
            raise TypeError(f"token must be int, not {type(token).__name__}")
        return token in self._special_token_values

    @property
    def n_vocab(self) -> int:
        """The largest token id plus one (tiktoken's definition)."""
        return self.max_token_value + 1

    # ---- private API that real code uses ---------------------------------------------------

    def _encode_single_piece(self, text_or_bytes: str | bytes) -> list[int]:
        """BPE of one piece, without the regex split and without special tokens."""
        if isinstance(text_or_bytes, str):
            text_or_bytes = text_or_bytes.encode("utf-8")
        return self._core.encode_single_piece(_as_bytes(text_or_bytes))

    def _encode_only_native_bpe(self, text: str) -> list[int]:
        """tiktoken splits in Python here; the result is that of :meth:`encode_ordinary`."""
        return self.encode_ordinary(text)

    def _encode_bytes(self, text: bytes) -> list[int]:
        """Encode bytes that may end in an incomplete UTF-8 sequence (tiktoken semantics)."""
        return self._core.encode_bytes(_as_bytes(text))

    # ---- pickling -----------------------------------------------------------------------

    def __getstate__(self) -> object:
        if self._builtin:
            return self.name  # built-ins pickle by name
        return {
            "name": self.name,
            "pat_str": self._pat_str,
            "mergeable_ranks": self._mergeable_ranks,
            "special_tokens": self._special_tokens,
        }

    def __setstate__(self, value: object) -> None:
        from .registry import get_encoding

        if isinstance(value, str):
            self.__dict__ = get_encoding(value).__dict__
            return
        if not isinstance(value, dict):
            raise TypeError("cannot unpickle an Encoding from this state")
        self.__init__(**value)  # type: ignore[misc]


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"expected str or bytes, not {type(value).__name__}")
