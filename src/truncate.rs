//! Cutting text to a token budget without breaking characters or, where cheap, words.

use crate::encoding::{Allowed, CoreEncoding};
use crate::error::Result;

/// Characters that belong to the character before them (combining marks, joiners, variation
/// selectors, emoji modifiers and tags): a cut never falls just before one, so an accented
/// letter or an emoji sequence is kept whole or dropped whole.
fn extends_previous(c: char) -> bool {
    matches!(u32::from(c),
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F
        | 0x200C | 0x200D | 0xFE00..=0xFE0F | 0xE0100..=0xE01EF
        | 0x1F3FB..=0x1F3FF | 0xE0020..=0xE007F)
}

fn is_regional_indicator(c: char) -> bool {
    matches!(u32::from(c), 0x1F1E6..=0x1F1FF)
}

/// Moves a byte cut back to a place where no character, and no character sequence that reads
/// as one (emoji with joiners or modifiers, flags, combining marks), is split.
fn safe_cut(text: &str, mut cut: usize) -> usize {
    while cut > 0 && !text.is_char_boundary(cut) {
        cut -= 1;
    }
    loop {
        let before = text.get(..cut).unwrap_or_default();
        let next = text.get(cut..).and_then(|rest| rest.chars().next());
        let last = before.chars().next_back();
        let Some(last) = last else { return 0 };
        let splits_sequence = next.is_some_and(extends_previous) || last == '\u{200D}';
        // Flags are pairs of regional indicators: cut between pairs only.
        let splits_flag = next.is_some_and(is_regional_indicator)
            && before.chars().rev().take_while(|c| is_regional_indicator(*c)).count() % 2 == 1;
        if !(splits_sequence || splits_flag) {
            return cut;
        }
        cut -= last.len_utf8();
    }
}

/// Moves a cut back to the end of the last word when that keeps more than half of the text
/// before the cut; trailing whitespace is not kept.
fn word_cut(text: &str, cut: usize) -> usize {
    let before = text.get(..cut).unwrap_or_default();
    let at_boundary =
        text.get(cut..).and_then(|rest| rest.chars().next()).is_none_or(char::is_whitespace)
            || before.ends_with(char::is_whitespace);
    let word_end = if at_boundary {
        before.trim_end().len()
    } else {
        match before.rfind(char::is_whitespace) {
            Some(space) => before.get(..space).unwrap_or_default().trim_end().len(),
            None => return cut,
        }
    };
    let kept = text.get(..word_end).unwrap_or_default();
    if kept.chars().count() * 2 > before.chars().count() {
        word_end
    } else {
        cut
    }
}

/// The longest prefix of `text` within `max_tokens` tokens (special-token text counted as the
/// special token, as everywhere): cut at a token boundary, moved back to a whole character
/// (never inside a UTF-8 sequence, an emoji sequence or a flag), then back to the end of a word
/// when that keeps more than half. The prefix, counted again, is within `max_tokens`.
pub fn truncate_to_tokens<'t>(
    text: &'t str,
    max_tokens: usize,
    encoding: &CoreEncoding,
) -> Result<&'t str> {
    if encoding.count(text, Allowed::All)? <= max_tokens {
        return Ok(text);
    }
    let tokens = encoding.encode(text, Allowed::All)?;
    // Byte offset in `text` after each token (the tokens decode to `text` exactly).
    let mut ends = Vec::with_capacity(tokens.len());
    let mut offset = 0usize;
    for &token in &tokens {
        offset += encoding.token_bytes(token).map_or(0, <[u8]>::len);
        ends.push(offset);
    }
    let mut limit = max_tokens.min(tokens.len());
    while limit > 0 {
        let token_cut = ends.get(limit - 1).copied().unwrap_or(0).min(text.len());
        let cut = word_cut(text, safe_cut(text, token_cut));
        let prefix = text.get(..cut).unwrap_or_default();
        // A prefix re-tokenized can, rarely, merge differently; the budget is checked, not assumed.
        if encoding.count(prefix, Allowed::All)? <= max_tokens {
            return Ok(prefix);
        }
        limit -= 1;
    }
    Ok("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::resolve;

    #[test]
    fn cuts_keep_characters_and_budgets() -> Result<()> {
        let encoding = resolve("gpt-4o")?;
        let samples = [
            "The quick brown fox jumps over the lazy dog and keeps running far away.",
            "日本語のテキストはトークンの境界で文字が分かれることがあります。中文也一样。",
            "emoji 👩‍👩‍👧‍👦 family 🇯🇵🇺🇦 flags 👍🏽 thumbs e\u{301}\u{301} accents",
            "no_spaces_at_all_just_one_very_long_identifier_that_goes_on_and_on_forever",
        ];
        for text in samples {
            let total = encoding.count(text, Allowed::All)?;
            for budget in 0..=total {
                let prefix = truncate_to_tokens(text, budget, encoding)?;
                assert!(text.starts_with(prefix));
                assert!(encoding.count(prefix, Allowed::All)? <= budget, "{text:?} at {budget}");
                let rest = text.get(prefix.len()..).unwrap_or_default();
                if let Some(next) = rest.chars().next() {
                    assert!(!extends_previous(next), "{text:?} at {budget}: split before {next:?}");
                }
                assert!(!prefix.ends_with('\u{200D}'));
            }
            assert_eq!(truncate_to_tokens(text, total, encoding)?, text);
        }
        Ok(())
    }

    #[test]
    fn prefers_a_word_end_when_it_keeps_more_than_half() -> Result<()> {
        let encoding = resolve("cl100k_base")?;
        let prefix = truncate_to_tokens("alpha beta gammadeltaepsilonzeta", 4, encoding)?;
        assert_eq!(prefix, "alpha beta");
        // A single long word: the word end would keep nothing, so the token cut stands.
        let prefix = truncate_to_tokens("a supercalifragilisticexpialidocious", 3, encoding)?;
        assert!(prefix.len() > 2 && prefix.starts_with("a super"), "{prefix}");
        Ok(())
    }
}
