//! The classes of 64 bytes of text, one bit a byte (bit `j` for byte `j`): what the bit-parallel
//! splitter (`blocks.rs`) derives piece starts from.
//!
//! On x86-64 with SSE2 (every x86-64 CPU), sixteen bytes per compare; elsewhere a byte at a time
//! from the ASCII table of the regex classes ([`class_of_ascii`]). A test checks that both give
//! the same bits for every byte value, and the ASCII table is itself checked against the regex
//! for every code point (tests/splitters.rs).

use crate::unicode_classes::{class_of_ascii, LETTER, LU, NUMBER, SPACE};

/// One bit per byte of a 64-byte window. Non-ASCII bytes are in `non_ascii` only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct ByteClasses {
    /// `[A-Za-z]` (`\p{L}` in ASCII).
    pub letters: u64,
    /// `[A-Z]` (`\p{Lu}` in ASCII).
    pub upper: u64,
    /// `[0-9]` (`\p{N}` in ASCII).
    pub digits: u64,
    /// `\s` in ASCII: tab, `\n`, vertical tab, form feed, `\r`, space.
    pub whitespace: u64,
    /// `\r` and `\n`.
    pub newlines: u64,
    pub spaces: u64,
    pub apostrophes: u64,
    pub slashes: u64,
    pub non_ascii: u64,
}

impl ByteClasses {
    /// The classes of `window`'s bytes.
    #[inline(always)]
    pub(super) fn of(window: &[u8; 64]) -> Self {
        #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
        {
            // SAFETY: `of_sse2` only needs SSE2, which this build's target has (the cfg above;
            // SSE2 is part of every x86-64 target), and reads nothing but `window`.
            #[allow(unsafe_code)]
            unsafe {
                Self::of_sse2(window)
            }
        }
        #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
        {
            Self::byte_by_byte(window)
        }
    }

    /// A byte at a time, from the regex's ASCII classes: the reference, and the path of other
    /// architectures.
    #[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
    pub(super) fn byte_by_byte(window: &[u8; 64]) -> Self {
        let mut classes = ByteClasses::default();
        for (j, &b) in window.iter().enumerate() {
            let bit = 1u64 << j;
            if b >= 0x80 {
                classes.non_ascii |= bit;
                continue;
            }
            let class = class_of_ascii(b);
            let set = |field: &mut u64, yes: bool| *field |= if yes { bit } else { 0 };
            set(&mut classes.letters, class & LETTER != 0);
            set(&mut classes.upper, class & LU != 0);
            set(&mut classes.digits, class & NUMBER != 0);
            set(&mut classes.whitespace, class & SPACE != 0);
            set(&mut classes.newlines, b == b'\r' || b == b'\n');
            set(&mut classes.spaces, b == b' ');
            set(&mut classes.apostrophes, b == b'\'');
            set(&mut classes.slashes, b == b'/');
        }
        classes
    }

    /// Sixteen bytes per compare. Signed compares: a non-ASCII byte is negative, so it fails
    /// every range test (each has a positive lower bound) and is only in `non_ascii`.
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    #[target_feature(enable = "sse2")]
    #[inline]
    unsafe fn of_sse2(window: &[u8; 64]) -> Self {
        use std::arch::x86_64::{
            __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_cmplt_epi8,
            _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8, _mm_set_epi64x,
        };
        // No intrinsic here takes a pointer: the bytes are loaded through a u128 (one load
        // once compiled). `unsafe fn` only because a `#[target_feature]` function had to be
        // one before Rust 1.86, our minimum being 1.85.
        let bits = |v: __m128i| u64::from(_mm_movemask_epi8(v) as u16);
        let above = |v: __m128i, low: u8| _mm_cmpgt_epi8(v, _mm_set1_epi8(low as i8));
        let below = |v: __m128i, high: u8| _mm_cmplt_epi8(v, _mm_set1_epi8(high as i8));
        let equal = |v: __m128i, b: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8));
        let in_range =
            |v: __m128i, low: u8, high: u8| _mm_and_si128(above(v, low - 1), below(v, high + 1));
        let mut classes = ByteClasses::default();
        for (i, chunk) in window.chunks_exact(16).filter_map(<[u8]>::first_chunk).enumerate() {
            let value = u128::from_le_bytes(*chunk);
            let v = _mm_set_epi64x((value >> 64) as i64, value as i64);
            let folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
            let shift = 16 * i;
            classes.letters |= bits(in_range(folded, b'a', b'z')) << shift;
            classes.upper |= bits(in_range(v, b'A', b'Z')) << shift;
            classes.digits |= bits(in_range(v, b'0', b'9')) << shift;
            let controls = in_range(v, b'\t', b'\r');
            let spaces = equal(v, b' ');
            classes.whitespace |= bits(_mm_or_si128(controls, spaces)) << shift;
            classes.newlines |= bits(_mm_or_si128(equal(v, b'\n'), equal(v, b'\r'))) << shift;
            classes.spaces |= bits(spaces) << shift;
            classes.apostrophes |= bits(equal(v, b'\'')) << shift;
            classes.slashes |= bits(equal(v, b'/')) << shift;
            classes.non_ascii |= bits(v) << shift;
        }
        classes
    }

    /// Keeps the bits of the first `known` bytes (the rest read as no class at all).
    #[inline(always)]
    pub(super) fn truncated(mut self, known: usize) -> Self {
        let keep = u64::MAX.checked_shr(64 - known as u32).unwrap_or(0);
        for field in [
            &mut self.letters,
            &mut self.upper,
            &mut self.digits,
            &mut self.whitespace,
            &mut self.newlines,
            &mut self.spaces,
            &mut self.apostrophes,
            &mut self.slashes,
            &mut self.non_ascii,
        ] {
            *field &= keep;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::ByteClasses;

    #[test]
    fn every_byte_value_has_the_same_classes_either_way() {
        for first in (0..256).step_by(64) {
            let mut window = [0u8; 64];
            for (j, b) in window.iter_mut().enumerate() {
                *b = (first + j) as u8;
            }
            assert_eq!(ByteClasses::of(&window), ByteClasses::byte_by_byte(&window));
            window.reverse();
            assert_eq!(ByteClasses::of(&window), ByteClasses::byte_by_byte(&window));
        }
    }

    #[test]
    fn truncation_keeps_the_known_bytes() {
        let window = [b'a'; 64];
        assert_eq!(ByteClasses::of(&window).truncated(64).letters, u64::MAX);
        assert_eq!(ByteClasses::of(&window).truncated(10).letters, 0x3FF);
        assert_eq!(ByteClasses::of(&window).truncated(0).letters, 0);
    }
}
