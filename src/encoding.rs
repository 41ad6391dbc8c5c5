//! One encoding: split pattern, mergeable vocabulary and special tokens, with tiktoken's
//! encode/count/decode semantics. Everything here is pure Rust and thread-safe (`&self` only).

use std::sync::{Arc, OnceLock};

use rustc_hash::{FxHashMap, FxHashSet};

use crate::bpe::{self, PieceCache};
use crate::error::{Error, Result};
use crate::splitter::Splitter;
use crate::vocab::{Probe, Rank, Vocab};

mod lookahead;
mod parts;
mod unstable;

use lookahead::Lookahead;
use parts::CutRule;

/// Texts (between special tokens) this long or longer first read the lookup table's tag array
/// through (`Vocab::load_tags_into_cache`): 200 KB for cl100k, 400 KB for o200k. A text of 16 KB
/// makes thousands of lookups of strings that are not tokens, enough to touch most of the
/// array's lines anyway; for a shorter text, reading all of it would cost more than its misses.
const LOAD_TAGS_FROM_BYTES: usize = 16 * 1024;

/// Which special tokens `encode`/`count` turn into their ids (tiktoken's `allowed_special`).
/// Special-token text that is not allowed is encoded as ordinary text; rejecting it
/// (`disallowed_special`) is a separate check, [`CoreEncoding::find_special`].
#[derive(Debug, Clone, Copy)]
pub enum Allowed<'a> {
    /// No special token: text is encoded as ordinary text.
    None,
    /// Every special token of the encoding.
    All,
    /// Exactly these.
    Some(&'a FxHashSet<String>),
}

/// Which special-token text makes `encode` fail (tiktoken's `disallowed_special`).
#[derive(Debug, Clone, Copy)]
pub enum Disallowed<'a> {
    /// No check.
    None,
    /// Every special token not in the given allowed set (tiktoken's default, "all").
    AllBut(Allowed<'a>),
    /// Exactly these strings.
    Some(&'a FxHashSet<String>),
}

/// A compiled encoding.
pub struct CoreEncoding {
    name: String,
    pat_str: String,
    splitter: Splitter,
    vocab: Arc<Vocab>,
    special_ids: FxHashMap<String, Rank>,
    /// The special tokens in the order they were given (what `_special_tokens` shows).
    special_list: Vec<(String, Rank)>,
    /// Rank -> bytes of the special token. If two names share an id (o200k_harmony's 200018 is
    /// both "<|endofprompt|>" and "<|reserved_200018|>") the first one given wins: PyPI
    /// tiktoken's choice falls out of its hash map's iteration order, and for the built-in
    /// case that is "<|endofprompt|>" (tested against it).
    special_bytes: FxHashMap<Rank, Vec<u8>>,
    special_regex: Option<regex::Regex>,
    max_token_value: Rank,
    /// Mergeable ranks sorted by their bytes, built on first use (`encode_with_unstable`).
    sorted_ranks: OnceLock<Vec<Rank>>,
    /// Where a long text may be cut to count it in parts (`encoding/parts.rs`).
    cut_rule: CutRule,
}

impl CoreEncoding {
    /// Compiles an encoding. `special_tokens` keeps the caller's order (it decides which name a
    /// shared id decodes to).
    pub fn new(
        name: &str,
        pat_str: &str,
        vocab: Arc<Vocab>,
        special_tokens: &[(String, Rank)],
    ) -> Result<Self> {
        let splitter = Splitter::new(pat_str)?;
        let mut special_ids = FxHashMap::default();
        let mut special_bytes = FxHashMap::default();
        for (token, rank) in special_tokens {
            special_ids.insert(token.clone(), *rank);
            special_bytes.entry(*rank).or_insert_with(|| token.as_bytes().to_vec());
        }
        let special_regex = if special_ids.is_empty() {
            None
        } else {
            // Longest first, so that a token that is a prefix of another never hides it.
            let mut names: Vec<&String> = special_ids.keys().collect();
            names.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
            let alternation = names.iter().map(|s| regex::escape(s)).collect::<Vec<_>>().join("|");
            Some(regex::Regex::new(&alternation).map_err(|e| {
                Error::InvalidEncoding(format!("special tokens do not compile: {e}"))
            })?)
        };
        let max_special = special_ids.values().copied().max();
        let max_mergeable = vocab.rank_end().checked_sub(1);
        let max_token_value = max_special.max(max_mergeable).unwrap_or(0);
        let cut_rule = CutRule::of(&splitter, special_tokens);
        Ok(CoreEncoding {
            name: name.to_owned(),
            pat_str: pat_str.to_owned(),
            splitter,
            vocab,
            special_ids,
            special_list: special_tokens.to_vec(),
            special_bytes,
            special_regex,
            max_token_value,
            sorted_ranks: OnceLock::new(),
            cut_rule,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn pat_str(&self) -> &str {
        &self.pat_str
    }
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }
    /// The special tokens, in the order the definition gives them.
    pub fn special_tokens(&self) -> &[(String, Rank)] {
        &self.special_list
    }
    #[cfg(test)]
    pub(crate) fn cut_rule(&self) -> CutRule {
        self.cut_rule
    }
    pub fn max_token_value(&self) -> Rank {
        self.max_token_value
    }
    /// tiktoken's `n_vocab`: the largest token id plus one.
    pub fn n_vocab(&self) -> usize {
        self.max_token_value as usize + 1
    }

    /// The splitter's pieces of `text` (no special-token handling) through a [`Lookahead`]: each
    /// piece comes with the probe of its table line, prefetched a few pieces earlier, and with
    /// `cache` (whose slot for the piece is prefetched too, for pieces that turn out to need a
    /// merge).
    ///
    /// With `KNOWN_FIRST`, a piece of one byte, or a short one whose count `cache` has, is not
    /// handed out: its count is added to `known` (counting needs no more; the other pieces then
    /// come out of their order). Checked as each piece is split, before the queue, so that such
    /// pieces cost no table line.
    #[inline]
    fn for_each_piece_prefetched<'t, const KNOWN_FIRST: bool>(
        &self,
        text: &'t str,
        mut cache: Option<&mut PieceCache>,
        known: &mut usize,
        mut on_piece: impl FnMut(&'t [u8], Option<&Probe>, Option<&mut PieceCache>) -> Result<()>,
    ) -> Result<()> {
        // Here, not in each caller, so that every path that looks pieces up (count, encode,
        // encode_ordinary) does it.
        if text.len() >= LOAD_TAGS_FROM_BYTES {
            self.vocab.load_tags_into_cache();
        }
        let mut queue = Lookahead::new();
        let vocab_id = self.vocab.id();
        self.splitter.for_each_piece_bytes(text, |piece| {
            if KNOWN_FIRST {
                let count = match piece.len() {
                    1 => Some(1),
                    _ => cache.as_deref().and_then(|c| c.short_counts.get(vocab_id, piece)),
                };
                if let Some(count) = count {
                    *known += count;
                    return Ok(());
                }
            }
            let oldest = queue.push(&self.vocab, piece);
            if let (Some(cache), Some(probe)) = (cache.as_deref(), queue.newest_probe()) {
                cache.prefetch(probe.hash());
            }
            match oldest {
                Some((piece, probe)) => on_piece(piece, probe.as_ref(), cache.as_deref_mut()),
                None => Ok(()),
            }
        })?;
        while let Some((piece, probe)) = queue.pop() {
            on_piece(piece, probe.as_ref(), cache.as_deref_mut())?;
        }
        Ok(())
    }

    /// Uses the regex for splitting even where a hand-written scanner exists (the reference
    /// the scanners are tested and benchmarked against).
    pub fn with_regex_splitter(mut self) -> Result<Self> {
        self.splitter = Splitter::regex(&self.pat_str)?;
        Ok(self)
    }

    /// Splits `text` at the allowed special tokens into ordinary text and special-token ids.
    fn segments<'s>(&'s self, text: &'s str, allowed: Allowed<'s>) -> Segments<'s> {
        let regex = match (&self.special_regex, allowed) {
            (Some(regex), Allowed::All) => Some(regex),
            (Some(regex), Allowed::Some(set)) if !set.is_empty() => Some(regex),
            _ => None,
        };
        Segments { encoding: self, text, allowed, regex, start: 0, pending: None, done: false }
    }

    /// tiktoken's `encode_ordinary`: special-token text is ordinary text.
    ///
    /// A long text is encoded in parts, like [`count`](Self::count).
    pub fn encode_ordinary(&self, text: &str) -> Result<Vec<Rank>> {
        let encode = |part: &str| self.encode_ordinary_in_one_pass(part);
        match parts::in_parts(text, self.cut_rule, self.warm(), encode) {
            Some(parts) => Ok(parts?.concat()),
            None => self.encode_ordinary_in_one_pass(text),
        }
    }

    /// [`encode_ordinary`](Self::encode_ordinary) on this thread only.
    fn encode_ordinary_in_one_pass(&self, text: &str) -> Result<Vec<Rank>> {
        let mut out = Vec::with_capacity(text.len() / 4 + 1);
        bpe::with_thread_cache(|cache| {
            self.for_each_piece_prefetched::<false>(text, cache, &mut 0, |piece, probe, cache| {
                bpe::encode_piece_prefetched(&self.vocab, piece, probe, cache, &mut out)
            })
        })?;
        Ok(out)
    }

    /// tiktoken's core `encode(text, allowed_special)`, without the disallowed check.
    pub fn encode(&self, text: &str, allowed: Allowed<'_>) -> Result<Vec<Rank>> {
        Ok(self.encode_with_last_piece(text, allowed)?.0)
    }

    /// Calls `on_item` for every piece of the ordinary text in `text` (with its prefetched probe
    /// and this thread's cache of merged pieces) and every allowed special token, in order, then
    /// `Item::End` once.
    ///
    /// With `KNOWN_FIRST` (counting), the pieces whose count is known at once are not handed out
    /// one by one: `Item::Known` gives their total, after the other pieces of their text.
    fn for_each_item<'t, const KNOWN_FIRST: bool>(
        &'t self,
        text: &'t str,
        allowed: Allowed<'t>,
        mut on_item: impl FnMut(Item<'t, '_>) -> Result<()>,
    ) -> Result<()> {
        bpe::with_thread_cache(|mut cache| {
            for segment in self.segments(text, allowed) {
                match segment {
                    Segment::Text(part) => {
                        let cache = cache.as_deref_mut();
                        let mut known = 0;
                        self.for_each_piece_prefetched::<KNOWN_FIRST>(
                            part,
                            cache,
                            &mut known,
                            |piece, probe, cache| on_item(Item::Piece(piece, probe, cache)),
                        )?;
                        if known > 0 {
                            on_item(Item::Known(known))?;
                        }
                    }
                    Segment::Special(rank) => on_item(Item::Special(rank))?,
                }
            }
            on_item(Item::End(cache))
        })
    }

    /// Like [`encode`](Self::encode), also returning how many tokens the last regex piece gave
    /// (0 when the text ends with a special token); `_encode_bytes` needs it.
    ///
    /// A long text is encoded in parts, like [`count`](Self::count): the tokens are the parts'
    /// in order, and the last piece is the last part's.
    pub(crate) fn encode_with_last_piece(
        &self,
        text: &str,
        allowed: Allowed<'_>,
    ) -> Result<(Vec<Rank>, usize)> {
        let encode = |part: &str| self.encode_with_last_piece_in_one_pass(part, allowed);
        let Some(parts) = parts::in_parts(text, self.cut_rule, self.warm(), encode) else {
            return self.encode_with_last_piece_in_one_pass(text, allowed);
        };
        let parts = parts?;
        let last_piece_len = parts.last().map_or(0, |(_, len)| *len);
        let mut out = Vec::with_capacity(parts.iter().map(|(tokens, _)| tokens.len()).sum());
        for (tokens, _) in parts {
            out.extend_from_slice(&tokens);
        }
        Ok((out, last_piece_len))
    }

    /// [`encode_with_last_piece`](Self::encode_with_last_piece) on this thread only.
    fn encode_with_last_piece_in_one_pass(
        &self,
        text: &str,
        allowed: Allowed<'_>,
    ) -> Result<(Vec<Rank>, usize)> {
        let mut out = Vec::with_capacity(text.len() / 4 + 1);
        let mut last_piece_len = 0;
        self.for_each_item::<false>(text, allowed, |item| {
            match item {
                Item::Piece(piece, probe, cache) => {
                    let before = out.len();
                    bpe::encode_piece_prefetched(&self.vocab, piece, probe, cache, &mut out)?;
                    last_piece_len = out.len() - before;
                }
                Item::Special(rank) => {
                    out.push(rank);
                    last_piece_len = 0;
                }
                // Only counting (`KNOWN_FIRST`) hands out pieces as known.
                Item::Known(_) | Item::End(_) => {}
            }
            Ok(())
        })?;
        Ok((out, last_piece_len))
    }

    /// The number of tokens `encode(text, allowed)` returns, without building them.
    ///
    /// A text of 24 KB or more (12 KB of non-ASCII text) is counted in parts, on this thread and
    /// the thread pool's, when it has line breaks to cut at and no batch runs
    /// (`encoding/parts.rs`); the sum is the same.
    pub fn count(&self, text: &str, allowed: Allowed<'_>) -> Result<usize> {
        let count = |part: &str| self.count_in_one_pass(part, allowed);
        match parts::in_parts(text, self.cut_rule, self.warm(), count) {
            Some(counts) => Ok(counts?.iter().sum()),
            None => self.count_in_one_pass(text, allowed),
        }
    }

    /// What the caller does before a text's parts are taken: parts are mostly shorter than
    /// `LOAD_TAGS_FROM_BYTES`, so it reads the tags through once for all of them (a longer part
    /// still does on its own, harmlessly).
    fn warm(&self) -> impl FnOnce() + '_ {
        || self.vocab.load_tags_into_cache()
    }

    /// [`count`](Self::count) on this thread only.
    pub(crate) fn count_in_one_pass(&self, text: &str, allowed: Allowed<'_>) -> Result<usize> {
        let mut total = 0usize;
        // Short pieces that need a merge are merged a few at a time (`bpe/interleaved.rs`).
        let mut ring = bpe::MergeRing::new();
        self.for_each_item::<true>(text, allowed, |item| {
            total += match item {
                Item::Piece(piece, probe, cache) => {
                    bpe::count_piece_prefetched(&self.vocab, piece, probe, cache, Some(&mut ring))?
                }
                Item::Known(pieces) => pieces,
                Item::Special(_) => 1,
                Item::End(cache) => ring.finish(&self.vocab, cache),
            };
            Ok(())
        })?;
        Ok(total)
    }

    /// The number of tokens `encode_ordinary(text)` returns, without building them.
    pub fn count_ordinary(&self, text: &str) -> Result<usize> {
        self.count(text, Allowed::None)
    }

    /// tiktoken's `disallowed_special` check: the first text in `text` that is a disallowed
    /// special token (or, for an explicit set, any disallowed string), if there is one.
    pub fn find_disallowed(&self, text: &str, disallowed: Disallowed<'_>) -> Option<String> {
        let is_disallowed = |token: &str| match disallowed {
            Disallowed::None => false,
            Disallowed::AllBut(Allowed::All) => false,
            Disallowed::AllBut(Allowed::None) => true,
            Disallowed::AllBut(Allowed::Some(set)) => !set.contains(token),
            Disallowed::Some(set) => set.contains(token),
        };
        // Matches may overlap (one allowed, one not), so after a match look again one
        // character further rather than after its end.
        let mut first: Option<(usize, String)> = None;
        if let Some(regex) = &self.special_regex {
            let mut from = 0;
            while let Some(found) = regex.find_at(text, from) {
                if is_disallowed(found.as_str()) {
                    first = Some((found.start(), found.as_str().to_owned()));
                    break;
                }
                from = found.start() + found.as_str().chars().next().map_or(1, char::len_utf8);
            }
        }
        // An explicit set may name strings that are not special tokens; tiktoken searches for
        // them too.
        if let Disallowed::Some(set) = disallowed {
            for extra in set.iter().filter(|s| !s.is_empty() && !self.special_ids.contains_key(*s))
            {
                if let Some(at) = text.find(extra.as_str()) {
                    if first.as_ref().is_none_or(|(best, _)| at < *best) {
                        first = Some((at, extra.clone()));
                    }
                }
            }
        }
        first.map(|(_, token)| token)
    }

    /// tiktoken's `encode(text, allowed_special, disallowed_special)`: raises on disallowed
    /// special-token text, then encodes.
    pub fn encode_checked(
        &self,
        text: &str,
        allowed: Allowed<'_>,
        disallowed: Disallowed<'_>,
    ) -> Result<Vec<Rank>> {
        if let Some(token) = self.find_disallowed(text, disallowed) {
            return Err(Error::DisallowedSpecialToken(token));
        }
        self.encode(text, allowed)
    }

    /// The bytes of one token, mergeable or special.
    pub fn token_bytes(&self, rank: Rank) -> Option<&[u8]> {
        self.vocab.token_bytes(rank).or_else(|| self.special_bytes.get(&rank).map(Vec::as_slice))
    }

    /// tiktoken's `decode_bytes`: the concatenated bytes of the tokens.
    pub fn decode_bytes(&self, tokens: &[Rank]) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(tokens.len() * 4);
        for &rank in tokens {
            out.extend_from_slice(self.token_bytes(rank).ok_or(Error::InvalidToken(rank))?);
        }
        Ok(out)
    }

    /// tiktoken's `encode_single_token`: the id of bytes that are exactly one token.
    pub fn encode_single_token(&self, bytes: &[u8]) -> Result<Rank> {
        if let Some(rank) = self.vocab.rank_of(bytes) {
            return Ok(rank);
        }
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| self.special_ids.get(s).copied())
            .ok_or_else(|| Error::NotASingleToken(bytes.to_vec()))
    }

    /// tiktoken's `_encode_single_piece`: BPE of raw bytes, no regex split.
    pub fn encode_single_piece(&self, piece: &[u8]) -> Result<Vec<Rank>> {
        let mut out = Vec::new();
        bpe::encode_piece(&self.vocab, piece, &mut out)?;
        Ok(out)
    }

    /// tiktoken's `_increase_last_piece_token_len`: regex splits around whitespace can move
    /// when text is appended (cl100k's `\s*[\r\n]` turns "\n" + " " into one piece), so the
    /// tokens of the last piece are extended back over the all-whitespace tokens before them.
    fn extend_over_trailing_space(&self, tokens: &[Rank], mut last_len: usize) -> usize {
        let is_all_space = |rank: Option<&Rank>| {
            rank.and_then(|r| self.vocab.token_bytes(*r))
                .is_some_and(|b| b.iter().all(|c| matches!(c, b' ' | b'\n' | b'\t')))
        };
        let n = tokens.len();
        if last_len > 0 && last_len <= n && is_all_space(tokens.get(n - last_len)) {
            while last_len < n && is_all_space(tokens.get(n - last_len - 1)) {
                last_len += 1;
            }
        }
        last_len.min(n)
    }

    /// tiktoken's `_encode_bytes`: encode bytes that may end in invalid UTF-8. The valid prefix
    /// is encoded as text; the tokens of its last piece (extended back over trailing whitespace
    /// tokens, where a regex split could move) are re-merged together with the invalid tail.
    pub fn encode_bytes(&self, bytes: &[u8]) -> Result<Vec<Rank>> {
        let valid_up_to = match std::str::from_utf8(bytes) {
            Ok(text) => return self.encode_ordinary(text),
            Err(e) => e.valid_up_to(),
        };
        let (prefix, tail) = bytes.split_at(valid_up_to);
        let prefix = std::str::from_utf8(prefix).map_err(|e| Error::Regex(e.to_string()))?;
        let (mut tokens, last_len) = self.encode_with_last_piece(prefix, Allowed::None)?;
        let last_len = self.extend_over_trailing_space(&tokens, last_len);
        let mut unstable = Vec::new();
        if last_len > 0 {
            let cut = tokens.len() - last_len;
            unstable = self.decode_bytes(tokens.get(cut..).unwrap_or_default())?;
            tokens.truncate(cut);
        }
        unstable.extend_from_slice(tail);
        if !unstable.is_empty() {
            bpe::encode_piece(&self.vocab, &unstable, &mut tokens)?;
        }
        Ok(tokens)
    }
}

/// A stretch of ordinary text or one allowed special token.
enum Segment<'t> {
    Text(&'t str),
    Special(Rank),
}

/// What [`CoreEncoding::for_each_item`] hands out: a piece of ordinary text (with its probe and
/// the thread's cache of merged pieces), an allowed special token, or the end.
enum Item<'t, 'c> {
    Piece(&'t [u8], Option<&'c Probe>, Option<&'c mut PieceCache>),
    /// The total count of the pieces of the text just before that were not handed out one by
    /// one, their counts being known at once (counting only).
    Known(usize),
    Special(Rank),
    /// After the last piece or special token, with the cache again (to finish merges in flight).
    End(Option<&'c mut PieceCache>),
}

/// Iterator behind [`CoreEncoding::segments`]. Like tiktoken, a special-token match that is not
/// allowed is skipped by looking again one character further, so it stays ordinary text.
struct Segments<'s> {
    encoding: &'s CoreEncoding,
    text: &'s str,
    allowed: Allowed<'s>,
    regex: Option<&'s regex::Regex>,
    start: usize,
    pending: Option<Rank>,
    done: bool,
}

impl<'s> Iterator for Segments<'s> {
    type Item = Segment<'s>;

    fn next(&mut self) -> Option<Segment<'s>> {
        if let Some(rank) = self.pending.take() {
            return Some(Segment::Special(rank));
        }
        if self.done {
            return None;
        }
        let mut search_from = self.start;
        while let Some(regex) = self.regex {
            let Some(found) = regex.find_at(self.text, search_from) else { break };
            let is_allowed = match self.allowed {
                Allowed::All => true,
                Allowed::Some(set) => set.contains(found.as_str()),
                Allowed::None => false,
            };
            let rank = self.encoding.special_ids.get(found.as_str()).copied();
            if let (true, Some(rank)) = (is_allowed, rank) {
                let before = self.text.get(self.start..found.start()).unwrap_or_default();
                self.start = found.end();
                self.pending = Some(rank);
                return Some(Segment::Text(before));
            }
            search_from = found.start() + found.as_str().chars().next().map_or(1, char::len_utf8);
        }
        self.done = true;
        Some(Segment::Text(self.text.get(self.start..).unwrap_or_default()))
    }
}
