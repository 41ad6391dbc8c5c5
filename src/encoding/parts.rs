//! A long text counted or encoded in parts, taken in turn by this thread and the pool's, cut
//! only where the text provably splits into the same pieces as its two sides would alone.
//!
//! Why: one call counts one text on one core, and the machines measured have more. A fresh
//! ~46 KB chunk of the multilingual bench file (o200k), counted as `benches/compare.py` does (in
//! turn with tiktoken), took 1.17-1.26 ms per 10k tokens on one thread and 0.98-1.09 ms in parts
//! on two; the same chunk counted again and again took 169-202 us on one thread, 89-95 us on two.
//!
//! Waking a sleeping pool thread took 20-45 us here, and the caller, put to sleep until that
//! thread was done, woke 20-60 us after it had (a throwaway timing of an empty job). Two fixed
//! halves therefore gained little on text under 16 KB and lost on 8 KB. So the text is cut into
//! parts of about [`PART_BYTES`] that each thread takes in turn (a late thread takes fewer), the
//! caller spins for a moment when it runs out of parts instead of sleeping, and texts under
//! [`MIN_TEXT_BYTES`] are counted in one pass.
//!
//! Where a cut may go ([`CutRule`]): right after a `\n`, before a character that is neither
//! white space nor `/`; for r50k/p50k only after a lone `\n` (a character other than white space
//! before it). Why the text then splits into the same pieces as its two sides alone:
//! - every piece that holds that `\n` ends right after it: only white-space pieces and the
//!   punctuation piece (`[^\s\p{L}\p{N}]+` then `[\r\n]*`, or `[\r\n/]*` in o200k) can hold a
//!   `\n`, and neither can go on into the next character;
//! - before the cut, no alternative that is tried reads past the `\n`, and those that read up to
//!   it see the same there (a character that ends their run, or the end of the text), except the
//!   white-space alternatives that look at what follows a run: `\s++$` and `\s+(?!\S)`. In
//!   cl100k and o200k a run that ends in `\n` is taken whole by `\s*[\r\n]` (`\s*[\r\n]+`)
//!   or by `\s++$`, the same characters either way. r50k has no such alternative: it splits
//!   `"  \n"` before a letter into `"  "` and `"\n"` but keeps it whole at the end of a text,
//!   so there the `\n` must be alone;
//! - the patterns have no look-behind, so the pieces from the cut on depend only on what follows;
//! - no special token of an encoding cut this way holds a `\n` (`CoreEncoding::new` checks),
//!   so none can straddle the cut.
//!
//! `tests::cuts_split_as_the_regex_does` checks this against the regex of each family, and that
//! the cl100k rule would be wrong for r50k. A text without a place to cut (no line breaks; for
//! r50k/p50k, only blank lines or `\r\n` line ends) is counted in one pass, as before.
//!
//! Encoding takes the same parts and concatenates their tokens in order (`CoreEncoding::encode`
//! and `encode_ordinary`); the text's last piece is the last part's.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rayon::ThreadPool;

use crate::error::Result;
use crate::splitter::Splitter;
use crate::thread_pool;
use crate::unicode_classes::{class_of, SPACE};
use crate::vocab::Rank;

/// Texts shorter than this, their non-ASCII bytes counted twice, are counted in one pass
/// ([`long_enough`]).
pub(crate) const MIN_TEXT_BYTES: usize = 24 * 1024;

/// What a part aims at. Each thread takes the next part when it is done with one, so when the
/// pool's thread starts late (waking it took 20-45 us here), the caller has counted more parts
/// by then and both end close together; a part's own costs (a call of the one-pass count) stay
/// small at this size.
const PART_BYTES: usize = 4 * 1024;

/// How long the caller, out of parts, spins for the pool's threads to finish theirs before it
/// sleeps until they do: woken from sleep, it went on 20-60 us after they had finished.
const SPIN_LIMIT: Duration = Duration::from_micros(300);

/// `work` on each part of `text`, on this thread and the pool's (`warm` once first, on this
/// thread), the results in the parts' order, if `text` is long enough, has cuts, and the pool
/// has more than one thread and is idle ([`thread_pool::idle`]); `None` otherwise.
pub(crate) fn in_parts<T: Send + Sync>(
    text: &str,
    rule: CutRule,
    warm: impl FnOnce(),
    work: impl Fn(&str) -> Result<T> + Sync,
) -> Option<Result<Vec<T>>> {
    if rule == CutRule::Never || !long_enough(text) {
        return None;
    }
    let (pool, threads) = thread_pool::idle()?;
    if threads < 2 {
        return None;
    }
    let parts = parts_of(text, &cuts(text, rule, text.len() / PART_BYTES));
    if parts.len() < 2 {
        return None;
    }
    warm();
    Some(work_on_parts(&pool, threads, &parts, work))
}

/// Whether `text` is long enough to be worth cutting: [`MIN_TEXT_BYTES`], its non-ASCII bytes
/// counted twice. Measured with a throwaway build that cut from 4 KB (fresh slices of the bench
/// files, o200k, ratio to tiktoken in turn, a process on one thread against one on two, two
/// rounds): English lost in parts at 12 KB (5.90x / 5.43x on one thread -> 3.54x / 4.28x) and
/// 16 KB, was level at 24 KB and gained at 40 KB (6.27x / 6.02x -> 7.52x / 7.21x); the
/// multilingual file, whose bytes cost about three times as much, gained from 12 KB (3.13x /
/// 3.21x -> 3.57x / 4.07x) and was level at 8 KB.
fn long_enough(text: &str) -> bool {
    if text.len() >= MIN_TEXT_BYTES {
        return true;
    }
    if text.len() < MIN_TEXT_BYTES / 2 {
        return false;
    }
    let non_ascii = text.bytes().filter(|&b| b >= 0x80).count();
    text.len() + non_ascii >= MIN_TEXT_BYTES
}

/// `work` on each of `parts`, taken in turn by this thread and `threads - 1` of the pool's; the
/// results in the parts' order, or the error of the first part that fails.
pub(crate) fn work_on_parts<T: Send + Sync>(
    pool: &ThreadPool,
    threads: usize,
    parts: &[&str],
    work: impl Fn(&str) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    let next = AtomicUsize::new(0);
    // Each part is taken by one thread, which sets its slot once.
    let results: Vec<OnceLock<Result<T>>> = parts.iter().map(|_| OnceLock::new()).collect();
    let helpers = threads.saturating_sub(1).min(parts.len().saturating_sub(1));
    let unfinished = AtomicUsize::new(helpers);
    let take_parts = || {
        let mut index = next.fetch_add(1, Ordering::Relaxed);
        while let (Some(part), Some(slot)) = (parts.get(index), results.get(index)) {
            // Cannot be set already: `index` was handed out once.
            let _ = slot.set(work(part));
            index = next.fetch_add(1, Ordering::Relaxed);
        }
    };
    pool.in_place_scope(|scope| {
        for _ in 0..helpers {
            scope.spawn(|_| {
                take_parts();
                unfinished.fetch_sub(1, Ordering::Release);
            });
        }
        take_parts();
        let start = Instant::now();
        while unfinished.load(Ordering::Acquire) > 0 && start.elapsed() < SPIN_LIMIT {
            std::hint::spin_loop();
        }
    });
    // The scope has joined every thread, so every slot is set; `work` here only keeps a slot
    // left empty by a bug from becoming a panic.
    parts
        .iter()
        .zip(results)
        .map(|(part, slot)| slot.into_inner().unwrap_or_else(|| work(part)))
        .collect()
}

/// Up to `parts - 1` cut positions, ascending: for each of the even split points, the first cut
/// at or after it and before the next one. Fewer where a stretch has none.
pub(crate) fn cuts(text: &str, rule: CutRule, parts: usize) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    for i in 1..parts {
        let from = text.len() / parts * i;
        let to = (text.len() / parts * (i + 1)).min(text.len());
        let mut at = from;
        while let Some(offset) = bytes.get(at..to).and_then(|s| s.iter().position(|&b| b == b'\n'))
        {
            let after = at + offset + 1;
            if rule.allows(text, after) {
                found.push(after);
                break;
            }
            at = after;
        }
    }
    found
}

/// Where an encoding's texts may be cut (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum CutRule {
    /// A pattern of our own choosing, or a special token with a `\n` in it: nowhere.
    Never,
    /// r50k/p50k: after a `\n` with a character other than white space before it.
    AfterLoneLineBreak,
    /// cl100k and o200k: after any `\n`.
    AfterLineBreak,
}

impl CutRule {
    pub(crate) fn of(splitter: &Splitter, special_tokens: &[(String, Rank)]) -> Self {
        if special_tokens.iter().any(|(token, _)| token.contains('\n')) {
            return CutRule::Never;
        }
        match splitter {
            Splitter::Regex(_) => CutRule::Never,
            Splitter::R50k => CutRule::AfterLoneLineBreak,
            Splitter::Cl100k | Splitter::O200k => CutRule::AfterLineBreak,
        }
    }

    /// Whether `text` may be cut at `at`: right after a `\n` (alone, for r50k), before a
    /// character that is neither white space nor `/`.
    pub(crate) fn allows(self, text: &str, at: usize) -> bool {
        let (Some(before), Some(after)) = (text.get(..at), text.get(at..)) else { return false };
        let mut back = before.chars().rev();
        let (Some('\n'), Some(next)) = (back.next(), after.chars().next()) else { return false };
        let next_ok = class_of(next) & SPACE == 0 && next != '/';
        match self {
            CutRule::Never => false,
            CutRule::AfterLineBreak => next_ok,
            CutRule::AfterLoneLineBreak => {
                next_ok && back.next().is_some_and(|previous| class_of(previous) & SPACE == 0)
            }
        }
    }
}

/// `text` cut at `cuts` (ascending, inside the text).
fn parts_of<'t>(text: &'t str, cuts: &[usize]) -> Vec<&'t str> {
    let mut parts = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for &cut in cuts {
        if let Some(part) = text.get(start..cut) {
            parts.push(part);
            start = cut;
        }
    }
    parts.push(text.get(start..).unwrap_or_default());
    parts
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::encoding::Allowed;
    use crate::encodings::{get_encoding, CL100K_PAT_STR, O200K_PAT_STR, R50K_PAT_STR};
    use crate::splitter::Splitter;
    use crate::test_rng::{cases_from_env, TestRng};

    fn pieces<'t>(splitter: &Splitter, text: &'t str) -> Vec<&'t str> {
        splitter.pieces(text).unwrap()
    }

    /// Text around line breaks: white space of several kinds before and after them, `/`,
    /// punctuation runs that end in `\n`, contractions, letters with marks, digits, CJK.
    fn random_text(rng: &mut TestRng) -> String {
        const BITS: [&str; 27] = [
            "\n", "\n", "\n", "\r\n", "\r", " ", "  ", "\t", "\u{a0}", "\u{3000}", "\u{85}", "/",
            "//", "!", "?!", ".", "'s", "'LL", "a", "Ab", "word", "é", "e\u{301}", "12", "1234",
            "日本", "\u{2028}",
        ];
        let len = rng.below(24) + 1;
        (0..len).map(|_| BITS[rng.below(BITS.len())]).collect()
    }

    /// Every place `rule` allows a cut in `text`.
    fn allowed_cuts(rule: CutRule, text: &str) -> Vec<usize> {
        (1..text.len()).filter(|&at| rule.allows(text, at)).collect()
    }

    /// Whether `text` splits into the same pieces as its two sides at every cut in `cuts`.
    fn splits_alike(
        regex: &Splitter,
        text: &str,
        cuts: &[usize],
    ) -> std::result::Result<(), String> {
        let whole = pieces(regex, text);
        for &at in cuts {
            let mut joined = pieces(regex, &text[..at]);
            joined.extend(pieces(regex, &text[at..]));
            if joined != whole {
                return Err(format!("{text:?} cut at {at}: {joined:?} against {whole:?}"));
            }
        }
        Ok(())
    }

    #[test]
    fn cuts_split_as_the_regex_does() {
        let cases = cases_from_env("TOKENIZER_RS_CUT_CASES", 20_000);
        let mut rng = TestRng(0x5eed_c475);
        let families = [
            (R50K_PAT_STR, CutRule::AfterLoneLineBreak),
            (CL100K_PAT_STR, CutRule::AfterLineBreak),
            (O200K_PAT_STR, CutRule::AfterLineBreak),
        ];
        for (pat, rule) in families {
            let regex = Splitter::regex(pat).unwrap();
            let mut checked = 0;
            for _ in 0..cases {
                let text = random_text(&mut rng);
                let cuts = allowed_cuts(rule, &text);
                if let Err(wrong) = splits_alike(&regex, &text, &cuts) {
                    panic!("{pat}: {wrong}");
                }
                checked += cuts.len();
            }
            // The check must not be vacuous: most texts have a cut.
            assert!(checked > cases / 4, "{pat}: only {checked} cuts in {cases} texts");
        }
        // Why r50k needs the lone `\n`: after white space, its pieces change at the cut.
        let r50k = Splitter::regex(R50K_PAT_STR).unwrap();
        let text = "a  \nb";
        assert_eq!(allowed_cuts(CutRule::AfterLineBreak, text), [4]);
        assert!(splits_alike(&r50k, text, &[4]).is_err());
        assert!(allowed_cuts(CutRule::AfterLoneLineBreak, text).is_empty());
    }

    #[test]
    fn cut_positions() {
        use CutRule::*;
        for rule in [AfterLoneLineBreak, AfterLineBreak] {
            assert!(rule.allows("a\nb", 2));
            assert!(rule.allows("a.\n日", 3));
            for (text, at) in [("a\n b", 2), ("a\n/b", 2), ("a\nb", 1), ("a\n", 2), ("ab", 1)] {
                assert!(!rule.allows(text, at), "{rule:?}: {text:?} at {at}");
            }
        }
        for (text, at) in [("a \nb", 3), ("a\r\nb", 3), ("a\n\nb", 3), ("\nb", 1)] {
            assert!(AfterLineBreak.allows(text, at) && !AfterLoneLineBreak.allows(text, at));
        }
        assert!(!Never.allows("a\nb", 2));
        let text = "x\ny".repeat(100);
        let found = cuts(&text, AfterLineBreak, 4);
        assert_eq!(found.len(), 3);
        assert!(found.windows(2).all(|w| w[0] < w[1]));
        assert!(found.iter().all(|&c| AfterLineBreak.allows(&text, c)));
        assert!(cuts("no line breaks at all", AfterLineBreak, 4).is_empty());
    }

    #[test]
    fn non_ascii_text_is_cut_from_half_the_length() {
        let ascii = |n: usize| "a".repeat(n);
        assert!(long_enough(&ascii(MIN_TEXT_BYTES)));
        assert!(!long_enough(&ascii(MIN_TEXT_BYTES - 1)));
        // Three bytes each, counted twice: 12 KiB of them is enough, just under is not.
        let cjk = |chars: usize| "日".repeat(chars);
        assert!(long_enough(&cjk(MIN_TEXT_BYTES / 6)));
        assert!(!long_enough(&cjk(MIN_TEXT_BYTES / 6 - 1)));
        // Half ASCII, half CJK: 16 KiB in all counts as 24.
        let mixed = ascii(MIN_TEXT_BYTES / 3 - 2) + &cjk(MIN_TEXT_BYTES / 9 + 1);
        assert_eq!(mixed.len() + (MIN_TEXT_BYTES / 9 + 1) * 3, MIN_TEXT_BYTES);
        assert!(long_enough(&mixed));
        assert!(!long_enough(&mixed[1..]));
    }

    #[test]
    fn counts_in_parts_equal_one_pass() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut texts: Vec<String> =
            ["multilingual.txt", "code.txt", "edge_cases.txt", "large_text.txt"]
                .iter()
                .map(|f| std::fs::read_to_string(root.join(f)).unwrap())
                .collect();
        texts.push(texts.concat().replace("\n\n", "\n<|endoftext|>\n"));
        let mut cut_texts = 0;
        for name in ["gpt2", "cl100k_base", "o200k_base"] {
            let encoding = get_encoding(name).unwrap();
            let rule = encoding.cut_rule();
            assert_ne!(rule, CutRule::Never);
            for text in &texts {
                for allowed in [Allowed::All, Allowed::None] {
                    let one_pass = encoding.count_in_one_pass(text, allowed).unwrap();
                    for parts in [2, 3, 7, 40] {
                        let cuts = cuts(text, rule, parts);
                        cut_texts += usize::from(!cuts.is_empty());
                        let counted = work_on_parts(&pool, 3, &parts_of(text, &cuts), |part| {
                            encoding.count_in_one_pass(part, allowed)
                        });
                        assert_eq!(
                            counted.unwrap().iter().sum::<usize>(),
                            one_pass,
                            "{name}, {parts} parts"
                        );
                    }
                }
            }
        }
        // 3 encodings x 5 texts x 2 special-token modes x 4 ways to cut; a few have no cut.
        assert!(cut_texts > 80, "only {cut_texts} cut texts");
    }
}
