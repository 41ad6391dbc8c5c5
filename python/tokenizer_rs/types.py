"""Conversation types: frozen dataclasses for OpenAI-style chat messages.

Every function that takes messages also takes plain dicts in the API's shape, and the two can be
mixed in one list.

>>> from tokenizer_rs import Message, ToolCall, FunctionCall
>>> call = ToolCall("call_1", FunctionCall("get_weather", '{"city": "Paris"}'))
>>> Message("assistant", None, tool_calls=(call,)).to_dict()["tool_calls"][0]["function"]["name"]
'get_weather'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, Union

#: A content part, as the API takes it (``{"type": "text", "text": ...}``, ``image_url`` ...).
ContentPart = Mapping[str, Any]
#: A message's content: text, nothing, or a list of parts.
Content = Union[str, None, Sequence[Union[ContentPart, str]]]

M = TypeVar("M")


@dataclass(frozen=True)
class FunctionCall:
    """The function a tool call invokes; ``arguments`` is JSON text, as the API sends it."""

    name: str
    arguments: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments}


@dataclass(frozen=True)
class ToolCall:
    """One entry of an assistant message's ``tool_calls``."""

    id: str
    function: FunctionCall

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": "function", "function": self.function.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ToolCall:
        function = data["function"]
        return cls(data["id"], FunctionCall(function["name"], function["arguments"]))


@dataclass(frozen=True)
class Message:
    """One chat message.

    >>> Message("user", "Hi!", name="alice").to_dict()
    {'role': 'user', 'content': 'Hi!', 'name': 'alice'}
    """

    role: str
    content: Content
    tool_calls: Sequence[ToolCall] | None = None
    name: str | None = None
    tool_call_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The message as the OpenAI API takes it (fields that are None are left out, but
        content is always present)."""
        data: dict[str, Any] = {"role": self.role, "content": self._plain_content()}
        if self.tool_calls:
            data["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        if self.name is not None:
            data["name"] = self.name
        if self.tool_call_id is not None:
            data["tool_call_id"] = self.tool_call_id
        return data

    def _plain_content(self) -> Content:
        if self.content is None or isinstance(self.content, str):
            return self.content
        return [dict(part) if isinstance(part, Mapping) else part for part in self.content]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        """A Message from an API-shaped dict (extra keys are ignored)."""
        calls = data.get("tool_calls")
        return cls(
            role=data["role"],
            content=data.get("content"),
            tool_calls=tuple(ToolCall.from_dict(c) for c in calls) if calls else None,
            name=data.get("name"),
            tool_call_id=data.get("tool_call_id"),
        )


@dataclass(frozen=True)
class CompressedContext(Generic[M]):
    """What ``compress_context`` returns.

    ``messages`` are the caller's own objects (dicts stay the same dicts), in their original
    order; ``total_tokens`` is ``count_message_tokens(messages)``; ``truncated_count`` is how
    many messages were dropped.
    """

    messages: list[M]
    total_tokens: int
    truncated_count: int
