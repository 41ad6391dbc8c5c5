//! Python messages (OpenAI-style dicts, `tokenizer_rs.Message`, or any object with the same
//! attributes, such as the OpenAI SDK's response messages) as core `Message`s.
//!
//! Two steps, so that the core can borrow the text of the caller's `str` objects instead of
//! copying it: [`read_messages`] checks every field and holds the Python strings; [`borrow`]
//! then lends their text for as long as those are held (and the GIL can be released meanwhile:
//! Python strings are immutable).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use super::json_value::python_json_events;
use super::text;
use crate::json_events::JsonEvent;
use crate::types::{Content, ContentPart, FunctionCall, ImageDetail, Message, ToolCall};

enum RawPart<'py> {
    Text(Bound<'py, PyString>),
    Image(ImageDetail),
    Other(Vec<JsonEvent<'static>>),
}

enum RawContent<'py> {
    None,
    Text(Bound<'py, PyString>),
    Parts(Vec<RawPart<'py>>),
}

struct RawToolCall<'py> {
    id: Bound<'py, PyString>,
    name: Bound<'py, PyString>,
    arguments: Bound<'py, PyString>,
}

/// A message whose fields are checked and held, ready to be lent to the core.
pub struct RawMessage<'py> {
    role: Bound<'py, PyString>,
    content: RawContent<'py>,
    tool_calls: Vec<RawToolCall<'py>>,
    name: Option<Bound<'py, PyString>>,
    tool_call_id: Option<Bound<'py, PyString>>,
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}

/// A field of a dict (by key) or of any other object (by attribute); absent and None are None.
fn field<'py>(
    holder: &Bound<'py, PyAny>,
    key: &Bound<'py, PyString>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let found = match holder.cast::<PyDict>() {
        Ok(dict) => dict.get_item(key)?,
        Err(_) => holder.getattr_opt(key)?,
    };
    Ok(found.filter(|value| !value.is_none()))
}

fn string<'py>(
    value: Bound<'py, PyAny>,
    what: impl FnOnce() -> String,
) -> PyResult<Bound<'py, PyString>> {
    match value.cast_into::<PyString>() {
        Ok(string) => Ok(string),
        Err(error) => {
            let found = type_name(error.into_inner().as_any());
            Err(PyTypeError::new_err(format!("{} must be str, not {found}", what())))
        }
    }
}

fn optional_string<'py>(
    holder: &Bound<'py, PyAny>,
    key: &Bound<'py, PyString>,
    what: impl FnOnce() -> String,
) -> PyResult<Option<Bound<'py, PyString>>> {
    field(holder, key)?.map(|value| string(value, what)).transpose()
}

/// The items of a list or tuple (or any other iterable but str, bytes and dict).
pub fn items<'py>(value: &Bound<'py, PyAny>, what: &str) -> PyResult<Vec<Bound<'py, PyAny>>> {
    if let Ok(list) = value.cast::<PyList>() {
        return Ok(list.iter().collect());
    }
    if let Ok(tuple) = value.cast::<PyTuple>() {
        return Ok(tuple.iter().collect());
    }
    let not_a_list = value.is_instance_of::<PyString>()
        || value.is_instance_of::<PyDict>()
        || value.is_instance_of::<pyo3::types::PyBytes>();
    match value.try_iter() {
        Ok(iter) if !not_a_list => iter.collect(),
        _ => Err(PyTypeError::new_err(format!("{what} must be a list, not {}", type_name(value)))),
    }
}

fn part<'py>(value: &Bound<'py, PyAny>, index: usize) -> PyResult<RawPart<'py>> {
    let py = value.py();
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(RawPart::Text(text.clone()));
    }
    if !value.is_instance_of::<PyDict>() {
        return Err(PyTypeError::new_err(format!(
            "message {index}: a content part must be a dict or a str, not {}",
            type_name(value)
        )));
    }
    let kind =
        optional_string(value, intern!(py, "type"), || format!("message {index}: a part's type"))?;
    let kind = match &kind {
        Some(kind) => Some(kind.to_str()?),
        None => None,
    };
    match kind {
        Some(key @ ("text" | "refusal")) => {
            let key_object =
                if key == "text" { intern!(py, "text") } else { intern!(py, "refusal") };
            match field(value, key_object)? {
                Some(text) => Ok(RawPart::Text(string(text, || {
                    format!("message {index}: a {key} part's {key}")
                })?)),
                None => Err(PyValueError::new_err(format!(
                    "message {index}: a {key} part has no {key:?}"
                ))),
            }
        }
        Some("image_url") => {
            let image = field(value, intern!(py, "image_url"))?;
            let detail = match image {
                Some(image) if image.is_instance_of::<PyDict>() => {
                    optional_string(&image, intern!(py, "detail"), || {
                        format!("message {index}: an image's detail")
                    })?
                }
                _ => None,
            };
            let detail = match &detail {
                Some(detail) => Some(detail.to_str()?),
                None => None,
            };
            Ok(RawPart::Image(ImageDetail::from_api(detail)))
        }
        _ => {
            let mut events = Vec::new();
            python_json_events(value, &mut events, 0)?;
            Ok(RawPart::Other(events))
        }
    }
}

fn tool_call<'py>(value: &Bound<'py, PyAny>, index: usize) -> PyResult<RawToolCall<'py>> {
    let py = value.py();
    let required = |holder: &Bound<'py, PyAny>, key: &Bound<'py, PyString>, what: &str| match field(
        holder, key,
    )? {
        Some(found) => string(found, || format!("message {index}: a tool call's {what}")),
        None => Err(PyValueError::new_err(format!("message {index}: a tool call has no {what}"))),
    };
    let function = field(value, intern!(py, "function"))?.ok_or_else(|| {
        PyValueError::new_err(format!("message {index}: a tool call has no function"))
    })?;
    Ok(RawToolCall {
        id: required(value, intern!(py, "id"), "id")?,
        name: required(&function, intern!(py, "name"), "function name")?,
        arguments: required(&function, intern!(py, "arguments"), "function arguments")?,
    })
}

fn read_message<'py>(value: &Bound<'py, PyAny>, index: usize) -> PyResult<RawMessage<'py>> {
    let py = value.py();
    let is_dict = value.is_instance_of::<PyDict>();
    if !is_dict && !value.hasattr(intern!(py, "role"))? {
        return Err(PyTypeError::new_err(format!(
            "message {index} must be a dict or a Message, not {}",
            type_name(value)
        )));
    }
    let role = optional_string(value, intern!(py, "role"), || format!("message {index}: role"))?
        .ok_or_else(|| PyValueError::new_err(format!("message {index} has no role")))?;
    let content = match field(value, intern!(py, "content"))? {
        None => RawContent::None,
        Some(content) => match content.cast_into::<PyString>() {
            Ok(text) => RawContent::Text(text),
            Err(error) => {
                let content = error.into_inner();
                let what = format!("message {index}: content");
                let parts = items(&content, &what).map_err(|_| {
                    PyTypeError::new_err(format!(
                        "{what} must be a str, None or a list of parts, not {}",
                        type_name(&content)
                    ))
                })?;
                RawContent::Parts(parts.iter().map(|p| part(p, index)).collect::<PyResult<_>>()?)
            }
        },
    };
    let tool_calls = match field(value, intern!(py, "tool_calls"))? {
        None => Vec::new(),
        Some(calls) => items(&calls, &format!("message {index}: tool_calls"))?
            .iter()
            .map(|call| tool_call(call, index))
            .collect::<PyResult<_>>()?,
    };
    Ok(RawMessage {
        role,
        content,
        tool_calls,
        name: optional_string(value, intern!(py, "name"), || format!("message {index}: name"))?,
        tool_call_id: optional_string(value, intern!(py, "tool_call_id"), || {
            format!("message {index}: tool_call_id")
        })?,
    })
}

/// Checks and holds every message of a list (TypeError for wrong types, ValueError for a
/// message without a role or a tool call without its id or function).
pub fn read_messages<'py>(messages: &[Bound<'py, PyAny>]) -> PyResult<Vec<RawMessage<'py>>> {
    messages.iter().enumerate().map(|(index, message)| read_message(message, index)).collect()
}

/// Lends a held message's text to the core.
pub fn borrow<'a>(raw: &'a RawMessage<'_>) -> PyResult<Message<'a>> {
    let lend = |s: &'a Bound<'_, PyString>| text::text(s.as_any(), "text");
    let content = match &raw.content {
        RawContent::None => Content::None,
        RawContent::Text(text) => Content::Text(lend(text)?),
        RawContent::Parts(parts) => Content::Parts(
            parts
                .iter()
                .map(|part| {
                    Ok(match part {
                        RawPart::Text(text) => ContentPart::Text(lend(text)?),
                        RawPart::Image(detail) => ContentPart::Image(*detail),
                        RawPart::Other(events) => ContentPart::Other(events.clone()),
                    })
                })
                .collect::<PyResult<_>>()?,
        ),
    };
    Ok(Message {
        role: lend(&raw.role)?,
        content,
        tool_calls: raw
            .tool_calls
            .iter()
            .map(|call| {
                Ok(ToolCall {
                    id: lend(&call.id)?,
                    function: FunctionCall {
                        name: lend(&call.name)?,
                        arguments: lend(&call.arguments)?,
                    },
                })
            })
            .collect::<PyResult<_>>()?,
        name: raw.name.as_ref().map(lend).transpose()?,
        tool_call_id: raw.tool_call_id.as_ref().map(lend).transpose()?,
    })
}
