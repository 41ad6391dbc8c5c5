//! The hash table from a token's bytes to its rank, laid out for lookups in a cold cache.
//!
//! Counting text never seen before is a stream of lookups at random places in a table of
//! several MB: with the caches cold (as they are when anything else ran between two calls) each
//! one waits for memory, and that waiting was about half the time of counting 10k tokens
//! (`cargo bench --bench corpus -- --cold`). This table makes one lookup one memory access that
//! can be started early:
//! - open addressing in 64-byte lines of four 16-byte entries, probed line by line, so a key
//!   and its neighbours are in one cache line;
//! - every entry holds the token's first 8 bytes and its length, and a parallel array its
//!   next 8 bytes, so a token of up to 16 bytes (nearly every word) is confirmed without
//!   reading the vocabulary's bytes, which would be two more dependent accesses (offset, then
//!   bytes): 17% of the time of counting cold English on o200k;
//! - the line of a key is known from the key alone ([`Probe`]), so the caller can prefetch it
//!   while it splits the next pieces (`encoding/lookahead.rs`).
//!
//! - a separate array of one tag byte per entry (8 bits of the hash) answers most lookups of
//!   strings that are not tokens, which are most of BPE's candidate pairs, from 390 KB instead
//!   of the 6 MB of lines (o200k). Without it, the first version of this table was 1.8x slower than
//!   hashbrown's on multilingual text (hashbrown's control bytes do the same); tags are matched
//!   four at a time in one u32.
//!
//! hashbrown's table, used before, needs two dependent accesses (control bytes, then the slot)
//! and does not expose where a key's slot is, so it cannot be prefetched.
//!
//! The table is half full: at that load the line a token hashes to holds it 96% of the time
//! (cl100k and o200k; no token is more than 7 lines further). Three quarters full was tried:
//! with linear probing, chains then reached 40 lines.

use crate::vocab::Rank;

/// Entries per 64-byte line.
const LINE_ENTRIES: usize = 4;

#[derive(Clone, Copy, Default)]
#[repr(C)]
struct Entry {
    /// The token's first 8 bytes, zero padded.
    prefix: u64,
    rank: Rank,
    /// The token's length; 0 marks a free entry (tokens are never empty).
    len: u32,
}

#[derive(Clone, Copy, Default)]
#[repr(C, align(64))]
struct Line([Entry; LINE_ENTRIES]);

/// Bytes 8..16 of the tokens of one line, zero padded (0 for tokens of up to 8 bytes).
#[derive(Clone, Copy, Default)]
#[repr(C, align(32))]
struct Rests([u64; LINE_ENTRIES]);

/// What a lookup needs to know about its key, computed once: where to look and what to
/// compare first.
#[derive(Clone, Copy)]
pub(crate) struct Probe {
    hash: u64,
    prefix: u64,
    /// Bytes 8..16, zero padded.
    rest: u64,
}

impl Probe {
    #[inline(always)]
    pub(crate) fn new(key: &[u8]) -> Self {
        let len = key.len() as u64;
        // Most keys are words of up to 8 bytes: one branch, one read, one multiplication.
        let Some((first, after)) = key.split_first_chunk::<8>() else {
            let prefix = prefix_of(key);
            return Probe { hash: fold_multiply(prefix ^ len, K0), prefix, rest: 0 };
        };
        let prefix = u64::from_le_bytes(*first);
        let rest = prefix_of(after);
        // Every byte of a key of up to 16 bytes, and for longer ones their last 8 too (the
        // table is fixed once built, so input cannot lengthen its chains).
        let tail = match key.last_chunk::<8>() {
            Some(last) if after.len() > 8 => u64::from_le_bytes(*last),
            _ => 0,
        };
        let mixed = prefix ^ rest.rotate_left(21) ^ tail.rotate_left(42) ^ len;
        Probe { hash: fold_multiply(mixed, K0), prefix, rest }
    }

    /// [`Probe::new`] for a key of at most 8 bytes (the same probe, with fewer branches).
    #[inline(always)]
    pub(crate) fn of_short(key: &[u8]) -> Self {
        let prefix = prefix_of(key);
        Probe { hash: fold_multiply(prefix ^ key.len() as u64, K0), prefix, rest: 0 }
    }

    /// The key's hash (also what other tables keyed by the same bytes can index by).
    #[inline(always)]
    pub(crate) fn hash(&self) -> u64 {
        self.hash
    }

    /// The key's tag: 8 bits of the hash that the line index does not use, never 0.
    #[inline(always)]
    fn tag(&self) -> u8 {
        ((self.hash >> 24) as u8).max(1)
    }
}

const K0: u64 = 0x9e37_79b9_7f4a_7c15;

/// The high and low halves of a full 64x64-bit product, xored: one multiplication that carries
/// every input bit into the bits the line index and tag are taken from (as wyhash mixes).
/// splitmix64's finalizer (two multiplications and three shifts) measured slower.
#[inline(always)]
fn fold_multiply(x: u64, k: u64) -> u64 {
    let product = u128::from(x) * u128::from(k);
    (product >> 64) as u64 ^ product as u64
}

/// The first 8 bytes of `key`, zero padded, as one integer. Written with fixed-size reads:
/// a `copy_from_slice` of a variable length compiled to a call to memcpy, which was a tenth of
/// the lookup time.
#[inline(always)]
pub(crate) fn prefix_of(key: &[u8]) -> u64 {
    if let Some(first) = key.first_chunk::<8>() {
        return u64::from_le_bytes(*first);
    }
    let n = key.len();
    if let (Some(head), Some(tail)) = (key.first_chunk::<4>(), key.last_chunk::<4>()) {
        // 4..=7 bytes: the first four, and the last four shifted into place (they overlap).
        let head = u64::from(u32::from_le_bytes(*head));
        let tail = u64::from(u32::from_le_bytes(*tail));
        return head | tail << (8 * (n - 4));
    }
    match *key {
        [a, b, c] => u64::from(a) | u64::from(b) << 8 | u64::from(c) << 16,
        [a, b] => u64::from(a) | u64::from(b) << 8,
        [a] => u64::from(a),
        _ => 0,
    }
}

/// A bit 0x80 in each byte position of `x` that holds zero, exact up to and including the
/// lowest zero byte (above it a borrow may set false bits, which callers never look at).
#[inline(always)]
fn zero_bytes(x: u32) -> u32 {
    x.wrapping_sub(0x0101_0101) & !x & 0x8080_8080
}

pub(crate) struct TokenTable {
    lines: Vec<Line>,
    /// One byte per entry of `lines` (`tags[i]` byte `k` for `lines[i].0[k]`): 0 if the entry
    /// is free, else 8 bits of its key's hash (never 0). Most keys BPE looks up are not
    /// tokens; this array (a sixteenth of the lines' size, so it mostly stays in cache)
    /// answers them without reading a line.
    tags: Vec<u32>,
    /// `rests[i]` for the entries of `lines[i]`.
    rests: Vec<Rests>,
}

impl TokenTable {
    /// An empty table with room for `tokens` keys, half full when it has them all. Any number
    /// of lines, not a power of two: rounding up to one left o200k and cl100k 38% full, with 30%
    /// more memory to allocate and fill at load time for no measurable gain.
    pub(crate) fn with_room_for(tokens: usize) -> Self {
        let lines = tokens.div_ceil(LINE_ENTRIES / 2).max(1);
        TokenTable {
            lines: vec![Line::default(); lines],
            tags: vec![0; lines],
            rests: vec![Rests::default(); lines],
        }
    }

    /// The line `probe`'s key belongs to: the high half of the hash scaled to the line count.
    #[inline(always)]
    fn home(&self, probe: &Probe) -> usize {
        (((probe.hash >> 32) * self.lines.len() as u64) >> 32) as usize
    }

    /// The line after `index`, wrapping around.
    #[inline(always)]
    fn next(&self, index: usize) -> usize {
        if index + 1 >= self.lines.len() {
            0
        } else {
            index + 1
        }
    }

    /// Reads the tag array once, front to back (one word of each 64-byte line), and returns
    /// something computed from it so that the reads are not optimized away.
    ///
    /// Why: the merges of a long text look up thousands of strings that are not tokens, each
    /// answered by the tags at a random place, and each waits for the one before (which pair
    /// a merge looks up next depends on the ranks found). When other work has run since our
    /// last call (tiktoken in `benches/compare.py`, an agent's own work in real use), those
    /// lines are in no cache and every one of those lookups waits for memory. One sequential
    /// pass, which the hardware prefetcher streams, costs less than the misses it saves. See
    /// `CoreEncoding::for_each_piece_prefetched` for when it runs.
    pub(crate) fn read_tags_through(&self) -> u32 {
        const WORDS_PER_LINE: usize = 64 / std::mem::size_of::<u32>();
        self.tags.iter().step_by(WORDS_PER_LINE).fold(0, |acc, &tags| acc ^ tags)
    }

    /// Starts loading the line `probe` looks in, so that a lookup a little later finds it in
    /// cache. A hint only: it changes no state and cannot fault.
    #[inline(always)]
    pub(crate) fn prefetch(&self, probe: &Probe) {
        let home = self.home(probe);
        if let (Some(tags), Some(line)) = (self.tags.get(home), self.lines.get(home)) {
            prefetch(tags);
            prefetch(line);
        }
        if probe.rest != 0 {
            if let Some(rests) = self.rests.get(home) {
                prefetch(rests);
            }
        }
    }

    /// The rank of the entry matching `key`: same length and first 16 bytes, and `tail_equal`
    /// (called only for keys over 16 bytes) confirms the bytes after the sixteenth.
    #[inline(always)]
    pub(crate) fn find(
        &self,
        key: &[u8],
        probe: &Probe,
        tail_equal: impl Fn(Rank) -> bool,
    ) -> Option<Rank> {
        let tag = probe.tag();
        let mut index = self.home(probe);
        // At most every line once; in practice one or two (the table is at most half full).
        for _ in 0..self.lines.len() {
            let tags = *self.tags.get(index)?;
            // Entries fill a line in order, so the first free one ends the occupied ones.
            let free = zero_bytes(tags);
            let occupied = if free == 0 { u32::MAX } else { (1 << free.trailing_zeros()) - 1 };
            let mut matches = zero_bytes(tags ^ (u32::from(tag) * 0x0101_0101)) & occupied;
            while matches != 0 {
                let k = (matches.trailing_zeros() / 8) as usize;
                matches &= matches - 1;
                let entry = self.lines.get(index)?.0.get(k)?;
                if entry.prefix == probe.prefix
                    && entry.len as usize == key.len()
                    && (key.len() <= 8
                        || (self.rests.get(index).and_then(|r| r.0.get(k)) == Some(&probe.rest)
                            && (key.len() <= 16 || tail_equal(entry.rank))))
                {
                    return Some(entry.rank);
                }
            }
            if free != 0 {
                return None;
            }
            index = self.next(index);
        }
        None
    }

    /// [`find`](Self::find) for a key of at most 8 bytes, `len` long: its length and first 8
    /// bytes are the whole key, so an entry is confirmed by two compares. Most lookups of BPE's
    /// pairs are such keys; the general `find` costs them more registers (saved and restored on
    /// every call) and branches. The probing loop is written twice on purpose: one generic loop
    /// taking the confirmation as a closure cost 1.3% more instructions counting multilingual
    /// text (callgrind), from how the general lookup then compiled.
    #[inline(always)]
    pub(crate) fn find_short(&self, len: usize, probe: &Probe) -> Option<Rank> {
        let tag = u32::from(probe.tag()) * 0x0101_0101;
        let mut index = self.home(probe);
        for _ in 0..self.lines.len() {
            let (Some(&tags), Some(line)) = (self.tags.get(index), self.lines.get(index)) else {
                return None;
            };
            let free = zero_bytes(tags);
            let occupied = if free == 0 { u32::MAX } else { (1 << free.trailing_zeros()) - 1 };
            let mut matches = zero_bytes(tags ^ tag) & occupied;
            while matches != 0 {
                let k = (matches.trailing_zeros() / 8) as usize;
                matches &= matches - 1;
                if let Some(entry) = line.0.get(k) {
                    if entry.prefix == probe.prefix && entry.len as usize == len {
                        return Some(entry.rank);
                    }
                }
            }
            if free != 0 {
                return None;
            }
            index = self.next(index);
        }
        None
    }

    /// Adds `key` with `rank`, unless an equal key is already in (then it returns false and
    /// changes nothing; `tail_equal` confirms the bytes after the sixteenth, as in `find`). The
    /// table must have room: see `with_room_for`.
    pub(crate) fn insert(
        &mut self,
        key: &[u8],
        rank: Rank,
        tail_equal: impl Fn(Rank) -> bool,
    ) -> bool {
        let probe = Probe::new(key);
        let tag = probe.tag();
        let mut index = self.home(&probe);
        for _ in 0..self.lines.len() {
            let (Some(line), Some(tags), Some(rests)) =
                (self.lines.get_mut(index), self.tags.get_mut(index), self.rests.get_mut(index))
            else {
                return false;
            };
            let mut tag_bytes = tags.to_le_bytes();
            let slots = line.0.iter_mut().zip(tag_bytes.iter_mut()).zip(rests.0.iter_mut());
            for ((entry, entry_tag), rest) in slots {
                if entry.len == 0 {
                    *entry = Entry { prefix: probe.prefix, rank, len: key.len() as u32 };
                    *entry_tag = tag;
                    *rest = probe.rest;
                    *tags = u32::from_le_bytes(tag_bytes);
                    return true;
                }
                if *entry_tag == tag
                    && entry.prefix == probe.prefix
                    && entry.len as usize == key.len()
                    && *rest == probe.rest
                    && (key.len() <= 16 || tail_equal(entry.rank))
                {
                    return false;
                }
            }
            index = self.next(index);
        }
        false
    }
}

/// A prefetch of the cache line at `target` (a no-op where we have no stable intrinsic).
#[inline(always)]
pub(crate) fn prefetch<T>(target: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint; it reads nothing, writes nothing and cannot fault, for any
    // address (here a valid reference). `unsafe` only because the intrinsic was an unsafe fn
    // before Rust 1.87, our minimum being 1.85.
    #[allow(unused_unsafe)]
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((target as *const T).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = target;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys of every length from 1 to 40 that differ from each other in one byte only (at any
    /// position: in the prefix, in bytes 8..16, or past 16, where only the tail check can tell
    /// them apart).
    fn near_duplicates() -> Vec<Vec<u8>> {
        let mut keys = Vec::new();
        for len in 1..=40usize {
            let base: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            keys.push(base.clone());
            for pos in 0..len {
                let mut key = base.clone();
                key[pos] = b'#';
                keys.push(key);
            }
        }
        keys
    }

    #[test]
    fn finds_what_was_inserted_and_nothing_else() {
        let keys = near_duplicates();
        let (inserted, missing) = keys.split_at(keys.len() / 2);
        // Only every other key is inserted; the rest, each a near duplicate of some inserted
        // key, must not be found.
        let inserted: Vec<&Vec<u8>> = inserted.iter().chain(missing).step_by(2).collect();
        let mut table = TokenTable::with_room_for(inserted.len());
        for (rank, key) in inserted.iter().enumerate() {
            assert!(table.insert(key, rank as Rank, |_| false));
        }
        for key in &keys {
            let tail_equal =
                |r: Rank| inserted.get(r as usize).and_then(|k| k.get(16..)) == key.get(16..);
            let expected = inserted.iter().position(|k| *k == key).map(|r| r as Rank);
            assert_eq!(table.find(key, &Probe::new(key), tail_equal), expected, "{key:?}");
            if key.len() <= 8 {
                let (short, full) = (Probe::of_short(key), Probe::new(key));
                assert_eq!((short.hash, short.prefix, short.rest), (full.hash, full.prefix, 0));
                assert_eq!(table.find_short(key.len(), &short), expected, "{key:?}");
            }
        }
        assert_eq!(table.find(b"", &Probe::new(b""), |_| true), None);
        // Adding a key again is refused, and leaves its rank as it was.
        for (rank, key) in inserted.iter().enumerate() {
            let tail_equal =
                |r: Rank| inserted.get(r as usize).and_then(|k| k.get(16..)) == key.get(16..);
            assert!(!table.insert(key, 0, tail_equal), "{key:?}");
            assert_eq!(table.find(key, &Probe::new(key), tail_equal), Some(rank as Rank));
        }
    }

    /// Keys that differ only in trailing zero bytes have the same zero-padded prefix: only their
    /// lengths tell them apart, when their hashes land on the same line with the same tag
    /// (such a pair is searched for, in a table of four lines).
    #[test]
    fn trailing_zero_bytes_are_part_of_the_key() {
        let mut table = TokenTable::with_room_for(8);
        let same_place =
            |a: &Probe, b: &Probe| a.tag() == b.tag() && table.home(a) == table.home(b);
        // One zero byte more never lands there (the hash of a length one higher differs in a
        // fixed way); two or three do, for some keys.
        let (short, long) = (0u32..100_000)
            .flat_map(|i| (1..=3).map(move |zeros| (i, zeros)))
            .map(|(i, zeros)| {
                let short = format!("k{i}");
                let long = format!("{short}{}", "\0".repeat(zeros));
                (short.into_bytes(), long.into_bytes())
            })
            .find(|(a, b)| same_place(&Probe::new(a), &Probe::new(b)))
            .unwrap();
        assert!(table.insert(&short, 7, |_| false));
        for (key, expected) in [(&short, Some(7)), (&long, None)] {
            assert_eq!(table.find(key, &Probe::new(key), |_| false), expected, "{key:?}");
            assert_eq!(table.find_short(key.len(), &Probe::of_short(key)), expected, "{key:?}");
        }
    }

    #[test]
    fn prefix_is_the_first_eight_bytes_zero_padded() {
        let bytes: Vec<u8> = (1..=12).collect();
        for len in 0..=12 {
            let key = &bytes[..len];
            let mut padded = [0u8; 8];
            let n = len.min(8);
            padded[..n].copy_from_slice(&key[..n]);
            assert_eq!(prefix_of(key), u64::from_le_bytes(padded), "length {len}");
        }
    }

    #[test]
    fn a_full_line_continues_in_the_next() {
        // Six keys that all hash to line 0 of a four-line table: the first four fill it, the
        // other two go on to line 1, and each is found.
        let mut table = TokenTable::with_room_for(8);
        assert_eq!(table.lines.len(), 4);
        let keys: Vec<Vec<u8>> = (0u32..)
            .map(|i| format!("k{i}").into_bytes())
            .filter(|k| table.home(&Probe::new(k)) == 0)
            .take(6)
            .collect();
        for (rank, key) in keys.iter().enumerate() {
            assert!(table.insert(key, rank as Rank, |_| false));
        }
        assert!(table.lines[1].0.iter().any(|e| e.len != 0));
        for (rank, key) in keys.iter().enumerate() {
            assert_eq!(table.find(key, &Probe::new(key), |_| true), Some(rank as Rank));
        }
        assert_eq!(table.find(b"zz", &Probe::new(b"zz"), |_| true), None);
    }
}
