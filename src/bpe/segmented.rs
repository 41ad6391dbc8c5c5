//! Long pieces merged in short segments, joined where the joint is proven: the fast merge of
//! short pieces applied to a piece of any length, exactly.
//!
//! Why: the backtracking encoder (`bpe/backtrack.rs`) is linear, but on text where most of its
//! guesses fail (a megabyte of random letters) it pays two pair checks of several lookups in
//! tables of many MB for every token, 160-210 ns a token. The scan merge of a 32-byte piece
//! costs 55-70 ns a token on the same text (`count_piece` on consecutive 32-byte slices); an
//! ASCII segment is merged in fixed slots (`bpe/slots.rs`), 53-58 ns a token.
//!
//! Why it is exact. A sequence of tokens is the BPE result of its bytes if every token is one
//! BPE can produce and every two neighbours are a valid pair (BPE of the two joined gives them
//! back): the characterization the backtracking encoder rests on (see there). So:
//! - the tokens of a segment, merged on its own, are its BPE result; any run of them is then
//!   the BPE result of its bytes too (a run of a valid sequence is valid);
//! - the tokens proven so far (the BPE result of the piece up to `from`) followed by a segment's
//!   tokens from `from` on are valid if the pair across the joint is valid, which is checked
//!   by merging the two tokens' bytes (in slots; long tokens by the backtracking encoder's
//!   pair check, which answers the same question);
//! - the end of a segment is not where the piece ends, so its last token may be cut short: it
//!   is dropped, and the next segment starts where it started.
//!
//! When the pair across a joint is not valid, the joint is not a token boundary of the whole
//! piece: the last proven token is given back and the segment merged again from its start.
//! Every such retry costs one segment merge; past a budget linear in the piece's length (text
//! built to defeat this), the caller falls back to the backtracking encoder, so the time stays
//! linear whatever the input.

use crate::bpe::slots::{merge_bytes_in_slots, SLOT_BYTES};
use crate::bpe::{merge_into, Backtrack, Unit, Whole};
use crate::error::Result;
use crate::vocab::Vocab;

/// Bytes per segment. On a megabyte of random letters (`count_piece` on consecutive slices),
/// 24, 32, 40 and 47 bytes cost 55, 58, 61 and 64 ns a token, 64 and more 90-100 (the heap).
const SEGMENT_BYTES: usize = 32;

/// After this many bytes, the piece is left to the backtracking encoder if its tokens are long
/// ([`LONG_TOKEN_BYTES`] or more on average): there its first guesses are right and it is the
/// faster (a megabyte of `x` or of the alphabet repeated: 9-15 ms against 40 in segments),
/// while on short tokens the segments are (random letters, CJK, Cyrillic: 14-37 ms against
/// 36-116). Decided once per piece, from its start.
const SAMPLE_BYTES: usize = 512;
const LONG_TOKEN_BYTES: usize = 4;

/// A segment that is one single token is lengthened (doubled) up to this many bytes before the
/// piece is left to the backtracking encoder (a run of one character can be a long token).
const LONGEST_SEGMENT: usize = 1024;

/// Start offsets of the tokens of `piece`, or `None` if a joint could not be proven within the
/// budget (then the backtracking encoder must answer).
pub(crate) fn merge_segmented(
    vocab: &Vocab,
    backtrack: &Backtrack,
    piece: &[u8],
) -> Result<Option<Vec<u32>>> {
    let n = piece.len();
    if u32::try_from(n).is_err() {
        return Ok(None); // offsets are u32; the heap merge refuses such a piece with an error
    }
    // Room for tokens of 1.6 bytes on average: random letters average 1.9, and a vector grown
    // on the way copies every start (5 M instructions on a megabyte).
    let mut starts: Vec<u32> = Vec::with_capacity(n / 8 * 5);
    let mut parts: Vec<Unit> = Vec::with_capacity(LONGEST_SEGMENT + 1);
    let mut scratch: Vec<Unit> = Vec::with_capacity(SLOT_BYTES + 1);
    let mut retries_left = n / 16 + 64;
    let mut from = 0;
    let mut length = SEGMENT_BYTES;
    while from < n {
        let end = char_boundary_before(piece, from, (from + length).min(n));
        let Some(segment) = piece.get(from..end) else { return Ok(None) };
        if !(segment.is_ascii() && merge_bytes_in_slots(vocab, segment, &mut parts)) {
            merge_into::<false>(vocab, segment, &mut parts, Whole::Unknown)?;
        }
        let tokens = parts.len().saturating_sub(1); // the last part marks the end
        let keep = if end == n { tokens } else { tokens.saturating_sub(1) };
        if keep == 0 {
            if length >= LONGEST_SEGMENT {
                return Ok(None);
            }
            length *= 2;
            continue;
        }
        length = SEGMENT_BYTES;
        if let Some(&last_start) = starts.last() {
            let first_end = from + span(&parts, 0).map_or(0, |(_, end)| end);
            let joint = Joint { last_start: last_start as usize, first_start: from, first_end };
            if !joint.is_valid(vocab, backtrack, piece, &mut scratch) {
                if retries_left == 0 {
                    return Ok(None);
                }
                retries_left -= 1;
                from = last_start as usize; // give the last proven token back
                starts.pop();
                continue;
            }
        }
        let Some(kept) = parts.get(..keep) else { return Ok(None) };
        let base = from as u32; // fits: the piece's length was checked above
        starts.extend(kept.iter().map(|part| base + part.start));
        let before = from;
        from += parts.get(keep).map_or(segment.len(), |part| part.start as usize);
        if before < SAMPLE_BYTES && from >= SAMPLE_BYTES && from >= LONG_TOKEN_BYTES * starts.len()
        {
            return Ok(None);
        }
    }
    Ok(Some(starts))
}

/// The last token proven so far and the first token of the next segment, adjacent in a piece.
struct Joint {
    last_start: usize,
    first_start: usize,
    first_end: usize,
}

impl Joint {
    /// Whether the two tokens are a valid pair: BPE of their bytes joined gives them back.
    /// Short tokens (the usual case: this merge is for pieces of short tokens) are merged in
    /// slots, and the answer read off the parts: 150-200 instructions where the backtracking
    /// encoder's pair check took 535 on random letters, with five mispredicted branches and
    /// five cache misses (callgrind's simulation). Longer ones ask the backtracking encoder.
    fn is_valid(
        &self,
        vocab: &Vocab,
        backtrack: &Backtrack,
        piece: &[u8],
        scratch: &mut Vec<Unit>,
    ) -> bool {
        let Some(joined) = piece.get(self.last_start..self.first_end) else { return false };
        if merge_bytes_in_slots(vocab, joined, scratch) {
            let split = self.first_start.saturating_sub(self.last_start) as u32;
            return matches!(scratch.as_slice(), [last, first, _end]
                if last.start == 0 && first.start == split);
        }
        let rank_of =
            |range: std::ops::Range<usize>| piece.get(range).and_then(|t| vocab.rank_of(t));
        match (
            rank_of(self.last_start..self.first_start),
            rank_of(self.first_start..self.first_end),
        ) {
            (Some(last), Some(first)) => backtrack.is_valid_pair(vocab, last, first),
            _ => false,
        }
    }
}

/// The byte range of token `i` of a segment's parts.
fn span(parts: &[Unit], i: usize) -> Option<(usize, usize)> {
    Some((parts.get(i)?.start as usize, parts.get(i + 1)?.start as usize))
}

/// `end`, moved back to the start of the character it falls in (if that is after `from`), so
/// that segments of text are whole characters and can be merged from characters. Any cut
/// would be exact; this one is faster.
fn char_boundary_before(piece: &[u8], from: usize, mut end: usize) -> usize {
    let is_continuation = |i: usize| piece.get(i).is_some_and(|&b| b & 0xC0 == 0x80);
    let mut steps = 0;
    while end > from + 1 && is_continuation(end) && steps < 3 {
        end -= 1;
        steps += 1;
    }
    end
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::bpe::merge_by_heap;
    use crate::test_rng::TestRng;

    /// Long pieces of many kinds, segmented, against the heap merge (itself tested against the
    /// scan and PyPI tiktoken): runs of one letter, of a few letters and of random ones, of
    /// Cyrillic, of CJK and of Latin with combining marks. `TOKENIZER_RS_SEGMENTED_CASES=N`
    /// runs more.
    #[test]
    fn equals_the_heap_on_long_pieces() {
        let cases = crate::test_rng::cases_from_env("TOKENIZER_RS_SEGMENTED_CASES", 40);
        // (alphabet, whether its tokens are short enough for segments)
        let alphabets: [(&[&str], bool); 7] = [
            (
                &["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p"],
                true,
            ),
            (&["x"], false),
            (&["abcdefghijklmnopqrstuvwxyz"], false),
            (&["ab", "abc", "a", "ba"], true),
            (&["а", "б", "в", "о", "к", "ж"], true),
            (&["日", "本", "語", "の", "テ", "キ"], true),
            (&["e", "é", "\u{301}", "ß", "a", "z", "Q"], true),
        ];
        let mut rng = TestRng(0x9E37_79B9_7F4A_7C15);
        for name in ["r50k_base", "cl100k_base", "o200k_base"] {
            let vocab = crate::encodings::get_encoding(name).unwrap().vocab();
            let backtrack = vocab.backtrack().unwrap();
            for case in 0..cases {
                let (alphabet, short_tokens) = alphabets[case % alphabets.len()];
                let len = 1024 + rng.below(4096);
                let mut piece = String::new();
                while piece.len() < len {
                    piece.push_str(alphabet[rng.below(alphabet.len())]);
                }
                let expected: Vec<u32> = merge_by_heap(vocab, piece.as_bytes())
                    .unwrap()
                    .iter()
                    .map(|&s| s as u32)
                    .collect();
                let got = merge_segmented(vocab, backtrack, piece.as_bytes()).unwrap();
                match got {
                    Some(got) => assert_eq!(got, expected, "{name}: {piece:?}"),
                    // Short tokens never need the fallback: if they did, the segments would
                    // not be used at all (and this test would prove nothing).
                    None => assert!(!short_tokens, "{name}: fell back on {piece:?}"),
                }
                // Whichever answers, the public merge is the heap's.
                let merged: Vec<u32> = crate::bpe::merge(vocab, piece.as_bytes())
                    .unwrap()
                    .iter()
                    .map(|&s| s as u32)
                    .collect();
                assert_eq!(merged, expected, "{name}: {piece:?}");
            }
        }
    }
}
