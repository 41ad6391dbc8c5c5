//! A JSON value as a flat list of events (begin/end of containers, keys, scalars), the common
//! input of the token estimate and the exact compact count. Events come from JSON text here, or
//! from a walk over Python objects in the bindings; both keep the keys in their given order.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::{Error, Result};

/// A JSON number, kept as it was read so it can be written the way Python's `json.dumps` does.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonNumber<'a> {
    Int(i64),
    UInt(u64),
    Float(f64),
    /// Already formatted (Python integers beyond 64 bits).
    Text(Cow<'a, str>),
}

/// One step of a depth-first walk over a JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonEvent<'a> {
    BeginObject,
    EndObject,
    BeginArray,
    EndArray,
    Key(Cow<'a, str>),
    String(Cow<'a, str>),
    Number(JsonNumber<'a>),
    Bool(bool),
    Null,
}

impl JsonNumber<'_> {
    /// Appends the number as `json.dumps` writes it (`float.__repr__` for floats, `NaN` and
    /// `Infinity` for the non-finite ones).
    pub fn write_python(&self, out: &mut String) {
        // Writing to a String cannot fail.
        let _ = match self {
            JsonNumber::Int(value) => write!(out, "{value}"),
            JsonNumber::UInt(value) => write!(out, "{value}"),
            JsonNumber::Float(value) => {
                write_python_float(*value, out);
                Ok(())
            }
            JsonNumber::Text(text) => {
                out.push_str(text);
                Ok(())
            }
        };
    }
}

/// Python's `repr(float)` (what `json.dumps` writes): the shortest digits that read back to the
/// same float, positional notation for decimal exponents -4..15 (with `.0` when integral), else
/// `d.ddde+XX` with at least two exponent digits.
pub fn write_python_float(value: f64, out: &mut String) {
    if value.is_nan() {
        out.push_str("NaN");
        return;
    }
    if value.is_infinite() {
        out.push_str(if value > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    // Rust's `{:e}` gives the same shortest round-trip digits as Python's repr; only the layout
    // differs.
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if negative {
        out.push('-');
    }
    if (-4..16).contains(&exponent) {
        if exponent >= 0 {
            let int_len = exponent as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                let (int_part, frac_part) = digits.split_at(int_len);
                out.push_str(int_part);
                out.push('.');
                out.push_str(frac_part);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exponent - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        let mut chars = digits.chars();
        if let Some(first) = chars.next() {
            out.push(first);
        }
        let rest = chars.as_str();
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let sign = if exponent < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{:02}", exponent.unsigned_abs());
    }
}

/// Parses JSON text into events (strings without escapes are borrowed from `text`).
/// Invalid JSON, and nesting deeper than serde_json's limit of 128, are `InvalidJson`.
pub fn parse_json_events(text: &str) -> Result<Vec<JsonEvent<'_>>> {
    let mut events = Vec::with_capacity(text.len() / 8 + 1);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    ValueSeed { out: &mut events }
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end())
        .map_err(|e| Error::InvalidJson(e.to_string()))?;
    Ok(events)
}

/// Reads one value and pushes its events.
struct ValueSeed<'v, 'de> {
    out: &'v mut Vec<JsonEvent<'de>>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, value: bool) -> std::result::Result<(), E> {
        self.out.push(JsonEvent::Bool(value));
        Ok(())
    }
    fn visit_i64<E>(self, value: i64) -> std::result::Result<(), E> {
        self.out.push(JsonEvent::Number(JsonNumber::Int(value)));
        Ok(())
    }
    fn visit_u64<E>(self, value: u64) -> std::result::Result<(), E> {
        self.out.push(JsonEvent::Number(JsonNumber::UInt(value)));
        Ok(())
    }
    fn visit_f64<E>(self, value: f64) -> std::result::Result<(), E> {
        self.out.push(JsonEvent::Number(JsonNumber::Float(value)));
        Ok(())
    }
    fn visit_borrowed_str<E>(self, value: &'de str) -> std::result::Result<(), E> {
        self.out.push(JsonEvent::String(Cow::Borrowed(value)));
        Ok(())
    }
    fn visit_str<E>(self, value: &str) -> std::result::Result<(), E> {
        self.out.push(JsonEvent::String(Cow::Owned(value.to_owned())));
        Ok(())
    }
    fn visit_unit<E>(self) -> std::result::Result<(), E> {
        self.out.push(JsonEvent::Null);
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        self.out.push(JsonEvent::BeginArray);
        while seq.next_element_seed(ValueSeed { out: &mut *self.out })?.is_some() {}
        self.out.push(JsonEvent::EndArray);
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        self.out.push(JsonEvent::BeginObject);
        while map.next_key_seed(KeySeed { out: &mut *self.out })?.is_some() {
            map.next_value_seed(ValueSeed { out: &mut *self.out })?;
        }
        self.out.push(JsonEvent::EndObject);
        Ok(())
    }
}

/// Reads one object key and pushes it.
struct KeySeed<'v, 'de> {
    out: &'v mut Vec<JsonEvent<'de>>,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E>(self, value: &'de str) -> std::result::Result<(), E> {
        self.out.push(JsonEvent::Key(Cow::Borrowed(value)));
        Ok(())
    }
    fn visit_str<E>(self, value: &str) -> std::result::Result<(), E> {
        self.out.push(JsonEvent::Key(Cow::Owned(value.to_owned())));
        Ok(())
    }
}

/// Events of a `serde_json::Value` (object keys in the map's order).
pub fn value_events<'a>(value: &'a serde_json::Value, out: &mut Vec<JsonEvent<'a>>) {
    use serde_json::Value;
    match value {
        Value::Null => out.push(JsonEvent::Null),
        Value::Bool(b) => out.push(JsonEvent::Bool(*b)),
        Value::Number(n) => out.push(JsonEvent::Number(if let Some(i) = n.as_i64() {
            JsonNumber::Int(i)
        } else if let Some(u) = n.as_u64() {
            JsonNumber::UInt(u)
        } else {
            JsonNumber::Float(n.as_f64().unwrap_or(f64::NAN))
        })),
        Value::String(s) => out.push(JsonEvent::String(Cow::Borrowed(s))),
        Value::Array(items) => {
            out.push(JsonEvent::BeginArray);
            items.iter().for_each(|item| value_events(item, out));
            out.push(JsonEvent::EndArray);
        }
        Value::Object(map) => {
            out.push(JsonEvent::BeginObject);
            for (key, item) in map {
                out.push(JsonEvent::Key(Cow::Borrowed(key)));
                value_events(item, out);
            }
            out.push(JsonEvent::EndObject);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repr(value: f64) -> String {
        let mut out = String::new();
        write_python_float(value, &mut out);
        out
    }

    #[test]
    fn floats_are_written_like_python_repr() {
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (42.0, "42.0"),
            (std::f64::consts::PI, "3.141592653589793"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e-10, "1e-10"),
            (-2e-05, "-2e-05"),
            (1.5e300, "1.5e+300"),
            (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (-1.5, "-1.5"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (value, expected) in cases {
            assert_eq!(repr(value), expected, "{value:e}");
        }
    }

    #[test]
    fn text_parses_to_ordered_events() -> Result<()> {
        let events = parse_json_events(r#" {"b": [1, -2, 2.5, "x\n"], "a": null, "t": true} "#)?;
        assert_eq!(
            events,
            vec![
                JsonEvent::BeginObject,
                JsonEvent::Key("b".into()),
                JsonEvent::BeginArray,
                JsonEvent::Number(JsonNumber::UInt(1)),
                JsonEvent::Number(JsonNumber::Int(-2)),
                JsonEvent::Number(JsonNumber::Float(2.5)),
                JsonEvent::String("x\n".into()),
                JsonEvent::EndArray,
                JsonEvent::Key("a".into()),
                JsonEvent::Null,
                JsonEvent::Key("t".into()),
                JsonEvent::Bool(true),
                JsonEvent::EndObject,
            ]
        );
        Ok(())
    }

    #[test]
    fn invalid_text_is_an_error() {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "nul", "1 2", "\"\\x\""] {
            assert!(matches!(parse_json_events(bad), Err(Error::InvalidJson(_))), "{bad:?}");
        }
        let deep = "[".repeat(100_000);
        assert!(matches!(parse_json_events(&deep), Err(Error::InvalidJson(_))));
    }
}
