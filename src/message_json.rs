//! Messages from parsed JSON (`serde_json::Value`), with the same rules as the Python bindings
//! apply to dicts: for Rust callers, the tests and the benches.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::json_events::value_events;
use crate::types::{Content, ContentPart, ImageDetail, Message, ToolCall};

fn invalid(index: usize, what: &str) -> Error {
    Error::InvalidMessage(format!("message {index}: {what}"))
}

/// An optional string field: absent and `null` are `None`.
fn optional_str<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    index: usize,
) -> Result<Option<Cow<'a, str>>> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(Cow::Borrowed(s))),
        Some(_) => Err(invalid(index, &format!("{key} must be a string"))),
    }
}

fn part(value: &Value, index: usize) -> Result<ContentPart<'_>> {
    let object = match value {
        Value::String(text) => return Ok(ContentPart::Text(Cow::Borrowed(text))),
        Value::Object(object) => object,
        _ => return Err(invalid(index, "a content part must be an object or a string")),
    };
    let text_field = |key: &str| match object.get(key) {
        Some(Value::String(text)) => Ok(ContentPart::Text(Cow::Borrowed(text))),
        _ => Err(invalid(index, &format!("a {key} part needs a string {key:?}"))),
    };
    match object.get("type").and_then(Value::as_str) {
        Some("text") => text_field("text"),
        Some("refusal") => text_field("refusal"),
        Some("image_url") => {
            let detail = object
                .get("image_url")
                .and_then(|image| image.get("detail"))
                .and_then(Value::as_str);
            Ok(ContentPart::Image(ImageDetail::from_api(detail)))
        }
        _ => {
            let mut events = Vec::new();
            value_events(value, &mut events);
            Ok(ContentPart::Other(events))
        }
    }
}

fn tool_call(value: &Value, index: usize) -> Result<ToolCall<'_>> {
    fn field<'v>(object: Option<&'v Value>, key: &str, index: usize) -> Result<Cow<'v, str>> {
        match object.and_then(|o| o.get(key)) {
            Some(Value::String(s)) => Ok(Cow::Borrowed(s)),
            _ => Err(invalid(index, &format!("every tool call needs a string {key:?}"))),
        }
    }
    Ok(ToolCall {
        id: field(Some(value), "id", index)?,
        function: crate::types::FunctionCall {
            name: field(value.get("function"), "name", index)?,
            arguments: field(value.get("function"), "arguments", index)?,
        },
    })
}

/// One message from a JSON object; `index` only names it in errors.
pub fn message_from_json(value: &Value, index: usize) -> Result<Message<'_>> {
    let Value::Object(object) = value else {
        return Err(invalid(index, "a message must be an object"));
    };
    let role = optional_str(object, "role", index)?.ok_or_else(|| invalid(index, "no role"))?;
    let content = match object.get("content") {
        None | Some(Value::Null) => Content::None,
        Some(Value::String(text)) => Content::Text(Cow::Borrowed(text)),
        Some(Value::Array(parts)) => {
            Content::Parts(parts.iter().map(|p| part(p, index)).collect::<Result<_>>()?)
        }
        Some(_) => return Err(invalid(index, "content must be a string, null or a list of parts")),
    };
    let tool_calls = match object.get("tool_calls") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(calls)) => {
            calls.iter().map(|c| tool_call(c, index)).collect::<Result<_>>()?
        }
        Some(_) => return Err(invalid(index, "tool_calls must be a list")),
    };
    Ok(Message {
        role,
        content,
        tool_calls,
        name: optional_str(object, "name", index)?,
        tool_call_id: optional_str(object, "tool_call_id", index)?,
    })
}

/// Every message of a JSON array.
pub fn messages_from_json(value: &Value) -> Result<Vec<Message<'_>>> {
    let Value::Array(items) = value else {
        return Err(Error::InvalidMessage("messages must be a JSON array".into()));
    };
    items.iter().enumerate().map(|(i, item)| message_from_json(item, i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_field() -> Result<()> {
        let value: Value = serde_json::from_str(
            r#"[{"role": "assistant", "content": null, "tool_calls": [
                  {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "ok", "name": "f"},
                {"role": "user", "content": [{"type": "text", "text": "hi"},
                  {"type": "image_url", "image_url": {"url": "u", "detail": "low"}},
                  {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}]}]"#,
        )
        .map_err(|e| Error::InvalidJson(e.to_string()))?;
        let messages = messages_from_json(&value)?;
        assert_eq!(messages.len(), 3);
        assert_eq!(messages.first().map(|m| m.tool_calls.len()), Some(1));
        assert_eq!(messages.get(1).and_then(|m| m.tool_call_id.as_deref()), Some("c1"));
        assert!(
            matches!(messages.get(2).map(|m| &m.content), Some(Content::Parts(p)) if p.len() == 3)
        );
        Ok(())
    }

    #[test]
    fn rejects_broken_messages() {
        for bad in [
            r#"[{"content": "x"}]"#,
            r#"[{"role": 1}]"#,
            r#"[{"role": "user", "content": 3}]"#,
            r#"[{"role": "assistant", "tool_calls": [{"function": {}}]}]"#,
            r#"{"role": "user"}"#,
            "[1]",
        ] {
            let Ok(value) = serde_json::from_str::<Value>(bad) else { continue };
            assert!(matches!(messages_from_json(&value), Err(Error::InvalidMessage(_))), "{bad}");
        }
    }
}
