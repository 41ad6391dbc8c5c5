//! tiktoken's `encode_with_unstable`: the tokens of `text` that cannot change whatever text is
//! appended, and every token sequence the rest (the "unstable" tail) could start with once more
//! text follows. Written to give exactly tiktoken's set of completions (its algorithm is brute
//! force on purpose; the comments say why each step is there).

use std::collections::BTreeSet;

use super::{Allowed, CoreEncoding, Disallowed};
use crate::bpe;
use crate::error::{Error, Result};
use crate::vocab::Rank;

impl CoreEncoding {
    /// Mergeable ranks sorted by bytes, built once.
    fn sorted_ranks(&self) -> &[Rank] {
        self.sorted_ranks.get_or_init(|| {
            let mut ranks: Vec<(&[u8], Rank)> = self.vocab.iter().collect();
            ranks.sort_unstable();
            ranks.into_iter().map(|(_, rank)| rank).collect()
        })
    }

    /// Every mergeable token whose bytes start with `prefix`, in byte order.
    fn tokens_starting_with<'s>(&'s self, prefix: &'s [u8]) -> impl Iterator<Item = Rank> + 's {
        let sorted = self.sorted_ranks();
        let bytes_of = move |rank: &Rank| self.vocab.token_bytes(*rank).unwrap_or_default();
        let first = sorted.partition_point(|r| bytes_of(r) < prefix);
        sorted
            .get(first..)
            .unwrap_or_default()
            .iter()
            .copied()
            .take_while(move |r| bytes_of(r).starts_with(prefix))
    }

    /// BPE of raw bytes without the whole-piece shortcut (tiktoken's `byte_pair_encode`).
    fn merge_tokens(&self, piece: &[u8]) -> Result<Vec<Rank>> {
        let starts = bpe::merge(&self.vocab, piece)?;
        let ends = starts.iter().skip(1).copied().chain(std::iter::once(piece.len()));
        Ok(starts
            .iter()
            .zip(ends)
            .filter_map(|(&s, e)| piece.get(s..e).and_then(|b| self.vocab.rank_of(b)))
            .collect())
    }

    /// (stable tokens, sorted completions): tiktoken's `encode_with_unstable` (which returns the
    /// completions in hash order; the set is the same). Disallowed special-token text raises,
    /// as in [`encode_checked`](Self::encode_checked).
    pub fn encode_with_unstable(
        &self,
        text: &str,
        allowed: Allowed<'_>,
        disallowed: Disallowed<'_>,
    ) -> Result<(Vec<Rank>, Vec<Vec<Rank>>)> {
        if let Some(token) = self.find_disallowed(text, disallowed) {
            return Err(Error::DisallowedSpecialToken(token));
        }
        let (mut tokens, last_len) = self.encode_with_last_piece(text, allowed)?;
        if last_len == 0 {
            // The text ends with a special token: nothing is unstable.
            return Ok((tokens, Vec::new()));
        }
        let last_len = self.extend_over_trailing_space(&tokens, last_len);
        let cut = tokens.len() - last_len;
        let unstable = self.decode_bytes(tokens.get(cut..).unwrap_or_default())?;
        tokens.truncate(cut);
        let mut completions = BTreeSet::new();
        if unstable.is_empty() {
            return Ok((tokens, Vec::new()));
        }
        // Single tokens that start with the unstable bytes (or are exactly them).
        for rank in self.tokens_starting_with(&unstable) {
            completions.insert(vec![rank]);
        }
        // A token straddling the end: for every split of the unstable bytes, append each token
        // that starts with the second half and tokenize again, keeping tokens until they cover
        // the unstable bytes. Valid UTF-8 goes through the regex split (appending can create a
        // split, e.g. cl100k's "  !" is " " + " !"); invalid goes straight to BPE.
        for i in 1..unstable.len() {
            let (head, tail) = unstable.split_at(i);
            for rank in self.tokens_starting_with(tail) {
                let mut possibility = head.to_vec();
                possibility.extend_from_slice(self.vocab.token_bytes(rank).unwrap_or_default());
                let encoded = match std::str::from_utf8(&possibility) {
                    Ok(s) => self.encode_ordinary(s)?,
                    Err(_) => self.merge_tokens(&possibility)?,
                };
                let mut sequence = Vec::new();
                let mut covered = 0;
                for token in encoded {
                    sequence.push(token);
                    covered += self.vocab.token_bytes(token).map_or(0, <[u8]>::len);
                    if covered >= unstable.len() {
                        break;
                    }
                }
                completions.insert(sequence);
            }
        }
        // Regex splits are not stable either: if the unstable bytes end in whitespace, more
        // text can split that last character off (gpt2: " " + " " are two pieces, "  " none).
        if unstable.len() > 1 {
            if let Some((last, size)) = last_char(&unstable) {
                if unstable.len() > size && last.is_whitespace() {
                    let (body, end) = unstable.split_at(unstable.len() - size);
                    let mut split = self.merge_tokens(body)?;
                    split.extend(self.merge_tokens(end)?);
                    completions.insert(split);
                }
            }
        }
        Ok((tokens, completions.into_iter().collect()))
    }
}

/// The last character of `bytes` and its length in bytes, if it is valid UTF-8.
fn last_char(bytes: &[u8]) -> Option<(char, usize)> {
    let start = (bytes.len().saturating_sub(4)..bytes.len())
        .rev()
        .find(|&i| bytes.get(i).is_some_and(|b| b & 0xC0 != 0x80))?;
    let tail = std::str::from_utf8(bytes.get(start..)?).ok()?;
    let mut chars = tail.chars();
    let c = chars.next()?;
    chars.next().is_none().then_some((c, tail.len()))
}
