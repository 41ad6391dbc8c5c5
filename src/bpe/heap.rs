//! The heap merge, for pieces too long for the scan: the parts form a linked list, the heap
//! holds candidate joins, stale ones are skipped when popped. O(n log n), so a megabyte without
//! a split point does not take the O(n^2) of the merge that tiktoken-rs vendors.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::bpe::{pair_rank, scan::byte_units, Unit, MAX_PIECE_BYTES};
use crate::error::{Error, Result};
use crate::vocab::{Rank, Vocab};

/// A part of the piece during the heap merge: a node of a linked list keyed by start offset.
/// Offsets are u32 (see [`MAX_PIECE_BYTES`]), so a part is 16 bytes and a heap entry 8: the heap
/// of a long piece is what the merge waits on (cache misses while sifting); with usize offsets
/// and (rank, start) tuples it measured 25-40% slower.
#[derive(Clone, Copy)]
struct Part {
    /// End of this part (start of the next); `DEAD` once merged into its left neighbour (or
    /// for an offset inside a unit).
    end: u32,
    /// Start of the previous part (`NONE` for the first).
    prev: u32,
    /// Rank of this part joined with the next, `Rank::MAX` if that is not a token.
    pair_rank: Rank,
    /// The highest floor of its units.
    floor: Rank,
}

const DEAD: u32 = u32::MAX;
const NONE: u32 = u32::MAX;

/// Heap key: rank in the high half, start in the low half, so the smallest key is the lowest
/// rank and, among equal ranks, the leftmost start.
#[inline(always)]
fn key(rank: Rank, start: u32) -> Reverse<u64> {
    Reverse((u64::from(rank) << 32) | u64::from(start))
}

/// The heap: the parts form a linked list (by start offset); the heap holds candidate joins
/// keyed by (rank, start), and a popped candidate is used only if it still describes the
/// current pair at that start (a rank names one byte string, so equal rank means same pair).
pub fn merge_by_heap(vocab: &Vocab, piece: &[u8]) -> Result<Vec<usize>> {
    // Byte units have floor 0, which no join breaks: never `None`.
    Ok(merge_by_heap_from(vocab, piece, byte_units(piece))?.unwrap_or_default())
}

/// The heap merge from `units` (as for [`scan_in_place`]); `Ok(None)` if a floor is broken.
pub(crate) fn merge_by_heap_from(
    vocab: &Vocab,
    piece: &[u8],
    units: impl Iterator<Item = Unit>,
) -> Result<Option<Vec<usize>>> {
    let n = piece.len();
    let n32 = match u32::try_from(n) {
        Ok(n32) if n <= MAX_PIECE_BYTES => n32,
        _ => {
            return Err(Error::InvalidArgument(format!(
                "a single piece of {n} bytes (text without any split point) is longer than the {MAX_PIECE_BYTES} bytes BPE takes"
            )))
        }
    };
    let rank_of = |start: u32, end: u32| pair_rank(vocab, piece, start as usize, end as usize);
    let unlinked = Part { end: DEAD, prev: NONE, pair_rank: Rank::MAX, floor: 0 };
    let mut parts: Vec<Part> = vec![unlinked; n];
    let mut units = units.peekable();
    let mut prev = NONE;
    while let Some(unit) = units.next() {
        let end = units.peek().map_or(n32, |next| next.start);
        if let Some(part) = parts.get_mut(unit.start as usize) {
            *part = Part { end, prev, pair_rank: Rank::MAX, floor: unit.floor };
            prev = unit.start;
        }
    }
    let floor_of = |parts: &[Part], s: u32| parts.get(s as usize).map_or(0, |p| p.floor);
    let mut heap = BinaryHeap::with_capacity(n);
    let mut s = 0u32;
    while let Some(&Part { end: mid, floor, .. }) = parts.get(s as usize) {
        if let Some(&Part { end, floor: right_floor, .. }) = parts.get(mid as usize) {
            let rank = rank_of(s, end);
            if rank < floor.max(right_floor) {
                return Ok(None);
            }
            if let Some(part) = parts.get_mut(s as usize) {
                part.pair_rank = rank;
            }
            if rank != Rank::MAX {
                heap.push(key(rank, s));
            }
        }
        s = mid;
    }
    while let Some(Reverse(k)) = heap.pop() {
        let (rank, s) = ((k >> 32) as Rank, k as u32);
        let Some(&Part { end: mid, prev, pair_rank: current, floor }) = parts.get(s as usize)
        else {
            continue;
        };
        if mid == DEAD || current != rank {
            continue; // stale candidate
        }
        let Some(&Part { end: new_end, floor: mid_floor, .. }) = parts.get(mid as usize) else {
            continue;
        };
        let floor = floor.max(mid_floor);
        if let Some(right) = parts.get_mut(mid as usize) {
            right.end = DEAD;
        }
        let next_end = parts.get(new_end as usize).map(|p| p.end);
        if let Some(next) = parts.get_mut(new_end as usize) {
            next.prev = s;
        }
        let joined_rank = next_end.map_or(Rank::MAX, |e| rank_of(s, e));
        if joined_rank < floor.max(floor_of(&parts, new_end)) {
            return Ok(None);
        }
        if let Some(part) = parts.get_mut(s as usize) {
            part.end = new_end;
            part.pair_rank = joined_rank;
            part.floor = floor;
        }
        if joined_rank != Rank::MAX {
            heap.push(key(joined_rank, s));
        }
        if prev != NONE {
            let left_rank = rank_of(prev, new_end);
            if left_rank < floor.max(floor_of(&parts, prev)) {
                return Ok(None);
            }
            if let Some(left) = parts.get_mut(prev as usize) {
                left.pair_rank = left_rank;
                if left_rank != Rank::MAX {
                    heap.push(key(left_rank, prev));
                }
            }
        }
    }
    let mut starts = Vec::with_capacity(n / 4 + 1);
    let mut s = 0u32;
    while s < n32 {
        starts.push(s as usize);
        s = parts.get(s as usize).map_or(n32, |p| p.end);
    }
    Ok(Some(starts))
}
