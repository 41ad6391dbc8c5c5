//! `compress_context`: trim a conversation to a token budget and keep it valid.
//!
//! Rules:
//! - An assistant message with tool calls and the `tool` messages that answer those calls form
//!   one unit: kept or dropped together, so no call is left without its results and no result
//!   without its call. A tool message answers the closest earlier message that made a call with
//!   its `tool_call_id`; a tool message that answers nothing, and a call whose result is missing
//!   in the input, are left as they are (their own units): trimming does not repair the input.
//! - Protected: every system (and developer) message and the last `preserve_last_n` messages,
//!   each with its whole unit (if the last N start inside a tool-call unit, all of it is kept).
//! - Units that are not protected are dropped oldest first (by their first message) until the
//!   total fits. If the protected messages alone exceed the budget, they are returned with
//!   their true total; that is not an error.
//!
//! Dropping the oldest units until the rest fits keeps exactly the longest run of newest units
//! that fits beside the protected messages. So [`compress_context`] counts the protected
//! messages, then the other units newest first (in parallel batches) and stops at the first
//! unit that does not fit: the older history is never tokenized. Each message is counted at
//! most once, and the work follows what is kept, not the length of the history.

use rustc_hash::FxHashMap;

use crate::encoding::CoreEncoding;
use crate::error::Result;
use crate::message_tokens::{counts_of, REPLY_PRIMING_TOKENS};
use crate::tokenizer::resolve;
use crate::types::{CompressedContext, Message};

/// Each batch of newest-first counting holds about this much text beyond what the budget
/// left is expected to keep (4 bytes per token), so a batch rarely overshoots by much and
/// still gives the thread pool enough work.
const BATCH_SLACK_BYTES: usize = 16 * 1024;
const BATCH_MAX_BYTES: usize = 1024 * 1024;

/// How the messages group into units, and which units are protected.
pub struct Units {
    /// For every message, the index of the first message of its unit (itself, or for a tool
    /// result, the message that made the call).
    pub unit_of: Vec<usize>,
    /// By unit start: whether the unit is protected.
    pub protected: Vec<bool>,
}

impl Units {
    pub fn new(messages: &[Message<'_>], preserve_last_n: usize) -> Self {
        let count = messages.len();
        let mut unit_of: Vec<usize> = (0..count).collect();
        let mut caller_of: FxHashMap<&str, usize> = FxHashMap::default();
        for (index, message) in messages.iter().enumerate() {
            if message.is_tool_result() {
                let caller = message.tool_call_id.as_deref().and_then(|id| caller_of.get(id));
                if let (Some(&caller), Some(slot)) = (caller, unit_of.get_mut(index)) {
                    *slot = caller;
                }
            }
            for call in &message.tool_calls {
                caller_of.insert(&call.id, index);
            }
        }
        let first_recent = count.saturating_sub(preserve_last_n);
        let mut protected = vec![false; count];
        for (index, message) in messages.iter().enumerate() {
            if message.is_system() || index >= first_recent {
                if let Some(flag) = unit_of.get(index).and_then(|&unit| protected.get_mut(unit)) {
                    *flag = true;
                }
            }
        }
        Units { unit_of, protected }
    }

    fn unit(&self, index: usize) -> usize {
        self.unit_of.get(index).copied().unwrap_or(index)
    }

    fn is_protected(&self, index: usize) -> bool {
        self.protected.get(self.unit(index)).copied().unwrap_or(true)
    }

    fn is_unit_start(&self, index: usize) -> bool {
        self.unit(index) == index
    }
}

/// The selection from every message's token count: the rules applied literally (drop the
/// oldest unprotected unit while over budget). [`compress_context`] gives the same result
/// while counting less; this is its reference.
pub fn select(
    messages: &[Message<'_>],
    token_counts: &[usize],
    max_tokens: usize,
    preserve_last_n: usize,
) -> CompressedContext {
    let units = Units::new(messages, preserve_last_n);
    let count = messages.len();
    let mut unit_tokens = vec![0usize; count];
    for index in 0..count {
        if let Some(sum) = unit_tokens.get_mut(units.unit(index)) {
            *sum += token_counts.get(index).copied().unwrap_or(0);
        }
    }
    let mut total = REPLY_PRIMING_TOKENS + token_counts.iter().sum::<usize>();
    let mut dropped = vec![false; count];
    for unit in 0..count {
        if total <= max_tokens {
            break;
        }
        if units.is_unit_start(unit) && !units.is_protected(unit) {
            if let Some(flag) = dropped.get_mut(unit) {
                *flag = true;
            }
            total -= unit_tokens.get(unit).copied().unwrap_or(0);
        }
    }
    let kept: Vec<usize> =
        (0..count).filter(|&i| !dropped.get(units.unit(i)).copied().unwrap_or(false)).collect();
    CompressedContext { truncated_count: count - kept.len(), kept, total_tokens: total }
}

/// Trims a conversation to `max_tokens` prompt tokens of `encoding` (see the module docs).
pub fn compress_with_encoding(
    messages: &[Message<'_>],
    max_tokens: usize,
    preserve_last_n: usize,
    encoding: &'static CoreEncoding,
) -> Result<CompressedContext> {
    let units = Units::new(messages, preserve_last_n);
    let count = messages.len();
    let protected: Vec<&Message<'_>> = messages
        .iter()
        .enumerate()
        .filter(|(i, _)| units.is_protected(*i))
        .map(|(_, m)| m)
        .collect();
    let mut total = REPLY_PRIMING_TOKENS + counts_of(&protected, encoding)?.iter().sum::<usize>();

    // Newest first: count a batch of unprotected messages, then decide their units newest
    // first. A unit is decided at its first message, when all of its (later) messages are in.
    let mut unit_tokens = vec![0usize; count];
    let mut oldest_dropped: Option<usize> = None;
    let mut next = count; // messages at `next` and after are counted
    'batches: while next > 0 {
        let left = max_tokens.saturating_sub(total);
        let target = left.saturating_mul(4).saturating_add(BATCH_SLACK_BYTES).min(BATCH_MAX_BYTES);
        let mut batch_indices = Vec::new();
        let mut batch_bytes = 0;
        while next > 0 && batch_bytes < target {
            next -= 1;
            if !units.is_protected(next) {
                let message = messages.get(next);
                batch_bytes += message.map_or(0, Message::text_len);
                batch_indices.push(next);
            }
        }
        let batch: Vec<&Message<'_>> =
            batch_indices.iter().filter_map(|&i| messages.get(i)).collect();
        let counts = counts_of(&batch, encoding)?;
        for (&index, tokens) in batch_indices.iter().zip(counts) {
            if let Some(sum) = unit_tokens.get_mut(units.unit(index)) {
                *sum += tokens;
            }
            if units.is_unit_start(index) {
                let unit_total = unit_tokens.get(index).copied().unwrap_or(0);
                if total + unit_total > max_tokens {
                    oldest_dropped = Some(index);
                    break 'batches;
                }
                total += unit_total;
            }
        }
    }
    let kept: Vec<usize> = match oldest_dropped {
        None => (0..count).collect(),
        Some(cut) => (0..count).filter(|&i| units.is_protected(i) || units.unit(i) > cut).collect(),
    };
    Ok(CompressedContext { truncated_count: count - kept.len(), kept, total_tokens: total })
}

/// Trims a conversation to `max_tokens` prompt tokens of `model` (a model or encoding name),
/// keeping system messages, the last `preserve_last_n` messages and every tool call with its
/// results; see the module docs for the rules.
pub fn compress_context(
    messages: &[Message<'_>],
    max_tokens: usize,
    preserve_last_n: usize,
    model: &str,
) -> Result<CompressedContext> {
    compress_with_encoding(messages, max_tokens, preserve_last_n, resolve(model)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message_tokens::{count_message_tokens, message_token_counts};
    use crate::types::ToolCall;

    fn conversation() -> Vec<Message<'static>> {
        vec![
            Message::text("system", "You are terse."), // 0
            Message::text("user", "first question about something long ago"), // 1
            Message::text("assistant", "first answer"), // 2
            Message::tool_calls(vec![
                ToolCall::new("a", "search", "{\"q\":\"x\"}"),
                ToolCall::new("b", "search", "{\"q\":\"y\"}"),
            ]), // 3
            Message::tool_result("a", "result a"),     // 4
            Message::tool_result("b", "result b"),     // 5
            Message::text("assistant", "summary of the results"), // 6
            Message::text("user", "and now?"),         // 7
        ]
    }

    fn compress(messages: &[Message<'_>], budget: usize, last: usize) -> Result<CompressedContext> {
        compress_context(messages, budget, last, "gpt-4o")
    }

    #[test]
    fn everything_fits_at_exactly_the_budget() -> Result<()> {
        let messages = conversation();
        let total = count_message_tokens(&messages, "gpt-4o")?;
        let result = compress(&messages, total, 1)?;
        assert_eq!((result.kept.len(), result.total_tokens, result.truncated_count), (8, total, 0));
        let result = compress(&messages, total - 1, 1)?;
        assert_eq!(result.kept.first(), Some(&0));
        assert!(result.truncated_count >= 1 && result.total_tokens < total);
        Ok(())
    }

    #[test]
    fn budget_zero_keeps_only_protected_messages_with_their_true_total() -> Result<()> {
        let messages = conversation();
        let result = compress(&messages, 0, 2)?;
        assert_eq!(result.kept, vec![0, 6, 7]);
        let kept: Vec<Message<'_>> = result.messages(&messages).into_iter().cloned().collect();
        assert_eq!(result.total_tokens, count_message_tokens(&kept, "gpt-4o")?);
        Ok(())
    }

    #[test]
    fn last_n_starting_inside_a_tool_group_keeps_the_whole_group() -> Result<()> {
        let messages = conversation();
        for last in [3, 4] {
            // The last 3 start at the second tool result, the last 4 at the first.
            let result = compress(&messages, 0, last)?;
            assert_eq!(result.kept, vec![0, 3, 4, 5, 6, 7], "last {last}");
        }
        let result = compress(&messages, 0, 5)?;
        assert_eq!(result.kept, vec![0, 3, 4, 5, 6, 7]);
        Ok(())
    }

    #[test]
    fn a_tool_group_is_dropped_whole_and_oldest_first() -> Result<()> {
        let messages = conversation();
        let counts = message_token_counts(&messages, resolve("gpt-4o")?)?;
        let all: usize = counts.iter().sum::<usize>() + REPLY_PRIMING_TOKENS;
        let first_two = counts.get(1..3).map_or(0, |c| c.iter().sum());
        // Just enough room once messages 1 and 2 are gone: the group stays.
        let result = select(&messages, &counts, all - first_two, 1);
        assert_eq!(result.kept, vec![0, 3, 4, 5, 6, 7]);
        // One token less: the group (3, 4, 5) goes as a whole.
        let result = select(&messages, &counts, all - first_two - 1, 1);
        assert_eq!(result.kept, vec![0, 6, 7]);
        Ok(())
    }

    #[test]
    fn orphans_and_missing_results_are_left_as_they_are() {
        let messages = vec![
            Message::tool_result("nobody", "orphan"),
            Message::tool_calls(vec![ToolCall::new("c", "f", "{}")]),
            Message::text("user", "hi"),
        ];
        assert_eq!(Units::new(&messages, 0).unit_of, vec![0, 1, 2]);
        let result = select(&messages, &[5, 5, 5], 0, 0);
        assert!(result.kept.is_empty());
        assert_eq!((result.total_tokens, result.truncated_count), (REPLY_PRIMING_TOKENS, 3));
    }

    #[test]
    fn newest_first_counting_selects_what_the_reference_selects() -> Result<()> {
        let encoding = resolve("gpt-4o")?;
        let mut messages = Vec::new();
        for round in 0..300 {
            messages.push(Message::text(
                "user",
                format!("question {round} {}", "word ".repeat(round % 17)),
            ));
            if round % 5 == 0 {
                messages.push(Message::tool_calls(vec![
                    ToolCall::new(format!("c{round}"), "f", "{}"),
                    ToolCall::new(format!("d{round}"), "g", "{\"a\": 1}"),
                ]));
                messages.push(Message::tool_result(format!("d{round}"), "late ".repeat(round % 7)));
                messages.push(Message::tool_result(format!("c{round}"), "early"));
            }
            if round % 50 == 0 {
                messages.push(Message::text("system", "remember this"));
            }
            messages.push(Message::text("assistant", "answer ".repeat(round % 23)));
        }
        let counts = message_token_counts(&messages, encoding)?;
        let total: usize = counts.iter().sum::<usize>() + REPLY_PRIMING_TOKENS;
        for budget in (0..total + 50).step_by(211).chain([total - 1, total, total + 1, usize::MAX])
        {
            for last in [0, 1, 2, 3, 10] {
                let lazy = compress_with_encoding(&messages, budget, last, encoding)?;
                assert_eq!(
                    lazy,
                    select(&messages, &counts, budget, last),
                    "budget {budget}, last {last}"
                );
            }
        }
        Ok(())
    }

    #[test]
    fn empty_history() -> Result<()> {
        let result = compress(&[], 0, 5)?;
        assert_eq!((result.kept.len(), result.total_tokens, result.truncated_count), (0, 3, 0));
        Ok(())
    }
}
