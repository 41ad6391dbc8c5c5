//! Counting: the merges of several short ASCII pieces advanced in turn, so that their table
//! lookups wait for memory together instead of one after another.
//!
//! The scan merge of a short piece (`scan_in_place`) is a chain of lookups: which pair it looks
//! up next depends on the ranks found before. On text not seen before, each lookup may miss
//! the caches, and a word of a dozen letters waits for memory a dozen times in turn. Here each
//! merge is cut into steps at its lookups: a step reads the ranks whose table lines the step
//! before prefetched, joins the lowest pair, and prefetches the lines of the (at most two)
//! pairs that join made. Up to [`SLOTS`] merges are in flight and are stepped in turn, so a
//! line has the other merges' steps to arrive in. The steps are exactly those of
//! `scan_in_place` (the same helpers, in the same order); only other pieces' steps come in
//! between, and a count does not care in which order pieces finish. (Encoding would: its
//! tokens must come out in order, so it merges one piece at a time.)
//!
//! Measured (`benches/compare.py`, four runs each way, alternating): counting English and code
//! 5-12% faster against tiktoken; `cargo bench --bench corpus -- --cold` 10-15% faster, but
//! with the table in cache 5-15% slower: the steps cost more than the waits they hide there.
//! Only ASCII pieces: the merges of non-ASCII pieces start from whole characters
//! (`bpe/char_units.rs`), and stepped in turn they were no faster cold and 5-25% slower warm
//! (merging the 8-32 byte pieces of the multilingual corpus: 166 ns a token against 128-141).

use crate::bpe::{
    byte_units, join_at, lowest_pair, set_all_pairs, set_pairs_around, PieceCache, Unit, Whole,
    HEAP_THRESHOLD,
};
use crate::vocab::{Rank, Vocab};

/// Merges in flight.
const SLOTS: usize = 8;

/// Whether the ring takes `piece`: an ASCII piece the scan merges (shorter than the heap's
/// threshold).
#[inline(always)]
pub(crate) fn takes(piece: &[u8]) -> bool {
    piece.len() < HEAP_THRESHOLD && piece.is_ascii()
}

/// Where a merge in flight is.
#[derive(Clone, Copy, PartialEq)]
enum Next {
    /// Nothing in this slot.
    Free,
    /// Look up every pair (the units were just made and their pairs prefetched).
    AllPairs,
    /// Look up the two pairs around the join at this index.
    Around(usize),
}

struct Slot<'t> {
    piece: &'t [u8],
    /// The hash the cache of merged pieces keys the piece by, if it is kept there.
    cache_hash: Option<u64>,
    parts: Vec<Unit>,
    next: Next,
}

/// The merges in flight of one count.
pub(crate) struct MergeRing<'t> {
    slots: [Slot<'t>; SLOTS],
    /// The slot stepped next.
    turn: usize,
    busy: usize,
    /// Room for the merges of pieces the ring does not take (`spare_parts`).
    spare: Vec<Unit>,
}

impl<'t> MergeRing<'t> {
    pub(crate) fn new() -> Self {
        MergeRing {
            slots: std::array::from_fn(|_| Slot {
                piece: &[],
                cache_hash: None,
                parts: Vec::new(),
                next: Next::Free,
            }),
            turn: 0,
            busy: 0,
            spare: Vec::new(),
        }
    }

    /// Starts the merge of `piece` (one that [`takes`], is no token and is not in the cache),
    /// first finishing merges in flight if every slot is taken. Returns the tokens of the
    /// merges that finished (each also put in `cache`, with its hash).
    pub(crate) fn add(
        &mut self,
        vocab: &Vocab,
        piece: &'t [u8],
        cache_hash: Option<u64>,
        mut cache: Option<&mut PieceCache>,
    ) -> usize {
        let mut tokens = 0;
        while self.busy == SLOTS {
            tokens += self.step_next(vocab, cache.as_deref_mut());
        }
        if let Some(slot) = self.slots.iter_mut().find(|slot| slot.next == Next::Free) {
            slot.piece = piece;
            slot.cache_hash = cache_hash;
            start(vocab, slot);
            self.busy += 1;
        }
        tokens
    }

    /// A vector to merge a piece the ring does not take in, kept from one piece to the next.
    pub(crate) fn spare_parts(&mut self) -> &mut Vec<Unit> {
        &mut self.spare
    }

    /// Finishes every merge in flight; returns their tokens.
    pub(crate) fn finish(&mut self, vocab: &Vocab, mut cache: Option<&mut PieceCache>) -> usize {
        let mut tokens = 0;
        while self.busy > 0 {
            tokens += self.step_next(vocab, cache.as_deref_mut());
        }
        tokens
    }

    /// One step of the slot whose turn it is (if it is busy); the tokens of its piece if that
    /// finished it.
    fn step_next(&mut self, vocab: &Vocab, cache: Option<&mut PieceCache>) -> usize {
        let turn = self.turn;
        self.turn = (turn + 1) % SLOTS;
        let Some(slot) = self.slots.get_mut(turn) else { return 0 };
        let Some(tokens) = step(vocab, slot) else { return 0 };
        if let (Some(cache), Some(hash)) = (cache, slot.cache_hash) {
            cache.put_count(vocab.id(), slot.piece, hash, tokens);
        }
        slot.next = Next::Free;
        self.busy -= 1;
        tokens
    }
}

/// Makes the slot's units, its piece's bytes, and prefetches the lines of their pairs.
fn start(vocab: &Vocab, slot: &mut Slot<'_>) {
    let piece = slot.piece;
    slot.parts.clear();
    slot.parts.extend(byte_units(piece));
    for i in 0..slot.parts.len() {
        prefetch_pair(vocab, piece, &slot.parts, i);
    }
    slot.next = Next::AllPairs;
}

/// Starts loading the table line of parts `i` and `i + 1` joined.
#[inline(always)]
fn prefetch_pair(vocab: &Vocab, piece: &[u8], parts: &[Unit], i: usize) {
    if let (Some(left), Some(next)) = (parts.get(i), parts.get(i + 2)) {
        if let Some(pair) = piece.get(left.start as usize..next.start as usize) {
            vocab.prefetch(pair);
        }
    }
}

/// The step of `scan_in_place` that `slot.next` says; the token count once the merge is done.
fn step(vocab: &Vocab, slot: &mut Slot<'_>) -> Option<usize> {
    let (piece, parts) = (slot.piece, &mut slot.parts);
    // The count once the merge is done (the last part is the end).
    let done = |parts: &[Unit]| Some(parts.len().saturating_sub(1));
    // Byte units have floor 0, which no join breaks: the lookups always succeed.
    match slot.next {
        Next::Free => return None,
        // The ring takes only pieces that are no token: two bytes are two tokens.
        Next::AllPairs if Whole::NoToken.settles(parts) => return done(parts),
        Next::AllPairs => set_all_pairs::<false>(vocab, piece, parts, Rank::MAX),
        Next::Around(i) => set_pairs_around::<false>(vocab, piece, parts, i, Rank::MAX),
    };
    let (rank, i) = lowest_pair(parts);
    if rank == Rank::MAX || !join_at::<false>(parts, i) || Whole::NoToken.settles(parts) {
        return done(parts);
    }
    prefetch_pair(vocab, piece, parts, i);
    if let Some(before) = i.checked_sub(1) {
        prefetch_pair(vocab, piece, parts, before);
    }
    slot.next = Next::Around(i);
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::bpe::{count_piece, merge_by_scan};
    use crate::encodings::get_encoding;
    use crate::splitter::Splitter;
    use crate::test_rng::TestRng;
    use crate::vocab::Probe;

    /// The pieces of English and code in the bench corpus that are no token, and random ASCII
    /// of 2 to 47 bytes from a few letters (long merges) and from every printable byte that is
    /// no token either.
    fn merged_ascii_pieces(vocab: &Vocab, pattern: &str) -> Vec<Vec<u8>> {
        let splitter = Splitter::new(pattern).unwrap();
        let mut pieces = Vec::new();
        for kind in ["english", "code"] {
            let path = format!("{}/fixtures/bench/{kind}.txt", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(path).unwrap();
            // The first 200 KB, cut at a character boundary.
            let end = (0..=200_000.min(text.len())).rev().find(|&i| text.is_char_boundary(i));
            let text = text.get(..end.unwrap_or(0)).unwrap();
            splitter
                .for_each_piece(text, |piece| {
                    let bytes = piece.as_bytes();
                    if bytes.len() > 1 && takes(bytes) && vocab.rank_of(bytes).is_none() {
                        pieces.push(bytes.to_vec());
                    }
                    Ok(())
                })
                .unwrap();
        }
        let mut rng = TestRng(0x5eed_1e55);
        for alphabet in [&b"abe "[..], b"etaoinshr", &(b' '..=b'~').collect::<Vec<u8>>()] {
            for _ in 0..3_000 {
                let len = 2 + rng.below(HEAP_THRESHOLD - 2);
                let piece: Vec<u8> =
                    (0..len).map(|_| alphabet[rng.below(alphabet.len())]).collect();
                // The ring takes only pieces that are no token (counting looks them up first).
                if vocab.rank_of(&piece).is_none() {
                    pieces.push(piece);
                }
            }
        }
        pieces
    }

    /// Every piece goes through the ring in flight with up to seven others and is put in a
    /// cache with its count when it finishes: each count the cache holds is the scan's, and the
    /// ring's total is the sum of the pieces' counts.
    #[test]
    fn the_ring_counts_every_piece_as_the_scan_does() {
        for name in ["r50k_base", "cl100k_base", "o200k_base"] {
            let encoding = get_encoding(name).unwrap();
            let vocab = encoding.vocab();
            let pieces = merged_ascii_pieces(vocab, encoding.pat_str());
            let (mut ring, mut cache, mut total) = (MergeRing::new(), PieceCache::new(), 0);
            for piece in &pieces {
                let hash = Probe::new(piece).hash();
                total += ring.add(vocab, piece, Some(hash), Some(&mut cache));
            }
            total += ring.finish(vocab, Some(&mut cache));
            let expected: usize = pieces.iter().map(|p| count_piece(vocab, p).unwrap()).sum();
            assert_eq!(total, expected, "{name}");
            let mut checked = 0;
            for piece in &pieces {
                if let Some(count) = cache.count(vocab.id(), piece, Probe::new(piece).hash()) {
                    assert_eq!(count, merge_by_scan(vocab, piece).len(), "{name} {piece:?}");
                    checked += 1;
                }
            }
            // The cache keeps the last piece of each of its slots: most recent pieces.
            assert!(checked > 2_000, "{name}: {checked}");
        }
    }

    /// A ring given no pieces, or finished twice, counts nothing.
    #[test]
    fn an_empty_ring_counts_nothing() {
        let vocab = get_encoding("cl100k_base").unwrap().vocab();
        let mut ring = MergeRing::new();
        assert_eq!(ring.finish(vocab, None), 0);
        assert_eq!(ring.add(vocab, b"qzxv", None, None), 0);
        assert_eq!(ring.finish(vocab, None), count_piece(vocab, b"qzxv").unwrap());
        assert_eq!(ring.finish(vocab, None), 0);
    }
}
