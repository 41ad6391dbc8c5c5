//! The OpenAI chat accounting: how many prompt tokens a list of messages costs.
//!
//! The rules of OpenAI's cookbook ("How to count tokens with tiktoken"), which match the
//! `prompt_tokens` the API reports, extended to tool calls and list-of-parts content:
//! - every message costs [`TOKENS_PER_MESSAGE`] plus the tokens of its role, content, `name` and
//!   `tool_call_id` values; a `name` costs [`TOKENS_PER_NAME`] more;
//! - every tool call costs the tokens of its id, function name and arguments plus
//!   [`TOKENS_PER_TOOL_CALL`];
//! - text (and refusal) parts cost their text's tokens; `image_url` parts cost
//!   [`IMAGE_LOW_DETAIL_TOKENS`] at `detail: "low"` and [`IMAGE_HIGH_DETAIL_TOKENS`] otherwise;
//!   any other part costs the JSON estimate of the part;
//! - the list costs [`REPLY_PRIMING_TOKENS`] more, for the `<|start|>assistant<|message|>`
//!   that primes the reply.
//!
//! Text is counted as `count_tokens` counts it: special-token text is the special token.

use rayon::prelude::*;

use crate::count_cache::count_cached;
use crate::encoding::CoreEncoding;
use crate::error::Result;
use crate::json_tokens::estimate_json_events;
use crate::thread_pool;
use crate::tokenizer::resolve;
use crate::types::{Content, ContentPart, ImageDetail, Message};

/// The framing of every message (`<|start|>{role}<|message|>...<|end|>` less the role itself).
pub const TOKENS_PER_MESSAGE: usize = 3;
/// A `name` field costs one token besides its text.
pub const TOKENS_PER_NAME: usize = 1;
/// Every reply is primed with `<|start|>assistant<|message|>`.
pub const REPLY_PRIMING_TOKENS: usize = 3;
/// The framing of one tool call besides its id, name and arguments (our documented estimate;
/// the API does not publish how it renders calls).
pub const TOKENS_PER_TOOL_CALL: usize = 3;
/// An image part at `detail: "low"`: OpenAI's fixed price.
pub const IMAGE_LOW_DETAIL_TOKENS: usize = 85;
/// An image part at `high` or `auto` detail, whose size we do not know: the price of a
/// 1024x1024 image at high detail (85 + 4 tiles of 170).
pub const IMAGE_HIGH_DETAIL_TOKENS: usize = 765;

/// Histories with less text than this are counted on the calling thread.
const PARALLEL_MIN_BYTES: usize = 32 * 1024;
/// About this much text per rayon task.
const BYTES_PER_TASK: usize = 16 * 1024;

/// The tokens of one message, as it adds to the total (reply priming not included). Texts are
/// counted through the process-wide memo (`count_cache`), so a history counted before costs
/// little more than hashing it.
pub fn message_tokens(message: &Message<'_>, encoding: &'static CoreEncoding) -> Result<usize> {
    let count = |text: &str| count_cached(encoding, text);
    let mut tokens = TOKENS_PER_MESSAGE + count(&message.role)?;
    tokens += match &message.content {
        Content::None => 0,
        Content::Text(text) => count(text)?,
        Content::Parts(parts) => {
            let mut sum = 0;
            for part in parts {
                sum += match part {
                    ContentPart::Text(text) => count(text)?,
                    ContentPart::Image(ImageDetail::Low) => IMAGE_LOW_DETAIL_TOKENS,
                    ContentPart::Image(_) => IMAGE_HIGH_DETAIL_TOKENS,
                    ContentPart::Other(events) => estimate_json_events(events, encoding)?,
                };
            }
            sum
        }
    };
    if let Some(name) = &message.name {
        tokens += count(name)? + TOKENS_PER_NAME;
    }
    if let Some(id) = &message.tool_call_id {
        tokens += count(id)?;
    }
    for call in &message.tool_calls {
        tokens += TOKENS_PER_TOOL_CALL
            + count(&call.id)?
            + count(&call.function.name)?
            + count(&call.function.arguments)?;
    }
    Ok(tokens)
}

/// [`message_tokens`] of every message, in order; in parallel on the thread pool when the
/// history is long.
pub fn message_token_counts(
    messages: &[Message<'_>],
    encoding: &'static CoreEncoding,
) -> Result<Vec<usize>> {
    let all: Vec<&Message<'_>> = messages.iter().collect();
    counts_of(&all, encoding)
}

/// [`message_tokens`] of each of `messages` (any selection), in order; in parallel when the
/// selection holds enough text.
pub fn counts_of(messages: &[&Message<'_>], encoding: &'static CoreEncoding) -> Result<Vec<usize>> {
    let total: usize = messages.iter().map(|m| m.text_len()).sum();
    if total < PARALLEL_MIN_BYTES || messages.len() < 2 {
        return messages.iter().map(|m| message_tokens(m, encoding)).collect();
    }
    let average = total / messages.len();
    let min_len = (BYTES_PER_TASK / average.max(1)).max(1);
    thread_pool::install(|| {
        messages.par_iter().with_min_len(min_len).map(|m| message_tokens(m, encoding)).collect()
    })?
}

/// The prompt tokens of `messages` for a model or encoding name (see the module docs).
pub fn count_message_tokens(messages: &[Message<'_>], model: &str) -> Result<usize> {
    let encoding = resolve(model)?;
    let counts = message_token_counts(messages, encoding)?;
    Ok(counts.iter().sum::<usize>() + REPLY_PRIMING_TOKENS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::Allowed;
    use crate::types::ToolCall;

    /// The six messages of the cookbook's example; the API reported 129 prompt tokens on gpt-4
    /// and 124 on gpt-4o.
    fn cookbook_messages() -> Vec<Message<'static>> {
        vec![
            Message::text("system", "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."),
            Message::text("system", "New synergies will help drive top-line growth.").with_name("example_user"),
            Message::text("system", "Things working well together will increase revenue.").with_name("example_assistant"),
            Message::text("system", "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.").with_name("example_user"),
            Message::text("system", "Let's talk later when we're less busy about how to do better.").with_name("example_assistant"),
            Message::text("user", "This late pivot means we don't have time to boil the ocean for the client deliverable."),
        ]
    }

    #[test]
    fn cookbook_example_matches_the_api() -> Result<()> {
        assert_eq!(count_message_tokens(&cookbook_messages(), "gpt-4")?, 129);
        assert_eq!(count_message_tokens(&cookbook_messages(), "gpt-4o")?, 124);
        Ok(())
    }

    #[test]
    fn empty_history_is_the_reply_priming() -> Result<()> {
        assert_eq!(count_message_tokens(&[], "gpt-4o")?, REPLY_PRIMING_TOKENS);
        Ok(())
    }

    #[test]
    fn tool_calls_and_parts_follow_the_documented_rules() -> Result<()> {
        let encoding = resolve("gpt-4o")?;
        let count = |t: &str| encoding.count(t, Allowed::All);
        let call = Message::tool_calls(vec![ToolCall::new(
            "call_1",
            "get_weather",
            r#"{"city":"Paris"}"#,
        )]);
        assert_eq!(
            message_tokens(&call, encoding)?,
            3 + count("assistant")?
                + 3
                + count("call_1")?
                + count("get_weather")?
                + count(r#"{"city":"Paris"}"#)?
        );
        let result = Message::tool_result("call_1", "sunny");
        assert_eq!(
            message_tokens(&result, encoding)?,
            3 + count("tool")? + count("sunny")? + count("call_1")?
        );
        let mut parts = Message::text("user", "");
        parts.content = Content::Parts(vec![
            ContentPart::Text("look".into()),
            ContentPart::Image(ImageDetail::Low),
            ContentPart::Image(ImageDetail::Auto),
        ]);
        assert_eq!(
            message_tokens(&parts, encoding)?,
            3 + count("user")? + count("look")? + 85 + 765
        );
        Ok(())
    }

    #[test]
    fn parallel_and_sequential_counts_agree() -> Result<()> {
        let encoding = resolve("cl100k_base")?;
        let long: Vec<Message<'static>> = (0..2000)
            .map(|i| Message::text("user", format!("message number {i} with some words in it")))
            .collect();
        let parallel = message_token_counts(&long, encoding)?;
        let sequential: Vec<usize> =
            long.iter().map(|m| message_tokens(m, encoding)).collect::<Result<_>>()?;
        assert_eq!(parallel, sequential);
        Ok(())
    }
}
