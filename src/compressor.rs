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
//! Each message is counted once (in parallel for long histories) and the selection is linear.

use rustc_hash::FxHashMap;

use crate::error::Result;
use crate::message_tokens::{message_token_counts, REPLY_PRIMING_TOKENS};
use crate::tokenizer::resolve;
use crate::types::{CompressedContext, Message};

/// For every message, the index of the first message of its unit (itself, or for a tool
/// result, the message that made the call).
pub fn tool_call_units(messages: &[Message<'_>]) -> Vec<usize> {
    let mut unit_of: Vec<usize> = (0..messages.len()).collect();
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
    unit_of
}

/// Trims `messages` to `max_tokens` given each message's token count (see the module docs).
pub fn select(
    messages: &[Message<'_>],
    token_counts: &[usize],
    max_tokens: usize,
    preserve_last_n: usize,
) -> CompressedContext {
    let count = messages.len();
    let unit_of = tool_call_units(messages);
    let first_recent = count.saturating_sub(preserve_last_n);
    let mut protected = vec![false; count];
    let mut unit_tokens = vec![0usize; count];
    for (index, message) in messages.iter().enumerate() {
        let unit = unit_of.get(index).copied().unwrap_or(index);
        if message.is_system() || index >= first_recent {
            if let Some(flag) = protected.get_mut(unit) {
                *flag = true;
            }
        }
        if let Some(sum) = unit_tokens.get_mut(unit) {
            *sum += token_counts.get(index).copied().unwrap_or(0);
        }
    }
    let mut total = REPLY_PRIMING_TOKENS + token_counts.iter().sum::<usize>();
    let mut dropped = vec![false; count];
    for unit in 0..count {
        if total <= max_tokens {
            break;
        }
        let is_unit_start = unit_of.get(unit) == Some(&unit);
        if is_unit_start && !protected.get(unit).copied().unwrap_or(true) {
            if let Some(flag) = dropped.get_mut(unit) {
                *flag = true;
            }
            total -= unit_tokens.get(unit).copied().unwrap_or(0);
        }
    }
    let kept: Vec<usize> = (0..count)
        .filter(|&index| {
            let unit = unit_of.get(index).copied().unwrap_or(index);
            !dropped.get(unit).copied().unwrap_or(false)
        })
        .collect();
    CompressedContext { truncated_count: count - kept.len(), kept, total_tokens: total }
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
    let encoding = resolve(model)?;
    let counts = message_token_counts(messages, encoding)?;
    Ok(select(messages, &counts, max_tokens, preserve_last_n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message_tokens::count_message_tokens;
    use crate::types::ToolCall;

    fn conversation() -> Vec<Message<'static>> {
        vec![
            Message::text("system", "You are terse."),                                  // 0
            Message::text("user", "first question about something long ago"),          // 1
            Message::text("assistant", "first answer"),                                 // 2
            Message::tool_calls(vec![ToolCall::new("a", "search", "{\"q\":\"x\"}"),
                                     ToolCall::new("b", "search", "{\"q\":\"y\"}")]),   // 3
            Message::tool_result("a", "result a"),                                      // 4
            Message::tool_result("b", "result b"),                                      // 5
            Message::text("assistant", "summary of the results"),                       // 6
            Message::text("user", "and now?"),                                          // 7
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
        assert_eq!(tool_call_units(&messages), vec![0, 1, 2]);
        let result = select(&messages, &[5, 5, 5], 0, 0);
        assert!(result.kept.is_empty());
        assert_eq!((result.total_tokens, result.truncated_count), (REPLY_PRIMING_TOKENS, 3));
    }

    #[test]
    fn empty_history() -> Result<()> {
        let result = compress(&[], 0, 5)?;
        assert_eq!((result.kept.len(), result.total_tokens, result.truncated_count), (0, 3, 0));
        Ok(())
    }
}
