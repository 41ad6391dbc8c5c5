//! Byte-pair merging of one regex piece, with tiktoken's exact rule: repeatedly join the adjacent
//! pair of parts whose concatenated bytes have the lowest rank, the leftmost pair on a tie.
//!
//! Three implementations of that one rule: a scan for short pieces (cheap, no heap allocation
//! beyond one small vector) and a heap with lazy invalidation for long ones, so a megabyte
//! without whitespace takes O(n log n), not the O(n^2) of the merge that tiktoken-rs vendors.
//! Both return the start offsets of the final parts; tests check they agree. Pieces of
//! [`BACKTRACK_THRESHOLD`] bytes or more use the linear-time backtracking encoder
//! (`bpe/backtrack.rs`), tested equal to the heap.

mod backtrack;
mod char_units;
mod interleaved;
mod piece_cache;
mod prefix_index;
mod segmented;
mod short_counts;

use std::cmp::Reverse;
use std::collections::BinaryHeap;

pub(crate) use backtrack::Backtrack;
pub(crate) use char_units::CharUnits;
use char_units::Unit;
pub(crate) use interleaved::MergeRing;
pub(crate) use piece_cache::{with_thread_cache, PieceCache};

use crate::error::{Error, Result};
use crate::vocab::{Probe, Rank, Vocab};

/// The longest piece BPE takes: offsets are u32 in the heap merge. A piece this long (4 GiB
/// without a single split point) would need far more memory for the merge than any machine
/// this runs on has, so it is refused instead.
pub const MAX_PIECE_BYTES: usize = u32::MAX as usize - 1;

/// Pieces shorter than this use the scan; longer ones the heap. Measured on o200k multilingual
/// text (long CJK pieces): 256 was twice as slow as 24..64, where it is flat.
pub(crate) const HEAP_THRESHOLD: usize = 48;

/// Pieces this long or longer use the backtracking encoder (linear time, 11-18 ns a byte on a
/// megabyte of one letter or of the alphabet repeated, where the heap took 150-250), when the
/// vocabulary qualifies. Its tables are built on first use (about 60 ms for cl100k, 150 ms and
/// 10 MB for o200k), so only a process that meets such a piece pays for them. Below this
/// length the heap is as fast (measured with 48: no change on multilingual text), and
/// ordinary text (even long CJK sentences in o200k) rarely reaches it.
pub const BACKTRACK_THRESHOLD: usize = 1024;

/// The backtracking encoder's tables for `vocab` if `piece` is long enough to use them.
fn backtrack_for<'v>(vocab: &'v Vocab, piece: &[u8]) -> Option<&'v Backtrack> {
    if piece.len() >= BACKTRACK_THRESHOLD {
        vocab.backtrack()
    } else {
        None
    }
}

/// Appends the tokens of `piece` to `out`.
pub fn encode_piece(vocab: &Vocab, piece: &[u8], out: &mut Vec<Rank>) -> Result<()> {
    encode_piece_prefetched(vocab, piece, None, None, out)
}

/// The hash `cache` keys `piece` by, if the piece is short enough to be kept there.
#[inline(always)]
fn cache_hash(piece: &[u8], probe: Option<&Probe>) -> Option<u64> {
    if piece.len() > piece_cache::MAX_PIECE_BYTES {
        return None;
    }
    Some(probe.map_or_else(|| Probe::new(piece).hash(), Probe::hash))
}

/// [`encode_piece`] with the probe of an earlier `vocab.prefetch(piece)`, if any, and this
/// thread's cache of merged pieces, if any.
#[inline(always)]
pub(crate) fn encode_piece_prefetched(
    vocab: &Vocab,
    piece: &[u8],
    probe: Option<&Probe>,
    cache: Option<&mut PieceCache>,
    out: &mut Vec<Rank>,
) -> Result<()> {
    if let Some(rank) = vocab.rank_of_prefetched(piece, probe) {
        out.push(rank);
        return Ok(());
    }
    let cached = cache.zip(cache_hash(piece, probe));
    if let Some((cache, hash)) = &cached {
        if let Some(tokens) = cache.tokens(vocab.id(), piece, *hash) {
            out.extend_from_slice(tokens);
            return Ok(());
        }
    }
    let before = out.len();
    encode_merged(vocab, piece, out)?;
    if let (Some((cache, hash)), Some(tokens)) = (cached, out.get(before..)) {
        cache.put_tokens(vocab.id(), piece, hash, tokens);
    }
    Ok(())
}

/// The tokens of a piece that is not one token.
fn encode_merged(vocab: &Vocab, piece: &[u8], out: &mut Vec<Rank>) -> Result<()> {
    if let Some(starts) = merge_long(vocab, piece)? {
        push_ranks(vocab, piece, starts.iter().map(|&s| s as usize), out);
        return Ok(());
    }
    if let Some(backtrack) = backtrack_for(vocab, piece) {
        if backtrack.encode(vocab, piece, out) {
            return Ok(());
        }
    }
    let mut parts = Vec::with_capacity(piece.len() + 1);
    merge_into::<true>(vocab, piece, &mut parts, Whole::NoToken)?;
    // The last part only marks the end.
    let starts = parts.iter().take(parts.len().saturating_sub(1)).map(|part| part.start as usize);
    push_ranks(vocab, piece, starts, out);
    Ok(())
}

/// Appends the rank of each token of `piece`, given the tokens' start offsets in order.
fn push_ranks(
    vocab: &Vocab,
    piece: &[u8],
    starts: impl Iterator<Item = usize> + Clone,
    out: &mut Vec<Rank>,
) {
    let ends = starts.clone().skip(1).chain([piece.len()]);
    for (start, end) in starts.zip(ends) {
        if let Some(rank) = piece.get(start..end).and_then(|p| vocab.rank_of(p)) {
            out.push(rank);
        }
    }
}

/// The number of tokens of `piece`, without building them.
pub fn count_piece(vocab: &Vocab, piece: &[u8]) -> Result<usize> {
    count_piece_prefetched(vocab, piece, None, None, None)
}

/// [`count_piece`] with the probe of an earlier `vocab.prefetch(piece)`, if any, this thread's
/// cache of merged pieces, if any, and a ring of merges in flight, if any: a short piece that
/// needs a merge is then left to the ring, which returns its tokens later, from this call or
/// from `MergeRing::finish` (the returned count is of whatever finished meanwhile).
#[inline(always)]
pub(crate) fn count_piece_prefetched<'t>(
    vocab: &Vocab,
    piece: &'t [u8],
    probe: Option<&Probe>,
    mut cache: Option<&mut PieceCache>,
    ring: Option<&mut MergeRing<'t>>,
) -> Result<usize> {
    if piece.len() <= 1 {
        return Ok(piece.len());
    }
    if vocab.rank_of_prefetched(piece, probe).is_some() {
        if let Some(cache) = cache.as_deref_mut() {
            cache.short_counts.insert(vocab.id(), piece, 1);
        }
        return Ok(1);
    }
    let mut cached = cache.zip(cache_hash(piece, probe));
    if let Some((cache, hash)) = &mut cached {
        if let Some(count) = cache.count(vocab.id(), piece, *hash) {
            cache.short_counts.insert(vocab.id(), piece, count);
            return Ok(count);
        }
    }
    let mut own_parts = Vec::new();
    let parts = match ring {
        Some(ring) if interleaved::takes(piece) => {
            let (cache, hash) = cached.unzip();
            return Ok(ring.add(vocab, piece, hash, cache));
        }
        Some(ring) => ring.spare_parts(),
        None => &mut own_parts,
    };
    let count = count_merged(vocab, piece, parts)?;
    if let Some((cache, hash)) = cached {
        cache.put_count(vocab.id(), piece, hash, count);
        cache.short_counts.insert(vocab.id(), piece, count);
    }
    Ok(count)
}

/// The number of tokens of a piece that is not one token; `parts` is room to merge in (its
/// contents do not matter), kept by the caller so that each merge does not allocate its own:
/// malloc and free were 2% of the instructions of counting multilingual text.
fn count_merged(vocab: &Vocab, piece: &[u8], parts: &mut Vec<Unit>) -> Result<usize> {
    if let Some(starts) = merge_long(vocab, piece)? {
        return Ok(starts.len());
    }
    if let Some(backtrack) = backtrack_for(vocab, piece) {
        let mut tokens = Vec::with_capacity(piece.len() / 4);
        if backtrack.encode(vocab, piece, &mut tokens) {
            return Ok(tokens.len());
        }
    }
    merge_into::<true>(vocab, piece, parts, Whole::NoToken)?;
    Ok(parts.len().saturating_sub(1)) // the last one is the end
}

/// Start offsets of the parts `piece` merges into (every single byte must be a token, as in all
/// byte-level BPE vocabularies; a custom one without some byte yields the parts it can).
pub fn merge(vocab: &Vocab, piece: &[u8]) -> Result<Vec<usize>> {
    if let Some(starts) = merge_long(vocab, piece)? {
        return Ok(starts.into_iter().map(|s| s as usize).collect());
    }
    if let Some(starts) = merge_by_backtrack(vocab, piece) {
        return Ok(starts);
    }
    let mut parts = Vec::with_capacity(piece.len() + 1);
    merge_into::<true>(vocab, piece, &mut parts, Whole::Unknown)?;
    Ok(starts_of(&parts))
}

/// The merge of a piece too short for the backtracking encoder, into `parts` (the final parts,
/// then one at the end): from whole characters where that is exact, else from bytes. One
/// vector for all of it: a second one for the start offsets alone made the byte merge of
/// English and code 4% slower. `PREFETCH`: start loading the first lookups' table lines first
/// (worth it for a piece whose lookups are in no cache; not for the segments of a long piece,
/// where it made a megabyte of random letters 15-20% slower).
fn merge_into<const PREFETCH: bool>(
    vocab: &Vocab,
    piece: &[u8],
    parts: &mut Vec<Unit>,
    whole: Whole,
) -> Result<()> {
    if !piece.is_ascii() && merge_chars_into::<PREFETCH>(vocab, piece, parts, whole)? {
        return Ok(());
    }
    if PREFETCH {
        prefetch_char_windows(vocab, piece);
    }
    parts.clear();
    if piece.len() < HEAP_THRESHOLD {
        parts.extend(byte_units(piece));
        // Byte units have floor 0, which no join breaks: no floors to check (a generic
        // parameter, so that the byte merge of English and code does not pay for them).
        scan_in_place::<false>(vocab, piece, parts, Rank::MAX, whole);
    } else {
        set_parts(parts, &merge_by_heap(vocab, piece)?, piece);
    }
    Ok(())
}

/// For a piece long enough for the backtracking encoder: its token starts, merged in segments
/// (`bpe/segmented.rs`), if every joint was proven.
fn merge_long(vocab: &Vocab, piece: &[u8]) -> Result<Option<Vec<u32>>> {
    match backtrack_for(vocab, piece) {
        Some(backtrack) => segmented::merge_segmented(vocab, backtrack, piece),
        None => Ok(None),
    }
}

/// The backtracking encoder's answer for a piece long enough to use it.
fn merge_by_backtrack(vocab: &Vocab, piece: &[u8]) -> Option<Vec<usize>> {
    let backtrack = backtrack_for(vocab, piece)?;
    let mut tokens = Vec::with_capacity(piece.len() / 4);
    if !backtrack.encode(vocab, piece, &mut tokens) {
        return None;
    }
    let mut start = 0;
    Some(
        tokens
            .iter()
            .map(|&t| {
                let this = start;
                start += vocab.token_bytes(t).map_or(0, <[u8]>::len);
                this
            })
            .collect(),
    )
}

/// The merge started from whole characters where that is exact (`bpe/char_units.rs`): `parts`
/// gets the final parts, then one at the end. False where it is not exact (then the bytes are
/// merged).
fn merge_chars_into<const PREFETCH: bool>(
    vocab: &Vocab,
    piece: &[u8],
    parts: &mut Vec<Unit>,
    whole: Whole,
) -> Result<bool> {
    if !vocab.char_units().units_of(piece, parts) {
        return Ok(false);
    }
    if PREFETCH {
        prefetch_unit_windows(vocab, piece, parts);
    }
    if parts.len() <= HEAP_THRESHOLD {
        return Ok(scan_in_place::<true>(vocab, piece, parts, Rank::MAX, whole));
    }
    let Some(starts) = merge_by_heap_from(vocab, piece, parts.iter().copied())? else {
        return Ok(false);
    };
    set_parts(parts, &starts, piece);
    Ok(true)
}

/// `parts` for the heap merge's start offsets: one part at each, then one at the end.
fn set_parts(parts: &mut Vec<Unit>, starts: &[usize], piece: &[u8]) {
    parts.clear();
    parts.extend(starts.iter().map(|&start| Unit::new(start as u32, 0)));
    parts.push(Unit::new(piece.len() as u32, 0));
}

/// The start offsets of `parts` (the last one is the end).
fn starts_of(parts: &[Unit]) -> Vec<usize> {
    parts.iter().take(parts.len().saturating_sub(1)).map(|part| part.start as usize).collect()
}

/// Prefetches the table lines of every run of 2 and 3 units: the lookups of the first joins.
fn prefetch_unit_windows(vocab: &Vocab, piece: &[u8], units: &[Unit]) {
    for (i, unit) in units.iter().enumerate() {
        for far in [i + 2, i + 3] {
            if let Some(window) =
                units.get(far).and_then(|end| piece.get(unit.start as usize..end.start as usize))
            {
                if window.len() >= 3 {
                    vocab.prefetch(window);
                }
            }
        }
    }
}

/// Prefetches the table lines of every run of 1 to 3 whole characters (of 3 bytes or more) in
/// `piece`: most lookups of a merge are of such runs, and each one would otherwise wait for
/// memory in turn, since which pair is looked up next depends on the ranks found before.
fn prefetch_char_windows(vocab: &Vocab, piece: &[u8]) {
    let is_start = |i: usize| piece.get(i).is_none_or(|&b| b & 0xC0 != 0x80);
    let mut ends = [0usize; 3];
    let mut start = 0;
    while start < piece.len() {
        let mut end = start;
        for slot in &mut ends {
            end += 1;
            while end < piece.len() && !is_start(end) {
                end += 1;
            }
            *slot = end.min(piece.len());
        }
        for &end in &ends {
            if let Some(window) = piece.get(start..end).filter(|w| w.len() >= 3) {
                vocab.prefetch(window);
            }
        }
        start = ends[0];
    }
}

#[inline(always)]
fn pair_rank(vocab: &Vocab, piece: &[u8], start: usize, end: usize) -> Rank {
    piece.get(start..end).and_then(|bytes| vocab.rank_of(bytes)).unwrap_or(Rank::MAX)
}

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
                assert_eq!(merge_by_scan(&vocab, &s), merge_by_heap(&vocab, &s).unwrap(), "{s:?}");
            }
        }
    }

    #[test]
    fn leftmost_wins_ties() {
        let vocab = toy_vocab();
        // "aaa": the pair at 0 and at 1 both have rank of "aa"; the left one merges first.
        assert_eq!(merge_by_scan(&vocab, b"aaa"), vec![0, 2]);
        assert_eq!(merge_by_heap(&vocab, b"aaa").unwrap(), vec![0, 2]);
        assert_eq!(merge_by_heap(&vocab, b"aaaaa").unwrap(), vec![0, 4]);
    }
}
