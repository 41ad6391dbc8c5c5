"""The public API's behaviour: errors, model table, custom encodings, pickling, threads, fork."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import subprocess
import sys
import threading

import pytest
import tiktoken.model

import tokenizer_rs
from reference import ENCODING_NAMES, reference


def test_model_table_is_tiktokens() -> None:
    assert tokenizer_rs.model.MODEL_TO_ENCODING == tiktoken.model.MODEL_TO_ENCODING
    assert tokenizer_rs.model.MODEL_PREFIX_TO_ENCODING == tiktoken.model.MODEL_PREFIX_TO_ENCODING
    assert list(tokenizer_rs.model.MODEL_PREFIX_TO_ENCODING) == list(
        tiktoken.model.MODEL_PREFIX_TO_ENCODING
    )


@pytest.mark.parametrize(
    "model",
    [
        "gpt-5", "gpt-5.1", "gpt-5.2-codex", "gpt-5-mini", "o1", "o1-mini", "o3", "o3-pro",
        "o4-mini", "o4-mini-2025-04-16", "gpt-4.1", "gpt-4.1-nano", "gpt-4.5-preview", "gpt-4o",
        "gpt-4o-mini", "chatgpt-4o-latest", "gpt-4", "gpt-4-32k", "gpt-4-turbo", "gpt-3.5-turbo",
        "gpt-3.5-turbo-16k", "gpt-35-turbo", "gpt-oss-120b", "gpt-oss-20b", "ft:gpt-4o:org::id",
        "ft:gpt-3.5-turbo:x", "text-embedding-3-small", "davinci-002", "text-davinci-003",
        "code-davinci-edit-001", "davinci", "gpt2", "gpt-2",
    ],
)
def test_model_names_resolve_like_tiktoken(model: str) -> None:
    assert tokenizer_rs.encoding_name_for_model(model) == tiktoken.model.encoding_name_for_model(model)
    assert tokenizer_rs.encoding_for_model(model).name == tiktoken.model.encoding_name_for_model(model)
    text = "Hello <|endoftext|> world"
    expected = len(reference(tokenizer_rs.encoding_name_for_model(model)).encode(text, allowed_special="all"))
    assert tokenizer_rs.count_tokens(text, model) == expected


def test_list_encoding_names() -> None:
    assert tokenizer_rs.list_encoding_names() == ENCODING_NAMES


def test_errors_follow_tiktoken() -> None:
    with pytest.raises(KeyError):
        tokenizer_rs.encoding_for_model("no-such-model")
    with pytest.raises(KeyError):
        tokenizer_rs.count_tokens("x", "no-such-model")
    with pytest.raises(ValueError):
        tokenizer_rs.get_encoding("no_such_encoding")
    enc = tokenizer_rs.get_encoding("cl100k_base")
    with pytest.raises(ValueError, match="disallowed special token"):
        enc.encode("hi <|endoftext|>")
    with pytest.raises(KeyError):
        enc.decode([100256])  # a gap in cl100k's ranks
    with pytest.raises(KeyError):
        enc.decode_single_token_bytes(10**9)
    with pytest.raises(OverflowError):
        enc.decode([-1])


@pytest.mark.parametrize("bad", [None, 1, 2.5, b"bytes", ["list"], object()])
def test_non_str_is_type_error(bad: object) -> None:
    enc = tokenizer_rs.get_encoding("o200k_base")
    with pytest.raises(TypeError):
        tokenizer_rs.count_tokens(bad, "gpt-4o")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        enc.encode(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        enc.count(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        tokenizer_rs.count_tokens_batch(["ok", bad], "gpt-4o")  # type: ignore[list-item]
    with pytest.raises(TypeError):
        tokenizer_rs.count_tokens("x", bad)  # type: ignore[arg-type]


def test_batch_rejects_a_bare_string() -> None:
    with pytest.raises(TypeError):
        tokenizer_rs.count_tokens_batch("not a list", "gpt-4o")


def test_count_tokens_batch_order_and_values() -> None:
    texts = [f"message number {i} " * (i % 17) for i in range(5000)] + ["<|endoftext|>"]
    counts = tokenizer_rs.count_tokens_batch(texts, "gpt-4o")
    assert counts == [tokenizer_rs.count_tokens(t, "gpt-4o") for t in texts]
    assert counts[-1] == 1
    assert tokenizer_rs.count_tokens_batch([], "gpt-4o") == []
    assert tokenizer_rs.count_tokens_batch(("a", "b c"), "cl100k_base") == [1, 2]


def test_init_thread_pool_can_be_called_again() -> None:
    texts = ["some text to count " * 50] * 2000
    before = tokenizer_rs.count_tokens_batch(texts, "cl100k_base")
    for n in [1, 3, 2]:
        tokenizer_rs.init_thread_pool(n)
        assert tokenizer_rs.current_num_threads() == n
        assert tokenizer_rs.count_tokens_batch(texts, "cl100k_base") == before
    with pytest.raises(ValueError):
        tokenizer_rs.init_thread_pool(0)
    with pytest.raises(OverflowError):
        tokenizer_rs.init_thread_pool(-1)


def test_env_var_sets_default_threads() -> None:
    code = "import tokenizer_rs; print(tokenizer_rs.current_num_threads())"
    env = dict(os.environ, TOKENIZER_RS_NUM_THREADS="3")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "3"
    env["TOKENIZER_RS_NUM_THREADS"] = "many"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "TOKENIZER_RS_NUM_THREADS" in out.stderr


def _count_in_child(queue: "multiprocessing.Queue[list[int]]") -> None:
    queue.put(tokenizer_rs.count_tokens_batch(["hello world " * 100] * 500, "gpt-4o"))


@pytest.mark.skipif(sys.platform == "win32", reason="fork")
def test_fork_after_pool_started_does_not_hang() -> None:
    tokenizer_rs.count_tokens_batch(["warm the pool " * 100] * 500, "gpt-4o")
    ctx = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[list[int]] = ctx.Queue()
    child = ctx.Process(target=_count_in_child, args=(queue,))
    child.start()
    result = queue.get(timeout=60)
    child.join(timeout=60)
    assert child.exitcode == 0
    assert result == [tokenizer_rs.count_tokens("hello world " * 100, "gpt-4o")] * 500


def test_many_python_threads_at_once() -> None:
    enc = tokenizer_rs.get_encoding("o200k_base")
    texts = [f"thread text {i} " * (i % 300 + 1) for i in range(400)]
    expected = [enc.encode(t) for t in texts]
    results: dict[int, list[list[int]]] = {}

    def work(k: int) -> None:
        results[k] = [enc.encode(t) for t in texts]
        tokenizer_rs.count_tokens_batch(texts, "gpt-4o")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[k] == expected for k in range(8))


def test_custom_encoding_and_pickling() -> None:
    base = tokenizer_rs.get_encoding("cl100k_base")
    custom = tokenizer_rs.Encoding(
        "cl100k_im",
        pat_str=base._pat_str,
        mergeable_ranks=base._mergeable_ranks,
        special_tokens={**base._special_tokens, "<|im_start|>": 100264, "<|im_end|>": 100265},
    )
    text = "<|im_start|>user\nhello<|im_end|>"
    tokens = custom.encode(text, allowed_special="all")
    assert tokens[0] == 100264 and tokens[-1] == 100265
    assert custom.decode(tokens) == text
    ref = reference("cl100k_base")
    import tiktoken

    ref_custom = tiktoken.Encoding(
        "cl100k_im",
        pat_str=ref._pat_str,
        mergeable_ranks=ref._mergeable_ranks,
        special_tokens={**ref._special_tokens, "<|im_start|>": 100264, "<|im_end|>": 100265},
    )
    assert tokens == ref_custom.encode(text, allowed_special="all")
    clone = pickle.loads(pickle.dumps(custom))
    assert clone.encode(text, allowed_special="all") == tokens and clone.name == "cl100k_im"
    builtin = pickle.loads(pickle.dumps(base))
    assert builtin.encode("hello world") == base.encode("hello world")
    assert len(pickle.dumps(base)) < 200  # built-ins pickle by name


def test_custom_encoding_errors() -> None:
    ranks = {bytes([b]): b for b in range(256)}
    with pytest.raises(ValueError):
        tokenizer_rs.Encoding("bad", pat_str="(unclosed", mergeable_ranks=ranks, special_tokens={})
    with pytest.raises(ValueError):
        tokenizer_rs.Encoding("dup", pat_str=r"\S+", mergeable_ranks={b"a": 0, b"b": 0}, special_tokens={})
    with pytest.raises(ValueError):
        tokenizer_rs.Encoding("n", pat_str=r"\S+", mergeable_ranks=ranks, special_tokens={}, explicit_n_vocab=5)
    with pytest.raises(TypeError):
        tokenizer_rs.Encoding("t", pat_str=r"\S+", mergeable_ranks=[1], special_tokens={})  # type: ignore[arg-type]
    ok = tokenizer_rs.Encoding("bytes", pat_str=r"\S+|\s+", mergeable_ranks=ranks, special_tokens={})
    assert ok.encode("hi there") == [104, 105, 32, 116, 104, 101, 114, 101]


def test_tiktoken_code_runs_unchanged() -> None:
    import tokenizer_rs as tiktoken_like

    enc = tiktoken_like.encoding_for_model("gpt-4")
    assert enc.decode(enc.encode("hello world")) == "hello world"
    assert enc.encode("hello world") == [15339, 1917]
    assert tiktoken_like.get_encoding("gpt2").encode("hello world") == [31373, 995]
    assert enc.is_special_token(enc.eot_token) and not enc.is_special_token(15339)
    assert repr(enc) == "<Encoding 'cl100k_base'>"
    half = enc.encode_single_token(b"\xe6")  # the first byte of a 3-byte character
    assert enc.decode([half]) == "\ufffd"
    with pytest.raises(UnicodeDecodeError):
        enc.decode([half], errors="strict")
    assert tokenizer_rs.get_encoding("cl100k_base") is tokenizer_rs.get_encoding("cl100k_base")


def test_count_never_raises_on_special_text() -> None:
    enc = tokenizer_rs.get_encoding("o200k_harmony")
    assert enc.count("<|start|>assistant<|message|>") == 3
    assert enc.count("<|start|>", allowed_special=set()) == len(enc.encode_ordinary("<|start|>"))
