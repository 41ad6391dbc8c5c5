"""PyPI tiktoken as the reference, running offline.

tiktoken's own encoding definitions (tiktoken_ext.openai_public) are used as they are; only the
download of the rank files is replaced by the ranks our package exports, after checking that
those ranks, serialized in .tiktoken format, have exactly the sha256 tiktoken publishes for each
file. So a difference in ranks, pattern or special tokens between us and tiktoken cannot hide.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from typing import Any

import tiktoken
import tiktoken_ext.openai_public as openai_public

import tokenizer_rs

ENCODING_NAMES = [
    "gpt2",
    "r50k_base",
    "p50k_base",
    "p50k_edit",
    "cl100k_base",
    "o200k_base",
    "o200k_harmony",
]


def serialize_tiktoken_file(ranks: dict[bytes, int]) -> bytes:
    """The .tiktoken file format: one `base64(token) rank` line per token, in rank order."""
    lines = (
        base64.b64encode(token) + b" " + str(rank).encode() + b"\n"
        for token, rank in sorted(ranks.items(), key=lambda item: item[1])
    )
    return b"".join(lines)


class HashMismatch(AssertionError):
    pass


def _ours_as_tiktoken_file(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
    name = url.rsplit("/", 1)[-1].removesuffix(".tiktoken")
    ranks = dict(tokenizer_rs.get_encoding(name)._mergeable_ranks)
    digest = hashlib.sha256(serialize_tiktoken_file(ranks)).hexdigest()
    if digest != expected_hash:
        raise HashMismatch(f"{name}: our ranks hash to {digest}, tiktoken expects {expected_hash}")
    return ranks


def _gpt2_ranks(**_: Any) -> dict[bytes, int]:
    # gpt2's original files are not on this machine; its ranks are r50k_base's, whose hash
    # tiktoken publishes, so check those and use them.
    ranks: dict[bytes, int] = openai_public.r50k_base()["mergeable_ranks"]
    return ranks


@functools.lru_cache(maxsize=None)
def reference(name: str) -> tiktoken.Encoding:
    """tiktoken's Encoding for `name`, built offline from our (hash-checked) ranks."""
    saved = (openai_public.load_tiktoken_bpe, openai_public.data_gym_to_mergeable_bpe_ranks)
    openai_public.load_tiktoken_bpe = _ours_as_tiktoken_file
    openai_public.data_gym_to_mergeable_bpe_ranks = _gpt2_ranks
    try:
        definition = openai_public.ENCODING_CONSTRUCTORS[name]()
    finally:
        openai_public.load_tiktoken_bpe, openai_public.data_gym_to_mergeable_bpe_ranks = saved
    return tiktoken.Encoding(**definition)


def fill_tiktoken_cache(directory: str) -> str:
    """Write our (hash-checked) ranks as tiktoken's download cache, so that a fresh process with
    TIKTOKEN_CACHE_DIR=directory runs `tiktoken.get_encoding` offline, exactly as a user's
    process with a warm cache would (used for cold-start and memory comparisons)."""
    import os

    for name in ["r50k_base", "p50k_base", "cl100k_base", "o200k_base"]:
        url = f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
        data = serialize_tiktoken_file(dict(reference(name)._mergeable_ranks))
        key = hashlib.sha1(url.encode()).hexdigest()
        with open(os.path.join(directory, key), "wb") as handle:
            handle.write(data)
    return directory
