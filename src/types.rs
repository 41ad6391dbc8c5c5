//! The conversation types: OpenAI-style chat messages, tool calls, and the result of trimming.
//!
//! Strings are `Cow` so that the Python bindings can lend the text of the caller's own `str`
//! objects (no copy) while Rust callers simply own theirs (`Message<'static>`).

use std::borrow::Cow;

use crate::json_events::JsonEvent;

/// The function a tool call invokes: its name and its arguments (a JSON text, as the API sends it).
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionCall<'a> {
    pub name: Cow<'a, str>,
    pub arguments: Cow<'a, str>,
}

/// One entry of an assistant message's `tool_calls`.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall<'a> {
    /// The id a `tool` message quotes as its `tool_call_id`.
    pub id: Cow<'a, str>,
    pub function: FunctionCall<'a>,
}

/// The `detail` of an `image_url` part; it decides the estimate (see `message_tokens`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageDetail {
    Low,
    High,
    Auto,
}

impl ImageDetail {
    /// The API's spelling; a missing or unknown detail is `auto`, as the API treats it.
    pub fn from_api(detail: Option<&str>) -> Self {
        match detail {
            Some("low") => ImageDetail::Low,
            Some("high") => ImageDetail::High,
            _ => ImageDetail::Auto,
        }
    }
}

/// One element of list-of-parts content.
#[derive(Debug, Clone, PartialEq)]
pub enum ContentPart<'a> {
    /// `{"type": "text", "text": ...}` (and `refusal` parts): counted exactly.
    Text(Cow<'a, str>),
    /// `{"type": "image_url", ...}`: a fixed estimate by detail.
    Image(ImageDetail),
    /// Any other part (audio, files, ...): the part itself as JSON, priced by the JSON estimate.
    Other(Vec<JsonEvent<'a>>),
}

/// A message's `content`: a string, nothing (`None`, e.g. an assistant message that only calls
/// tools), or a list of parts.
#[derive(Debug, Clone, PartialEq)]
pub enum Content<'a> {
    None,
    Text(Cow<'a, str>),
    Parts(Vec<ContentPart<'a>>),
}

/// One chat message, as the OpenAI chat API takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Message<'a> {
    pub role: Cow<'a, str>,
    pub content: Content<'a>,
    /// Empty when the message calls no tool.
    pub tool_calls: Vec<ToolCall<'a>>,
    pub name: Option<Cow<'a, str>>,
    pub tool_call_id: Option<Cow<'a, str>>,
}

impl<'a> Message<'a> {
    /// A message with text content and no other field.
    pub fn text(role: impl Into<Cow<'a, str>>, content: impl Into<Cow<'a, str>>) -> Self {
        Message {
            role: role.into(),
            content: Content::Text(content.into()),
            tool_calls: Vec::new(),
            name: None,
            tool_call_id: None,
        }
    }

    /// An assistant message that calls tools (content `None`).
    pub fn tool_calls(calls: Vec<ToolCall<'a>>) -> Self {
        Message {
            role: Cow::Borrowed("assistant"),
            content: Content::None,
            tool_calls: calls,
            name: None,
            tool_call_id: None,
        }
    }

    /// A `tool` message answering the call with id `tool_call_id`.
    pub fn tool_result(
        tool_call_id: impl Into<Cow<'a, str>>,
        content: impl Into<Cow<'a, str>>,
    ) -> Self {
        Message {
            role: Cow::Borrowed("tool"),
            content: Content::Text(content.into()),
            tool_calls: Vec::new(),
            name: None,
            tool_call_id: Some(tool_call_id.into()),
        }
    }

    /// The same message with a `name`.
    pub fn with_name(mut self, name: impl Into<Cow<'a, str>>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// System messages (and `developer`, their successor for o-series models) set the rules of
    /// the conversation; trimming never drops them.
    pub fn is_system(&self) -> bool {
        matches!(self.role.as_ref(), "system" | "developer")
    }

    /// A `tool` message: the result of one tool call.
    pub fn is_tool_result(&self) -> bool {
        self.role == "tool"
    }

    /// Roughly how much text the message holds, to decide whether counting is worth spreading
    /// over threads.
    pub fn text_len(&self) -> usize {
        let content = match &self.content {
            Content::None => 0,
            Content::Text(text) => text.len(),
            Content::Parts(parts) => parts
                .iter()
                .map(|part| match part {
                    ContentPart::Text(text) => text.len(),
                    ContentPart::Image(_) => 0,
                    ContentPart::Other(events) => events.len() * 8,
                })
                .sum(),
        };
        let calls: usize = self
            .tool_calls
            .iter()
            .map(|c| c.id.len() + c.function.name.len() + c.function.arguments.len())
            .sum();
        content + calls + self.role.len()
    }
}

impl<'a> ToolCall<'a> {
    pub fn new(
        id: impl Into<Cow<'a, str>>,
        name: impl Into<Cow<'a, str>>,
        arguments: impl Into<Cow<'a, str>>,
    ) -> Self {
        ToolCall {
            id: id.into(),
            function: FunctionCall { name: name.into(), arguments: arguments.into() },
        }
    }
}

/// What `compress_context` keeps: positions into the caller's message list, so that the caller
/// can return its own message objects in their original order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompressedContext {
    /// Indices of the kept messages, ascending.
    pub kept: Vec<usize>,
    /// `count_message_tokens` of the kept messages (reply priming included).
    pub total_tokens: usize,
    /// How many messages were dropped.
    pub truncated_count: usize,
}

impl CompressedContext {
    /// The kept messages themselves, in their original order.
    pub fn messages<'m, 'a>(&self, all: &'m [Message<'a>]) -> Vec<&'m Message<'a>> {
        self.kept.iter().filter_map(|&i| all.get(i)).collect()
    }
}
