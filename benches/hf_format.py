r"""A tiktoken encoding as a Hugging Face `tokenizer.json`, so that the PyPI tokenizers that read
that format (HF `tokenizers`, `tokie`) can be compared with us offline, on the very vocabularies
we use, instead of a copy downloaded from the hub.

The format's BPE applies merges in the order they are listed; tiktoken joins the adjacent pair
whose concatenation has the lowest rank. The two agree when every way of writing a token as two
tokens is listed as a merge, in the order of the token's rank (the split with the lower-ranked
left part first), and the model is told to take a piece that is itself a token as it is
(`ignore_merges`), as tiktoken does before merging. Listing only the one split BPE itself reaches
(what tiktoken's vocabulary would suggest) is not enough: in a longer piece a token can be reached
from another split. compare.py checks every count against tiktoken and says whether a peer was
exact on every chunk, so a difference that remains shows up there.

The format's regex engine (Oniguruma) reads `{1,3}+` as "one or more runs of one to three", not
as a possessive `{1,3}`, so cl100k's `\p{N}{1,3}+` would keep a long number whole. Nothing follows
it in its alternative, so the plain `{1,3}` that replaces it here matches what tiktoken's engine
matches.
"""

from __future__ import annotations

import json


def byte_alphabet() -> list[str]:
    """The printable character that stands for each byte in byte-level BPE vocabularies (GPT-2's
    table): printable Latin-1 bytes stand for themselves, the others for U+0100 onwards."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0xFF + 1)]
    alphabet: dict[int, str] = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in alphabet:
            alphabet[b] = chr(256 + extra)
            extra += 1
    return [alphabet[b] for b in range(256)]


def merges_of(ranks: dict[bytes, int]) -> list[tuple[bytes, bytes]]:
    """Every split of every token into two tokens, ordered by the token's rank, then by the rank
    of the left part."""
    merges = []
    for token, rank in ranks.items():
        for cut in range(1, len(token)):
            left, right = token[:cut], token[cut:]
            if left in ranks and right in ranks:
                merges.append((rank, ranks[left], left, right))
    merges.sort()
    return [(left, right) for _, _, left, right in merges]


def tokenizer_json(ranks: dict[bytes, int], pat_str: str) -> str:
    """`tokenizer.json` text for a byte-level BPE with these ranks, split by `pat_str` (no special
    tokens, no normalizer: what tiktoken's `encode_ordinary` does)."""
    alphabet = byte_alphabet()

    def spelled(token: bytes) -> str:
        return "".join(alphabet[b] for b in token)

    # Bytes to printable characters and back, nothing else (the Split above does the splitting).
    byte_level = {"add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    document = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [],
        "normalizer": None,
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {
                    "type": "Split",
                    "pattern": {"Regex": pat_str.replace("{1,3}+", "{1,3}")},
                    "behavior": "Isolated",
                    "invert": False,
                },
                {"type": "ByteLevel", **byte_level},
            ],
        },
        "post_processor": None,
        "decoder": {"type": "ByteLevel", **byte_level},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": True,
            "vocab": {spelled(token): rank for token, rank in ranks.items()},
            "merges": [[spelled(left), spelled(right)] for left, right in merges_of(ranks)],
        },
    }
    return json.dumps(document, ensure_ascii=False)


def save_tokenizer_json(path: str, ranks: dict[bytes, int], pat_str: str) -> str:
    """Writes `tokenizer_json` to `path` and returns `path`."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(tokenizer_json(ranks, pat_str))
    return path
