"""Token-for-token equality with PyPI tiktoken, for every encoding, on fixtures, adversarial
Unicode and hypothesis-generated text."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tokenizer_rs
from reference import ENCODING_NAMES, reference

FIXTURE_FILES = ["large_text.txt", "code.txt", "multilingual.txt", "edge_cases.txt"]
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

ADVERSARIAL = [
    "",
    " ",
    "  \n\n \t\r\n\r \u00a0\u0085\u1680\u2028\u3000 ",
    "hello world",
    " I'ſ it's IT'S I'M we'RE They'LL you'Ve he'D",
    "’État ’s l’homme don’t",
    "<|endoftext|>",
    "<|endoftext|><|endofprompt|><|fim_prefix|>x<|fim_middle|>y<|fim_suffix|>",
    "<|<|endoftext|>|> <|endoftext <|endofprompt",
    "<|startoftext|><|reserved_200018|><|call|><|reserved_201087|>",
    "1234567890 ١٢٣٤٥٦ ०१२३४ １２３ 3.14159 1,000,000",
    "👨‍👩‍👧‍👦👍🏽🇯🇵1️⃣ e\u0301 Z̷̢a̵l̶g̸o̴",
    "中文繁體日本語のテキスト한국어 العربية हिन्दी ไทย",
    "x" * 1000,
    "a" * 5000 + " " + "ab" * 2000,
    "\n" * 500 + " " * 500 + "\t" * 100,
    "!!!" * 400 + "/" * 300 + ".\n/",
    "https://example.com/path/to/file.py?x=1&y=2#frag",
    "İıẞß ǅǈǋ ᾈ ﬀ ŉ",
]


def fixture_texts() -> list[tuple[str, str]]:
    out = []
    for name in FIXTURE_FILES:
        text = (FIXTURES / name).read_text(encoding="utf-8")
        out.append((name, text))
    return out


@pytest.fixture(scope="module", params=ENCODING_NAMES)
def pair(request: pytest.FixtureRequest) -> tuple[tokenizer_rs.Encoding, object]:
    return tokenizer_rs.get_encoding(request.param), reference(request.param)


def test_ranks_match_tiktokens_published_hashes() -> None:
    # reference() raises HashMismatch unless the exported ranks serialize to tiktoken's sha256.
    for name in ENCODING_NAMES:
        assert reference(name).name == name


def test_definitions_match(pair: tuple[tokenizer_rs.Encoding, object]) -> None:
    ours, ref = pair
    assert ours._pat_str == ref._pat_str
    assert ours._special_tokens == ref._special_tokens
    assert ours.n_vocab == ref.n_vocab
    assert ours.max_token_value == ref.max_token_value
    assert ours.special_tokens_set == ref.special_tokens_set
    assert ours.eot_token == ref.eot_token
    assert ours.token_byte_values() == ref.token_byte_values()


@pytest.mark.parametrize("fixture", FIXTURE_FILES)
def test_fixtures_whole_and_by_line(pair: tuple[tokenizer_rs.Encoding, object], fixture: str) -> None:
    ours, ref = pair
    text = (FIXTURES / fixture).read_text(encoding="utf-8")
    for piece in [text, *text.splitlines(keepends=True)]:
        expected = ref.encode_ordinary(piece)
        assert ours.encode_ordinary(piece) == expected
        expected_all = ref.encode(piece, allowed_special="all")
        assert ours.encode(piece, allowed_special="all") == expected_all
        assert ours.count(piece) == len(expected_all)
        assert ours.decode(expected) == ref.decode(expected)
    assert tokenizer_rs.count_tokens(text, ours.name) == len(ref.encode(text, allowed_special="all"))


@pytest.mark.parametrize("kind", ["english", "code", "multilingual"])
def test_bench_corpus(pair: tuple[tokenizer_rs.Encoding, object], kind: str) -> None:
    # 1.5-1.8 MB of real text per kind (27 languages in multilingual.txt): every merge path
    # (from whole characters, from bytes, the heap) meets text it was not written for.
    ours, ref = pair
    text = (FIXTURES / "bench" / f"{kind}.txt").read_text(encoding="utf-8")
    expected = ref.encode_ordinary(text)
    assert ours.encode_ordinary(text) == expected
    assert ours.count(text) == len(ref.encode(text, allowed_special="all"))


def test_adversarial(pair: tuple[tokenizer_rs.Encoding, object]) -> None:
    ours, ref = pair
    for text in ADVERSARIAL:
        assert ours.encode_ordinary(text) == ref.encode_ordinary(text), text[:60]
        assert ours.encode(text, allowed_special="all") == ref.encode(text, allowed_special="all")
        assert ours.encode(text, disallowed_special=()) == ref.encode(text, disallowed_special=())
        assert ours.count(text) == len(ref.encode(text, allowed_special="all"))


def test_random_slices_of_fixtures(pair: tuple[tokenizer_rs.Encoding, object]) -> None:
    # Cutting real text at random character offsets makes pieces no fixture line starts with.
    ours, ref = pair
    rng = random.Random(7)
    for _, text in fixture_texts():
        for _ in range(40):
            a = rng.randrange(len(text))
            b = min(len(text), a + rng.randrange(1, 400))
            piece = text[a:b]
            assert ours.encode_ordinary(piece) == ref.encode_ordinary(piece)


def test_batches_match(pair: tuple[tokenizer_rs.Encoding, object]) -> None:
    ours, ref = pair
    texts = [line for _, text in fixture_texts() for line in text.splitlines()][:3000]
    expected = ref.encode_batch(texts, allowed_special="all")
    assert ours.encode_batch(texts, allowed_special="all") == expected
    assert ours.count_batch(texts) == [len(t) for t in expected]
    assert ours.encode_ordinary_batch(texts) == ref.encode_ordinary_batch(texts)
    assert ours.decode_batch(expected) == ref.decode_batch(expected)


def test_special_token_rules(pair: tuple[tokenizer_rs.Encoding, object]) -> None:
    ours, ref = pair
    specials = sorted(ref.special_tokens_set)[:6]
    text = "a " + " b ".join(specials) + " c"
    for allowed in [set(), {specials[0]}, set(specials), "all"]:
        for disallowed in ["all", (), {specials[-1]}, {"a "}]:
            try:
                expected = ref.encode(text, allowed_special=allowed, disallowed_special=disallowed)
            except ValueError:
                with pytest.raises(ValueError):
                    ours.encode(text, allowed_special=allowed, disallowed_special=disallowed)
                continue
            got = ours.encode(text, allowed_special=allowed, disallowed_special=disallowed)
            assert got == expected, (allowed, disallowed)


def test_single_tokens_and_pieces(pair: tuple[tokenizer_rs.Encoding, object]) -> None:
    ours, ref = pair
    for token in [0, 1, 255, 1000, ref.eot_token, ref.max_token_value]:
        try:
            expected = ref.decode_single_token_bytes(token)
        except KeyError:
            with pytest.raises(KeyError):
                ours.decode_single_token_bytes(token)
            continue
        assert ours.decode_single_token_bytes(token) == expected
        assert ours.encode_single_token(expected) == ref.encode_single_token(expected)
    for piece in ["helloqqqq", "x" * 700, "  \n", "👨‍👩‍👧"]:
        assert ours._encode_single_piece(piece) == ref._encode_single_piece(piece)
    with pytest.raises(KeyError):
        ours.encode_single_token("definitely not one token")


def test_decode_with_offsets(pair: tuple[tokenizer_rs.Encoding, object]) -> None:
    ours, ref = pair
    for text in ["hello world", "我非常渴望与人工智能一起工作", "👨‍👩‍👧 e\u0301 ok", "ab" * 50]:
        tokens = ref.encode_ordinary(text)
        assert ours.decode_with_offsets(tokens) == ref.decode_with_offsets(tokens)


def test_encode_bytes_with_broken_utf8(pair: tuple[tokenizer_rs.Encoding, object]) -> None:
    ours, ref = pair
    for data in [b"hello \xe2\x82", b"\xff\xfe", b"x  \n\n\xf0\x9f\x98", "日本".encode()[:-1], b""]:
        assert ours._encode_bytes(data) == ref._encode_bytes(data)


@given(st.text())
def test_hypothesis_text(text: str) -> None:
    for name in ENCODING_NAMES:
        ours, ref = tokenizer_rs.get_encoding(name), reference(name)
        expected = ref.encode(text, allowed_special="all")
        assert ours.encode(text, allowed_special="all") == expected
        assert ours.count(text) == len(expected)
        assert ours.decode(expected) == ref.decode(expected)


# Strings glued from fragments: single characters of every general category (no surrogates),
# whitespace kinds, apostrophes and contraction letters, digits, and special-token text.
FRAGMENTS = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(list(" \t\n\r\u00a0\u0085\u2028\u3000'’sStTdDmMlLvVrReE/.,!0123456789")),
    st.sampled_from(["<|endoftext|>", "<|endofprompt|>", "<|fim_prefix|>", "'ſ", "'S", "\r\n", "É"]),
)
UNICODE_SOUP = st.lists(FRAGMENTS, max_size=80).map("".join)


@given(UNICODE_SOUP)
def test_hypothesis_adversarial_unicode(text: str) -> None:
    for name in ["r50k_base", "cl100k_base", "o200k_base", "o200k_harmony"]:
        ours, ref = tokenizer_rs.get_encoding(name), reference(name)
        assert ours.encode_ordinary(text) == ref.encode_ordinary(text)
        assert ours.encode(text, allowed_special="all") == ref.encode(text, allowed_special="all")


@given(st.binary(max_size=64))
def test_hypothesis_encode_bytes(data: bytes) -> None:
    for name in ["cl100k_base", "o200k_base"]:
        assert tokenizer_rs.get_encoding(name)._encode_bytes(data) == reference(name)._encode_bytes(data)


@given(st.lists(st.integers(min_value=0, max_value=100_255), max_size=50))
def test_hypothesis_decode(tokens: list[int]) -> None:
    ours, ref = tokenizer_rs.get_encoding("cl100k_base"), reference("cl100k_base")
    assert ours.decode_bytes(tokens) == ref.decode_bytes(tokens)
    assert ours.decode(tokens) == ref.decode(tokens)


def test_lone_surrogates_like_tiktoken() -> None:
    for text in ["a\ud800b", "\udfff", "\ud83d\ude00 joined pair", "x\ud800\ud800y"]:
        for name in ["cl100k_base", "o200k_base"]:
            ours, ref = tokenizer_rs.get_encoding(name), reference(name)
            assert ours.encode(text) == ref.encode(text)
            assert ours.encode_ordinary(text) == ref.encode_ordinary(text)
            assert ours.count(text) == len(ref.encode(text, allowed_special="all"))
            assert tokenizer_rs.count_tokens(text, name) == ours.count(text)


@pytest.mark.parametrize(
    "text",
    ["x" * 1_000_000, "ab" * 300_000, "\u4e00" * 200_000, "1" * 500_000, "abcdefghijklmnopqrstuvwxyz" * 40_000],
)
def test_long_runs_without_whitespace(text: str) -> None:
    # The merge that tiktoken-rs vendors is quadratic here; ours must finish (and match).
    for name in ["cl100k_base", "o200k_base"]:
        ours, ref = tokenizer_rs.get_encoding(name), reference(name)
        expected = ref.encode_ordinary(text)
        assert ours.encode_ordinary(text) == expected
        assert ours.count(text) == len(expected)


@pytest.mark.parametrize("name", ["gpt2", "cl100k_base", "o200k_base"])
def test_encode_with_unstable(name: str) -> None:
    ours, ref = tokenizer_rs.get_encoding(name), reference(name)
    for text in ["hello fanta", "hello world ", "x\n\n  ", "The quick br", "日本", "a<|endoftext|>", "12345", "he said \"", ""]:
        expected_stable, expected_completions = ref.encode_with_unstable(text, allowed_special="all")
        stable, completions = ours.encode_with_unstable(text, allowed_special="all")
        assert stable == expected_stable, text
        assert sorted(map(tuple, completions)) == sorted(map(tuple, expected_completions)), text


@given(st.text(alphabet=st.sampled_from(list("ab \n\t'sé日!1")), max_size=12))
def test_hypothesis_encode_with_unstable(text: str) -> None:
    ours, ref = tokenizer_rs.get_encoding("cl100k_base"), reference("cl100k_base")
    expected_stable, expected_completions = ref.encode_with_unstable(text)
    stable, completions = ours.encode_with_unstable(text)
    assert stable == expected_stable
    assert sorted(map(tuple, completions)) == sorted(map(tuple, expected_completions))


# Pieces of 1 KB or more without a split point go to the backtracking encoder (src/bpe/backtrack.rs):
# letters only (one piece in every pattern), drawn from small alphabets so tokens of every length
# form, with a rare intruder letter, then cut or repeated to at least 1,024 bytes.
LETTER_UNITS = st.sampled_from(
    ["a", "b", "e", "x", "th", "ing", "Q", "ß", "é", "ж", "λ", "ا", "ह", "ก", "的", "是", "ア", "한", "ǅ"]
)


@given(st.lists(LETTER_UNITS, min_size=1, max_size=40), st.integers(min_value=1024, max_value=6000))
def test_hypothesis_long_pieces(units: list[str], size: int) -> None:
    text = "".join(units)
    text = (text * (size // len(text.encode()) + 1))[: max(size // 2, 512)]
    while len(text.encode()) < 1024:
        text += text
    for name in ["r50k_base", "cl100k_base", "o200k_base"]:
        ours, ref = tokenizer_rs.get_encoding(name), reference(name)
        expected = ref.encode_ordinary(text)
        assert ours.encode_ordinary(text) == expected
        assert ours.count(text) == len(expected)


@given(st.lists(LETTER_UNITS, min_size=300, max_size=1500))
def test_hypothesis_long_random_letter_pieces(units: list[str]) -> None:
    text = "".join(units)
    while len(text.encode()) < 1024:
        text += text[::-1]
    for name in ["cl100k_base", "o200k_base"]:
        ours, ref = tokenizer_rs.get_encoding(name), reference(name)
        assert ours.encode_ordinary(text) == ref.encode_ordinary(text)


def test_repeated_pieces_across_encodings_and_vocabularies() -> None:
    """Pieces that need a merge are remembered per thread (`src/bpe/piece_cache.rs`): the same
    words, counted and encoded again and again, alternating encodings and vocabularies that
    live briefly, must always get the answer of the vocabulary at hand."""
    import tiktoken

    words = (FIXTURES / "multilingual.txt").read_text(encoding="utf-8").split()[:600]
    text = " ".join(words * 3)
    for _ in range(2):
        for name in ["r50k_base", "cl100k_base", "o200k_base"]:
            ours, ref = tokenizer_rs.get_encoding(name), reference(name)
            expected = ref.encode_ordinary(text)
            assert ours.count(text) == len(expected)
            assert ours.encode_ordinary(text) == expected
            assert ours.encode_batch([text, text]) == [expected, expected]
    # Toy vocabularies made and dropped in turn, each joining the same bytes differently: a
    # new one must never be answered from what an earlier one (perhaps at the same address)
    # left behind.
    merges = [b"ab", b"bc", b"cd", b"da", b"aa", b"bb", b"abc", b"bcd", b"aab", b"cda", b"abb"]
    for seed in range(30):
        rng = random.Random(seed)
        chosen = rng.sample(merges, rng.randint(1, len(merges)))
        ranks = {bytes([b]): b for b in range(256)}
        ranks.update({token: 256 + i for i, token in enumerate(chosen)})
        ours = tokenizer_rs.Encoding("toy", pat_str=r"\S+|\s+", mergeable_ranks=ranks, special_tokens={})
        ref = tiktoken.Encoding("toy", pat_str=r"\S+|\s+", mergeable_ranks=ranks, special_tokens={})
        text = " ".join(rng.choice(["abcd", "aabbcd", "dabc", "bcdabb", "aabcda"]) for _ in range(40))
        expected = ref.encode_ordinary(text)
        assert ours.count(text) == len(expected), chosen
        assert ours.encode_ordinary(text) == expected, chosen
        del ours
