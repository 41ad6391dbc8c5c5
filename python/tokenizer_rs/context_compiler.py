"""The context compiler: typed system-prompt blocks assembled under token budgets.

>>> from tokenizer_rs import ContextBlock, ContextBlockKind, ContextCompilerConfig, compile_context
>>> blocks = [
...     ContextBlock(ContextBlockKind.TASK, "Summarize the ticket.", priority=10),
...     ContextBlock(ContextBlockKind.PERSONA, "You are a support engineer.", priority=0),
... ]
>>> compiled = compile_context(blocks, ContextCompilerConfig(), "gpt-4o")
>>> [m.content for m in compiled.system_messages]
['You are a support engineer.', 'Summarize the ticket.']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Union

from . import _native
from .types import Message

__all__ = [
    "CompiledContext",
    "ContextBlock",
    "ContextBlockKind",
    "ContextCompilerConfig",
    "compile_context",
]


class ContextBlockKind(str, Enum):
    """The kinds of block, in assembly order (Persona first, Task last)."""

    PERSONA = "persona"
    RULES = "rules"
    MEMORY = "memory"
    RETRIEVAL = "retrieval"
    WORKSPACE = "workspace"
    TASK = "task"
    # The spelling DESIGN.md uses, as aliases of the same members.
    Persona = "persona"
    Rules = "rules"
    Memory = "memory"
    Retrieval = "retrieval"
    Workspace = "workspace"
    Task = "task"

    @classmethod
    def parse(cls, value: Union[ContextBlockKind, str]) -> ContextBlockKind:
        """A kind from a member or its name in any case ("persona", "Persona", "PERSONA")."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            try:
                return cls(value.lower())
            except ValueError:
                pass
        names = ", ".join(kind.value for kind in cls)
        raise ValueError(f"unknown block kind {value!r}; expected one of {names}")


_ORDER: tuple[ContextBlockKind, ...] = tuple(ContextBlockKind)
_POSITION = {kind: position for position, kind in enumerate(_ORDER)}

DEFAULT_BLOCK_BUDGETS: Mapping[ContextBlockKind, int] = {
    ContextBlockKind.PERSONA: 2_000,
    ContextBlockKind.RULES: 5_000,
    ContextBlockKind.MEMORY: 8_000,
    ContextBlockKind.RETRIEVAL: 6_000,
    ContextBlockKind.WORKSPACE: 5_000,
    ContextBlockKind.TASK: 4_000,
}


def _check_budget(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{what} must be >= 0, got {value}")
    return value


@dataclass(frozen=True)
class ContextBlock:
    """One block of system prompt; a higher ``priority`` is kept longer.

    ``kind`` may be given as a ``ContextBlockKind`` or its name.
    """

    kind: ContextBlockKind
    content: str
    priority: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ContextBlockKind.parse(self.kind))
        if not isinstance(self.content, str):
            raise TypeError(f"content must be str, not {type(self.content).__name__}")
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise TypeError(f"priority must be an int, not {type(self.priority).__name__}")


@dataclass(frozen=True)
class ContextCompilerConfig:
    """Token budgets: ``total_budget`` for everything, ``block_budgets`` per kind (a kind
    missing from the dict, or mapped to None, has no per-kind limit)."""

    total_budget: int = 30_000
    block_budgets: Mapping[ContextBlockKind, Union[int, None]] = field(
        default_factory=lambda: dict(DEFAULT_BLOCK_BUDGETS)
    )

    def __post_init__(self) -> None:
        _check_budget(self.total_budget, "total_budget")
        budgets: dict[ContextBlockKind, Union[int, None]] = {}
        for kind, budget in self.block_budgets.items():
            parsed = ContextBlockKind.parse(kind)
            budgets[parsed] = None if budget is None else _check_budget(budget, f"the {parsed.value} budget")
        object.__setattr__(self, "block_budgets", budgets)


@dataclass(frozen=True)
class CompiledContext:
    """The assembled prompt: one system message per kept block in assembly order, the tokens
    of their content, and the caller's blocks that were dropped (in the order given)."""

    system_messages: list[Message]
    total_tokens: int
    dropped_blocks: list[ContextBlock]


def compile_context(
    blocks: Sequence[ContextBlock], config: ContextCompilerConfig, model: str
) -> CompiledContext:
    """Assemble ``blocks`` into system messages under the budgets of ``config``.

    Blocks are assembled Persona, Rules, Memory, Retrieval, Workspace, Task (in the order given
    within a kind). Budgets are real tokens of ``model``. A block over its kind's budget is
    truncated (at a token boundary, back to a word end when that keeps more than half, never
    inside a character); over the total budget the lowest-priority blocks are dropped first
    (ties: the one assembled later). Persona is never dropped, only truncated to fit. Empty
    blocks are skipped; whitespace-only blocks are kept. See docs/conversations.md.

    >>> compiled = compile_context([ContextBlock("memory", "likes tea")], ContextCompilerConfig(), "gpt-4o")
    >>> compiled.total_tokens, compiled.dropped_blocks
    (2, [])
    """
    blocks = list(blocks)
    for block in blocks:
        if not isinstance(block, ContextBlock):
            raise TypeError(f"blocks must be ContextBlock objects, not {type(block).__name__}")
    if not isinstance(config, ContextCompilerConfig):
        raise TypeError(f"config must be a ContextCompilerConfig, not {type(config).__name__}")
    kept, dropped, total_tokens = _native.compile_blocks(
        [(_POSITION[b.kind], b.content, b.priority) for b in blocks],
        config.total_budget,
        [config.block_budgets.get(kind) for kind in _ORDER],
        model,
    )
    return CompiledContext(
        system_messages=[Message("system", text) for _, text, _ in kept],
        total_tokens=total_tokens,
        dropped_blocks=[blocks[index] for index in dropped],
    )
