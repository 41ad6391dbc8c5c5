//! Where BPE on the bytes of a piece provably merges each character first, start the merge from
//! whole characters.
//!
//! Most of the time of counting non-Latin text (CJK, Cyrillic, Thai, ...) went into merges that
//! only rebuild characters: a CJK character is three bytes, and BPE joins them into one token
//! (or two, in cl100k) with two lookups and two passes over the piece before it reaches the
//! joins between characters that decide the result. Starting from the characters saves those.
//!
//! It is exact, not a heuristic. Each character c's bytes, merged on their own, give its final
//! parts (usually c itself) using joins of rank at most `K(c)`. In the whole piece, BPE does the
//! same joins inside c (they only involve c's bytes), and the result is the merge started from
//! every character's final parts, provided that:
//! 1. no join across c's edge is taken while c is unfinished: while c's leftmost part is `g`,
//!    every token "(bytes before c) + g" ranks above the join c takes next (and likewise on the
//!    right). Then that join, inside c and always available, is taken first. Which tokens end
//!    with `g` (start with the right part) is known from the vocabulary; only the byte next to
//!    c is known per piece, so a character is started whole only if no such token, preceded by
//!    that byte, is low enough (`left` and `right` sets of bytes per character);
//! 2. every join the merge from characters takes ranks above `K` of every character it joins:
//!    then it could not have been taken earlier in the byte-level merge, when one of those
//!    characters was unfinished, because that character's own next join ranked lower. The merge
//!    checks this on every pair it looks up (`floor`) and, if it ever fails (a prototype that
//!    counted never saw it on the bench corpus), the piece is merged from bytes instead.
//!
//! Characters that fail 1 stay bytes, which is also exact: single bytes have nothing to finish.
//! Most of those were the first character after a space (" \xe5" is a token of o200k ranked below
//! most CJK characters): a space at the start of a piece and the character after it therefore
//! also have an entry as one segment, merged on its own, with the same conditions. `tests`
//! compares the two merges on every character of the BMP in several contexts, and the Python
//! suite compares the result with PyPI tiktoken.
//!
//! The tables cover the BMP (U+0080..U+FFFF), 8 bytes a code point, alone and after a space
//! (1 MB in all), built once per vocabulary when the first non-ASCII piece needs a merge (5-10
//! ms: `benches/one_time_costs.py`). Characters of four bytes (emoji, rare CJK) stay bytes.

use rustc_hash::FxHashMap;

use crate::vocab::{Rank, Vocab};

/// Code points with an entry: U+0080 (the first of two bytes) to U+FFFF (the last of three).
const FIRST: u32 = 0x80;
const END: u32 = 0x1_0000;

/// Ids of the two fixed byte sets.
const NO_BYTE: u8 = 0;
const EVERY_BYTE: u8 = 1;

#[derive(Clone, Copy, Default)]
struct Entry {
    /// One more than the highest rank the character's own merge joins; 0 when it joins nothing
    /// (or the code point is not a character): it stays bytes.
    floor: Rank,
    /// Bit `i` set: one of the character's final parts ends after its byte `i + 1`.
    cuts: u8,
    /// The set (an index into `byte_sets`) of bytes that, just before the character, may be
    /// joined to its unfinished left part first (condition 1).
    left: u8,
    /// The same for the byte just after it.
    right: u8,
}

/// A unit the merge starts from (and a part during the scan merge): where it starts in the
/// piece, the lowest rank a join involving it may have (0 for a unit that was never merged),
/// and, during the scan, the rank of it joined with the next part.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Unit {
    pub(crate) start: u32,
    pub(crate) floor: Rank,
    pub(crate) pair: Rank,
}

impl Unit {
    #[inline(always)]
    pub(crate) fn new(start: u32, floor: Rank) -> Self {
        Unit { start, floor, pair: Rank::MAX }
    }
}

pub(crate) struct CharUnits {
    /// Indexed by code point - `FIRST`.
    entries: Vec<Entry>,
    /// The same for a space and the character, as one segment, where the space may join the
    /// character's first bytes before it is finished (its `left` set has b' '): the first
    /// character of most words after a space (" \xd0" and " \xe5" are early tokens). Used at
    /// the start of a piece only, where pieces with a space are (`left` is every byte).
    after_space: Vec<Entry>,
    /// 256-bit sets of bytes; id 0 is empty, id 1 has every byte, unused ids are empty. All
    /// 256 ids, so that a set is read without a bounds check.
    byte_sets: Box<[[u64; 4]; 256]>,
}

impl CharUnits {
    pub(crate) fn build(vocab: &Vocab) -> Self {
        let edges = EdgeTokens::of(vocab);
        let mut sets = ByteSets::new();
        let size = (END - FIRST) as usize;
        let (mut entries, mut after_space) = (Vec::with_capacity(size), Vec::with_capacity(size));
        for c in (FIRST..END).map(char::from_u32) {
            let (mut alone, mut spaced) = (Entry::default(), Entry::default());
            if let Some(c) = c {
                let mut buffer = [b' '; 5];
                let len = c.encode_utf8(&mut buffer[1..]).len();
                let bytes = buffer.get(..len + 1).unwrap_or_default();
                alone = entry_of(vocab, &edges, &mut sets, bytes.get(1..).unwrap_or_default());
                if alone.floor != 0 && sets.has(alone.left, b' ') {
                    spaced = entry_of(vocab, &edges, &mut sets, bytes);
                    spaced.left = EVERY_BYTE;
                }
            }
            entries.push(alone);
            after_space.push(spaced);
        }
        let mut byte_sets = Box::new([[0; 4]; 256]);
        for (slot, set) in byte_sets.iter_mut().zip(sets.sets) {
            *slot = set;
        }
        CharUnits { entries, after_space, byte_sets }
    }

    /// The units `piece` starts from, into `units` (followed by one at the piece's end). False
    /// if no character of it can start whole, or it is not UTF-8: merge its bytes then.
    pub(crate) fn units_of(&self, piece: &[u8], units: &mut Vec<Unit>) -> bool {
        if u32::try_from(piece.len()).is_err() {
            return false;
        }
        units.clear();
        units.reserve(piece.len() + 1);
        let mut any = false;
        let mut at = 0;
        // A space and the character after it, as one segment.
        if let (Some(b' '), Some((c, len))) = (piece.first(), code_point_at(piece, 1)) {
            let entry = self.entry(c);
            let spaced = self.after_space_entry(c);
            if entry.floor != 0
                && self.has(entry.left, Some(&b' '))
                && spaced.floor != 0
                && !self.has(spaced.right, piece.get(1 + len))
            {
                any = true;
                push_parts(units, 0, 1 + len, spaced);
                at = 1 + len;
            }
        }
        while at < piece.len() {
            // Decoding here (not `str::from_utf8` first) validates and decodes in one pass.
            let Some((c, len)) = code_point_at(piece, at) else { return false };
            let entry = self.entry(c);
            let whole = entry.floor != 0
                && (at == 0 || !self.has(entry.left, piece.get(at - 1)))
                && !self.has(entry.right, piece.get(at + len));
            if whole {
                any = true;
                push_parts(units, at, len, entry);
            } else {
                let start = at as u32;
                units.extend((start..start + len as u32).map(|start| Unit::new(start, 0)));
            }
            at += len;
        }
        units.push(Unit::new(piece.len() as u32, 0));
        any
    }

    #[inline]
    fn after_space_entry(&self, c: u32) -> Entry {
        entry_in(&self.after_space, c)
    }

    #[inline]
    fn entry(&self, c: u32) -> Entry {
        entry_in(&self.entries, c)
    }

    /// Whether set `id` has `byte` (false when there is no byte: the piece's edge).
    #[inline]
    fn has(&self, id: u8, byte: Option<&u8>) -> bool {
        // Most characters' sets are empty: no need to read one then.
        if id == NO_BYTE {
            return false;
        }
        // In bounds for any id (256 sets), so the compiler drops the check.
        let set = self.byte_sets.get(usize::from(id));
        matches!((byte, set), (Some(&byte), Some(set)) if set_has(set, byte))
    }
}

/// The entry of `c` in a table indexed from [`FIRST`] (the default, "stays bytes", outside it).
#[inline]
fn entry_in(table: &[Entry], c: u32) -> Entry {
    (c as usize).checked_sub(FIRST as usize).and_then(|i| table.get(i)).copied().unwrap_or_default()
}

/// The units of a segment of `len` bytes at `at` that starts whole: its final parts.
#[inline]
fn push_parts(units: &mut Vec<Unit>, at: usize, len: usize, entry: Entry) {
    let start = at as u32;
    units.push(Unit::new(start, entry.floor));
    if entry.cuts == 0 {
        return; // one part, as for most characters
    }
    for i in 0..len as u32 - 1 {
        if entry.cuts & (1 << i) != 0 {
            units.push(Unit::new(start + i + 1, entry.floor));
        }
    }
}

/// The code point that starts at `at`, and its length; `None` if the bytes there are not
/// UTF-8 (as `str::from_utf8` would reject them: overlong forms, surrogates and code points
/// past U+10FFFF included).
///
/// Each length checks only what can be wrong with it: two bytes, the lead (C2..DF rules out
/// overlong forms) and one continuation byte; three, both continuation bytes at once, then the
/// range. The first version decoded every length the same way and then compared the code point
/// with the shortest length and `char::from_u32`; this one, with the byte sets read without
/// bounds checks, took `units_of` from 37.5 M to 32.5 M instructions on the multilingual
/// bench file (cl100k, callgrind).
#[inline(always)]
fn code_point_at(bytes: &[u8], at: usize) -> Option<(u32, usize)> {
    let lead = u32::from(*bytes.get(at)?);
    if lead < 0x80 {
        return Some((lead, 1));
    }
    let b1 = u32::from(*bytes.get(at + 1)?);
    if lead < 0xE0 {
        let valid = lead >= 0xC2 && b1 & 0xC0 == 0x80;
        return valid.then_some(((lead & 0x1F) << 6 | (b1 & 0x3F), 2));
    }
    let b2 = u32::from(*bytes.get(at + 2)?);
    let tails = b1 << 8 | b2;
    if lead < 0xF0 {
        let code = (lead & 0x0F) << 12 | (b1 & 0x3F) << 6 | (b2 & 0x3F);
        let valid = tails & 0xC0C0 == 0x8080 && code >= 0x800 && !(0xD800..0xE000).contains(&code);
        return valid.then_some((code, 3));
    }
    let b3 = u32::from(*bytes.get(at + 3)?);
    let code = (lead & 0x07) << 18 | (b1 & 0x3F) << 12 | (b2 & 0x3F) << 6 | (b3 & 0x3F);
    let valid = lead <= 0xF4
        && (tails << 8 | b3) & 0xC0_C0C0 == 0x80_8080
        && (0x1_0000..=0x10_FFFF).contains(&code);
    valid.then_some((code, 4))
}

#[inline]
fn set_has(set: &[u64; 4], byte: u8) -> bool {
    set.get(usize::from(byte >> 6)).is_some_and(|word| word >> (byte & 63) & 1 != 0)
}

/// The tokens that can join across a character's edge while it is unfinished.
struct EdgeTokens {
    /// `g` (the first bytes of a character, not all of them) -> (byte before it, rank) of every
    /// token that ends with that byte and `g`.
    ending: FxHashMap<Vec<u8>, Vec<(u8, Rank)>>,
    /// `f` (the last bytes of a character, not all of them) -> (byte after it, rank) of every
    /// token that starts with `f` and that byte.
    starting: FxHashMap<Vec<u8>, Vec<(u8, Rank)>>,
}

impl EdgeTokens {
    fn of(vocab: &Vocab) -> Self {
        let mut edges = EdgeTokens { ending: FxHashMap::default(), starting: FxHashMap::default() };
        for (token, rank) in vocab.iter() {
            // A token ending inside a character: its last lead byte starts fewer bytes than the
            // character needs.
            if let Some(lead) = token.iter().rposition(|&b| !is_continuation(b)) {
                let tail = token.get(lead..).unwrap_or_default();
                let needs = token.get(lead).map_or(1, |&b| utf8_len(b));
                if lead > 0 && tail.len() < needs {
                    if let Some(&before) = token.get(lead - 1) {
                        edges.ending.entry(tail.to_vec()).or_default().push((before, rank));
                    }
                }
            }
            // A token starting inside a character: continuation bytes, then a character start.
            if let Some(first_start) = token.iter().position(|&b| !is_continuation(b)) {
                if (1..4).contains(&first_start) {
                    if let (Some(head), Some(&after)) =
                        (token.get(..first_start), token.get(first_start))
                    {
                        edges.starting.entry(head.to_vec()).or_default().push((after, rank));
                    }
                }
            }
        }
        edges
    }
}

/// Byte sets, each stored once (a few hundred distinct ones for o200k).
struct ByteSets {
    sets: Vec<[u64; 4]>,
    ids: FxHashMap<[u64; 4], u8>,
}

impl ByteSets {
    fn new() -> Self {
        let (none, every) = ([0; 4], [u64::MAX; 4]);
        let ids = [(none, NO_BYTE), (every, EVERY_BYTE)].into_iter().collect();
        ByteSets { sets: vec![none, every], ids }
    }

    fn has(&self, id: u8, byte: u8) -> bool {
        self.sets.get(id as usize).is_some_and(|set| set_has(set, byte))
    }

    /// The id of `set`; past 256 distinct sets, the set of every byte (the character then
    /// starts whole only at the piece's edge, which is still exact).
    fn id(&mut self, set: [u64; 4]) -> u8 {
        if let Some(&id) = self.ids.get(&set) {
            return id;
        }
        let Ok(id) = u8::try_from(self.sets.len()) else { return EVERY_BYTE };
        self.sets.push(set);
        self.ids.insert(set, id);
        id
    }
}

/// One state of a character's own merge that is not the last: its leftmost and rightmost
/// parts, and the rank of the join it takes next.
struct Unfinished {
    left_len: usize,
    right_len: usize,
    next_join: Rank,
}

/// The entry of a segment: one character, or a space and one character (`bytes`).
fn entry_of(vocab: &Vocab, edges: &EdgeTokens, sets: &mut ByteSets, bytes: &[u8]) -> Entry {
    let (states, part_lens) = own_merge(vocab, bytes);
    let Some(highest) = states.iter().map(|s| s.next_join).max() else {
        return Entry::default(); // nothing joins: the bytes are the units anyway
    };
    // The right edge while unfinished must be inside the character (its last bytes, what
    // `edges.starting` knows); with a space before, the character may finish first.
    let char_len = bytes.iter().rev().take_while(|&&b| is_continuation(b)).count() + 1;
    if states.iter().any(|s| s.right_len >= char_len) {
        return Entry::default();
    }
    let mut cuts = 0u8;
    let mut end = 0;
    for len in part_lens.iter().take(part_lens.len().saturating_sub(1)) {
        end += len;
        cuts |= 1 << (end - 1);
    }
    let (mut left, mut right) = ([0u64; 4], [0u64; 4]);
    for state in &states {
        let g = bytes.get(..state.left_len).unwrap_or_default();
        let f = bytes.get(bytes.len() - state.right_len..).unwrap_or_default();
        let lists = [(edges.ending.get(g), &mut left), (edges.starting.get(f), &mut right)];
        for (list, set) in lists {
            for &(byte, rank) in list.into_iter().flatten() {
                if rank <= state.next_join {
                    if let Some(word) = set.get_mut(byte as usize / 64) {
                        *word |= 1 << (byte % 64);
                    }
                }
            }
        }
    }
    Entry { floor: highest.saturating_add(1), cuts, left: sets.id(left), right: sets.id(right) }
}

/// BPE on one segment's bytes alone (a character, or a space and a character): every state
/// before the last, and the final parts' lengths.
fn own_merge(vocab: &Vocab, bytes: &[u8]) -> (Vec<Unfinished>, Vec<usize>) {
    let mut lens: Vec<usize> = vec![1; bytes.len()];
    let mut states = Vec::new();
    loop {
        let mut best: Option<(Rank, usize)> = None;
        let mut start = 0;
        for (i, pair) in lens.windows(2).enumerate() {
            let joined = bytes.get(start..start + pair.iter().sum::<usize>());
            if let Some(rank) = joined.and_then(|b| vocab.rank_of(b)) {
                if best.is_none_or(|(r, _)| rank < r) {
                    best = Some((rank, i));
                }
            }
            start += pair.first().copied().unwrap_or(0);
        }
        let Some((rank, i)) = best else { break };
        let (Some(&left_len), Some(&right_len)) = (lens.first(), lens.last()) else { break };
        states.push(Unfinished { left_len, right_len, next_join: rank });
        let right = lens.remove(i + 1);
        if let Some(len) = lens.get_mut(i) {
            *len += right;
        }
    }
    (states, lens)
}

#[inline]
fn is_continuation(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

/// The length of the UTF-8 sequence a lead byte starts.
#[inline]
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::bpe::{merge, merge_by_scan, scan_in_place, Whole};
    use crate::encodings::get_encoding;

    fn toy_vocab(extra: &[(&[u8], Rank)]) -> Vocab {
        let mut pairs: Vec<(Vec<u8>, Rank)> = (0u8..=255).map(|b| (vec![b], b as Rank)).collect();
        pairs.extend(extra.iter().map(|(token, rank)| (token.to_vec(), *rank)));
        Vocab::from_pairs(pairs).unwrap()
    }

    fn whole_chars(vocab: &Vocab, piece: &str) -> Option<Vec<Unit>> {
        let mut units = Vec::new();
        vocab.char_units().units_of(piece.as_bytes(), &mut units).then_some(units)
    }

    /// The byte merge takes "xé" (rank 1000) before "ü" is finished (rank 2000), and then "éü"
    /// (500) can no longer form; from whole characters "éü" would be joined first. The floor
    /// check must refuse that merge, and `merge` must give the bytes' answer.
    #[test]
    fn a_join_below_a_characters_own_rank_falls_back_to_the_bytes() {
        let tokens: [(&str, Rank); 4] = [("é", 300), ("ü", 2000), ("xé", 1000), ("éü", 500)];
        let vocab = toy_vocab(&tokens.map(|(t, r)| (t.as_bytes(), r)));
        let piece = "xéü";
        assert_eq!(merge_by_scan(&vocab, piece.as_bytes()), vec![0, 3]);
        let units = whole_chars(&vocab, piece).unwrap();
        assert_eq!(units.iter().map(|u| u.start).collect::<Vec<_>>(), vec![0, 1, 3, 5]);
        let mut parts = units;
        assert!(!scan_in_place::<true>(
            &vocab,
            piece.as_bytes(),
            &mut parts,
            Rank::MAX,
            Whole::Unknown
        ));
        assert_eq!(merge(&vocab, piece.as_bytes()).unwrap(), vec![0, 3]);
    }

    /// The same with more units than the scan takes: the heap merge checks floors too.
    #[test]
    fn the_heap_checks_floors_too() {
        let tokens: [(&str, Rank); 4] = [("é", 300), ("ü", 2000), ("xé", 1000), ("éü", 500)];
        let vocab = toy_vocab(&tokens.map(|(t, r)| (t.as_bytes(), r)));
        let piece = "xéü".repeat(20);
        let units = whole_chars(&vocab, &piece).unwrap();
        assert!(units.len() > crate::bpe::HEAP_THRESHOLD);
        let bytes = piece.as_bytes();
        assert_eq!(crate::bpe::merge_by_heap_from(&vocab, bytes, units.into_iter()).unwrap(), None);
        assert_eq!(merge(&vocab, bytes).unwrap(), merge_by_scan(&vocab, bytes));
    }

    /// " \xc3" (rank 1100) joins before "é" (1300) is finished, so after a space "é" must not
    /// start whole: after the space of a piece's start the two start as one segment, merged on
    /// their own (" \xc3", "\xa9"); after any other space, as bytes. Elsewhere "é" starts whole.
    #[test]
    fn a_token_across_the_edge_keeps_the_character_from_starting_whole() {
        let vocab = toy_vocab(&[(b" \xc3", 1100), ("é".as_bytes(), 1300)]);
        let units = whole_chars(&vocab, " é").unwrap();
        assert_eq!(
            units.iter().map(|u| (u.start, u.floor)).collect::<Vec<_>>(),
            [(0, 1101), (2, 1101), (3, 0)]
        );
        assert_eq!(merge(&vocab, " é".as_bytes()).unwrap(), vec![0, 2]);
        assert_eq!(whole_chars(&vocab, "x é"), None);
        assert_eq!(merge(&vocab, "x é".as_bytes()).unwrap(), vec![0, 1, 3]);
        let units = whole_chars(&vocab, "xé ").unwrap();
        assert_eq!(
            units.iter().map(|u| (u.start, u.floor)).collect::<Vec<_>>(),
            [(0, 0), (1, 1301), (3, 0), (4, 0)]
        );
        assert_eq!(merge(&vocab, "xé ".as_bytes()).unwrap(), vec![0, 1, 3]);
    }

    /// `code_point_at` accepts exactly what `str::from_utf8` accepts, and decodes it the same:
    /// every lead byte with every second byte, and with third and fourth bytes from the edges of
    /// the continuation range and outside it (overlong forms, surrogates, past U+10FFFF).
    #[test]
    fn code_point_at_agrees_with_the_standard_decoder() {
        let later = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF];
        for lead in 0..=255u8 {
            for b1 in 0..=255u8 {
                for b2 in later {
                    for b3 in later {
                        let bytes = [lead, b1, b2, b3];
                        for len in 1..=4 {
                            let bytes = &bytes[..len];
                            let valid = match std::str::from_utf8(bytes) {
                                Ok(text) => text,
                                Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap(),
                            };
                            let expected = valid.chars().next().map(|c| (c as u32, c.len_utf8()));
                            assert_eq!(code_point_at(bytes, 0), expected, "{bytes:x?}");
                        }
                    }
                }
            }
        }
    }

    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u32) -> u32 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((self.0 >> 33) % u64::from(n)) as u32
        }
    }

    /// A neighbour for `c`: the byte before or after a character is what decides whether it
    /// starts whole, so draw from spaces, ASCII, nearby characters (same script) and any.
    fn neighbour(rng: &mut Rng, c: u32) -> char {
        let code = match rng.below(6) {
            0 => u32::from(b' '),
            1 => u32::from(b"aZ.'0_"[rng.below(6) as usize]),
            2 => c,
            3 | 4 => (c + rng.below(128)).saturating_sub(64).max(0x80),
            _ => 0x80 + rng.below(END - 0x80),
        };
        char::from_u32(code).unwrap_or('\u{3042}')
    }

    /// Every character of the BMP, doubled, after a space and in three random contexts (more with
    /// `TOKENIZER_RS_CHAR_CONTEXTS=N`), on vocabularies with different patterns of character
    /// tokens: the merge from characters equals the merge of the bytes.
    #[test]
    fn every_bmp_character_in_context_merges_as_its_bytes() {
        let contexts = crate::test_rng::cases_from_env("TOKENIZER_RS_CHAR_CONTEXTS", 3);
        for name in ["r50k_base", "cl100k_base", "o200k_base"] {
            let vocab = get_encoding(name).unwrap().vocab();
            let mut rng = Rng(0x5eed);
            let mut whole = 0usize;
            let mut units = Vec::new();
            for code in FIRST..END {
                let Some(c) = char::from_u32(code) else { continue };
                let mut pieces = vec![format!("{c}{c}"), format!(" {c}"), format!(" {c}{c}")];
                for _ in 0..contexts {
                    let (a, b, d) = (
                        neighbour(&mut rng, code),
                        neighbour(&mut rng, code),
                        neighbour(&mut rng, code),
                    );
                    pieces.push([a, c, b, d].iter().collect());
                }
                for piece in &pieces {
                    let bytes = piece.as_bytes();
                    whole += usize::from(vocab.char_units().units_of(bytes, &mut units));
                    assert_eq!(
                        merge(vocab, bytes).unwrap(),
                        merge_by_scan(vocab, bytes),
                        "{name}: {piece:?}"
                    );
                }
            }
            // The test means something only if most pieces took the path under test.
            eprintln!("{name}: {whole} pieces started from characters");
            assert!(whole > 40_000, "{name}: only {whole} pieces started from characters");
        }
    }
}
