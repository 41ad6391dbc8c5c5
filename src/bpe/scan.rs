//! The scan merge, for short pieces: `parts[i]` holds part i's start and the rank of parts i
//! and i + 1 joined; find the lowest, join, look up the two pairs around the join again.
//! O(n * merges), cheap for the ten or so parts of a word and with no allocation beyond the
//! caller's vector. `bpe/interleaved.rs` takes the same steps for several pieces in turn, with
//! the helpers here.

use crate::bpe::{pair_rank, starts_of, Unit};
use crate::vocab::{Rank, Vocab};

/// The units of a plain byte merge: every byte, then the end.
pub(crate) fn byte_units(piece: &[u8]) -> impl Iterator<Item = Unit> {
    (0..=piece.len() as u32).map(|start| Unit::new(start, 0))
}

/// The scan: `parts[i] = (start, rank of parts i and i+1 joined)`; find the minimum, join,
/// update the two ranks around the join. O(n * merges), fine for short pieces.
pub fn merge_by_scan(vocab: &Vocab, piece: &[u8]) -> Vec<usize> {
    merge_by_scan_below(vocab, piece, Rank::MAX)
}

/// The scan merge using only tokens of rank below `limit`: the state BPE reaches just before it
/// would first join two parts into a token of rank `limit` or more.
pub(crate) fn merge_by_scan_below(vocab: &Vocab, piece: &[u8], limit: Rank) -> Vec<usize> {
    let mut parts: Vec<Unit> = byte_units(piece).collect();
    scan_in_place::<false>(vocab, piece, &mut parts, limit, Whole::Unknown);
    starts_of(&parts)
}

/// The scan from the units in `parts` (each unit's start and floor, then one at the piece's
/// end), which it leaves as the final parts, then the end. False if a join it would take ranks
/// below the floor of a part it joins (see `bpe/char_units.rs`). `bpe/interleaved.rs` takes
/// the same steps, with other pieces' steps in between.
pub(crate) fn scan_in_place<const FLOORS: bool>(
    vocab: &Vocab,
    piece: &[u8],
    parts: &mut Vec<Unit>,
    limit: Rank,
    whole: Whole,
) -> bool {
    if whole.settles(parts) {
        return true;
    }
    if !set_all_pairs::<FLOORS>(vocab, piece, parts, limit) {
        return false;
    }
    loop {
        let (rank, i) = lowest_pair(parts);
        if rank == Rank::MAX || !join_at::<FLOORS>(parts, i) {
            return true;
        }
        if whole.settles(parts) {
            return true;
        }
        if !set_pairs_around::<FLOORS>(vocab, piece, parts, i, limit) {
            return false;
        }
    }
}

/// What the caller of a merge knows about the whole piece.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Whole {
    /// It is no token: counting and encoding look the whole piece up before they merge it.
    NoToken,
    /// It may be one (`merge`, the segments of a long piece).
    Unknown,
}

impl Whole {
    /// Whether the merge is over once it is down to `parts` (its parts, then the end) without
    /// another lookup: two parts of a piece that is no token cannot join, since their join
    /// would be the whole piece. 35% of the non-ASCII pieces of the multilingual bench file
    /// that are no token end in two tokens on o200k (13% on cl100k), and that last lookup is
    /// of the longest key of the merge.
    #[inline(always)]
    pub(crate) fn settles(self, parts: &[Unit]) -> bool {
        self == Whole::NoToken && parts.len() <= 3
    }
}

/// The rank of parts `i` and `i + 1` joined (MAX if that is no token below `limit`, or there
/// is no such pair); `None` if it would break a floor.
#[inline(always)]
fn pair_at<const FLOORS: bool>(
    vocab: &Vocab,
    piece: &[u8],
    parts: &[Unit],
    i: usize,
    limit: Rank,
) -> Option<Rank> {
    let (Some(left), Some(right), Some(next)) = (parts.get(i), parts.get(i + 1), parts.get(i + 2))
    else {
        return Some(Rank::MAX);
    };
    let rank = pair_rank(vocab, piece, left.start as usize, next.start as usize);
    if rank >= limit {
        Some(Rank::MAX)
    } else if FLOORS && rank < left.floor.max(right.floor) {
        None
    } else {
        Some(rank)
    }
}

/// Sets the pair rank of every part; false if one would break a floor.
#[inline(always)]
pub(crate) fn set_all_pairs<const FLOORS: bool>(
    vocab: &Vocab,
    piece: &[u8],
    parts: &mut [Unit],
    limit: Rank,
) -> bool {
    // The last part and the end have no pair (`lowest_pair` does not read them).
    for i in 0..parts.len().saturating_sub(2) {
        let Some(rank) = pair_at::<FLOORS>(vocab, piece, parts, i, limit) else { return false };
        if let Some(part) = parts.get_mut(i) {
            part.pair = rank;
        }
    }
    true
}

/// After a join at `i`: sets the pair ranks of parts `i` and `i - 1`, the only ones it changed;
/// false if one would break a floor.
#[inline(always)]
pub(crate) fn set_pairs_around<const FLOORS: bool>(
    vocab: &Vocab,
    piece: &[u8],
    parts: &mut [Unit],
    i: usize,
    limit: Rank,
) -> bool {
    for at in [Some(i), i.checked_sub(1)].into_iter().flatten() {
        let Some(rank) = pair_at::<FLOORS>(vocab, piece, parts, at, limit) else { return false };
        if let Some(part) = parts.get_mut(at) {
            part.pair = rank;
        }
    }
    true
}

/// The lowest pair rank among `parts` and the index of its part, the leftmost on a tie. The
/// last two parts (the last part and the end) never have a pair, so they are not read.
#[inline(always)]
pub(crate) fn lowest_pair(parts: &[Unit]) -> (Rank, usize) {
    let with_pairs = parts.get(..parts.len().saturating_sub(2)).unwrap_or_default();
    let mut best = (Rank::MAX, 0usize);
    for (i, part) in with_pairs.iter().enumerate() {
        if part.pair < best.0 {
            best = (part.pair, i);
        }
    }
    best
}

/// Joins parts `i` and `i + 1` (the joined part keeps the higher floor); false if there is no
/// part `i + 1`. Pair ranks around the join are left stale: see [`set_pairs_around`].
#[inline(always)]
pub(crate) fn join_at<const FLOORS: bool>(parts: &mut Vec<Unit>, i: usize) -> bool {
    if i + 1 >= parts.len() {
        return false;
    }
    if FLOORS {
        if let (Some(&left), Some(&right)) = (parts.get(i), parts.get(i + 1)) {
            if let Some(part) = parts.get_mut(i) {
                part.floor = left.floor.max(right.floor);
            }
        }
    }
    // Shifting the few parts after the join by hand: `Vec::remove` calls memmove, which for
    // the ten or so parts of a piece was 4% of the time of counting multilingual text.
    for k in i + 1..parts.len() - 1 {
        if let Some(&next) = parts.get(k + 1) {
            if let Some(part) = parts.get_mut(k) {
                *part = next;
            }
        }
    }
    parts.pop();
    true
}
