"""Property tests of compress_context on random conversations and budgets."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tokenizer_rs import FunctionCall, Message, ToolCall, compress_context, count_message_tokens

MODEL = "gpt-4o"
WORDS = st.lists(st.sampled_from(["alpha", "beta", "gamma", "δέλτα", "日本", "🙂", "<|endoftext|>", "\n", "x" * 40]),
                 min_size=0, max_size=12).map(" ".join)


@st.composite
def conversations(draw: st.DrawFn) -> list[Any]:
    """Valid conversations: every tool call answered right after it, no orphan result; dicts and
    dataclasses mixed; names and list-of-parts content here and there."""
    messages: list[Any] = []
    call_number = 0
    as_dataclass = st.booleans()
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.sampled_from(["system", "user", "assistant", "tools", "parts", "named"]))
        if kind == "tools":
            ids = []
            for _ in range(draw(st.integers(1, 3))):
                call_number += 1
                ids.append(f"call_{call_number}")
            content = draw(st.one_of(st.none(), WORDS))
            if draw(as_dataclass):
                calls = tuple(ToolCall(i, FunctionCall("fn", draw(WORDS))) for i in ids)
                messages.append(Message("assistant", content, tool_calls=calls))
            else:
                messages.append({"role": "assistant", "content": content, "tool_calls": [
                    {"id": i, "type": "function", "function": {"name": "fn", "arguments": draw(WORDS)}} for i in ids]})
            for i in draw(st.permutations(ids)):
                if draw(as_dataclass):
                    messages.append(Message("tool", draw(WORDS), tool_call_id=i))
                else:
                    messages.append({"role": "tool", "tool_call_id": i, "content": draw(WORDS)})
        elif kind == "parts":
            messages.append({"role": "user", "content": [
                {"type": "text", "text": draw(WORDS)},
                {"type": "image_url", "image_url": {"url": "u", "detail": draw(st.sampled_from(["low", "high"]))}},
            ]})
        elif kind == "named":
            messages.append(Message("user", draw(WORDS), name="alice"))
        else:
            if draw(as_dataclass):
                messages.append(Message(kind, draw(WORDS)))
            else:
                messages.append({"role": kind, "content": draw(WORDS)})
    return messages


def field(message: Any, key: str) -> Any:
    return message.get(key) if isinstance(message, dict) else getattr(message, key)


def call_ids(message: Any) -> list[str]:
    calls = field(message, "tool_calls") or []
    return [c["id"] if isinstance(c, dict) else c.id for c in calls]


def units(messages: list[Any]) -> list[int]:
    """For each message, the index of the message that starts its unit."""
    owner: dict[str, int] = {}
    unit = list(range(len(messages)))
    for index, message in enumerate(messages):
        if field(message, "role") == "tool" and field(message, "tool_call_id") in owner:
            unit[index] = owner[field(message, "tool_call_id")]
        for call_id in call_ids(message):
            owner[call_id] = index
    return unit


def protected_indices(messages: list[Any], last_n: int) -> set[int]:
    unit = units(messages)
    roots = {unit[i] for i, m in enumerate(messages) if field(m, "role") == "system" or i >= len(messages) - last_n}
    return {i for i in range(len(messages)) if unit[i] in roots}


def reference_selection(messages: list[Any], budget: int, last_n: int) -> list[int]:
    """The rules in plain Python: drop unprotected units, oldest first, until it fits."""
    unit = units(messages)
    counts = [count_message_tokens([m], MODEL) - 3 for m in messages]
    protected = protected_indices(messages, last_n)
    total = sum(counts) + 3
    dropped: set[int] = set()
    for root in sorted(set(unit)):
        if total <= budget:
            break
        if root not in protected:
            dropped.add(root)
            total -= sum(c for i, c in enumerate(counts) if unit[i] == root)
    return [i for i in range(len(messages)) if unit[i] not in dropped]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(conversations(), st.integers(0, 5000), st.integers(0, 30))
def test_result_is_valid_protected_and_within_budget(messages: list[Any], budget: int, last_n: int) -> None:
    result = compress_context(messages, budget, last_n, MODEL)
    positions = {id(m): i for i, m in enumerate(messages)}
    kept = [positions[id(m)] for m in result.messages]

    # The caller's own objects, in their original order.
    assert kept == sorted(set(kept))
    assert result.truncated_count == len(messages) - len(kept)
    # A valid conversation: no orphan result, no call without all its results.
    answered = set()
    for message in result.messages:
        if field(message, "role") == "tool":
            assert field(message, "tool_call_id") in answered
        answered.update(call_ids(message))
    results = {field(m, "tool_call_id") for m in result.messages if field(m, "role") == "tool"}
    for message in result.messages:
        assert set(call_ids(message)) <= results
    # Every protected message is kept.
    protected = protected_indices(messages, last_n)
    assert protected <= set(kept)
    # The reported total is the true total; it fits whenever the protected messages do.
    assert result.total_tokens == count_message_tokens(result.messages, MODEL)
    if count_message_tokens([messages[i] for i in sorted(protected)], MODEL) <= budget:
        assert result.total_tokens <= budget
    # And it is exactly the documented rule.
    assert kept == reference_selection(messages, budget, last_n)
