//! Byte-pair merging of one regex piece, with tiktoken's exact rule: repeatedly join the adjacent
//! pair of parts whose concatenated bytes have the lowest rank, the leftmost pair on a tie.
//!
//! Three implementations of that one rule: a scan for short pieces (`bpe/scan.rs`: cheap, no
//! heap allocation beyond one small vector) and a heap with lazy invalidation for long ones
//! (`bpe/heap.rs`), so a megabyte without whitespace takes O(n log n), not the O(n^2) of the
//! merge that tiktoken-rs vendors. Both return the start offsets of the final parts; tests
//! check they agree. Pieces of [`BACKTRACK_THRESHOLD`] bytes or more use the linear-time
//! backtracking encoder (`bpe/backtrack.rs`), tested equal to the heap. This file picks the
//! merge for a piece, after the whole-piece lookup and the per-thread caches.

mod backtrack;
mod char_units;
mod heap;
mod interleaved;
mod piece_cache;
mod prefix_index;
mod scan;
mod segmented;
mod short_counts;
mod slots;

pub(crate) use backtrack::Backtrack;
pub(crate) use char_units::CharUnits;
use char_units::Unit;
pub use heap::merge_by_heap;
use heap::merge_by_heap_from;
pub(crate) use interleaved::MergeRing;
pub(crate) use piece_cache::{with_thread_cache, PieceCache};
pub use scan::merge_by_scan;
use scan::{
    byte_units, join_at, lowest_pair, scan_in_place, set_all_pairs, set_pairs_around, Whole,
};

use crate::error::Result;
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

/// The rank of `piece[start..end]`, `Rank::MAX` if it is no token (both merges look pairs up so).
#[inline(always)]
fn pair_rank(vocab: &Vocab, piece: &[u8], start: usize, end: usize) -> Rank {
    piece.get(start..end).and_then(|bytes| vocab.rank_of(bytes)).unwrap_or(Rank::MAX)
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
