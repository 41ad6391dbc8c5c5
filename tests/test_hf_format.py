"""benches/hf_format.py: the tokenizer.json that HF tokenizers and tokie are benchmarked with.

compare.py checks the peers' counts against tiktoken on every chunk; these tests check the
conversion itself, without those packages installed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benches"))

from hf_format import byte_alphabet, merges_of, tokenizer_json  # noqa: E402
from reference import reference  # noqa: E402


def test_byte_alphabet_is_gpt2s_printable_table() -> None:
    alphabet = byte_alphabet()
    assert len(set(alphabet)) == 256
    assert all(c.isprintable() and not c.isspace() for c in alphabet)
    # Printable ASCII stands for itself; space and newline are the well-known Ġ and Ċ.
    assert [alphabet[b] for b in b"Az~!"] == list("Az~!")
    assert (alphabet[ord(" ")], alphabet[ord("\n")], alphabet[0]) == ("\u0120", "\u010a", "\u0100")


def test_merges_list_every_split_by_rank_then_left_rank() -> None:
    # Listed out of rank order, with abc's later cut (ab + c) the one whose left part ranks lower.
    ranks = {b"abc": 5, b"a": 2, b"b": 3, b"c": 0, b"bc": 4, b"ab": 1, b"ca": 6}
    assert merges_of(ranks) == [
        (b"a", b"b"),
        (b"b", b"c"),
        (b"ab", b"c"),  # abc from ab + c before a + bc: ab ranks lower than a
        (b"a", b"bc"),
        (b"c", b"a"),
    ]


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
def test_json_holds_every_rank_and_the_pattern_the_format_can_read(name: str) -> None:
    encoding = reference(name)
    ranks = dict(encoding._mergeable_ranks)
    document = json.loads(tokenizer_json(ranks, encoding._pat_str))
    model = document["model"]
    byte_of = {c: b for b, c in enumerate(byte_alphabet())}
    spelled_back = {bytes(byte_of[c] for c in token): rank for token, rank in model["vocab"].items()}
    assert spelled_back == ranks
    assert model["ignore_merges"] is True
    merged = [model["vocab"][left + right] for left, right in model["merges"]]
    assert merged == sorted(merged), "merges in the order of the token they make"
    pattern = document["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"]
    assert "{1,3}+" not in pattern
    assert pattern == encoding._pat_str.replace("{1,3}+", "{1,3}")
