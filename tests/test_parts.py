"""Long texts are counted and encoded in parts, on the calling thread and the thread pool's, cut
after line breaks (src/encoding/parts.rs). Whatever the cuts, the number of threads and the style
of line break, the counts and tokens must be PyPI tiktoken's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tokenizer_rs
from reference import reference

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NAMES = ["r50k_base", "cl100k_base", "o200k_base"]
# Line ends around which the cut rule differs: a lone "\n", blank lines, white space before or
# after the break, "\r\n", and "/" after it (o200k's punctuation piece takes "\n/").
LINE_ENDS = ["\n", "\n\n", " \n", "\r\n", "\n/", "\n ", ".\n", "\n\t", "!\n\n\n"]
# Parts are cut only in texts of 24 KB or more.
LONG = 30_000


@pytest.fixture
def restore_pool() -> Iterator[None]:
    before = tokenizer_rs.current_num_threads()
    yield
    tokenizer_rs.init_thread_pool(before)


def long_text(lines: list[str], ends: list[str], size: int = LONG) -> str:
    """`lines` joined by `ends` in turn, again and again, until the text has `size` bytes."""
    out, length, i = [], 0, 0
    while length < size:
        piece = lines[i % len(lines)] + ends[i % len(ends)]
        out.append(piece)
        length += len(piece.encode())
        i += 1
    return "".join(out)


def assert_matches_tiktoken(text: str) -> None:
    one = {"<|endoftext|>"}
    for name in NAMES:
        ours, ref = tokenizer_rs.get_encoding(name), reference(name)
        ordinary = ref.encode_ordinary(text)
        assert ours.encode_ordinary(text) == ordinary, name
        assert ours.count(text, allowed_special=set()) == len(ordinary), name
        every = ref.encode(text, allowed_special="all")
        assert ours.encode(text, allowed_special="all") == every, name
        assert tokenizer_rs.count_tokens(text, name) == len(every), name
        expected = ref.encode(text, allowed_special=one, disallowed_special=())
        assert ours.encode(text, allowed_special=one, disallowed_special=()) == expected, name
        assert ours.count(text, allowed_special=one) == len(expected), name
        # Both take the last part's last piece (broken UTF-8 at the end: the last piece is
        # merged again with it).
        broken = text.encode() + b"\xe6\x97"
        assert ours._encode_bytes(broken) == ref._encode_bytes(broken), name
        # A word of several tokens at the end: its tokens are the unstable ones. (Not the text
        # as it is: when it ends in a long run of white space, that run is unstable, and both
        # libraries try every split of it, in time and memory quadratic in its length.)
        ending = text + " Supercalifragilistic"
        stable, completions = ours.encode_with_unstable(ending, allowed_special="all")
        ref_stable, ref_completions = ref.encode_with_unstable(ending, allowed_special="all")
        assert (stable, sorted(completions)) == (ref_stable, sorted(ref_completions)), name


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("fixture", ["large_text.txt", "code.txt", "multilingual.txt", "edge_cases.txt"])
def test_fixtures_with_every_line_end(threads: int, fixture: str, restore_pool: None) -> None:
    tokenizer_rs.init_thread_pool(threads)
    lines = (FIXTURES / fixture).read_text(encoding="utf-8").splitlines()
    for end in LINE_ENDS:
        assert_matches_tiktoken(long_text(lines, [end]))
    # Special tokens at the start of lines, where cuts may fall.
    assert_matches_tiktoken(long_text(lines, ["\n<|endoftext|>", "\n", "<|endofprompt|>\n"]))


LINE_CHARACTERS = st.sampled_from(
    list("ab Z'sé日ж!/.1\t\u00a0\u3000\u0301") + ["'ll", "<|endoftext|>", "word", "  ", "\r"]
)


@given(
    st.lists(st.lists(LINE_CHARACTERS, max_size=30).map("".join), min_size=1, max_size=20),
    st.lists(st.sampled_from(LINE_ENDS), min_size=1, max_size=4),
)
def test_hypothesis_long_texts_in_parts(lines: list[str], ends: list[str]) -> None:
    if tokenizer_rs.current_num_threads() < 2:
        tokenizer_rs.init_thread_pool(2)
    assert_matches_tiktoken(long_text(lines, ends, size=LONG))
