//! A small per-thread cache of the pieces that needed a merge: their token count and, once
//! encoded, their tokens.
//!
//! Why: most pieces are one token and cost one lookup, but the rest need a merge of several
//! lookups, and in real text the same such pieces come back (an inflected word of a European
//! language, an identifier in code). Counting the bench corpus chunk by chunk (10k tokens), a
//! quarter of the multilingual pieces that needed a merge and half of the code ones had already
//! been merged in the same chunk.
//!
//! Exact by construction: an entry is found only if the vocabulary and every byte of the piece
//! are equal to what was stored; the hash only picks the slot. A different piece in the slot is
//! a miss, never a wrong answer.
//!
//! Bounded: [`SLOTS`] entries of one cache line (pieces of at most [`MAX_PIECE_BYTES`] bytes),
//! plus their tokens in a second array that counting never touches: 2 MiB of slots per thread
//! that merges, allocated on its first merge, and up to 1.5 MiB of tokens (zeroed pages, mapped
//! only as encoding writes them). Direct-mapped: a new piece replaces the old one in its slot.

use std::cell::RefCell;

use super::short_counts::ShortCounts;
use crate::vocab::{prefetch, Rank};

/// Entries per thread. Counting the whole multilingual bench file in one call (best of five
/// runs, alternated): 16,384 slots took 5-8% less time than 4,096, 32,768 another 2-4% less; on
/// English and code no difference. 4,096 (the first size) kept fewer of a language's repeated
/// words (cl100k: 43.9 K of 118 K merged pieces found here, against 55.9 K with 16,384).
/// 32,768 was first left out as 2 MiB of slots, the whole L2 cache of the machines measured,
/// which the vocabulary's table lines also need. Timed as `benches/compare.py` counts (fresh
/// 10k-token chunks, in turn with tiktoken, which evicts our lines from L2 anyway), it is what
/// counts: multilingual o200k 1.13-1.18 ms per 10k tokens against 1.23-1.24 with 16,384 (three
/// rounds), English and code unchanged. 65,536 was no faster than 32,768.
const SLOTS: usize = 32768;
/// Longest piece kept (longer ones are rarer and seldom repeat).
pub(crate) const MAX_PIECE_BYTES: usize = 48;
/// Most tokens kept for one piece (a piece with more is counted but its tokens are not kept).
const MAX_TOKENS: usize = 12;

/// One piece: which vocabulary, its bytes (the first `len` of `bytes`; the rest is whatever an
/// earlier piece left there, never compared) and its count.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Key {
    /// [`crate::vocab::Vocab::id`]; 0 for an empty slot (ids start at 1).
    vocab: u64,
    bytes: [u8; MAX_PIECE_BYTES],
    len: u8,
    count: u8,
    /// Whether the slot's tokens (in the second array) belong to this piece.
    has_tokens: bool,
}

const EMPTY: Key =
    Key { vocab: 0, bytes: [0; MAX_PIECE_BYTES], len: 0, count: 0, has_tokens: false };

pub(crate) struct PieceCache {
    keys: Vec<Key>,
    tokens: Vec<[Rank; MAX_TOKENS]>,
    /// The counts of short pieces (counting looks there first).
    pub(crate) short_counts: ShortCounts,
}

impl PieceCache {
    pub(crate) fn new() -> Self {
        PieceCache {
            keys: vec![EMPTY; SLOTS],
            tokens: vec![[0; MAX_TOKENS]; SLOTS],
            short_counts: ShortCounts::new(),
        }
    }

    #[inline(always)]
    fn slot(hash: u64) -> usize {
        hash as usize % SLOTS
    }

    /// The slot of `piece` if it holds `piece`.
    #[inline(always)]
    fn find(&self, vocab: u64, piece: &[u8], hash: u64) -> Option<(usize, &Key)> {
        let slot = Self::slot(hash);
        let key = self.keys.get(slot)?;
        (key.vocab == vocab
            && usize::from(key.len) == piece.len()
            && key.bytes.get(..piece.len()) == Some(piece))
        .then_some((slot, key))
    }

    /// Starts loading the slot of the piece with this hash (a hint: see `vocab::prefetch`).
    #[inline(always)]
    pub(crate) fn prefetch(&self, hash: u64) {
        if let Some(key) = self.keys.get(Self::slot(hash)) {
            prefetch(key);
        }
    }

    /// The token count of `piece`, if it is here.
    #[inline]
    pub(crate) fn count(&self, vocab: u64, piece: &[u8], hash: u64) -> Option<usize> {
        self.find(vocab, piece, hash).map(|(_, key)| usize::from(key.count))
    }

    /// The tokens of `piece`, if it is here with them.
    #[inline]
    pub(crate) fn tokens(&self, vocab: u64, piece: &[u8], hash: u64) -> Option<&[Rank]> {
        let (slot, key) = self.find(vocab, piece, hash)?;
        if !key.has_tokens {
            return None;
        }
        self.tokens.get(slot)?.get(..usize::from(key.count))
    }

    /// Remembers the count of `piece` (its tokens, if the slot had them for it, stay).
    #[inline]
    pub(crate) fn put_count(&mut self, vocab: u64, piece: &[u8], hash: u64, count: usize) {
        self.put(vocab, piece, hash, count, None);
    }

    /// Remembers the tokens of `piece` (and so its count).
    #[inline]
    pub(crate) fn put_tokens(&mut self, vocab: u64, piece: &[u8], hash: u64, tokens: &[Rank]) {
        self.put(vocab, piece, hash, tokens.len(), Some(tokens));
    }

    fn put(&mut self, vocab: u64, piece: &[u8], hash: u64, count: usize, tokens: Option<&[Rank]>) {
        let (Ok(len @ 1..), Ok(count)) = (u8::try_from(piece.len()), u8::try_from(count)) else {
            return;
        };
        let slot = Self::slot(hash);
        // A piece too long to keep changes nothing, its tokens included.
        let Some(key) = self.keys.get_mut(slot) else { return };
        let Some(bytes) = key.bytes.get_mut(..piece.len()) else { return };
        let kept = match tokens {
            Some(tokens) => self.tokens.get_mut(slot).and_then(|kept| {
                kept.get_mut(..tokens.len()).map(|head| head.copy_from_slice(tokens))
            }),
            None => None,
        };
        // Only the piece's bytes are compared and written: zero padding the whole width first,
        // and comparing it, cost 1% of the instructions of counting multilingual text.
        let same_piece = key.vocab == vocab && key.len == len && *bytes == *piece;
        if !same_piece {
            bytes.copy_from_slice(piece);
        }
        key.has_tokens = kept.is_some() || (same_piece && key.has_tokens);
        key.vocab = vocab;
        key.len = len;
        key.count = count;
    }
}

thread_local! {
    static CACHE: RefCell<Option<PieceCache>> = const { RefCell::new(None) };
}

/// Runs `work` with this thread's cache (created on first use), or with `None` if it cannot
/// be had (the thread is exiting, or the cache is in use further up the stack).
pub(crate) fn with_thread_cache<R>(mut work: impl FnMut(Option<&mut PieceCache>) -> R) -> R {
    let ran = CACHE.try_with(|cell| {
        cell.try_borrow_mut()
            .ok()
            .map(|mut cache| work(Some(cache.get_or_insert_with(PieceCache::new))))
    });
    match ran {
        Ok(Some(result)) => result,
        _ => work(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_only_the_same_piece_of_the_same_vocabulary() {
        let mut cache = PieceCache::new();
        cache.put_count(1, b"hello", 7, 2);
        assert_eq!(cache.count(1, b"hello", 7), Some(2));
        assert_eq!(cache.count(2, b"hello", 7), None, "another vocabulary");
        assert_eq!(cache.count(1, b"hellp", 7), None, "same slot, another piece");
        assert_eq!(cache.count(1, b"hell", 7), None, "a prefix");
        assert_eq!(cache.count(1, b"hello\0", 7), None, "the padding is not part of it");
        assert_eq!(cache.tokens(1, b"hello", 7), None, "counted, never encoded");
        // The same slot, another piece: the first is gone.
        cache.put_count(1, b"world", 7 + SLOTS as u64, 3);
        assert_eq!(cache.count(1, b"hello", 7), None);
        assert_eq!(cache.count(1, b"world", 7), Some(3));
    }

    #[test]
    fn keeps_tokens_until_another_piece_takes_the_slot() {
        let mut cache = PieceCache::new();
        cache.put_tokens(1, b"abc", 5, &[10, 11]);
        assert_eq!(cache.tokens(1, b"abc", 5), Some(&[10, 11][..]));
        cache.put_count(1, b"abc", 5, 2); // counting it again keeps its tokens
        assert_eq!(cache.tokens(1, b"abc", 5), Some(&[10, 11][..]));
        cache.put_count(1, b"abd", 5, 2);
        assert_eq!(cache.tokens(1, b"abd", 5), None, "tokens of another piece");
        assert_eq!(cache.count(1, b"abc", 5), None);
    }

    /// A piece too long to keep leaves its slot as it was: the piece there keeps its own tokens.
    #[test]
    fn a_piece_too_long_to_keep_changes_nothing() {
        let mut cache = PieceCache::new();
        cache.put_tokens(1, b"abc", 5, &[10, 11]);
        let long = [b'x'; MAX_PIECE_BYTES + 1];
        cache.put_tokens(1, &long, 5, &[20, 21, 22]);
        assert_eq!(cache.tokens(1, &long, 5), None);
        assert_eq!(cache.tokens(1, b"abc", 5), Some(&[10, 11][..]));
    }

    #[test]
    fn refuses_what_does_not_fit() {
        let mut cache = PieceCache::new();
        let long = [b'x'; MAX_PIECE_BYTES + 1];
        cache.put_count(1, &long, 3, 5);
        assert_eq!(cache.count(1, &long, 3), None);
        cache.put_tokens(1, b"many", 4, &[1; MAX_TOKENS + 1]);
        assert_eq!(cache.tokens(1, b"many", 4), None);
        assert_eq!(cache.count(1, b"many", 4), Some(MAX_TOKENS + 1), "the count still fits");
        cache.put_count(1, b"", 2, 0);
        assert_eq!(cache.count(1, b"", 2), None);
    }
}
