//! A small per-thread table of the token counts of short pieces (2 to 8 bytes) counted before,
//! so that counting finds them again without the vocabulary's table or a merge.
//!
//! Why: most pieces of English and code are short words, spaces and punctuation that are one
//! token each, and the same few thousand come back all through a text. The vocabulary's lookup
//! reads two lines of a table of several MB (its tag word and its entry), which is out of the
//! caches for text not seen for a while; this table is 64 KiB, and one line answers. Short
//! pieces that need a merge (a fifth of the pieces of multilingual text on cl100k) are found
//! here too once counted.
//!
//! Exact by construction: an entry holds the vocabulary's id, the piece's length and all its
//! bytes, so a piece is found only if it is the very piece stored; the hash only picks the
//! slot. A count is stored only once known (from the vocabulary, or a merge).

use crate::vocab::prefix_of;

/// Entries per thread (16 bytes each: 64 KiB). Counting the bench files in one call (two
/// rounds): 1,024 slots were 7-13% slower than 4,096 on English and 3-7% on code, multilingual
/// within the noise; 16,384 no faster. Keys of up to 16 bytes (32-byte entries) kept the 5-10% of
/// pieces that are one token of 9 to 16 bytes too, but were slower on every file in all three
/// rounds (0.2-10%).
const SLOTS: usize = 4096;

/// The longest piece kept: its bytes fill the key's one word.
const MAX_BYTES: usize = 8;

#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Entry {
    /// The piece's bytes, zero padded.
    bytes: u64,
    /// The vocabulary's id (bits 12 and up), the piece's count (bits 4..12) and its length
    /// (bits 0..4); 0 for an empty slot (ids start at 1).
    tag: u64,
}

/// The bits of [`Entry::tag`] that hold the count.
const COUNT_BITS: u64 = 0xFF0;

pub(crate) struct ShortCounts {
    entries: Vec<Entry>,
}

impl ShortCounts {
    pub(crate) fn new() -> Self {
        ShortCounts { entries: vec![Entry::default(); SLOTS] }
    }

    /// The slot and entry `piece` has (with a count of 0), if it is short enough to be kept.
    #[inline(always)]
    fn entry_of(vocab: u64, piece: &[u8]) -> Option<(usize, Entry)> {
        if !(2..=MAX_BYTES).contains(&piece.len()) {
            return None;
        }
        let bytes = prefix_of(piece);
        let tag = vocab.checked_mul(COUNT_BITS + 16)? | piece.len() as u64;
        // Fibonacci hashing of the bytes and the length: the top bits of the product.
        let mixed = (bytes ^ tag).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let slot = (mixed >> (64 - SLOTS.trailing_zeros())) as usize;
        Some((slot, Entry { bytes, tag }))
    }

    /// The count stored for `piece` in the vocabulary `vocab`, if any.
    #[inline(always)]
    pub(crate) fn get(&self, vocab: u64, piece: &[u8]) -> Option<usize> {
        let (slot, wanted) = Self::entry_of(vocab, piece)?;
        let entry = self.entries.get(slot)?;
        (entry.bytes == wanted.bytes && entry.tag & !COUNT_BITS == wanted.tag)
            .then_some(((entry.tag & COUNT_BITS) >> 4) as usize)
    }

    /// Remembers the count of `piece` in the vocabulary `vocab` (replacing whatever piece had
    /// its slot); a count of 0 or above 255 is not kept.
    #[inline(always)]
    pub(crate) fn insert(&mut self, vocab: u64, piece: &[u8], count: usize) {
        let Ok(count @ 1..) = u8::try_from(count) else { return };
        if let Some((slot, entry)) = Self::entry_of(vocab, piece) {
            if let Some(kept) = self.entries.get_mut(slot) {
                *kept = Entry { bytes: entry.bytes, tag: entry.tag | u64::from(count) << 4 };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_only_the_same_piece_of_the_same_vocabulary() {
        let mut known = ShortCounts::new();
        known.insert(1, b"hello", 2);
        assert_eq!(known.get(1, b"hello"), Some(2));
        assert_eq!(known.get(2, b"hello"), None, "another vocabulary");
        assert_eq!(known.get(1, b"hell"), None, "a prefix");
        assert_eq!(known.get(1, b"hello\0"), None, "the zero padding is not part of it");
        assert_eq!(known.get(1, b"hellp"), None);
        known.insert(1, b"hello", 1);
        assert_eq!(known.get(1, b"hello"), Some(1), "counted again");
        known.insert(1, b"hello", 256);
        assert_eq!(known.get(1, b"hello"), Some(1), "too many tokens to keep: unchanged");
        known.insert(1, b"world", 255);
        assert_eq!(known.get(1, b"world"), Some(255));
    }

    #[test]
    fn keeps_pieces_of_two_to_eight_bytes_only() {
        let mut known = ShortCounts::new();
        for piece in [&b"a"[..], b"", b"123456789"] {
            known.insert(1, piece, 1);
            assert_eq!(known.get(1, piece), None, "{piece:?}");
        }
        known.insert(1, b"12345678", 3);
        assert_eq!(known.get(1, b"12345678"), Some(3));
        assert_eq!(known.get(1, b"123456789"), None, "same first eight bytes, longer");
    }

    #[test]
    fn a_new_piece_replaces_the_one_in_its_slot() {
        let mut known = ShortCounts::new();
        known.insert(1, b"ab", 1);
        // Find another piece with the same slot.
        let (slot, _) = ShortCounts::entry_of(1, b"ab").unwrap();
        let other = (0u32..)
            .map(|n| n.to_le_bytes())
            .find(|b| ShortCounts::entry_of(1, b).unwrap().0 == slot)
            .unwrap();
        known.insert(1, &other, 2);
        assert_eq!(known.get(1, &other), Some(2));
        assert_eq!(known.get(1, b"ab"), None);
    }
}
