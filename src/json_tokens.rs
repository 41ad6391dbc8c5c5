//! Tokens of JSON values: a fast structural estimate, and the exact count of the compact text.
//!
//! The estimate never builds the serialized document. It relies on how the tiktoken split
//! patterns treat compact JSON: punctuation that sits between two pieces of content (`{"`,
//! `":"`, `","`, `"},{"`, `"],"` ...) is matched as one run and becomes about one token per
//! three characters, while keys, string values, numbers and literals tokenize as they would on
//! their own. So the estimate is the exact token count of every piece of content (escaped as
//! `json.dumps` would) plus `1 + (run_length - 2) / 3` for every run of punctuation. Strings
//! and numbers that repeat (keys of a record array) are counted once per call. Tiny values
//! (a scalar, `{}`, `[1, 2]`) are counted exactly instead.

use rustc_hash::FxHashMap;

use crate::encoding::{Allowed, CoreEncoding};
use crate::error::Result;
use crate::json_compact::{compact_json, escape_into, needs_escape, Separators};
use crate::json_events::{parse_json_events, JsonEvent, JsonNumber};
use crate::tokenizer::resolve;

/// Strings up to this many bytes are remembered (keys, enum-like values); longer ones rarely
/// repeat and would make the memo big.
const MEMO_MAX_BYTES: usize = 64;
/// A bound on the memo of one call, so memory does not grow with the input.
const MEMO_MAX_ENTRIES: usize = 16_384;

/// Values of at most this many events are counted exactly.
const SMALL_VALUE_EVENTS: usize = 8;

/// Tokens of a run of `length` punctuation characters between two pieces of content.
fn punctuation_run_tokens(length: usize) -> usize {
    if length == 0 {
        0
    } else {
        1 + length.saturating_sub(2) / 3
    }
}

/// Walks events, adding content tokens and punctuation runs.
struct Estimator<'e> {
    encoding: &'e CoreEncoding,
    tokens: usize,
    /// Punctuation characters written since the last piece of content.
    run: usize,
    strings: FxHashMap<&'e str, usize>,
    numbers: FxHashMap<(u8, u64), usize>,
    scratch: String,
}

impl<'e> Estimator<'e> {
    fn new(encoding: &'e CoreEncoding) -> Self {
        Estimator {
            encoding,
            tokens: 0,
            run: 0,
            strings: FxHashMap::default(),
            numbers: FxHashMap::default(),
            scratch: String::new(),
        }
    }

    /// A piece of content with `tokens` tokens ends the current punctuation run.
    fn content(&mut self, tokens: usize) {
        self.tokens += punctuation_run_tokens(self.run) + tokens;
        self.run = 0;
    }

    /// Tokens of a string's escaped text (without its quotes).
    fn string_tokens(&mut self, text: &'e str) -> Result<usize> {
        if let Some(&known) = self.strings.get(text) {
            return Ok(known);
        }
        let tokens = if needs_escape(text, false) {
            self.scratch.clear();
            escape_into(text, false, &mut self.scratch);
            self.encoding.count(&self.scratch, Allowed::All)?
        } else {
            self.encoding.count(text, Allowed::All)?
        };
        if text.len() <= MEMO_MAX_BYTES && self.strings.len() < MEMO_MAX_ENTRIES {
            self.strings.insert(text, tokens);
        }
        Ok(tokens)
    }

    fn string(&mut self, text: &'e str) -> Result<()> {
        self.run += 1; // opening quote
        if !text.is_empty() {
            let tokens = self.string_tokens(text)?;
            self.content(tokens);
        }
        self.run += 1; // closing quote
        Ok(())
    }

    fn number(&mut self, number: &JsonNumber<'_>) -> Result<()> {
        let key = match number {
            JsonNumber::Int(v) => Some((0u8, *v as u64)),
            JsonNumber::UInt(v) => Some((1, *v)),
            JsonNumber::Float(v) => Some((2, v.to_bits())),
            JsonNumber::Text(_) => None,
        };
        self.scratch.clear();
        number.write_python(&mut self.scratch);
        // A minus sign joins the punctuation before it (`":-`, `,-`).
        let negative = self.scratch.starts_with('-');
        if negative {
            self.run += 1;
        }
        let cached = key.and_then(|k| self.numbers.get(&k).copied());
        let tokens = match cached {
            Some(tokens) => tokens,
            None => {
                let digits = self.scratch.get(usize::from(negative)..).unwrap_or_default();
                let tokens = self.encoding.count(digits, Allowed::All)?;
                if let Some(k) = key.filter(|_| self.numbers.len() < MEMO_MAX_ENTRIES) {
                    self.numbers.insert(k, tokens);
                }
                tokens
            }
        };
        self.content(tokens);
        Ok(())
    }

    fn literal(&mut self, text: &'static str) -> Result<()> {
        let tokens = self.string_tokens(text)?;
        self.content(tokens);
        Ok(())
    }

    fn run(mut self, events: &'e [JsonEvent<'e>]) -> Result<usize> {
        let mut separators = Separators::default();
        for event in events {
            let is_end = matches!(event, JsonEvent::EndObject | JsonEvent::EndArray);
            if !is_end && separators.comma_before_item() {
                self.run += 1;
            }
            match event {
                JsonEvent::BeginObject | JsonEvent::BeginArray => {
                    self.run += 1;
                    separators.after_key();
                }
                JsonEvent::EndObject | JsonEvent::EndArray => {
                    self.run += 1;
                    separators.after_value();
                }
                JsonEvent::Key(text) => {
                    self.string(text)?;
                    self.run += 1; // colon
                    separators.after_key();
                }
                JsonEvent::String(text) => {
                    self.string(text)?;
                    separators.after_value();
                }
                JsonEvent::Number(number) => {
                    self.number(number)?;
                    separators.after_value();
                }
                JsonEvent::Bool(value) => {
                    self.literal(if *value { "true" } else { "false" })?;
                    separators.after_value();
                }
                JsonEvent::Null => {
                    self.literal("null")?;
                    separators.after_value();
                }
            }
        }
        Ok(self.tokens + punctuation_run_tokens(self.run))
    }
}

/// The estimated tokens of the compact JSON text of `events` (see the module docs).
pub fn estimate_json_events(events: &[JsonEvent<'_>], encoding: &CoreEncoding) -> Result<usize> {
    // A lone scalar or a tiny container has too little structure for the estimate to average
    // out, and its exact count is as cheap.
    if events.len() <= SMALL_VALUE_EVENTS {
        return count_json_events(events, encoding, false);
    }
    Estimator::new(encoding).run(events)
}

/// The exact tokens of `json.dumps(value, separators=(",", ":"), ensure_ascii=...)`,
/// special-token text counted as the special token (as `count_tokens` does).
pub fn count_json_events(
    events: &[JsonEvent<'_>],
    encoding: &CoreEncoding,
    ensure_ascii: bool,
) -> Result<usize> {
    encoding.count(&compact_json(events, ensure_ascii), Allowed::All)
}

/// [`estimate_json_events`] of a JSON text, for a model or encoding name.
pub fn estimate_json_tokens(json_text: &str, model: &str) -> Result<usize> {
    let encoding = resolve(model)?;
    estimate_json_events(&parse_json_events(json_text)?, encoding)
}

/// [`count_json_events`] of a JSON text (parsed, then written compactly), for a model or
/// encoding name.
pub fn count_json_tokens(json_text: &str, model: &str, ensure_ascii: bool) -> Result<usize> {
    let encoding = resolve(model)?;
    count_json_events(&parse_json_events(json_text)?, encoding, ensure_ascii)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_exact() -> Result<()> {
        for (text, model) in
            [("[]", "gpt-4o"), ("null", "gpt-4"), ("-17", "gpt-4o"), ("\"a b c\"", "gpt-4")]
        {
            assert_eq!(estimate_json_tokens(text, model)?, count_json_tokens(text, model, false)?);
        }
        Ok(())
    }

    #[test]
    fn estimate_is_close_on_a_record_array() -> Result<()> {
        let mut text = String::from("[");
        for i in 0..200 {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&format!(
                r#"{{"id": {i}, "name": "item {i}", "price": {}.5, "tags": ["a", "b"], "ok": true}}"#,
                i * 3
            ));
        }
        text.push(']');
        for model in ["gpt-4", "gpt-4o"] {
            let exact = count_json_tokens(&text, model, false)? as f64;
            let estimate = estimate_json_tokens(&text, model)? as f64;
            assert!((estimate - exact).abs() / exact < 0.1, "{model}: {estimate} vs {exact}");
        }
        Ok(())
    }

    #[test]
    fn exact_count_counts_the_compact_text() -> Result<()> {
        let encoding = resolve("gpt-4o")?;
        let text = r#"{"a": [1, 2], "b": "x y"}"#;
        assert_eq!(
            count_json_tokens(text, "gpt-4o", false)?,
            encoding.count(r#"{"a":[1,2],"b":"x y"}"#, Allowed::All)?
        );
        Ok(())
    }
}
