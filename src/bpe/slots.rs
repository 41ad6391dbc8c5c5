//! The scan merge of at most 32 bytes in fixed slots: the merge of each segment of a long piece
//! of short tokens (`bpe/segmented.rs`: a megabyte of random letters is 33,000 of them).
//!
//! Why not the scan of `bpe/scan.rs`: it keeps the parts in a vector, finds the lowest pair by
//! a loop over them and shifts the parts after each join down by one. On 32 bytes of random
//! letters (16 joins) that loop and the shift were two thirds of the instructions of counting
//! (callgrind), the lookups a third. Here the part that starts at byte `k` stays in slot `k`:
//! a join only relinks its neighbours (`next`, `prev`) and clears the pair of the part it
//! removes, and the lowest pair is the minimum of a fixed array of 32 keys (rank and slot in
//! one i32, see [`key`]), which the compiler turns into a few vector instructions with no
//! branch per part. A megabyte of random letters (o200k): 390 -> 205 M instructions.
//!
//! Same rule, same result: slot order is byte order, so the lowest slot holding the lowest
//! rank is the leftmost lowest pair, tiktoken's tie-break. `tests` compares it with the scan.
//!
//! Tried and left out (a megabyte of random letters, o200k): 16 or 64 slots (and segments) in
//! place of 32, 34-36 and 31.6-31.7 ms against 30.7-31.7; prefetching the table lines of every
//! window of 3 and 4 bytes first, 33.6-42.3 ms; a 256 KB filter that answers "no token" for
//! most keys of 4 bytes or more without the rank table (97% of those keys are none), 12% fewer
//! instructions but no faster: the merge waits on mispredicted branches and L1 misses as much
//! as on instructions (callgrind's simulation: 1.2 M mispredicts, 1.1 M L1 misses a megabyte).

use crate::bpe::{pair_rank, Unit};
use crate::vocab::{Rank, Vocab};

/// The most bytes a merge in slots takes: the slot of a pair is the low 5 bits of its key.
pub(crate) const SLOT_BYTES: usize = 32;
const SLOT_BITS: u32 = 5;

/// Ranks must leave the keys positive i32 (see [`key`]).
const RANK_END: Rank = 1 << (31 - SLOT_BITS);

/// A slot with no pair.
const NO_PAIR: i32 = i32::MAX;

/// Room for the links: slots 0..=SLOT_BYTES (the end is a part too), as a power of two so
/// that a masked index needs no bounds check.
const LINKS: usize = 64;

/// Merges `piece` (at most [`SLOT_BYTES`] bytes) from its bytes into `parts`: the final parts'
/// starts, then one at the end, as the other merges leave them. False (and `parts` untouched)
/// if the piece is longer, or the vocabulary's ranks too high for the keys.
pub(crate) fn merge_bytes_in_slots(vocab: &Vocab, piece: &[u8], parts: &mut Vec<Unit>) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("sse4.1") {
        // SAFETY: this CPU has SSE4.1 (checked just above), all `merge_sse41` needs.
        #[allow(unsafe_code)]
        unsafe {
            return merge_sse41(vocab, piece, parts);
        }
    }
    merge(vocab, piece, parts)
}

/// [`merge`] compiled for SSE4.1, whose `pminsd` takes the minimum of four keys in one
/// instruction (SSE2, every x86-64's baseline, needs four): 1 MB of random letters o200k
/// 31-33 -> 27-29 ms. The wheel is built for the baseline, so the CPU is asked at run time.
/// AVX2 (eight keys at once) measured no faster. `unsafe fn` only because a
/// `#[target_feature]` function had to be one before Rust 1.86, our minimum being 1.85.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse4.1")]
unsafe fn merge_sse41(vocab: &Vocab, piece: &[u8], parts: &mut Vec<Unit>) -> bool {
    merge(vocab, piece, parts)
}

#[inline(always)]
fn merge(vocab: &Vocab, piece: &[u8], parts: &mut Vec<Unit>) -> bool {
    let n = piece.len();
    if n > SLOT_BYTES || vocab.rank_end() > RANK_END {
        return false;
    }
    // keys[k]: the pair of the part starting at k and the next one (see `key`); NO_PAIR if no
    // part starts at k (any more), if the next is the end, or if the join is no token.
    let mut keys = [NO_PAIR; SLOT_BYTES];
    let mut next = [0u8; LINKS];
    let mut prev = [0u8; LINKS];
    for k in 0..=n {
        // k <= 32: the casts cannot truncate.
        set(&mut next, k, (k + 1) as u8);
        set(&mut prev, k, k.wrapping_sub(1) as u8);
    }
    for (k, slot) in keys.iter_mut().enumerate().take(n.saturating_sub(1)) {
        *slot = key(pair_rank(vocab, piece, k, k + 2), k);
    }
    loop {
        let lowest = keys.iter().fold(NO_PAIR, |low, &key| low.min(key));
        if lowest == NO_PAIR {
            break;
        }
        let i = (lowest as usize) & (SLOT_BYTES - 1);
        let removed = get(&next, i);
        let after = get(&next, removed);
        set(&mut next, i, after as u8);
        set(&mut prev, after, i as u8);
        set(&mut keys, removed, NO_PAIR);
        let rank =
            if after < n { pair_rank(vocab, piece, i, get(&next, after)) } else { Rank::MAX };
        set(&mut keys, i, key(rank, i));
        if i > 0 {
            let before = get(&prev, i);
            set(&mut keys, before, key(pair_rank(vocab, piece, before, after), before));
        }
    }
    parts.clear();
    let mut at = 0;
    while at < n {
        parts.push(Unit::new(at as u32, 0));
        at = get(&next, at);
    }
    parts.push(Unit::new(n as u32, 0));
    true
}

/// The key of the pair at `slot` of rank `rank`: rank and slot in one i32, so that the minimum
/// of the keys is the lowest rank at its leftmost slot (tiktoken's tie-break), found in one
/// pass that the compiler vectorizes (signed compares: SSE2 has no unsigned ones). Two passes,
/// the minimum rank and then a mask of the slots holding it, cost more than the scan merge
/// did: the mask's variable shifts are not vectorized.
#[inline(always)]
fn key(rank: Rank, slot: usize) -> i32 {
    if rank >= RANK_END {
        return NO_PAIR; // no token (Rank::MAX); higher real ranks are refused above
    }
    // rank < 2^26 and slot < 32: below 2^31.
    ((rank << SLOT_BITS) | (slot as u32 & (SLOT_BYTES as u32 - 1))) as i32
}

#[inline(always)]
fn get(links: &[u8; LINKS], k: usize) -> usize {
    links.get(k & (LINKS - 1)).map_or(0, |&v| usize::from(v))
}

/// Sets element `k` of `array`, whose length is a power of two (LINKS, SLOT_BYTES): the masked
/// index is always in bounds, so the write needs no check.
#[inline(always)]
fn set<T, const N: usize>(array: &mut [T; N], k: usize, value: T) {
    if let Some(slot) = array.get_mut(k & (N - 1)) {
        *slot = value;
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::bpe::merge_by_scan;
    use crate::test_rng::TestRng;

    fn starts(vocab: &Vocab, piece: &[u8]) -> Vec<usize> {
        let mut parts = Vec::new();
        assert!(merge_bytes_in_slots(vocab, piece, &mut parts));
        parts.iter().map(|part| part.start as usize).collect()
    }

    /// Every length up to 32, random bytes from alphabets that make long tokens, ties (runs of
    /// one letter) and no tokens at all, against the scan merge, on all three vocabularies.
    /// `TOKENIZER_RS_SLOT_CASES=N` runs more.
    #[test]
    fn equals_the_scan() {
        let cases = crate::test_rng::cases_from_env("TOKENIZER_RS_SLOT_CASES", 3000);
        let alphabets: [&[u8]; 6] = [
            b"abcdefghijklmnopqrstuvwxyz",
            b"etaoinshrdlu ",
            b"a",
            b"ab",
            b"0123456789.,;:!?'\"()[]{}<>/\\|-_=+*&^%$#@~` \t\n",
            &[0x80, 0xa0, 0xc3, 0xe2, 0xe6, 0xff, b' ', b'a'],
        ];
        let mut rng = TestRng(0x2545_F491_4F6C_DD1D);
        for name in ["r50k_base", "cl100k_base", "o200k_base"] {
            let vocab = crate::encodings::get_encoding(name).unwrap().vocab();
            for case in 0..cases {
                let alphabet = alphabets[case % alphabets.len()];
                let len = case % (SLOT_BYTES + 1);
                let piece: Vec<u8> =
                    (0..len).map(|_| alphabet[rng.below(alphabet.len())]).collect();
                let mut expected = merge_by_scan(vocab, &piece);
                expected.push(len);
                assert_eq!(starts(vocab, &piece), expected, "{name}: {piece:?}");
                // The portable merge too, where the CPU's SSE4.1 one answers above.
                let mut parts = Vec::new();
                assert!(merge(vocab, &piece, &mut parts));
                let portable: Vec<usize> = parts.iter().map(|part| part.start as usize).collect();
                assert_eq!(portable, expected, "{name}: {piece:?}");
            }
            let mut parts = vec![Unit::new(7, 0)];
            assert!(!merge_bytes_in_slots(vocab, &[b'a'; SLOT_BYTES + 1], &mut parts));
            assert_eq!(parts, vec![Unit::new(7, 0)], "a longer piece leaves parts untouched");
        }
    }
}
