//! A short queue between the splitter and BPE that prefetches each piece's table line as the
//! piece is split, and looks the piece up a few pieces later, when the line has arrived.
//!
//! Counting text never seen before waits on memory: most pieces are found by one lookup at a
//! random place in a table of several MB. Done one by one, each lookup waits for its line in
//! turn; with the line requested [`DEPTH`] pieces ahead, the waits overlap with splitting and
//! with each other.

use crate::vocab::{Probe, Vocab};

/// How many pieces are in flight. A memory access takes about as long as splitting a few
/// pieces; on cold English (`cargo bench --bench corpus -- english/o200k_base --cold`) a
/// depth of 4 was 5% slower than 8, and 16 the same as 8.
const DEPTH: usize = 8;

pub(crate) struct Lookahead<'t> {
    pieces: [(&'t [u8], Option<Probe>); DEPTH],
    /// Index of the oldest piece.
    head: usize,
    len: usize,
}

impl<'t> Lookahead<'t> {
    pub(crate) fn new() -> Self {
        Lookahead { pieces: [(&[], None); DEPTH], head: 0, len: 0 }
    }

    /// Queues `piece` (prefetching its line) and returns the oldest piece once the queue is
    /// full, with its probe.
    #[inline(always)]
    pub(crate) fn push(
        &mut self,
        vocab: &Vocab,
        piece: &'t [u8],
    ) -> Option<(&'t [u8], Option<Probe>)> {
        let entry = (piece, vocab.prefetch(piece));
        if self.len < DEPTH {
            if let Some(slot) = self.pieces.get_mut((self.head + self.len) % DEPTH) {
                *slot = entry;
            }
            self.len += 1;
            return None;
        }
        let slot = self.pieces.get_mut(self.head)?;
        let oldest = std::mem::replace(slot, entry);
        self.head = (self.head + 1) % DEPTH;
        Some(oldest)
    }

    /// The probe of the piece queued last, if it has one.
    #[inline(always)]
    pub(crate) fn newest_probe(&self) -> Option<&Probe> {
        let newest = (self.head + self.len + DEPTH - 1) % DEPTH;
        self.pieces.get(newest).and_then(|(_, probe)| probe.as_ref())
    }

    /// The oldest queued piece, removed (for draining at the end).
    #[inline(always)]
    pub(crate) fn pop(&mut self) -> Option<(&'t [u8], Option<Probe>)> {
        if self.len == 0 {
            return None;
        }
        let oldest = *self.pieces.get(self.head)?;
        self.head = (self.head + 1) % DEPTH;
        self.len -= 1;
        Some(oldest)
    }
}
