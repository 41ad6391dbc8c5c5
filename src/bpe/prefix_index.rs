//! The longest token that starts a byte string, found in one pass over its bytes.
//!
//! Every prefix of every token is in one hash table, keyed by a running hash of its bytes, with
//! the rank of the token it equals (if any). Walking the text byte by byte extends the hash;
//! the walk stops at the first prefix no token has, and the last token seen is the answer.
//!
//! Why not a crate: aho-corasick 1.1 (anchored, leftmost-longest) answers the same question at
//! about the same speed, but building it for o200k took 390 ms and 12 MB (its DFA 1.6 s and
//! 438 MB); this table builds in a fraction of that. Why not probe the token table at every
//! length: up to 128 probes per position instead of one per byte.
//!
//! Exactness does not rest on the hash: the build checks that no two distinct prefixes share a
//! key (and retries with another seed if they do), and a lookup compares the bytes of the token
//! it returns. A text prefix that is no token prefix but hashes like one only lengthens the walk.

use hashbrown::HashTable;

use crate::vocab::{Rank, Vocab};

const NOT_A_TOKEN: Rank = Rank::MAX;

/// Seeds tried in turn until one gives every distinct prefix its own key.
const SEEDS: [u64; 4] =
    [0xcbf2_9ce4_8422_2325, 0x9e37_79b9_7f4a_7c15, 0xd6e8_feb8_6659_fd93, 0xa076_1d64_78bd_642f];

#[derive(Clone, Copy)]
struct Entry {
    key: u64,
    /// The token these bytes are, or `NOT_A_TOKEN` if they are only the start of longer ones.
    rank: Rank,
}

/// During the build: also a token that has the prefix and the prefix length, to tell two
/// prefixes apart that share a key.
#[derive(Clone, Copy)]
struct BuildEntry {
    entry: Entry,
    witness: Rank,
    len: u32,
}

pub(crate) struct PrefixIndex {
    table: HashTable<Entry>,
    seed: u64,
    max_token_len: usize,
}

/// One byte more of the running key (FNV-1a).
#[inline(always)]
fn extend(key: u64, byte: u8) -> u64 {
    (key ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
}

/// The table's hash of a key: FNV's low bits depend only on the low bits of its input, and the
/// table indexes by low bits, so fold the high half in with a full multiply.
#[inline(always)]
fn spread(key: u64) -> u64 {
    let wide = u128::from(key) * 0x9e37_79b9_7f4a_7c15;
    (wide >> 64) as u64 ^ wide as u64
}

impl PrefixIndex {
    /// Indexes every token of `vocab`; `None` only if every seed gave two prefixes one key.
    pub(crate) fn build(vocab: &Vocab) -> Option<Self> {
        SEEDS.iter().find_map(|&seed| Self::build_with(vocab, seed))
    }

    fn build_with(vocab: &Vocab, seed: u64) -> Option<Self> {
        let mut building: HashTable<BuildEntry> = HashTable::new();
        let mut max_token_len = 0;
        for (token, rank) in vocab.iter() {
            max_token_len = max_token_len.max(token.len());
            let mut key = seed;
            for (i, &byte) in token.iter().enumerate() {
                key = extend(key, byte);
                let len = i + 1;
                let is_token = len == token.len();
                match building.find_mut(spread(key), |e| e.entry.key == key) {
                    Some(found) => {
                        let same = found.len as usize == len
                            && vocab.token_bytes(found.witness).and_then(|w| w.get(..len))
                                == token.get(..len);
                        if !same {
                            return None; // two prefixes, one key: try another seed
                        }
                        if is_token {
                            found.entry.rank = rank;
                        }
                    }
                    None => {
                        let entry = Entry { key, rank: if is_token { rank } else { NOT_A_TOKEN } };
                        let len = u32::try_from(len).ok()?;
                        building.insert_unique(
                            spread(key),
                            BuildEntry { entry, witness: rank, len },
                            |e| spread(e.entry.key),
                        );
                    }
                }
            }
        }
        let mut table = HashTable::with_capacity(building.len());
        for e in building {
            table.insert_unique(spread(e.entry.key), e.entry, |e| spread(e.key));
        }
        Some(PrefixIndex { table, seed, max_token_len })
    }

    /// The longest token that `text` starts with.
    #[inline]
    pub(crate) fn longest_at(&self, vocab: &Vocab, text: &[u8]) -> Option<Rank> {
        let (rank, len) = self.walk(vocab, text, false)?;
        if vocab.token_bytes(rank) == text.get(..len) {
            Some(rank)
        } else {
            // The rare text whose hash walk ended on a token it does not actually start with.
            self.walk(vocab, text, true).map(|(rank, _)| rank)
        }
    }

    /// The walk: the last token seen and its length, comparing the bytes of every candidate
    /// only if `compare_bytes`.
    #[inline]
    fn walk(&self, vocab: &Vocab, text: &[u8], compare_bytes: bool) -> Option<(Rank, usize)> {
        let mut key = self.seed;
        let mut best = None;
        for (i, &byte) in text.iter().take(self.max_token_len).enumerate() {
            key = extend(key, byte);
            match self.table.find(spread(key), |e| e.key == key) {
                None => break,
                Some(e)
                    if e.rank != NOT_A_TOKEN
                        && (!compare_bytes || vocab.token_bytes(e.rank) == text.get(..=i)) =>
                {
                    best = Some((e.rank, i + 1));
                }
                Some(_) => {}
            }
        }
        best
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn brute_force(vocab: &Vocab, text: &[u8]) -> Option<Rank> {
        (1..=text.len()).rev().find_map(|len| vocab.rank_of(&text[..len]))
    }

    #[test]
    fn agrees_with_probing_every_length() {
        let pairs = ["a", "b", "c", "ab", "abc", "abcab", "bca", "cc", "ccc", "cccc"]
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_bytes().to_vec(), i as Rank))
            .collect();
        let vocab = Vocab::from_pairs(pairs).unwrap();
        let index = PrefixIndex::build(&vocab).unwrap();
        for text in ["", "a", "abca", "abcabc", "abcx", "xab", "cccccc", "bcab", "ccb"] {
            let text = text.as_bytes();
            assert_eq!(index.longest_at(&vocab, text), brute_force(&vocab, text), "{text:?}");
        }
    }
}
