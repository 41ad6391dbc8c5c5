#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly
//! The conversation layer on the fixtures: messages.json and json_samples.json.

use std::collections::HashSet;

use tokenizer_rs::json_events::{parse_json_events, JsonEvent};
use tokenizer_rs::json_tokens::{count_json_events, estimate_json_events};
use tokenizer_rs::{
    compress_context, count_message_tokens, messages_from_json, resolve, Error, Message, Result,
};

fn fixture(name: &str) -> Result<String> {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).map_err(|e| Error::InvalidArgument(format!("{path}: {e}")))
}

fn parse(text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| Error::InvalidJson(e.to_string()))
}

/// No tool result without its call before it, no call without all its results.
fn assert_valid(messages: &[&Message<'_>]) {
    let mut called = HashSet::new();
    let mut answered = HashSet::new();
    for message in messages {
        if message.is_tool_result() {
            let id = message.tool_call_id.as_deref().unwrap_or_default();
            assert!(called.contains(id), "orphan tool result {id}");
            answered.insert(id.to_owned());
        }
        called.extend(message.tool_calls.iter().map(|c| c.id.to_string()));
    }
    for id in called {
        assert!(answered.contains(&id), "call {id} without its result");
    }
}

#[test]
fn fixture_history_trims_validly_at_every_budget() -> Result<()> {
    let value = parse(&fixture("messages.json")?)?;
    let messages = messages_from_json(&value)?;
    let total = count_message_tokens(&messages, "gpt-4o")?;
    for budget in (0..=total + 10).step_by(331) {
        for last in [0, 1, 3, 5, 8] {
            let result = compress_context(&messages, budget, last, "gpt-4o")?;
            let kept = result.messages(&messages);
            assert_valid(&kept);
            let owned: Vec<Message<'_>> = kept.iter().map(|m| (*m).clone()).collect();
            assert_eq!(result.total_tokens, count_message_tokens(&owned, "gpt-4o")?);
            assert!(kept.first().is_some_and(|m| m.is_system()));
            assert!(result.kept.windows(2).all(|w| w.first() < w.get(1)));
        }
    }
    Ok(())
}

/// The events of each element of a top-level JSON array, in the file's own key order.
fn array_elements<'e, 'a>(events: &'e [JsonEvent<'a>]) -> Vec<&'e [JsonEvent<'a>]> {
    let mut elements = Vec::new();
    let (mut depth, mut start) = (0usize, 1usize);
    for (index, event) in events.iter().enumerate().skip(1) {
        match event {
            JsonEvent::BeginObject | JsonEvent::BeginArray => depth += 1,
            JsonEvent::EndObject | JsonEvent::EndArray if depth == 0 => break,
            JsonEvent::EndObject | JsonEvent::EndArray => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            elements.extend(events.get(start..=index));
            start = index + 1;
        }
    }
    elements
}

#[test]
fn json_estimate_is_within_ten_percent_on_the_fixtures() -> Result<()> {
    let text = fixture("json_samples.json")?;
    let events = parse_json_events(&text)?;
    let samples = array_elements(&events);
    assert_eq!(samples.len(), 30);
    for model in ["gpt-4", "gpt-4o"] {
        let encoding = resolve(model)?;
        let (mut exact_sum, mut estimate_sum) = (0, 0);
        for sample in &samples {
            let exact = count_json_events(sample, encoding, false)?;
            let estimate = estimate_json_events(sample, encoding)?;
            assert!(estimate.abs_diff(exact) * 10 <= exact, "{model}: {estimate} vs {exact}");
            exact_sum += exact;
            estimate_sum += estimate;
        }
        assert!(
            estimate_sum.abs_diff(exact_sum) * 20 <= exact_sum,
            "{model}: {estimate_sum} vs {exact_sum}"
        );
    }
    Ok(())
}
