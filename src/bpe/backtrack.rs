//! Linear-time BPE for long pieces: the backtracking encoder of github's `bpe` crate (rs-bpe),
//! written for our tables and tiktoken's merge rule.
//!
//! Idea: the BPE result of a piece is the one split into tokens where every token is one BPE can
//! produce and every two neighbours are a "valid pair" (BPE of their two byte strings joined
//! gives exactly those two tokens back). Take the longest token at the current position; if it
//! does not form a valid pair with the previous token (or leads to a dead end), try the next
//! shorter token that is a prefix of it; if none is left, step back one token. A bit per
//! position remembers dead ends, so each position is given up at most once: linear time, and a
//! bitfield plus the output instead of the heap of a megabyte-long piece.
//!
//! Where this differs from rs-bpe, for tiktoken's exact semantics:
//! - The pair check asks the vocabulary whether the two parts joined are a token (tiktoken joins
//!   any two neighbours whose bytes are a token), not a table of each token's own last merge.
//! - How each token splits is computed with our scan merge (tested against tiktoken), and a
//!   vocabulary is accepted only if every token BPE can produce was joined from two tokens of
//!   lower rank, the property the pair check relies on (merges happen in rank order). Tokens BPE
//!   can never produce are skipped. OpenAI's vocabularies qualify; any that does not keeps using
//!   the heap merge.
//! - Every result is checked to cover the piece; if the search ever failed, the heap merge would
//!   answer instead.

use crate::bpe::{merge_by_scan, prefix_index::PrefixIndex};
use crate::vocab::{Rank, Vocab};

const NONE: Rank = Rank::MAX;

/// How a token was joined: `(left, right)`; `(t, t)` for a single byte; `(NONE, NONE)` for a
/// token BPE never produces (outside the whole-piece lookup, which comes first).
type Split = (Rank, Rank);

pub(crate) struct Backtrack {
    prefixes: PrefixIndex,
    /// The longest token that is a proper prefix of each token, `NONE` if there is none.
    next_prefix: Vec<Rank>,
    split: Vec<Split>,
}

impl Backtrack {
    /// The tables for `vocab`, or `None` if it does not qualify (see the module notes).
    pub(crate) fn build(vocab: &Vocab) -> Option<Self> {
        if (0u8..=255).any(|b| vocab.rank_of(&[b]).is_none()) {
            return None; // not byte-level: some text has no tokenization at all
        }
        let prefixes = PrefixIndex::build(vocab)?;
        let ranks = vocab.rank_end() as usize;
        let mut tables = Backtrack {
            prefixes,
            next_prefix: vec![NONE; ranks],
            split: vec![(NONE, NONE); ranks],
        };
        for (token, rank) in vocab.iter() {
            let shorter = token.get(..token.len() - 1).unwrap_or_default();
            let prefix = tables.prefixes.longest_at(vocab, shorter).unwrap_or(NONE);
            if let Some(slot) = tables.next_prefix.get_mut(rank as usize) {
                *slot = prefix;
            }
        }
        // In rank order, so the parts of a token (lower ranks) are split already.
        for (token, rank) in vocab.iter() {
            let joined_from = tables.find_split(vocab, token, rank)?;
            if let Some(slot) = tables.split.get_mut(rank as usize) {
                *slot = joined_from;
            }
        }
        Some(tables)
    }

    /// How BPE joins `token` (of rank `rank`): the two tokens of lower rank whose bytes make it
    /// and which BPE, using only tokens of lower rank, leaves side by side. Candidates are its
    /// prefixes that are tokens, longest first. If there are none, BPE either never produces
    /// the token (`(NONE, NONE)`) or only through a join of higher rank, and then `None`: the
    /// vocabulary does not qualify.
    ///
    /// Tried first: running the scan merge on every token (what `token_split_by_merge` does in
    /// the tests, which check both agree on every built-in vocabulary). Same answer, but 0.4 us a
    /// token against a few lookups here; it made the first long piece of o200k cost 200 ms.
    fn find_split(&self, vocab: &Vocab, token: &[u8], rank: Rank) -> Option<Split> {
        if token.len() == 1 {
            return Some((rank, rank));
        }
        let mut left = self.next_prefix.get(rank as usize).copied().unwrap_or(NONE);
        while left != NONE {
            if left < rank && self.produced(left) {
                let rest = token.get(token_len(vocab, left)..).unwrap_or_default();
                if let Some(right) = vocab.rank_of(rest) {
                    if right < rank
                        && self.produced(right)
                        && self.is_valid_pair_below(vocab, left, right, u64::from(rank))
                    {
                        return Some((left, right));
                    }
                }
            }
            left = self.next_prefix.get(left as usize).copied().unwrap_or(NONE);
        }
        if merge_by_scan(vocab, token) == [0] {
            None
        } else {
            Some((NONE, NONE))
        }
    }

    /// Appends the tokens of `piece` to `out`; false (and `out` unchanged) if the search failed.
    pub(crate) fn encode(&self, vocab: &Vocab, piece: &[u8], out: &mut Vec<Rank>) -> bool {
        let base = out.len();
        let n = piece.len();
        let mut open_ends = BitSet::all_set(n + 1);
        let mut pos = 0;
        let mut next = self.prefixes.longest_at(vocab, piece);
        while let Some(mut token) = next {
            let last = out.get(base..).and_then(|ours| ours.last()).copied();
            loop {
                let end = pos + token_len(vocab, token);
                if self.produced(token)
                    && open_ends.contains(end)
                    && last.is_none_or(|last| self.is_valid_pair(vocab, last, token))
                {
                    out.push(token);
                    pos = end;
                    next = piece.get(pos..).and_then(|rest| self.prefixes.longest_at(vocab, rest));
                    break;
                }
                if let Some(&shorter) = self.next_prefix.get(token as usize) {
                    if shorter != NONE {
                        token = shorter;
                        continue;
                    }
                }
                // No token works at `pos`: it is a dead end; retry the previous token shorter.
                open_ends.remove(pos);
                next = last;
                if let Some(last) = last {
                    out.pop();
                    pos -= token_len(vocab, last);
                }
                break;
            }
        }
        if pos == n {
            true
        } else {
            out.truncate(base);
            false
        }
    }

    /// True if BPE can produce `token` inside a longer piece.
    #[inline]
    fn produced(&self, token: Rank) -> bool {
        self.split.get(token as usize).is_some_and(|s| s.0 != NONE)
    }

    /// Whether BPE, run on the bytes of `left` and `right` joined, gives back exactly these two
    /// tokens. Replays both merge histories backwards (the right edge of `left`, the left edge of
    /// `right`), later merge first; at each step the two edge parts must not be a token that BPE
    /// would join before the merge that is undone next.
    pub(crate) fn is_valid_pair(&self, vocab: &Vocab, left: Rank, right: Rank) -> bool {
        self.is_valid_pair_below(vocab, left, right, u64::MAX)
    }

    /// The same, for BPE using only tokens of rank below `limit`.
    fn is_valid_pair_below(
        &self,
        vocab: &Vocab,
        mut left: Rank,
        mut right: Rank,
        mut limit: u64,
    ) -> bool {
        // Joins of rank below `limit` happen before the next merge undone; the +1 for merges
        // on the right because of ties the pair across the boundary, further left, wins.
        loop {
            if let Some(joined) = joined_rank(vocab, left, right) {
                if u64::from(joined) < limit {
                    return false;
                }
            }
            let (left_from, right_from) = (self.split_of(left).1, self.split_of(right).0);
            if left > right {
                limit = u64::from(left);
                if left_from != left {
                    left = left_from;
                    continue;
                }
                limit = u64::from(right) + 1;
                if right_from == right {
                    return true;
                }
                right = right_from;
            } else {
                limit = u64::from(right) + 1;
                if right_from != right {
                    right = right_from;
                    continue;
                }
                limit = u64::from(left);
                if left_from == left {
                    return true;
                }
                left = left_from;
            }
        }
    }

    #[inline]
    fn split_of(&self, token: Rank) -> Split {
        self.split.get(token as usize).copied().unwrap_or((token, token))
    }
}

/// How `token` (of rank `rank`) is joined, by BPE on its own bytes: the two parts left just
/// before the first join into rank `rank` or more. `None` if BPE does produce the token but
/// only after a join of higher rank (the vocabulary then does not qualify). The slow, plain
/// definition that the tests hold `Backtrack::find_split` to.
#[cfg(test)]
fn token_split_by_merge(vocab: &Vocab, token: &[u8], rank: Rank) -> Option<Split> {
    if token.len() == 1 {
        return Some((rank, rank));
    }
    let starts = crate::bpe::scan::merge_by_scan_below(vocab, token, rank);
    if let [0, mid] = *starts.as_slice() {
        if let (Some(l), Some(r)) = (
            token.get(..mid).and_then(|b| vocab.rank_of(b)),
            token.get(mid..).and_then(|b| vocab.rank_of(b)),
        ) {
            return Some((l, r));
        }
    }
    // More than two parts are left below `rank`: BPE produces the token only if a later,
    // higher-ranked join leads back to it.
    if merge_by_scan(vocab, token) == [0] {
        None
    } else {
        Some((NONE, NONE))
    }
}

#[inline]
fn token_len(vocab: &Vocab, token: Rank) -> usize {
    vocab.token_bytes(token).map_or(0, <[u8]>::len)
}

/// The rank of the two tokens' bytes joined, if that is a token.
#[inline]
fn joined_rank(vocab: &Vocab, left: Rank, right: Rank) -> Option<Rank> {
    let (a, b) = (vocab.token_bytes(left)?, vocab.token_bytes(right)?);
    let mut buffer = [0u8; 256];
    match buffer.get_mut(..a.len() + b.len()) {
        Some(joined) => {
            let (head, tail) = joined.split_at_mut(a.len());
            head.copy_from_slice(a);
            tail.copy_from_slice(b);
            vocab.rank_of(joined)
        }
        None => vocab.rank_of(&[a, b].concat()), // tokens over 128 bytes: custom vocabularies only
    }
}

/// One bit per position of a piece.
struct BitSet {
    words: Vec<u64>,
}

impl BitSet {
    fn all_set(len: usize) -> Self {
        BitSet { words: vec![u64::MAX; len.div_ceil(64)] }
    }

    #[inline]
    fn contains(&self, i: usize) -> bool {
        self.words.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    #[inline]
    fn remove(&mut self, i: usize) {
        if let Some(w) = self.words.get_mut(i / 64) {
            *w &= !(1 << (i % 64));
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::bpe::merge_by_heap;

    /// The reference: the heap merge (itself tested against the scan and tiktoken).
    fn by_heap(vocab: &Vocab, piece: &[u8]) -> Vec<Rank> {
        let starts = merge_by_heap(vocab, piece).unwrap();
        let ends = starts.iter().skip(1).copied().chain([piece.len()]);
        starts.iter().zip(ends).map(|(&s, e)| vocab.rank_of(&piece[s..e]).unwrap()).collect()
    }

    fn by_backtrack(backtrack: &Backtrack, vocab: &Vocab, piece: &[u8]) -> Vec<Rank> {
        let mut out = vec![7]; // something before, which the search must leave alone
        assert!(backtrack.encode(vocab, piece, &mut out), "search failed on {piece:?}");
        assert_eq!(out.remove(0), 7);
        out
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Byte-level vocabularies grown like BPE training (each new token joins two earlier
    /// ones), over a 3-letter alphabet so that every string up to length 8 can be tried.
    fn random_vocab(rng: &mut Rng, extra: usize) -> Vocab {
        let mut tokens: Vec<Vec<u8>> = (0u8..=255).map(|b| vec![b]).collect();
        let letters: Vec<usize> = b"abc".iter().map(|&b| b as usize).collect();
        let mut ours = letters.clone();
        while tokens.len() < 256 + extra {
            let (a, b) = (ours[rng.below(ours.len())], ours[rng.below(ours.len())]);
            let joined = [tokens[a].clone(), tokens[b].clone()].concat();
            if joined.len() <= 6 && !tokens.contains(&joined) {
                ours.push(tokens.len());
                tokens.push(joined);
            }
        }
        Vocab::from_pairs(tokens.into_iter().zip(0..).collect()).unwrap()
    }

    #[test]
    fn equals_the_heap_on_every_short_string_of_random_vocabularies() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut qualified = 0;
        for _ in 0..60 {
            let extra = 12 + rng.below(30);
            let vocab = random_vocab(&mut rng, extra);
            let Some(backtrack) = Backtrack::build(&vocab) else { continue };
            qualified += 1;
            for len in 1..=8u32 {
                for code in 0..3usize.pow(len) {
                    let mut c = code;
                    let piece: Vec<u8> = (0..len)
                        .map(|_| {
                            let b = b"abc"[c % 3];
                            c /= 3;
                            b
                        })
                        .collect();
                    let expected = by_heap(&vocab, &piece);
                    assert_eq!(by_backtrack(&backtrack, &vocab, &piece), expected, "{piece:?}");
                }
            }
        }
        assert!(qualified >= 30, "only {qualified} random vocabularies qualified");
    }

    /// Long pieces of the kinds that have no split point: runs, periodic text, letters, CJK,
    /// digits, arbitrary bytes. The long run sets TOKENIZER_RS_BACKTRACK_CASES.
    fn long_pieces(rng: &mut Rng, count: usize) -> Vec<Vec<u8>> {
        let alphabets: [&[&str]; 6] = [
            &["a", "b", "c", "x", "y", "z", "e", "t"],
            &["的", "是", "不", "了", "人", "我", "在", "有", "一", "他", "ア", "の", "한"],
            &["0", "1", "7", "9", "٣", "５"],
            &["ab", "abc", "th", "the", "ing", "er", "q"],
            &["é", "e\u{301}", "ß", "ж", "λ", "ا", "ה", "अ", "ก", "🙂", "\u{200d}"],
            &["!", "=", "-", "_", "*", "/", ".", "\u{a0}", "\t"],
        ];
        (0..count)
            .map(|_| {
                let len = 256 + rng.below(3000);
                let mut piece = Vec::with_capacity(len + 8);
                match rng.below(4) {
                    0 => {
                        let unit = alphabets[rng.below(6)];
                        let period: Vec<&str> =
                            (0..1 + rng.below(5)).map(|_| unit[rng.below(unit.len())]).collect();
                        while piece.len() < len {
                            piece.extend_from_slice(period[piece.len() % period.len()].as_bytes());
                        }
                    }
                    1 => {
                        while piece.len() < len {
                            piece.push(rng.next() as u8);
                        }
                    }
                    _ => {
                        let a = alphabets[rng.below(6)];
                        let b = alphabets[rng.below(6)];
                        while piece.len() < len {
                            let from = if rng.below(8) == 0 { b } else { a };
                            piece.extend_from_slice(from[rng.below(from.len())].as_bytes());
                        }
                    }
                }
                piece
            })
            .collect()
    }

    #[test]
    fn splits_equal_the_merge_on_every_token() {
        let mut rng = Rng(0x5eed);
        let mut vocabs: Vec<Vocab> = (0..200)
            .map(|_| {
                let extra = 12 + rng.below(30);
                random_vocab(&mut rng, extra)
            })
            .collect();
        let builtin = ["r50k_base", "p50k_base", "cl100k_base", "o200k_base"]
            .map(|name| crate::encodings::get_encoding(name).unwrap().vocab());
        for vocab in builtin.into_iter().chain(vocabs.iter_mut().map(|v| &*v)) {
            let by_merge: Option<Vec<Split>> = vocab
                .iter()
                .map(|(token, rank)| token_split_by_merge(vocab, token, rank))
                .collect();
            match (Backtrack::build(vocab), by_merge) {
                (Some(tables), Some(splits)) => {
                    let ours: Vec<Split> =
                        vocab.iter().map(|(_, r)| tables.split[r as usize]).collect();
                    assert_eq!(ours, splits);
                }
                (None, None) => {}
                (tables, splits) => panic!(
                    "qualifies: {} by lookups, {} by merge",
                    tables.is_some(),
                    splits.is_some()
                ),
            }
        }
    }

    #[test]
    fn equals_the_heap_on_long_pieces_of_every_builtin_vocabulary() {
        let cases = crate::test_rng::cases_from_env("TOKENIZER_RS_BACKTRACK_CASES", 60);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for name in ["r50k_base", "p50k_base", "cl100k_base", "o200k_base"] {
            let vocab = crate::encodings::get_encoding(name).unwrap().vocab();
            let backtrack = vocab.backtrack().expect("OpenAI vocabularies qualify");
            for piece in long_pieces(&mut rng, cases) {
                assert_eq!(
                    by_backtrack(backtrack, vocab, &piece),
                    by_heap(vocab, &piece),
                    "{name}: {:?}",
                    String::from_utf8_lossy(&piece)
                );
            }
        }
    }
}
