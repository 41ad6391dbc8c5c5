"""count_message_tokens, compress_context, ContextCompactor and the compact CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import tiktoken

import tokenizer_rs
from tokenizer_rs import (
    CompressedContext,
    ContextCompactor,
    FunctionCall,
    Message,
    ToolCall,
    compress_context,
    count_message_tokens,
    estimate_json_tokens,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

COOKBOOK = [
    {"role": "system", "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
    {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
    {"role": "system", "name": "example_assistant", "content": "Things working well together will increase revenue."},
    {"role": "system", "name": "example_user", "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
    {"role": "system", "name": "example_assistant", "content": "Let's talk later when we're less busy about how to do better."},
    {"role": "user", "content": "This late pivot means we don't have time to boil the ocean for the client deliverable."},
]


def reference_encoding(model: str) -> tiktoken.Encoding:
    """PyPI tiktoken's Encoding with our exported definition (works offline)."""
    ours = tokenizer_rs.encoding_for_model(model) if model not in tokenizer_rs.list_encoding_names() else tokenizer_rs.get_encoding(model)
    return tiktoken.Encoding(
        name=f"reference-{ours.name}",
        pat_str=ours._pat_str,
        mergeable_ranks=ours._mergeable_ranks,
        special_tokens=ours._special_tokens,
    )


def reference_count(messages: list[dict[str, Any]], model: str) -> int:
    """The documented accounting, written out in Python with tiktoken."""
    enc = reference_encoding(model)

    def n(text: str) -> int:
        return len(enc.encode(text, allowed_special="all"))

    total = 3
    for m in messages:
        total += 3 + n(m["role"])
        content = m.get("content")
        if isinstance(content, str):
            total += n(content)
        elif content is not None:
            for part in content:
                if isinstance(part, str):
                    total += n(part)
                elif part["type"] in ("text", "refusal"):
                    total += n(part[part["type"]])
                elif part["type"] == "image_url":
                    total += 85 if part["image_url"].get("detail") == "low" else 765
                else:
                    total += estimate_json_tokens(part, model)
        if m.get("name") is not None:
            total += n(m["name"]) + 1
        if m.get("tool_call_id") is not None:
            total += n(m["tool_call_id"])
        for call in m.get("tool_calls") or []:
            total += 3 + n(call["id"]) + n(call["function"]["name"]) + n(call["function"]["arguments"])
    return total


def load_history() -> list[dict[str, Any]]:
    return json.loads((FIXTURES / "messages.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- count_message_tokens


@pytest.mark.parametrize("model, expected", [("gpt-4", 129), ("gpt-4o", 124), ("gpt-4-0613", 129)])
def test_cookbook_example_matches_the_api(model: str, expected: int) -> None:
    assert count_message_tokens(COOKBOOK, model) == expected
    as_dataclasses = [Message.from_dict(m) for m in COOKBOOK]
    assert count_message_tokens(as_dataclasses, model) == expected
    mixed = [m if i % 2 else Message.from_dict(m) for i, m in enumerate(COOKBOOK)]
    assert count_message_tokens(mixed, model) == expected
    assert count_message_tokens(tuple(COOKBOOK), model) == expected


@pytest.mark.parametrize("model", ["gpt-4", "gpt-4o", "gpt-3.5-turbo", "o200k_base", "r50k_base"])
def test_fixture_history_follows_the_documented_rules(model: str) -> None:
    history = load_history()
    assert count_message_tokens(history, model) == reference_count(history, model)


def test_empty_history_is_the_reply_priming() -> None:
    assert count_message_tokens([], "gpt-4o") == 3


def test_parts_and_tool_calls() -> None:
    enc = reference_encoding("gpt-4o")
    base = count_message_tokens([{"role": "user", "content": ""}], "gpt-4o")
    audio = {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}
    parts = [
        {"type": "text", "text": "What is in this image?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/b.png"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/c.png", "detail": "high"}},
        "a bare string part",
        audio,
    ]
    got = count_message_tokens([{"role": "user", "content": parts}], "gpt-4o")
    expected = (
        base
        + len(enc.encode("What is in this image?"))
        + 85
        + 765
        + 765
        + len(enc.encode("a bare string part"))
        + estimate_json_tokens(audio, "gpt-4o")
    )
    assert got == expected
    refusal = [{"role": "assistant", "content": [{"type": "refusal", "refusal": "I can't help with that."}]}]
    assert count_message_tokens(refusal, "gpt-4o") == reference_count(refusal, "gpt-4o")
    calls = [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_a", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}},
            {"id": "call_b", "type": "function", "function": {"name": "g", "arguments": "{}"}},
        ]},
        {"role": "tool", "tool_call_id": "call_a", "content": "1"},
        {"role": "tool", "tool_call_id": "call_b", "content": "2"},
    ]
    assert count_message_tokens(calls, "gpt-4o") == reference_count(calls, "gpt-4o")


def test_special_token_text_counts_as_the_special_token() -> None:
    plain = count_message_tokens([{"role": "user", "content": "x"}], "gpt-4o")
    special = count_message_tokens([{"role": "user", "content": "<|endoftext|>"}], "gpt-4o")
    assert special == plain  # one token each


def test_dataclasses_and_sdk_like_objects_count_like_dicts() -> None:
    history = load_history()
    as_dataclasses = [Message.from_dict(m) for m in history]
    expected = count_message_tokens(history, "gpt-4o")
    assert count_message_tokens(as_dataclasses, "gpt-4o") == expected
    # Objects with the same attributes (the OpenAI SDK's response messages) work too.
    sdk_like = [
        SimpleNamespace(
            role=m["role"],
            content=m.get("content"),
            tool_calls=[
                SimpleNamespace(id=c["id"], function=SimpleNamespace(**c["function"]))
                for c in m.get("tool_calls") or []
            ]
            or None,
            **({"name": m["name"]} if "name" in m else {}),
            **({"tool_call_id": m["tool_call_id"]} if "tool_call_id" in m else {}),
        )
        for m in history
    ]
    assert count_message_tokens(sdk_like, "gpt-4o") == expected


@pytest.mark.parametrize(
    "messages, error",
    [
        ([{"content": "no role"}], ValueError),
        ([{"role": None, "content": "x"}], ValueError),
        ([Message(None, "x")], ValueError),  # type: ignore[arg-type]
        ([{"role": 3, "content": "x"}], TypeError),
        ([{"role": "user", "content": 3}], TypeError),
        ([{"role": "user", "content": [3]}], TypeError),
        ([{"role": "user", "content": [{"type": "text"}]}], ValueError),
        ([{"role": "user", "content": "x", "name": 5}], TypeError),
        ([{"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": "{}"}}]}], ValueError),
        ([{"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": {}}}]}], TypeError),
        ([{"role": "assistant", "tool_calls": [{"id": "c"}]}], ValueError),
        ([{"role": "assistant", "tool_calls": 5}], TypeError),
        ([3], TypeError),
        (["user: hi"], TypeError),
        ({"role": "user", "content": "x"}, TypeError),
        ("hello", TypeError),
        ([{"role": "user", "content": [{"type": "input_audio", "data": {1, 2}}]}], TypeError),
    ],
)
def test_invalid_messages_raise_clear_errors(messages: Any, error: type) -> None:
    with pytest.raises(error) as info:
        count_message_tokens(messages, "gpt-4o")
    assert str(info.value)
    with pytest.raises(error):
        compress_context(messages, 100, 1, "gpt-4o")


def test_error_names_the_message() -> None:
    with pytest.raises(ValueError, match="message 1 has no role"):
        count_message_tokens([{"role": "user", "content": "a"}, {"content": "b"}], "gpt-4o")


def test_unknown_model_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        count_message_tokens(COOKBOOK, "no-such-model")
    with pytest.raises(KeyError):
        compress_context(COOKBOOK, 100, 1, "no-such-model")
    with pytest.raises(KeyError):
        ContextCompactor("no-such-model")


# ---------------------------------------------------------------- compress_context


def conversation() -> list[Any]:
    return [
        {"role": "system", "content": "You are terse.", "x-trace": "kept as is"},       # 0
        {"role": "user", "content": "first question " * 20},                             # 1
        Message("assistant", "first answer " * 20),                                      # 2
        {"role": "assistant", "content": None, "tool_calls": [                            # 3
            {"id": "a", "type": "function", "function": {"name": "search", "arguments": '{"q": "x"}'}},
            {"id": "b", "type": "function", "function": {"name": "search", "arguments": '{"q": "y"}'}},
        ]},
        {"role": "tool", "tool_call_id": "a", "content": "result a " * 10},              # 4
        Message("tool", "result b " * 10, tool_call_id="b"),                             # 5
        {"role": "user", "content": [{"type": "text", "text": "look at this"},           # 6
                                     {"type": "image_url", "image_url": {"url": "u", "detail": "low"}}]},
        Message("assistant", None, tool_calls=(ToolCall("c", FunctionCall("open", "{}")),)),  # 7
        {"role": "tool", "tool_call_id": "c", "content": "opened"},                      # 8
        {"role": "assistant", "content": "done"},                                        # 9
        {"role": "user", "content": "thanks", "name": "alice"},                          # 10
    ]


def kept_indices(result: CompressedContext[Any], messages: list[Any]) -> list[int]:
    ids = [id(m) for m in messages]
    return [ids.index(id(m)) for m in result.messages]


def test_returns_the_callers_objects_in_order() -> None:
    messages = conversation()
    result = compress_context(messages, 10**9, 2, "gpt-4o")
    assert result.messages == messages
    assert all(a is b for a, b in zip(result.messages, messages))
    assert result.messages[0]["x-trace"] == "kept as is"
    assert list(result.messages[0]) == ["role", "content", "x-trace"]
    assert result.truncated_count == 0
    assert result.total_tokens == count_message_tokens(messages, "gpt-4o")


def test_exactly_at_budget_and_one_below() -> None:
    messages = conversation()
    total = count_message_tokens(messages, "gpt-4o")
    at = compress_context(messages, total, 1, "gpt-4o")
    assert (len(at.messages), at.total_tokens, at.truncated_count) == (len(messages), total, 0)
    below = compress_context(messages, total - 1, 1, "gpt-4o")
    assert kept_indices(below, messages) == [0] + list(range(2, 11))
    assert below.total_tokens == count_message_tokens(below.messages, "gpt-4o") <= total - 1


def test_budget_zero_returns_the_protected_messages_with_their_true_total() -> None:
    messages = conversation()
    result = compress_context(messages, 0, 1, "gpt-4o")
    assert kept_indices(result, messages) == [0, 10]
    assert result.total_tokens == count_message_tokens(result.messages, "gpt-4o") > 0
    assert result.truncated_count == 9


@pytest.mark.parametrize("budget", [10**6, 2**63, 10**40])
def test_huge_budgets_keep_everything(budget: int) -> None:
    messages = conversation()
    assert compress_context(messages, budget, 0, "gpt-4o").truncated_count == 0


@pytest.mark.parametrize(
    "last_n, expected",
    [
        (0, [0]),
        (1, [0, 10]),
        (2, [0, 9, 10]),
        (3, [0, 7, 8, 9, 10]),        # the last 3 start at the tool result: its call comes too
        (4, [0, 7, 8, 9, 10]),
        (5, [0, 6, 7, 8, 9, 10]),
        (6, [0, 3, 4, 5, 6, 7, 8, 9, 10]),  # starts at the second result of a parallel call
        (7, [0, 3, 4, 5, 6, 7, 8, 9, 10]),  # ... at the first result
        (8, [0, 3, 4, 5, 6, 7, 8, 9, 10]),  # ... at the call
        (9, [0, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
        (50, list(range(11))),
    ],
)
def test_tool_groups_stay_whole_wherever_the_last_n_start(last_n: int, expected: list[int]) -> None:
    messages = conversation()
    result = compress_context(messages, 0, last_n, "gpt-4o")
    assert kept_indices(result, messages) == expected
    assert result.total_tokens == count_message_tokens(result.messages, "gpt-4o")


def test_unprotected_tool_groups_are_dropped_whole_oldest_first() -> None:
    messages = conversation()
    counts = [count_message_tokens([m], "gpt-4o") - 3 for m in messages]
    total = sum(counts) + 3
    # Budgets that force dropping 1, 2, then the group 3-5, then 6, then the group 7-8.
    steps = [
        (total - counts[1], [0] + list(range(2, 11))),
        (total - sum(counts[1:3]), [0] + list(range(3, 11))),
        (total - sum(counts[1:3]) - 1, [0] + list(range(6, 11))),
        (total - sum(counts[1:7]), [0, 7, 8, 9, 10]),
        (total - sum(counts[1:7]) - 1, [0, 9, 10]),
    ]
    for budget, expected in steps:
        result = compress_context(messages, budget, 1, "gpt-4o")
        assert kept_indices(result, messages) == expected, budget
        assert result.total_tokens <= budget


def test_group_at_the_start_and_at_the_end() -> None:
    call = {"role": "assistant", "content": None, "tool_calls": [
        {"id": "s", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}
    result_message = {"role": "tool", "tool_call_id": "s", "content": "r"}
    start = [call, result_message, {"role": "user", "content": "u " * 30}, {"role": "user", "content": "last"}]
    assert kept_indices(compress_context(start, 0, 1, "gpt-4o"), start) == [3]
    end = [{"role": "user", "content": "u " * 30}, call, result_message]
    assert kept_indices(compress_context(end, 0, 1, "gpt-4o"), end) == [1, 2]


@pytest.mark.parametrize(
    "max_tokens, last_n, error",
    [(-1, 1, ValueError), (100, -1, ValueError), (-(10**30), 1, ValueError), (1.5, 1, TypeError),
     ("100", 1, TypeError), (True, 1, TypeError), (None, 1, TypeError)],
)
def test_bad_budgets(max_tokens: Any, last_n: Any, error: type) -> None:
    with pytest.raises(error):
        compress_context(conversation(), max_tokens, last_n, "gpt-4o")


def test_empty_history() -> None:
    result = compress_context([], 0, 5, "gpt-4o")
    assert (result.messages, result.total_tokens, result.truncated_count) == ([], 3, 0)


def test_long_history_counts_in_parallel_and_matches_sequential() -> None:
    history = load_history() * 200  # 9,200 messages (ids repeat; pairing uses the closest call)
    total = count_message_tokens(history, "gpt-4o")
    assert total == (count_message_tokens(load_history(), "gpt-4o") - 3) * 200 + 3
    result = compress_context(history, total // 3, 5, "gpt-4o")
    assert result.total_tokens <= total // 3
    assert result.total_tokens == count_message_tokens(result.messages, "gpt-4o")


def test_compactor() -> None:
    messages = conversation()
    compactor = ContextCompactor("gpt-4o")
    assert compactor.preserve_last_n == 5
    kept = compactor.compact(messages, 0)
    assert [m for m in kept] == [messages[i] for i in [0, 6, 7, 8, 9, 10]]
    assert ContextCompactor("cl100k_base", preserve_last_n=1).compact(messages, 0) == [messages[0], messages[10]]
    with pytest.raises(ValueError):
        ContextCompactor("gpt-4o", preserve_last_n=-1)
    with pytest.raises(ValueError):
        compactor.compact(messages, -5)


def test_message_round_trip() -> None:
    for m in load_history():
        assert Message.from_dict(m).to_dict() == {**m, "content": m.get("content")} | (
            {"tool_calls": m["tool_calls"]} if m.get("tool_calls") else {}
        )


# ---------------------------------------------------------------- CLI


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tokenizer_rs", *args], input=stdin, capture_output=True, text=True, check=False
    )


def test_cli_compact(tmp_path: Path) -> None:
    history = load_history()
    done = run_cli("compact", str(FIXTURES / "messages.json"), "--max-tokens", "2000", "--preserve-last", "3", "--model", "gpt-4o")
    assert done.returncode == 0, done.stderr
    trimmed = json.loads(done.stdout)
    expected = compress_context(history, 2000, 3, "gpt-4o")
    assert trimmed == expected.messages
    assert f"dropped {expected.truncated_count}" in done.stderr
    assert f"{expected.total_tokens} tokens" in done.stderr

    body = tmp_path / "body.json"
    body.write_text(json.dumps({"model": "gpt-4o", "messages": history}), encoding="utf-8")
    done = run_cli("compact", str(body), "--max-tokens", "0")
    assert done.returncode == 0
    output = json.loads(done.stdout)
    assert output["model"] == "gpt-4o"
    assert output["messages"] == compress_context(history, 0, 5, "gpt-4o").messages
    assert "exceed the budget" in done.stderr

    done = run_cli("compact", "-", "--max-tokens", "100", stdin=json.dumps(COOKBOOK))
    assert done.returncode == 0 and json.loads(done.stdout)[0] == COOKBOOK[0]


@pytest.mark.parametrize(
    "args, stdin",
    [
        (["compact", "-", "--max-tokens", "-1"], "[]"),
        (["compact", "-", "--max-tokens", "10"], '{"no": "messages"}'),
        (["compact", "-", "--max-tokens", "10"], '[{"content": "x"}]'),
        (["compact", "-", "--max-tokens", "10", "--model", "nope"], "[]"),
        (["compact", "-", "--max-tokens", "10"], "not json"),
    ],
)
def test_cli_compact_errors(args: list[str], stdin: str) -> None:
    done = run_cli(*args, stdin=stdin)
    assert done.returncode == 1
    assert done.stderr.startswith("tokenizer-rs: error:")


# ---------------------------------------------------------------- threads and fork


def test_threads_get_the_same_results_as_sequential_calls() -> None:
    from concurrent.futures import ThreadPoolExecutor

    histories = [load_history()[: 10 + i] for i in range(24)]
    budgets = [500 + 97 * i for i in range(24)]
    expected = [compress_context(h, b, 3, "gpt-4o") for h, b in zip(histories, budgets)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda hb: compress_context(hb[0], hb[1], 3, "gpt-4o"), zip(histories, budgets)))
    assert got == expected


def test_a_forked_child_can_trim() -> None:
    import multiprocessing

    history = load_history() * 20
    expected = compress_context(history, 5_000, 5, "gpt-4o").total_tokens  # pool and memo in use
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        result = pool.apply_async(_child_total, (history,))
        assert result.get(timeout=60) == expected


def _child_total(history: list[dict[str, Any]]) -> int:
    return compress_context(history, 5_000, 5, "gpt-4o").total_tokens
