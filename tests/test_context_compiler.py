"""compile_context: assembly order, per-kind and total budgets, truncation, Persona."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tokenizer_rs import (
    CompiledContext,
    ContextBlock,
    ContextBlockKind,
    ContextCompilerConfig,
    Message,
    compile_context,
    count_tokens,
)

K = ContextBlockKind
MODEL = "gpt-4o"


def unlimited(total: int) -> ContextCompilerConfig:
    return ContextCompilerConfig(total_budget=total, block_budgets={})


def contents(compiled: CompiledContext) -> list[str]:
    return [m.content for m in compiled.system_messages]  # type: ignore[misc]


def test_defaults() -> None:
    config = ContextCompilerConfig()
    assert config.total_budget == 30_000
    assert config.block_budgets == {
        K.PERSONA: 2_000, K.RULES: 5_000, K.MEMORY: 8_000, K.RETRIEVAL: 6_000, K.WORKSPACE: 5_000, K.TASK: 4_000,
    }
    assert list(K) == [K.PERSONA, K.RULES, K.MEMORY, K.RETRIEVAL, K.WORKSPACE, K.TASK]
    assert K.Persona is K.PERSONA and K("task") is K.TASK


def test_assembly_order_and_system_messages() -> None:
    blocks = [
        ContextBlock(K.TASK, "task", 1),
        ContextBlock(K.RETRIEVAL, "doc one", 1),
        ContextBlock("persona", "persona", 1),
        ContextBlock(K.RETRIEVAL, "doc two", 1),
        ContextBlock(K.WORKSPACE, "workspace", 1),
        ContextBlock("Rules", "rules", 1),
        ContextBlock(K.MEMORY, "memory", 1),
    ]
    compiled = compile_context(blocks, ContextCompilerConfig(), MODEL)
    assert contents(compiled) == ["persona", "rules", "memory", "doc one", "doc two", "workspace", "task"]
    assert all(isinstance(m, Message) and m.role == "system" for m in compiled.system_messages)
    assert compiled.total_tokens == sum(count_tokens(c, MODEL) for c in contents(compiled))
    assert compiled.dropped_blocks == []


def test_empty_blocks_are_skipped_and_whitespace_blocks_kept() -> None:
    blocks = [ContextBlock(K.MEMORY, ""), ContextBlock(K.TASK, "  \n"), ContextBlock(K.RULES, "r")]
    compiled = compile_context(blocks, ContextCompilerConfig(), MODEL)
    assert contents(compiled) == ["r", "  \n"]
    assert compiled.dropped_blocks == []


def test_over_the_total_the_lowest_priority_is_dropped_first() -> None:
    text = "word " * 100
    each = count_tokens(text, MODEL)
    low = ContextBlock(K.RETRIEVAL, text, priority=1)
    mid = ContextBlock(K.MEMORY, text, priority=5)
    high = ContextBlock(K.TASK, text, priority=9)
    persona = ContextBlock(K.PERSONA, "You help.", priority=-50)
    blocks = [high, low, persona, mid]
    persona_tokens = count_tokens("You help.", MODEL)
    at_three = compile_context(blocks, unlimited(3 * each + persona_tokens), MODEL)
    assert at_three.dropped_blocks == [] and at_three.total_tokens == 3 * each + persona_tokens
    one_less = compile_context(blocks, unlimited(3 * each + persona_tokens - 1), MODEL)
    assert one_less.dropped_blocks == [low]
    assert one_less.dropped_blocks[0] is low
    assert contents(one_less) == ["You help.", text, text]
    only_high = compile_context(blocks, unlimited(each + persona_tokens), MODEL)
    assert only_high.dropped_blocks == [low, mid]  # in the order given
    assert contents(only_high) == ["You help.", text]


def test_equal_priorities_drop_the_block_assembled_last() -> None:
    text = "word " * 100
    each = count_tokens(text, MODEL)
    memory, task = ContextBlock(K.MEMORY, text), ContextBlock(K.TASK, text)
    assert compile_context([task, memory], unlimited(each), MODEL).dropped_blocks == [task]


def test_per_kind_budget_truncates_at_a_word_end() -> None:
    text = " ".join(f"word{i}" for i in range(300))
    config = ContextCompilerConfig(block_budgets={K.RULES: 50})
    compiled = compile_context([ContextBlock(K.RULES, text)], config, MODEL)
    (kept,) = contents(compiled)
    assert text.startswith(kept) and len(kept) < len(text)
    assert count_tokens(kept, MODEL) <= 50
    assert text[len(kept)] == " "  # cut at a word end
    assert compiled.total_tokens == count_tokens(kept, MODEL)


def test_blocks_of_a_kind_share_its_budget_by_priority() -> None:
    config = ContextCompilerConfig(block_budgets={K.RETRIEVAL: 30})
    first = ContextBlock(K.RETRIEVAL, "alpha " * 20, priority=1)   # 20 tokens
    second = ContextBlock(K.RETRIEVAL, "beta " * 20, priority=2)   # 20 tokens, claims first
    compiled = compile_context([first, second], config, MODEL)
    kept_first, kept_second = contents(compiled)
    assert kept_second == second.content
    assert first.content.startswith(kept_first) and count_tokens(kept_first, MODEL) <= 10
    tight = compile_context([first, second], ContextCompilerConfig(block_budgets={K.RETRIEVAL: 20}), MODEL)
    assert tight.dropped_blocks == [first]


@pytest.mark.parametrize(
    "text",
    [
        "日本語のテキストはトークンの境界で文字が分かれることがあります。" * 20,
        "👩‍👩‍👧‍👦🇯🇵🇺🇦👍🏽" * 40,
        "e\u0301" * 300,
        "mixed 中文 and emoji 🙂 with accents café " * 30,
    ],
)
def test_truncation_never_splits_a_character(text: str) -> None:
    total = count_tokens(text, MODEL)
    for budget in range(0, min(total, 120)):
        compiled = compile_context([ContextBlock(K.MEMORY, text)], ContextCompilerConfig(block_budgets={K.MEMORY: budget}), MODEL)
        kept = "".join(contents(compiled))
        assert text.startswith(kept)
        assert count_tokens(kept, MODEL) <= budget
        rest = text[len(kept):]
        if rest and kept:
            assert not unicodedata.combining(rest[0])
            assert rest[0] not in "\u200d\ufe0f" and not ("\U0001F3FB" <= rest[0] <= "\U0001F3FF")
            assert not kept.endswith("\u200d")


def test_persona_is_never_dropped_only_truncated() -> None:
    persona = ContextBlock(K.PERSONA, "You are a careful assistant. " * 100, priority=-1000)
    other = ContextBlock(K.TASK, "do the task", priority=1000)
    compiled = compile_context([other, persona], unlimited(40), MODEL)
    assert compiled.dropped_blocks == [other]
    (kept,) = contents(compiled)
    assert persona.content.startswith(kept) and 0 < count_tokens(kept, MODEL) <= 40
    assert compiled.total_tokens <= 40
    # Its own kind budget applies too.
    capped = compile_context([persona], ContextCompilerConfig(), MODEL)
    assert capped.total_tokens <= 2_000


def test_zero_and_huge_budgets() -> None:
    blocks = [ContextBlock(K.PERSONA, "p"), ContextBlock(K.TASK, "t")]
    zero = compile_context(blocks, unlimited(0), MODEL)
    assert zero.system_messages == [] and zero.total_tokens == 0
    # Persona truncated to nothing is reported as dropped (nothing of it could be kept).
    assert zero.dropped_blocks == blocks
    huge = compile_context(blocks, ContextCompilerConfig(total_budget=10**30, block_budgets={K.TASK: 10**30}), MODEL)
    assert contents(huge) == ["p", "t"]


@pytest.mark.parametrize(
    "make, error",
    [
        (lambda: ContextBlock("nope", "x"), ValueError),
        (lambda: ContextBlock(K.TASK, 5), TypeError),
        (lambda: ContextBlock(K.TASK, "x", priority=1.5), TypeError),
        (lambda: ContextCompilerConfig(total_budget=-1), ValueError),
        (lambda: ContextCompilerConfig(block_budgets={K.TASK: -5}), ValueError),
        (lambda: ContextCompilerConfig(block_budgets={"nope": 5}), ValueError),
        (lambda: ContextCompilerConfig(total_budget="10"), TypeError),
        (lambda: compile_context(["not a block"], ContextCompilerConfig(), MODEL), TypeError),
        (lambda: compile_context([], {"total_budget": 5}, MODEL), TypeError),
        (lambda: compile_context([ContextBlock(K.TASK, "x")], ContextCompilerConfig(), "no-such-model"), KeyError),
    ],
)
def test_bad_arguments(make: Any, error: type) -> None:
    with pytest.raises(error):
        make()


def test_deterministic() -> None:
    blocks = [ContextBlock(kind, f"{kind.value} " * 3000, priority=i % 3) for i, kind in enumerate(K)]
    first = compile_context(blocks, ContextCompilerConfig(total_budget=12_000), MODEL)
    for _ in range(3):
        assert compile_context(blocks, ContextCompilerConfig(total_budget=12_000), MODEL) == first


blocks_strategy = st.lists(
    st.builds(
        ContextBlock,
        st.sampled_from(list(K)),
        st.text(alphabet=st.sampled_from(list("ab cd\n日本🙂é\u0301")), max_size=200),
        st.integers(-3, 3),
    ),
    max_size=8,
)
budgets = st.one_of(st.none(), st.integers(0, 80))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blocks_strategy, st.integers(0, 200), st.lists(budgets, min_size=6, max_size=6))
def test_budgets_always_hold(blocks: list[ContextBlock], total: int, per_kind: list[int | None]) -> None:
    config = ContextCompilerConfig(total_budget=total, block_budgets=dict(zip(K, per_kind)))
    compiled = compile_context(blocks, config, MODEL)
    kept = contents(compiled)
    assert compiled.total_tokens == sum(count_tokens(c, MODEL) for c in kept) <= total
    # Every kept text is a prefix of a block; kinds come in assembly order; per-kind sums fit.
    dropped_ids = {id(b) for b in compiled.dropped_blocks}
    present = [b for b in blocks if b.content and id(b) not in dropped_ids]
    present.sort(key=lambda b: list(K).index(b.kind))
    assert len(present) == len(kept)
    for block, text in zip(present, kept):
        assert block.content.startswith(text) and text
    for kind, budget in zip(K, per_kind):
        if budget is not None:
            assert sum(count_tokens(t, MODEL) for b, t in zip(present, kept) if b.kind == kind) <= budget
    # Persona is never dropped when it fits its budgets, whatever the priorities.
    persona_tokens = sum(count_tokens(b.content, MODEL) for b in blocks if b.kind is K.PERSONA)
    persona_budget = config.block_budgets.get(K.PERSONA)
    if persona_tokens <= min(total, persona_budget if persona_budget is not None else total):
        assert not any(b.kind is K.PERSONA for b in compiled.dropped_blocks)
        assert [t for b, t in zip(present, kept) if b.kind is K.PERSONA] == [
            b.content for b in blocks if b.kind is K.PERSONA and b.content
        ]
