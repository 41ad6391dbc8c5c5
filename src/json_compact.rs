//! Writing JSON events as compact text, byte for byte what Python's
//! `json.dumps(value, separators=(",", ":"), ensure_ascii=...)` writes.

use crate::json_events::JsonEvent;

/// Whether `json.dumps` would escape anything in `text`.
pub fn needs_escape(text: &str, ensure_ascii: bool) -> bool {
    text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\' || (ensure_ascii && (b >= 0x7f)))
}

/// Appends `text` with `json.dumps`'s escapes, without the surrounding quotes.
/// `ensure_ascii=False` escapes only `"`, `\` and control characters below U+0020;
/// `ensure_ascii=True` also escapes DEL and everything beyond ASCII as `\uXXXX` (lowercase hex,
/// UTF-16 surrogate pairs beyond the BMP).
pub fn escape_into(text: &str, ensure_ascii: bool, out: &mut String) {
    if !needs_escape(text, ensure_ascii) {
        out.push_str(text);
        return;
    }
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (ensure_ascii && (c as u32) >= 0x7f) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    push_unicode_escape(*unit, out);
                }
            }
            c => out.push(c),
        }
    }
}

fn push_unicode_escape(unit: u16, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str("\\u");
    for shift in [12u16, 8, 4, 0] {
        let nibble = usize::from((unit >> shift) & 0xf);
        out.push(char::from(HEX.get(nibble).copied().unwrap_or(b'0')));
    }
}

/// Tracks where separators go: a `,` before every element but the first of its container.
#[derive(Default)]
pub struct Separators {
    after_value: bool,
}

impl Separators {
    /// Called before a key, a value in an array, or a top-level value; true when a comma is due.
    pub fn comma_before_item(&mut self) -> bool {
        std::mem::replace(&mut self.after_value, false)
    }
    /// A key was written: its value follows the colon, with no comma.
    pub fn after_key(&mut self) {
        self.after_value = false;
    }
    /// A scalar or a whole container was written.
    pub fn after_value(&mut self) {
        self.after_value = true;
    }
}

/// The compact JSON text of `events`.
pub fn compact_json(events: &[JsonEvent<'_>], ensure_ascii: bool) -> String {
    let mut out = String::with_capacity(events.len() * 8);
    let mut separators = Separators::default();
    for event in events {
        let is_end = matches!(event, JsonEvent::EndObject | JsonEvent::EndArray);
        let is_key = matches!(event, JsonEvent::Key(_));
        if !is_end && separators.comma_before_item() {
            out.push(',');
        }
        match event {
            JsonEvent::BeginObject => out.push('{'),
            JsonEvent::BeginArray => out.push('['),
            JsonEvent::EndObject => out.push('}'),
            JsonEvent::EndArray => out.push(']'),
            JsonEvent::Key(text) | JsonEvent::String(text) => {
                out.push('"');
                escape_into(text, ensure_ascii, &mut out);
                out.push('"');
                if is_key {
                    out.push(':');
                }
            }
            JsonEvent::Number(number) => number.write_python(&mut out),
            JsonEvent::Bool(true) => out.push_str("true"),
            JsonEvent::Bool(false) => out.push_str("false"),
            JsonEvent::Null => out.push_str("null"),
        }
        match event {
            JsonEvent::BeginObject | JsonEvent::BeginArray | JsonEvent::Key(_) => {
                separators.after_key()
            }
            _ => separators.after_value(),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Result;
    use crate::json_events::parse_json_events;

    #[test]
    fn compact_text_matches_json_dumps() -> Result<()> {
        // Expected strings are what CPython 3.11 prints for
        // json.dumps(json.loads(src), separators=(",", ":"), ensure_ascii=...).
        let cases = [
            (
                r#"{ "a" : [1, 2.0, -3e-7, {"b": null}], "c": "\u00e9\n\"", "d": [] , "e": {}}"#,
                false,
                "{\"a\":[1,2.0,-3e-07,{\"b\":null}],\"c\":\"\u{e9}\\n\\\"\",\"d\":[],\"e\":{}}",
            ),
            (r#"["é😀", "\u007f", "\u0001"]"#, true, r#"["\u00e9\ud83d\ude00","\u007f","\u0001"]"#),
            (
                r#"["é😀", "\u007f", "\u0001"]"#,
                false,
                "[\"\u{e9}\u{1f600}\",\"\u{7f}\",\"\\u0001\"]",
            ),
            ("[[],[[]],{}]", false, "[[],[[]],{}]"),
            ("\"x\"", false, "\"x\""),
            ("true", false, "true"),
        ];
        for (source, ensure_ascii, expected) in cases {
            let events = parse_json_events(source)?;
            assert_eq!(compact_json(&events, ensure_ascii), expected, "{source}");
        }
        Ok(())
    }
}
