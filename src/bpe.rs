//! Byte-pair merging of one regex piece, with tiktoken's exact rule: repeatedly join the adjacent
//! pair of parts whose concatenated bytes have the lowest rank, the leftmost pair on a tie.
//!
//! Two implementations of that one rule: a scan for short pieces (cheap, no heap allocation
//! beyond one small vector) and a heap with lazy invalidation for long ones, so a megabyte
//! without whitespace takes O(n log n), not the O(n^2) of the merge that tiktoken-rs vendors.
//! Both return the start offsets of the final parts; tests check they agree.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::vocab::{Rank, Vocab};

/// Pieces shorter than this use the scan; longer ones the heap. Measured on o200k multilingual
/// text (long CJK pieces): 256 was twice as slow as 24..64, where it is flat.
const HEAP_THRESHOLD: usize = 48;

/// Appends the tokens of `piece` to `out`.
pub fn encode_piece(vocab: &Vocab, piece: &[u8], out: &mut Vec<Rank>) {
    if let Some(rank) = vocab.rank_of(piece) {
        out.push(rank);
        return;
    }
    let starts = merge(vocab, piece);
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(piece.len());
        if let Some(rank) = piece.get(start..end).and_then(|part| vocab.rank_of(part)) {
            out.push(rank);
        }
    }
}

/// The number of tokens of `piece`, without building them.
pub fn count_piece(vocab: &Vocab, piece: &[u8]) -> usize {
    if piece.len() <= 1 || vocab.rank_of(piece).is_some() {
        return usize::from(!piece.is_empty());
    }
    merge(vocab, piece).len()
}

/// Start offsets of the parts `piece` merges into (every single byte must be a token, as in all
/// byte-level BPE vocabularies; a custom one without some byte yields the parts it can).
pub fn merge(vocab: &Vocab, piece: &[u8]) -> Vec<usize> {
    if piece.len() < HEAP_THRESHOLD {
        merge_by_scan(vocab, piece)
    } else {
        merge_by_heap(vocab, piece)
    }
}

fn pair_rank(vocab: &Vocab, piece: &[u8], start: usize, end: usize) -> Rank {
    piece.get(start..end).and_then(|bytes| vocab.rank_of(bytes)).unwrap_or(Rank::MAX)
}

/// The scan: `parts[i] = (start, rank of parts i and i+1 joined)`; find the minimum, join,
/// update the two ranks around the join. O(n * merges), fine for short pieces.
pub fn merge_by_scan(vocab: &Vocab, piece: &[u8]) -> Vec<usize> {
    let n = piece.len();
    if n < 2 {
        return if n == 0 { Vec::new() } else { vec![0] };
    }
    // One entry per byte plus a sentinel at n, so parts[i + 1].0 is always the end of part i.
    let mut parts: Vec<(usize, Rank)> = (0..=n)
        .map(|i| (i, if i + 2 <= n { pair_rank(vocab, piece, i, i + 2) } else { Rank::MAX }))
        .collect();
    loop {
        let mut best = (Rank::MAX, 0usize);
        for (i, &(_, rank)) in parts.iter().enumerate().take(parts.len().saturating_sub(1)) {
            if rank < best.0 {
                best = (rank, i);
            }
        }
        let (rank, i) = best;
        if rank == Rank::MAX {
            break;
        }
        // After removing parts[i + 1], part i runs to parts[i + 2]; its pair ends at parts[i + 3].
        let start_of = |k: usize| parts.get(k).map(|p| p.0);
        let new_rank = match (start_of(i), start_of(i + 3)) {
            (Some(s), Some(e)) => pair_rank(vocab, piece, s, e),
            _ => Rank::MAX,
        };
        let prev_rank = match (i.checked_sub(1).and_then(start_of), start_of(i + 2)) {
            (Some(s), Some(e)) => Some(pair_rank(vocab, piece, s, e)),
            _ => None,
        };
        if let Some(part) = parts.get_mut(i) {
            part.1 = new_rank;
        }
        if let (Some(r), Some(part)) = (prev_rank, i.checked_sub(1).and_then(|p| parts.get_mut(p)))
        {
            part.1 = r;
        }
        parts.remove(i + 1);
    }
    parts.pop(); // the sentinel
    parts.into_iter().map(|(start, _)| start).collect()
}

/// A part of the piece during the heap merge: a node of a linked list keyed by start offset.
#[derive(Clone, Copy)]
struct Part {
    /// End of this part (start of the next); `DEAD` once merged into its left neighbour.
    end: usize,
    /// Start of the previous part (`usize::MAX` for the first).
    prev: usize,
    /// Rank of this part joined with the next, `Rank::MAX` if that is not a token.
    pair_rank: Rank,
}

const DEAD: usize = usize::MAX;

/// The heap: the parts form a linked list (by start offset); the heap holds candidate joins
/// keyed by (rank, start), and a popped candidate is used only if it still describes the
/// current pair at that start (a rank names one byte string, so equal rank means same pair).
/// One allocation for the parts, one for the heap.
pub fn merge_by_heap(vocab: &Vocab, piece: &[u8]) -> Vec<usize> {
    let n = piece.len();
    if n < 2 {
        return if n == 0 { Vec::new() } else { vec![0] };
    }
    let mut parts: Vec<Part> = (0..n)
        .map(|s| Part { end: s + 1, prev: s.wrapping_sub(1), pair_rank: Rank::MAX })
        .collect();
    let mut heap = BinaryHeap::with_capacity(n);
    for (s, part) in parts.iter_mut().enumerate().take(n - 1) {
        part.pair_rank = pair_rank(vocab, piece, s, s + 2);
        if part.pair_rank != Rank::MAX {
            heap.push(Reverse((part.pair_rank, s)));
        }
    }
    while let Some(Reverse((rank, s))) = heap.pop() {
        let Some(&Part { end: mid, prev, pair_rank: current }) = parts.get(s) else { continue };
        if mid == DEAD || current != rank {
            continue; // stale candidate
        }
        let Some(&Part { end: new_end, .. }) = parts.get(mid) else { continue };
        if let Some(right) = parts.get_mut(mid) {
            right.end = DEAD;
        }
        let next_end = parts.get(new_end).map(|p| p.end);
        if let Some(next) = parts.get_mut(new_end) {
            next.prev = s;
        }
        let joined_rank = match next_end {
            Some(next_end) => pair_rank(vocab, piece, s, next_end),
            None => Rank::MAX,
        };
        if let Some(part) = parts.get_mut(s) {
            part.end = new_end;
            part.pair_rank = joined_rank;
        }
        if joined_rank != Rank::MAX {
            heap.push(Reverse((joined_rank, s)));
        }
        if let Some(left) = parts.get_mut(prev) {
            left.pair_rank = pair_rank(vocab, piece, prev, new_end);
            if left.pair_rank != Rank::MAX {
                heap.push(Reverse((left.pair_rank, prev)));
            }
        }
    }
    let mut starts = Vec::with_capacity(n / 4 + 1);
    let mut s = 0;
    while s < n {
        starts.push(s);
        s = parts.get(s).map_or(n, |p| p.end);
    }
    starts
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn toy_vocab() -> Vocab {
        let mut pairs: Vec<(Vec<u8>, Rank)> = (0u8..=255).map(|b| (vec![b], b as Rank)).collect();
        for (i, t) in ["ab", "bc", "abc", "aa", "aaaa", "cab", "bca"].iter().enumerate() {
            pairs.push((t.as_bytes().to_vec(), 256 + i as Rank));
        }
        Vocab::from_pairs(pairs).unwrap()
    }

    #[test]
    fn scan_and_heap_agree_on_every_short_string() {
        let vocab = toy_vocab();
        let alphabet = b"abcx";
        for len in 0..=7usize {
            for code in 0..alphabet.len().pow(len as u32) {
                let mut c = code;
                let s: Vec<u8> = (0..len)
                    .map(|_| {
                        let b = alphabet[c % alphabet.len()];
                        c /= alphabet.len();
                        b
                    })
                    .collect();
                assert_eq!(merge_by_scan(&vocab, &s), merge_by_heap(&vocab, &s), "{s:?}");
            }
        }
    }

    #[test]
    fn leftmost_wins_ties() {
        let vocab = toy_vocab();
        // "aaa": the pair at 0 and at 1 both have rank of "aa"; the left one merges first.
        assert_eq!(merge_by_scan(&vocab, b"aaa"), vec![0, 2]);
        assert_eq!(merge_by_heap(&vocab, b"aaa"), vec![0, 2]);
        assert_eq!(merge_by_heap(&vocab, b"aaaaa"), vec![0, 4]);
    }
}
