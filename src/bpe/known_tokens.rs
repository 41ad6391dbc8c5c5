//! A small per-thread set of short pieces (2 to 8 bytes) already found to be one token, so that
//! counting finds them again without the vocabulary's table.
//!
//! Why: most pieces of English and code are short words, spaces and punctuation that are one
//! token each, and the same few thousand come back all through a text. The vocabulary's lookup
//! reads two lines of a table of several MB (its tag word and its entry), which is out of the
//! caches for text not seen for a while; this set is 64 KiB, and one line answers.
//!
//! Exact by construction: an entry holds the vocabulary's id, the piece's length and all its
//! bytes, so a piece is found only if it is the very piece stored; the hash only picks the
//! slot. Only pieces the vocabulary gave one rank for are stored.

use crate::vocab::prefix_of;

/// Entries per thread (16 bytes each: 64 KiB). Counting the bench files in one call: 1,024
/// slots were 4-6% slower than 4,096, 16,384 no faster. Keys of up to 16 bytes (32-byte
/// entries) kept the 5-10% of pieces that are one token of 9 to 16 bytes too, but were 1-4%
/// slower on every file.
const SLOTS: usize = 4096;

/// The longest piece kept: its bytes fill the key's one word.
pub(crate) const MAX_BYTES: usize = 8;

#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Entry {
    /// The piece's bytes, zero padded.
    bytes: u64,
    /// The vocabulary's id times 16 plus the piece's length; 0 for an empty slot (ids start
    /// at 1).
    tag: u64,
}

pub(crate) struct KnownTokens {
    entries: Vec<Entry>,
}

impl KnownTokens {
    pub(crate) fn new() -> Self {
        KnownTokens { entries: vec![Entry::default(); SLOTS] }
    }

    /// The slot and entry `piece` has, if it is short enough to be kept.
    #[inline(always)]
    fn entry_of(vocab: u64, piece: &[u8]) -> Option<(usize, Entry)> {
        if !(2..=MAX_BYTES).contains(&piece.len()) {
            return None;
        }
        let bytes = prefix_of(piece);
        let tag = vocab.checked_mul(16)? | piece.len() as u64;
        // Fibonacci hashing of the bytes and the length: the top bits of the product.
        let mixed = (bytes ^ tag).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let slot = (mixed >> (64 - SLOTS.trailing_zeros())) as usize;
        Some((slot, Entry { bytes, tag }))
    }

    /// Whether `piece` was stored as one token of the vocabulary `vocab`.
    #[inline(always)]
    pub(crate) fn contains(&self, vocab: u64, piece: &[u8]) -> bool {
        let Some((slot, wanted)) = Self::entry_of(vocab, piece) else { return false };
        self.entries.get(slot) == Some(&wanted)
    }

    /// Remembers that `piece` is one token of the vocabulary `vocab` (replacing whatever piece
    /// had its slot).
    #[inline(always)]
    pub(crate) fn insert(&mut self, vocab: u64, piece: &[u8]) {
        if let Some((slot, entry)) = Self::entry_of(vocab, piece) {
            if let Some(kept) = self.entries.get_mut(slot) {
                *kept = entry;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_only_the_same_piece_of_the_same_vocabulary() {
        let mut known = KnownTokens::new();
        known.insert(1, b"hello");
        assert!(known.contains(1, b"hello"));
        assert!(!known.contains(2, b"hello"), "another vocabulary");
        assert!(!known.contains(1, b"hell"), "a prefix");
        assert!(!known.contains(1, b"hello\0"), "the zero padding is not part of it");
        assert!(!known.contains(1, b"hellp"));
    }

    #[test]
    fn keeps_pieces_of_two_to_eight_bytes_only() {
        let mut known = KnownTokens::new();
        for piece in [&b"a"[..], b"", b"123456789"] {
            known.insert(1, piece);
            assert!(!known.contains(1, piece), "{piece:?}");
        }
        known.insert(1, b"12345678");
        assert!(known.contains(1, b"12345678"));
        assert!(!known.contains(1, b"123456789"), "same first eight bytes, longer");
        assert!(!known.contains(1, b"12345678\0"), "zero padding again");
    }

    #[test]
    fn a_new_piece_replaces_the_one_in_its_slot() {
        let mut known = KnownTokens::new();
        known.insert(1, b"ab");
        // Find another piece with the same slot.
        let (slot, _) = KnownTokens::entry_of(1, b"ab").unwrap();
        let other = (0u32..)
            .map(|n| n.to_le_bytes())
            .find(|b| KnownTokens::entry_of(1, b).unwrap().0 == slot)
            .unwrap();
        known.insert(1, &other);
        assert!(known.contains(1, &other));
        assert!(!known.contains(1, b"ab"));
    }
}
