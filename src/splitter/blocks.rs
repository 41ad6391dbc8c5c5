//! Splitting ASCII text 64 bytes at a time, for cl100k's and o200k's patterns: the classes of a
//! window's bytes as bitmaps ([`ByteClasses`]), then where every piece in it starts, from those
//! bitmaps with a few dozen word operations, whatever the number of pieces.
//!
//! Why: the scanners in `splitter.rs` decide each piece with branches on its first characters,
//! about 110 instructions a piece of code and several mispredicted branches (30% of the
//! instructions of counting the code bench file on o200k). fastokens' pre-tokenizer classifies
//! 64-byte blocks into bitmaps (its `scan_simd.rs`); this is our own derivation for our two
//! patterns, exact for every ASCII text, with the scanners for everything else.
//!
//! A window starts at a piece start. Its starts are derived as if the text ended after its last
//! known byte; a start is certain when what decides it lies in the window: the two bytes after it
//! (a contraction) and, inside a whitespace run, the run's end. Pieces up to the last certain
//! start are handed out and the next window starts there. Windows with non-ASCII bytes are cut
//! before the first one; the scanners take the pieces around it.
//!
//! The rules, for ASCII text (letters L, digits D, whitespace, and "other": the rest, `'` and `/`
//! included), each checked against the regex by tests/splitters.rs:
//! - digits: `\p{N}{1,3}`, runs cut in threes from their start;
//! - words: a run of letters (o200k: cut before each upper-case letter after a lower-case one),
//!   with the character before it as a prefix when that is a space, a tab, or a lone "other"
//!   character that starts a piece (not after a space, which takes it, nor after a newline an
//!   "other" piece took: o200k's `[\r\n/]*` tail);
//! - "other" runs: ` ?[^\s\p{L}\p{N}]+` then a tail of newlines (o200k: and `/`);
//! - whitespace runs (outside tails): to their last newline, then all but the last character,
//!   which starts the next piece;
//! - contractions (`'s`, `'t`, `'re`, `'ve`, `'m`, `'ll`, `'d`, any case): in cl100k a piece of
//!   their own where an apostrophe starts a piece; in o200k the end of the word before them.

use super::byte_classes::ByteClasses;
use crate::error::Result;

const WINDOW: usize = 64;
/// Fewer known bytes than this (a non-ASCII byte soon after the window's start): the scanners
/// take the next pieces instead.
const MIN_KNOWN: usize = 16;

/// Calls `emit` with the byte range of every piece of `text`: windows of ASCII bytes
/// bit-parallel, the rest with `scanner` (the piece end at a position, as in `splitter.rs`).
#[inline(always)]
pub(super) fn for_each_span<const O200K: bool>(
    text: &str,
    scanner: fn(&str, usize) -> usize,
    mut emit: impl FnMut(usize, usize) -> Result<()>,
) -> Result<()> {
    let bytes = text.as_bytes();
    let mut start = 0;
    // Where the last window met non-ASCII bytes: the scanners go on to just past them.
    let mut scan_until = 0;
    while start < bytes.len() {
        if start >= scan_until {
            if let Some(window) = bytes.get(start..).and_then(|rest| rest.first_chunk::<WINDOW>()) {
                // Non-ASCII in the first bytes (most windows of other scripts): the scanners
                // go on to just past it, without classifying the window.
                let head = window.first_chunk::<MIN_KNOWN>().map_or(0, |head| {
                    u128::from_le_bytes(*head) & 0x8080_8080_8080_8080_8080_8080_8080_8080
                });
                if head != 0 {
                    scan_until = start + MIN_KNOWN - (head.leading_zeros() / 8) as usize;
                } else {
                    let classes = ByteClasses::of(window);
                    let known = classes.non_ascii.trailing_zeros() as usize;
                    let starts = certain_starts::<O200K>(window, classes.truncated(known), known);
                    // Bit 0 is the window's start; the pieces run between the bits after it.
                    let mut rest = starts & !1;
                    let mut from = 0;
                    while rest != 0 {
                        let to = rest.trailing_zeros() as usize;
                        emit(start + from, start + to)?;
                        from = to;
                        rest &= rest - 1;
                    }
                    if known < WINDOW {
                        // The scanners take the pieces up to and over the non-ASCII byte.
                        scan_until = start + known + 1;
                    }
                    if from > 0 {
                        start += from;
                        continue;
                    }
                }
            }
        }
        // Every scanner consumes at least one character; `max` guards the loop regardless.
        let end = scanner(text, start).max(start + 1);
        emit(start, end)?;
        start = end;
    }
    Ok(())
}

/// The piece starts in `window` (which starts a piece) that its first `known` bytes, all ASCII,
/// decide, bit `j` for byte `j`.
#[inline(always)]
fn certain_starts<const O200K: bool>(window: &[u8; 64], c: ByteClasses, known: usize) -> u64 {
    // `before(x)` has bit j set where byte j - 1 is in x (nothing is before the window: it
    // starts a piece); `after(x)` where byte j + 1 is.
    let before = |x: u64| x << 1;
    let after = |x: u64| x >> 1;
    let ascii = ones_below(known);
    let lower = c.letters & !c.upper;
    let other = ascii & !(c.letters | c.digits | c.whitespace);

    // The tails of "other" pieces: newlines right after an "other" character, and (o200k) the
    // newlines and slashes after them. In o200k the slashes before the first such newline of
    // a run of newlines and slashes are "other" characters of the piece itself, and a newline
    // after a slash of a tail is in the tail too, so: each run of newlines and slashes from
    // the first newline after an "other" character on.
    let tail = if O200K {
        let tail_bytes = c.newlines | c.slashes;
        let opens = c.newlines & before(other);
        let free = tail_bytes & !opens;
        let first_free = tail_bytes & !before(tail_bytes) & !opens;
        // The carry from each run's first byte runs through the free bytes up to the first
        // tail-opening newline: those bytes are not in a tail.
        let not_tail = (free.wrapping_add(first_free) ^ free) & free;
        tail_bytes & !not_tail
    } else {
        let opens = c.newlines & before(other);
        (c.newlines.wrapping_add(opens) ^ c.newlines) & c.newlines
    };
    let other = other & !tail;
    let spaces_tabs = c.whitespace & !c.newlines;
    let whitespace = spaces_tabs | (c.newlines & !tail);

    // Digits: in threes from each run's start.
    let three_digits = c.digits & before(c.digits) & before(before(c.digits));
    let mut thirds = c.digits & !before(c.digits);
    let mut starts = thirds | 1;
    while thirds != 0 {
        thirds = (thirds << 3) & three_digits;
        starts |= thirds;
    }

    // Words, with the prefix that joins them.
    let mut words = c.letters & !before(c.letters);
    if O200K {
        words |= c.upper & before(lower);
    }
    let before_letters = after(c.letters);
    // "Other" runs start a piece, except after a space (which starts it, below); one such
    // run of a single character before letters is their prefix.
    let other_starts = other & !before(other) & !before(c.spaces);
    let prefixes = (spaces_tabs | other_starts) & before_letters;
    starts |= (words & !before(prefixes)) | prefixes | other_starts;

    // Whitespace runs: their start, the start of the spaces and tabs after their last newline
    // (found from the run's end: bits reversed, a carry runs up through them), and their last
    // character when it is a space or a tab (it starts the next piece).
    let run_starts = whitespace & !before(whitespace);
    let run_ends = whitespace & !after(whitespace);
    let last_spaces = run_ends & spaces_tabs;
    let reversed = spaces_tabs.reverse_bits();
    let final_spaces =
        ((reversed.wrapping_add(last_spaces.reverse_bits()) ^ reversed) & reversed).reverse_bits();
    starts |= run_starts | last_spaces | (final_spaces & !before(final_spaces));

    // What is certain: two bytes after a start are known (contractions), and a whitespace run
    // that reaches the last known byte may go on: only its start is.
    let mut last = known.saturating_sub(3);
    if (whitespace >> (known - 1)) & 1 == 1 {
        last = last.min(63usize.saturating_sub(run_starts.leading_zeros() as usize));
    }

    // Contractions, in order (each may decide whether the next apostrophe starts a piece).
    let mut apostrophes = c.apostrophes & ones_below(last + 1);
    if O200K {
        apostrophes &= before(c.letters);
    }
    let mut contraction_end = 0;
    while apostrophes != 0 {
        let at = apostrophes.trailing_zeros() as usize;
        apostrophes &= apostrophes - 1;
        // o200k: the end of the word before it, unless that "word" is the letters of the
        // contraction just taken (a piece starts at this apostrophe). cl100k: a piece of its
        // own where the apostrophe starts one.
        let takes = if O200K { at != contraction_end } else { (starts >> at) & 1 == 1 };
        if !takes {
            continue;
        }
        if let Some(len) = contraction_len(window, at + 1) {
            let end = at + 1 + len;
            let from = if O200K { at } else { at + 1 };
            starts &= !(ones_below(end) & !ones_below(from));
            starts |= 1u64.checked_shl(end as u32).unwrap_or(0);
            contraction_end = end;
        }
    }
    starts & ones_below(last + 1)
}

/// Bits 0 to `n - 1` (`n` up to 64).
#[inline(always)]
fn ones_below(n: usize) -> u64 {
    u64::MAX.checked_shr(64u32.saturating_sub(n as u32)).unwrap_or(0)
}

/// The length of `[sdmt]|ll|ve|re` (any case) at `i`, if one is there.
#[inline(always)]
fn contraction_len(window: &[u8; 64], i: usize) -> Option<usize> {
    // For ASCII bytes, `b | 0x20` is a given lower-case letter only for that letter in either
    // case.
    let first = window.get(i)? | 0x20;
    if matches!(first, b's' | b'd' | b'm' | b't') {
        return Some(1);
    }
    let second = window.get(i + 1)? | 0x20;
    matches!((first, second), (b'l', b'l') | (b'v', b'e') | (b'r', b'e')).then_some(2)
}
