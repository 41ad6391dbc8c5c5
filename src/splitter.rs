//! Splitting text into pieces before BPE: the encoding's regex, or for tiktoken's three pattern
//! families (r50k/p50k, cl100k, o200k) a hand-written scanner that gives exactly the pieces the
//! regex gives, several times faster. For cl100k and o200k, ASCII text goes 64 bytes at a time
//! (`splitter/blocks.rs`), the scanners taking the pieces around non-ASCII bytes.
//!
//! Every built-in pattern matches at every position (each character belongs to one of its
//! alternatives), so `find_iter` yields consecutive pieces; a scanner only has to say where the
//! piece starting at `i` ends. Each function below follows its pattern alternative by
//! alternative, in the order the backtracking engine tries them; the comments name the
//! alternative. tests/splitters.rs compares them with fancy-regex on every code point class
//! and on random strings.

use crate::encodings::{CL100K_PAT_STR, O200K_PAT_STR, R50K_PAT_STR};
use crate::error::{Error, Result};
use crate::unicode_classes::{class_of, class_of_ascii, LETTER, LOWERISH, NUMBER, SPACE, UPPERISH};

mod blocks;
mod byte_classes;

/// How an encoding splits text.
pub enum Splitter {
    /// Any other pattern: the regex, as tiktoken runs it.
    Regex(Box<fancy_regex::Regex>),
    R50k,
    Cl100k,
    O200k,
}

impl Splitter {
    /// The scanner for a known pattern, else the compiled regex.
    pub fn new(pat_str: &str) -> Result<Self> {
        Ok(match pat_str {
            R50K_PAT_STR => Splitter::R50k,
            CL100K_PAT_STR => Splitter::Cl100k,
            O200K_PAT_STR => Splitter::O200k,
            _ => Splitter::Regex(Box::new(Self::compile(pat_str)?)),
        })
    }

    /// Always the regex (the reference the scanners are tested against).
    pub fn regex(pat_str: &str) -> Result<Self> {
        Ok(Splitter::Regex(Box::new(Self::compile(pat_str)?)))
    }

    fn compile(pat_str: &str) -> Result<fancy_regex::Regex> {
        fancy_regex::Regex::new(pat_str)
            .map_err(|e| Error::InvalidEncoding(format!("pat_str does not compile: {e}")))
    }

    /// The pieces of `text`, in order.
    pub fn pieces<'t>(&self, text: &'t str) -> Result<Vec<&'t str>> {
        let mut out = Vec::new();
        self.for_each_piece(text, |piece| {
            out.push(piece);
            Ok(())
        })?;
        Ok(out)
    }

    /// Calls `on_piece` for every piece of `text`, in order.
    #[inline]
    pub fn for_each_piece<'t>(
        &self,
        text: &'t str,
        mut on_piece: impl FnMut(&'t str) -> Result<()>,
    ) -> Result<()> {
        self.for_each_span(text, |from, to| match text.get(from..to) {
            Some(piece) => on_piece(piece),
            None => Err(Error::Regex(format!("split inside a character at {to}"))),
        })
    }

    /// The same pieces as bytes, what BPE works on. Not checked to end at characters as
    /// [`for_each_piece`](Self::for_each_piece) does (`str` slicing), a check that was 4.8% of
    /// the instructions of counting the code bench file on o200k (callgrind): the scanners never
    /// split a character (tests/splitters.rs), and the regex gives `str` matches.
    #[inline]
    pub fn for_each_piece_bytes<'t>(
        &self,
        text: &'t str,
        mut on_piece: impl FnMut(&'t [u8]) -> Result<()>,
    ) -> Result<()> {
        let bytes = text.as_bytes();
        self.for_each_span(text, |from, to| match bytes.get(from..to) {
            Some(piece) => on_piece(piece),
            None => Err(Error::Regex(format!("piece {from}..{to} past the text's end"))),
        })
    }

    /// Calls `on_span` with the byte range of every piece of `text`, in order.
    #[inline(always)]
    fn for_each_span(
        &self,
        text: &str,
        mut on_span: impl FnMut(usize, usize) -> Result<()>,
    ) -> Result<()> {
        let end_of: fn(&str, usize) -> usize = match self {
            Splitter::Regex(regex) => {
                for found in regex.find_iter(text) {
                    let found = found.map_err(|e| Error::Regex(e.to_string()))?;
                    on_span(found.start(), found.end())?;
                }
                return Ok(());
            }
            Splitter::R50k => r50k_piece_end,
            // ASCII text 64 bytes at a time, the rest with the scanners.
            Splitter::Cl100k => {
                return blocks::for_each_span::<false>(text, cl100k_piece_end, on_span)
            }
            Splitter::O200k => {
                return blocks::for_each_span::<true>(text, o200k_piece_end, on_span)
            }
        };
        let mut start = 0;
        while start < text.len() {
            // Every scanner consumes at least one character; `max` guards the loop regardless.
            let end = end_of(text, start).max(start + 1);
            on_span(start, end)?;
            start = end;
        }
        Ok(())
    }
}

/// The character at byte `i` with its length and class bits.
#[inline(always)]
fn char_at(s: &str, i: usize) -> Option<(char, usize, u8)> {
    let b = *s.as_bytes().get(i)?;
    if b < 0x80 {
        return Some((b as char, 1, class_of_ascii(b)));
    }
    // Decoded by hand: `s` is valid UTF-8, so the lead byte gives the length and the next
    // bytes are continuation bytes. `str::chars` validated again, through an out-of-line call
    // (`next_code_point`): 2.7% of the instructions of counting multilingual text on cl100k
    // (callgrind). Out of line, this decoding made every case 1-3% worse. `bpe/char_units.rs`
    // has its own decoder, which validates: its pieces may be any bytes.
    let bytes = s.as_bytes();
    let tail = |k: usize| bytes.get(i + k).map_or(0, |&b| u32::from(b & 0x3F));
    let (cp, len) = match b {
        0xC0..=0xDF => (u32::from(b & 0x1F) << 6 | tail(1), 2),
        0xE0..=0xEF => (u32::from(b & 0x0F) << 12 | tail(1) << 6 | tail(2), 3),
        0xF0..=0xF7 => (u32::from(b & 0x07) << 18 | tail(1) << 12 | tail(2) << 6 | tail(3), 4),
        _ => return None, // not at a character's start
    };
    let c = char::from_u32(cp)?;
    Some((c, len, class_of(c)))
}

/// The end of the run of characters from `i` whose class satisfies `keep`.
#[inline(always)]
fn run(s: &str, mut i: usize, keep: impl Fn(u8) -> bool) -> usize {
    let bytes = s.as_bytes();
    while let Some(&b) = bytes.get(i) {
        if b < 0x80 {
            if !keep(class_of_ascii(b)) {
                break;
            }
            i += 1;
        } else {
            match char_at(s, i) {
                Some((_, len, class)) if keep(class) => i += len,
                _ => break,
            }
        }
    }
    i
}

/// The end of the run of ASCII letters from `i` (only lowercase ones if `lower_only`), eight
/// bytes at a time: one well-predicted branch per eight letters instead of one per letter
/// whose exit, at every word's end, is mispredicted. Callers go on with [`run`] from there,
/// which takes over if the word goes on with a non-ASCII letter.
#[inline(always)]
fn ascii_letters_end(s: &str, mut i: usize, lower_only: bool) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const ONES: u64 = 0x0101_0101_0101_0101;
    let bytes = s.as_bytes();
    while let Some(chunk) = bytes.get(i..).and_then(|rest| rest.first_chunk::<8>()) {
        let word = u64::from_le_bytes(*chunk);
        // Per byte (high bit clear, so no carry crosses a byte): folded to lowercase unless
        // `lower_only`, then 'a'..='z' is 0x61..=0x7a.
        let folded = if lower_only { word } else { word | (0x20 * ONES) } & !HIGH;
        let from_a = (folded + (0x80 - 0x61) * ONES) & HIGH;
        let past_z = (folded + (0x80 - 0x7b) * ONES) & HIGH;
        let letters = from_a & !past_z & !(word & HIGH);
        let others = !letters & HIGH;
        if others != 0 {
            return i + (others.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while bytes.get(i).is_some_and(|&b| {
        if lower_only {
            b.is_ascii_lowercase()
        } else {
            b.is_ascii_alphabetic()
        }
    }) {
        i += 1;
    }
    i
}

/// The end of the run of ASCII bytes from `i` that `in_set` accepts. A predicate, not a slice
/// of bytes: `slice::contains` on bytes calls memchr, whose call and branches were 2.6% of the
/// (simulated) mispredicted branches of counting code on cl100k (`valgrind --branch-sim`).
#[inline(always)]
fn run_bytes(s: &str, mut i: usize, in_set: impl Fn(u8) -> bool) -> usize {
    while s.as_bytes().get(i).is_some_and(|&b| in_set(b)) {
        i += 1;
    }
    i
}

#[inline(always)]
fn has(class: u8, mask: u8) -> bool {
    class & mask != 0
}

/// `[^\s\p{L}\p{N}]`: punctuation, symbols, marks, controls that are not whitespace.
#[inline(always)]
fn is_other(class: u8) -> bool {
    class & (SPACE | LETTER | NUMBER) == 0
}

/// Whether `c` matches the letter `lower` case-insensitively, with the simple case folding the
/// regex uses: only `s` has a non-ASCII fold among the contraction letters (U+017F, long s).
#[inline(always)]
fn folds_to(c: char, lower: char) -> bool {
    c == lower || c == lower.to_ascii_uppercase() || (lower == 's' && c == '\u{17F}')
}

/// After an apostrophe at `i - 1`: the end of `(?i:[sdmt]|ll|ve|re)` (cl100k) or
/// `(?i:s|t|re|ve|m|ll|d)` (o200k, the same set) if one starts at `i`; `case_sensitive` gives
/// r50k's `(?:[sdmt]|ll|ve|re)`.
#[inline]
fn contraction_end(s: &str, i: usize, case_sensitive: bool) -> Option<usize> {
    let is = |c: char, lower: char| if case_sensitive { c == lower } else { folds_to(c, lower) };
    let (c1, l1, _) = char_at(s, i)?;
    if ['s', 'd', 'm', 't'].iter().any(|&x| is(c1, x)) {
        return Some(i + l1);
    }
    let (c2, l2, _) = char_at(s, i + l1)?;
    let pair = [('l', 'l'), ('v', 'e'), ('r', 'e')].iter().any(|&(a, b)| is(c1, a) && is(c2, b));
    pair.then_some(i + l1 + l2)
}

/// The two alternatives cl100k and o200k share after their letter forms: `\p{N}{1,3}`, then
/// ` ?[^\s\p{L}\p{N}]+` followed by a run of the bytes `tail` accepts (`[\r\n]*` in cl100k,
/// `[\r\n/]*` in o200k). Possessive or not makes no difference here: nothing after them can
/// force a backtrack. None when `c0` starts neither (it is whitespace).
#[inline]
fn numbers_or_other(
    s: &str,
    i: usize,
    (c0, l0, k0): (char, usize, u8),
    tail: impl Fn(u8) -> bool + Copy,
) -> Option<usize> {
    if has(k0, NUMBER) {
        let mut end = i + l0;
        for _ in 0..2 {
            match char_at(s, end) {
                Some((_, len, k)) if has(k, NUMBER) => end += len,
                _ => break,
            }
        }
        return Some(end);
    }
    if c0 == ' ' {
        if let Some((_, l1, k1)) = char_at(s, i + 1) {
            if is_other(k1) {
                return Some(run_bytes(s, run(s, i + 1 + l1, is_other), tail));
            }
        }
    }
    is_other(k0).then(|| run_bytes(s, run(s, i + l0, is_other), tail))
}

/// Facts about the whitespace run starting at `i`: its end, the end of its last `\r`/`\n`
/// (if any), and the start of its last character.
struct WhitespaceRun {
    end: usize,
    after_last_newline: Option<usize>,
    last_char_start: usize,
    chars: usize,
}

#[inline]
fn whitespace_run(s: &str, mut i: usize) -> WhitespaceRun {
    let mut run = WhitespaceRun { end: i, after_last_newline: None, last_char_start: i, chars: 0 };
    loop {
        // Spaces (code's indentation) up to eight at a time; other whitespace one by one.
        let spaces = spaces_at(s, i);
        if spaces > 0 {
            run.last_char_start = i + spaces - 1;
            run.chars += spaces;
            i += spaces;
        }
        let Some((c, len, class)) = char_at(s, i) else { break };
        if !has(class, SPACE) {
            break;
        }
        if c == '\r' || c == '\n' {
            run.after_last_newline = Some(i + 1);
        }
        run.last_char_start = i;
        run.chars += 1;
        i += len;
    }
    run.end = i;
    run
}

/// How many of the eight bytes from `i` are spaces before anything else, with one compare; 0
/// when fewer than eight bytes are left (`whitespace_run` then goes on a character at a time).
/// Why: code's indentation is scanned twice, once in the newline's run (to find its last
/// newline) and once as the spaces before the next word; a character at a time, that was 5.7%
/// of the instructions of counting the code bench file on o200k (callgrind), 2.6% with this.
#[inline(always)]
fn spaces_at(s: &str, i: usize) -> usize {
    match s.as_bytes().get(i..).and_then(|rest| rest.first_chunk::<8>()) {
        Some(chunk) => {
            let others = u64::from_le_bytes(*chunk) ^ 0x2020_2020_2020_2020;
            (others.trailing_zeros() / 8) as usize
        }
        None => 0,
    }
}

/// `'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`
fn r50k_piece_end(s: &str, i: usize) -> usize {
    let Some((c0, l0, k0)) = char_at(s, i) else { return s.len() };
    if c0 == '\'' {
        if let Some(end) = contraction_end(s, i + 1, true) {
            return end;
        }
    }
    // ` ?X++` for X in letters, numbers, others: the space only if X follows it.
    let after_space = if c0 == ' ' { char_at(s, i + 1).map(|(_, _, k)| k) } else { None };
    let letters = |k: u8| has(k, LETTER);
    if after_space.is_some_and(letters) {
        return run(s, ascii_letters_end(s, i + 1, false), letters);
    }
    if letters(k0) {
        return run(s, ascii_letters_end(s, i + l0, false), letters);
    }
    for keep in [(|k: u8| has(k, NUMBER)) as fn(u8) -> bool, is_other] {
        if after_space.is_some_and(keep) {
            return run(s, i + 1, keep);
        }
        if keep(k0) {
            return run(s, i + l0, keep);
        }
    }
    // c0 is whitespace.
    let ws = whitespace_run(s, i);
    if ws.end == s.len() {
        return ws.end; // \s++$
    }
    if ws.chars >= 2 {
        return ws.last_char_start; // \s+(?!\S): all but the last
    }
    i + l0 // \s
}

/// `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`
fn cl100k_piece_end(s: &str, i: usize) -> usize {
    let Some((c0, l0, k0)) = char_at(s, i) else { return s.len() };
    if c0 == '\'' {
        if let Some(end) = contraction_end(s, i + 1, false) {
            return end;
        }
    }
    // [^\r\n\p{L}\p{N}]?+\p{L}++ (the optional char is possessive: taken if it can be)
    let letters = |k: u8| has(k, LETTER);
    if letters(k0) {
        return run(s, ascii_letters_end(s, i + l0, false), letters);
    }
    if !has(k0, NUMBER) && c0 != '\r' && c0 != '\n' {
        if let Some((_, l1, k1)) = char_at(s, i + l0) {
            if letters(k1) {
                return run(s, ascii_letters_end(s, i + l0 + l1, false), letters);
            }
        }
    }
    // \p{N}{1,3}+, then ` ?[^\s\p{L}\p{N}]++[\r\n]*+`
    if let Some(end) = numbers_or_other(s, i, (c0, l0, k0), |b| matches!(b, b'\r' | b'\n')) {
        return end;
    }
    // c0 is whitespace.
    let ws = whitespace_run(s, i);
    if ws.end == s.len() {
        return ws.end; // \s++$
    }
    if let Some(end) = ws.after_last_newline {
        return end; // \s*[\r\n]
    }
    if ws.chars >= 2 {
        return ws.last_char_start; // \s+(?!\S)
    }
    i + l0 // \s
}

/// o200k's letter alternatives after the optional prefix, starting at `p`:
/// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?`.
/// The classes overlap (Lm, Lo, M are in both), so the greedy `*` gives back characters until
/// the `+` can start: at the end of the upper run if a lower character follows, else at the
/// last character of the run that is in both classes.
#[inline]
fn o200k_upper_star_lower_plus(s: &str, p: usize) -> Option<usize> {
    // Where the lower run starts, as the end of its first character, which is lower: the run
    // goes on from there, without decoding that character again.
    let mut j = p;
    let mut after_last_in_both = None;
    let after_lower_start = loop {
        match char_at(s, j) {
            Some((_, len, k)) if has(k, UPPERISH) => {
                if has(k, LOWERISH) {
                    after_last_in_both = Some(j + len);
                }
                j += len;
            }
            Some((_, len, k)) if has(k, LOWERISH) => break j + len,
            _ => break after_last_in_both?,
        }
    };
    let end = run(s, ascii_letters_end(s, after_lower_start, true), |k| has(k, LOWERISH));
    Some(o200k_contraction(s, end))
}

/// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|...)?` from `p`.
#[inline]
fn o200k_upper_plus_lower_star(s: &str, p: usize) -> Option<usize> {
    let upper_end = run(s, p, |k| has(k, UPPERISH));
    if upper_end == p {
        return None;
    }
    let end = run(s, upper_end, |k| has(k, LOWERISH));
    Some(o200k_contraction(s, end))
}

#[inline]
fn o200k_contraction(s: &str, end: usize) -> usize {
    if s.as_bytes().get(end) == Some(&b'\'') {
        if let Some(after) = contraction_end(s, end + 1, false) {
            return after;
        }
    }
    end
}

/// [`o200k_piece_end`] for the pieces whose first two characters (three after a prefix
/// followed by an upper-case letter) are ASCII and settle which alternative matches; None
/// leaves the piece to the general path. Most pieces of English and code are settled here
/// without trying each alternative in turn: the general path calls the word forms four times
/// for a punctuation piece before reaching its own alternative, and the two word-form
/// functions took 29% of the time of splitting code (perf).
#[inline(always)]
fn o200k_ascii_piece_end(s: &str, i: usize) -> Option<usize> {
    let bytes = s.as_bytes();
    let b0 = *bytes.get(i)?;
    // A lowercase run from `p` is the first word form's `[\p{Ll}\p{Lm}\p{Lo}\p{M}]+`
    // (and nothing before `p` is upper-case or can be given back to it: ASCII letters are in
    // one case class only).
    let lower_word_from = |p: usize| {
        o200k_contraction(s, run(s, ascii_letters_end(s, p, true), |k| has(k, LOWERISH)))
    };
    if b0.is_ascii_lowercase() {
        return Some(lower_word_from(i));
    }
    let b1 = bytes.get(i + 1).copied();
    if b0 >= 0x80 || b1.is_some_and(|b| b >= 0x80) {
        return None;
    }
    let k0 = class_of_ascii(b0);
    if b0.is_ascii_uppercase() {
        return match b1? {
            b'a'..=b'z' => Some(lower_word_from(i + 1)),
            // The first form fails (no lowercase follows), the second is this one letter
            // with an optional contraction. `b1` is ASCII, so no mark or letter extends it.
            b1 if !b1.is_ascii_alphabetic() => Some(o200k_contraction(s, i + 1)),
            _ => None,
        };
    }
    // Not a letter: only the forms with the prefix can make a word, from `i + 1`.
    let prefix = b0 != b'\r' && b0 != b'\n' && !has(k0, NUMBER);
    match b1 {
        Some(b'a'..=b'z') if prefix => return Some(lower_word_from(i + 1)),
        Some(b'A'..=b'Z') if prefix => {
            return match *bytes.get(i + 2)? {
                b'a'..=b'z' => Some(lower_word_from(i + 2)),
                b2 if b2 < 0x80 && !b2.is_ascii_alphabetic() => Some(o200k_contraction(s, i + 2)),
                _ => None,
            };
        }
        _ => {}
    }
    // No word form matches: the first character is not a letter, and the second is an ASCII
    // non-letter (or the text ends).
    let tail = |b: u8| matches!(b, b'\r' | b'\n' | b'/');
    if let Some(end) = numbers_or_other(s, i, (char::from(b0), 1, k0), tail) {
        return Some(end);
    }
    Some(o200k_whitespace_end(s, i))
}

/// o200k_base's pattern (no possessive quantifiers: full backtracking), alternatives in order:
/// two letter-word forms with an optional `[^\r\n\p{L}\p{N}]` prefix, `\p{N}{1,3}`,
/// ` ?[^\s\p{L}\p{N}]+[\r\n/]*`, `\s*[\r\n]+`, `\s+(?!\S)`, `\s+`.
fn o200k_piece_end(s: &str, i: usize) -> usize {
    if let Some(end) = o200k_ascii_piece_end(s, i) {
        return end;
    }
    let Some((c0, l0, k0)) = char_at(s, i) else { return s.len() };
    // The optional prefix is greedy: with it first, then without it.
    let prefix = c0 != '\r' && c0 != '\n' && !has(k0, LETTER | NUMBER);
    let word_forms: [fn(&str, usize) -> Option<usize>; 2] =
        [o200k_upper_star_lower_plus, o200k_upper_plus_lower_star];
    for form in word_forms {
        if prefix {
            if let Some(end) = form(s, i + l0) {
                return end;
            }
        }
        if let Some(end) = form(s, i) {
            return end;
        }
    }
    // \p{N}{1,3}, then ` ?[^\s\p{L}\p{N}]+[\r\n/]*`
    if let Some(end) = numbers_or_other(s, i, (c0, l0, k0), |b| matches!(b, b'\r' | b'\n' | b'/')) {
        return end;
    }
    // c0 is whitespace.
    o200k_whitespace_end(s, i)
}

/// o200k's whitespace alternatives from `i`, which is whitespace.
#[inline]
fn o200k_whitespace_end(s: &str, i: usize) -> usize {
    let ws = whitespace_run(s, i);
    if let Some(end) = ws.after_last_newline {
        return end; // \s*[\r\n]+
    }
    if ws.end == s.len() {
        return ws.end; // \s+(?!\S) at the end of the text
    }
    if ws.chars >= 2 {
        return ws.last_char_start; // \s+(?!\S)
    }
    ws.end // \s+
}

#[cfg(test)]
mod tests {
    use super::folds_to;

    #[test]
    fn case_folding_matches_the_regex_for_every_code_point() {
        for letter in ['s', 'd', 'm', 't', 'l', 'v', 'r', 'e'] {
            let regex = fancy_regex::Regex::new(&format!("^(?i:{letter})$")).unwrap();
            for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
                let mut buf = [0u8; 4];
                let expected = regex.is_match(c.encode_utf8(&mut buf)).unwrap();
                assert_eq!(folds_to(c, letter), expected, "{letter} U+{:04X}", c as u32);
            }
        }
    }
}
