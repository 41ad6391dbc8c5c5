#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly
//! The hand-written splitters against fancy-regex (the engine under PyPI tiktoken): the Unicode
//! class of every code point, then pieces on fixtures, on every class in every context, and on
//! random strings. `TOKENIZER_RS_SPLIT_CASES=2000000 cargo test --release --test splitters`
//! runs the long differential.

use tokenizer_rs::encodings::{CL100K_PAT_STR, O200K_PAT_STR, R50K_PAT_STR};
use tokenizer_rs::splitter::Splitter;
use tokenizer_rs::unicode_classes::{class_of, LL, LM, LO, LT, LU, MARK, NUMBER, SPACE};

const PATTERNS: [(&str, &str); 3] =
    [("r50k", R50K_PAT_STR), ("cl100k", CL100K_PAT_STR), ("o200k", O200K_PAT_STR)];

/// Each pattern's name, hand-written splitter and regex splitter.
fn splitter_pairs() -> Vec<(&'static str, Splitter, Splitter)> {
    PATTERNS
        .iter()
        .map(|(name, p)| (*name, Splitter::new(p).unwrap(), Splitter::regex(p).unwrap()))
        .collect()
}

fn pieces(splitter: &Splitter, text: &str) -> Vec<String> {
    splitter.pieces(text).expect("split").into_iter().map(str::to_owned).collect()
}

fn all_chars() -> impl Iterator<Item = char> {
    (0..=0x10FFFFu32).filter_map(char::from_u32)
}

#[test]
fn every_code_point_has_the_regex_class() {
    let classes = [
        (r"\p{Lu}", LU),
        (r"\p{Ll}", LL),
        (r"\p{Lt}", LT),
        (r"\p{Lm}", LM),
        (r"\p{Lo}", LO),
        (r"\p{M}", MARK),
        (r"\p{N}", NUMBER),
        (r"\s", SPACE),
    ];
    for (pattern, bit) in classes {
        let regex = fancy_regex::Regex::new(&format!("^{pattern}$")).unwrap();
        let mut buf = [0u8; 4];
        for c in all_chars() {
            let expected = regex.is_match(c.encode_utf8(&mut buf)).unwrap();
            assert_eq!(class_of(c) & bit != 0, expected, "{pattern} U+{:04X}", c as u32);
        }
    }
}

/// One character per distinct class signature, plus every ASCII character and the characters
/// the patterns name or case-fold (long s, Kelvin sign, curly apostrophe, whitespace kinds).
fn representatives() -> Vec<char> {
    let mut seen = std::collections::HashMap::new();
    for c in all_chars() {
        seen.entry(class_of(c)).or_insert_with(Vec::new).push(c);
    }
    let mut out: Vec<char> = (0u8..0x80).map(char::from).collect();
    for chars in seen.values() {
        // First, last and a middle member of each class.
        out.extend([chars[0], chars[chars.len() / 2], chars[chars.len() - 1]]);
    }
    out.extend(
        "ſKſ’ʼ\u{a0}\u{85}\u{1680}\u{2000}\u{2028}\u{2029}\u{3000}\u{feff}\u{200b}ǅᾈ".chars(),
    );
    out.sort_unstable();
    out.dedup();
    out
}

#[test]
fn every_class_in_every_context() {
    let reps = representatives();
    let contexts = [
        "{}", "'{}", "{}'s", "a{}", "A{}b", " {}", "  {}x", "{}{}", "\n{}", "{} \n", "1{}2",
        "{}'LL", "!{}a",
    ];
    for (name, fast, regex) in splitter_pairs() {
        for &c in &reps {
            for context in contexts {
                let text = context.replace("{}", &c.to_string());
                assert_eq!(pieces(&fast, &text), pieces(&regex, &text), "{name}: {text:?}");
            }
        }
    }
}

#[test]
fn fixtures_split_identically() {
    let texts = [
        include_str!("../fixtures/large_text.txt"),
        include_str!("../fixtures/code.txt"),
        include_str!("../fixtures/multilingual.txt"),
        include_str!("../fixtures/edge_cases.txt"),
    ];
    for (name, fast, regex) in splitter_pairs() {
        for text in texts {
            assert!(pieces(&fast, text) == pieces(&regex, text), "{name}");
            for line in text.split_inclusive('\n') {
                assert_eq!(pieces(&fast, line), pieces(&regex, line), "{name}: {line:?}");
            }
        }
    }
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

/// Cases per randomized test: `TOKENIZER_RS_SPLIT_CASES`, else 20,000.
fn split_cases() -> usize {
    std::env::var("TOKENIZER_RS_SPLIT_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000)
}

#[test]
fn random_strings_split_identically() {
    let cases = split_cases();
    let reps = representatives();
    // Weighted toward what the patterns treat specially.
    let hot: Vec<char> =
        " \t\n\r'’/sStTdDmMlLvVrReEſ0123.,!aZ\u{301}\u{a0}\u{3000}".chars().collect();
    let splitters = splitter_pairs();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..cases {
        let len = rng.below(24);
        let text: String = (0..len)
            .map(|_| {
                if rng.below(2) == 0 {
                    hot[rng.below(hot.len())]
                } else {
                    reps[rng.below(reps.len())]
                }
            })
            .collect();
        for (name, fast, regex) in &splitters {
            assert_eq!(pieces(fast, &text), pieces(regex, &text), "{name}: {text:?}");
        }
    }
}

/// Words of ASCII letters are scanned eight bytes at a time: runs of every length around the
/// multiples of eight, in both cases, ending in every ASCII byte (the neighbours of the letter
/// ranges above all: '@', '[', '`', '{'), in non-ASCII letters, marks and other scripts.
#[test]
fn ascii_letter_runs_split_identically() {
    let cases = split_cases();
    let letters: Vec<char> = ('a'..='z').chain('A'..='Z').collect();
    let enders: Vec<char> =
        (0u8..0x80).map(char::from).chain("éÉſKǅ\u{301}\u{a0}ß日Жж١".chars()).collect();
    let splitters = splitter_pairs();
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for _ in 0..cases {
        let mut text = String::new();
        for _ in 0..1 + rng.below(4) {
            let run = rng.below(26);
            let lower_only = rng.below(2) == 0;
            for _ in 0..run {
                let c = letters[rng.below(letters.len())];
                text.push(if lower_only { c.to_ascii_lowercase() } else { c });
            }
            text.push(enders[rng.below(enders.len())]);
        }
        for (name, fast, regex) in &splitters {
            assert_eq!(pieces(fast, &text), pieces(regex, &text), "{name}: {text:?}");
        }
    }
}

/// Spaces are scanned up to eight at a time in whitespace runs: runs of spaces of every length
/// around the multiples of eight, mixed with the other whitespace kinds (newlines that end a
/// piece, tabs, NBSP, ideographic space), and ended by a letter, digit, punctuation, another
/// script or the end of the text (where fewer than eight bytes are left).
#[test]
fn space_runs_split_identically() {
    let cases = split_cases();
    let others: Vec<&str> =
        vec!["\n", "\r\n", "\t", "\u{a0}", "\u{3000}", "a", "Z", "7", ".", "é", "日", "\u{301}"];
    let splitters = splitter_pairs();
    let mut rng = Rng(0x6A09_E667_F3BC_C908);
    for _ in 0..cases {
        let mut text = String::new();
        for _ in 0..1 + rng.below(4) {
            text.push_str(&" ".repeat(rng.below(20)));
            text.push_str(others[rng.below(others.len())]);
        }
        // Half the texts end in spaces.
        if rng.below(2) == 0 {
            text.push_str(&" ".repeat(rng.below(12)));
        }
        for (name, fast, regex) in &splitters {
            assert_eq!(pieces(fast, &text), pieces(regex, &text), "{name}: {text:?}");
        }
    }
}

/// The o200k scanner settles most pieces from their first two or three ASCII characters before
/// trying the pattern's alternatives in turn (checked for all three scanners): every pair of
/// ASCII characters, followed by each kind of third character (or none) and a fourth that can
/// extend or end the piece.
#[test]
fn ascii_starts_split_identically() {
    let thirds = ["", "a", "Z", "7", " ", "\n", "'", "/", "é", "É", "\u{301}", "日", "\u{a0}"];
    let fourths = ["", "s", "Q", "!"];
    for (name, fast, regex) in splitter_pairs() {
        for b0 in (0u8..0x80).map(char::from) {
            for b1 in (0u8..0x80).map(char::from) {
                for third in thirds {
                    for fourth in fourths {
                        let text = format!("{b0}{b1}{third}{fourth}");
                        assert_eq!(pieces(&fast, &text), pieces(&regex, &text), "{name}: {text:?}");
                    }
                }
            }
        }
    }
}

/// cl100k and o200k split ASCII text 64 bytes at a time (`splitter/blocks.rs`): long texts
/// (64-400 bytes, so that windows start at every kind of piece) dense in what the rules treat
/// specially: apostrophes and contractions in all cases, slashes and newlines after
/// punctuation, runs of spaces, tabs and blank lines, digit runs, case changes, control bytes,
/// and now and then a non-ASCII character where a window is cut.
#[test]
fn ascii_blocks_split_identically() {
    let cases = split_cases();
    let pieces_of_text: Vec<&str> = vec![
        " ", " ", "  ", "    ", "\t", "\n", "\n", "\r\n", "\n\n", "\x0b", "\x0c", "'", "'", "/",
        "//", ".", ",", ";", "(", ")", "{", "}", "\"", "-", "_", "#", "\x00", "\x1c", "\x7f", "s",
        "t", "S", "T", "d", "m", "ll", "LL", "lL", "ve", "VE", "re", "rE", "x", "Q", "ab", "Abc",
        "ABC", "fooBar", "a", "Z", "1", "12", "123", "1234567", "0", "'s", "'T", "'re", "'ll",
        "n't", "é", "日", "\u{a0}", "\u{301}", "ſ",
    ];
    let splitters: Vec<_> =
        splitter_pairs().into_iter().filter(|(name, _, _)| *name != "r50k").collect();
    let mut rng = Rng(0xBB67_AE85_84CA_A73B);
    for case in 0..cases {
        let len = 64 + rng.below(340);
        // One text in four is ASCII only (windows never cut).
        let ascii_only = case % 4 == 0;
        let mut text = String::new();
        while text.len() < len {
            let piece = pieces_of_text[rng.below(pieces_of_text.len())];
            if !ascii_only || piece.is_ascii() {
                text.push_str(piece);
            }
        }
        for (name, fast, regex) in &splitters {
            assert_eq!(pieces(fast, &text), pieces(regex, &text), "{name}: {text:?}");
        }
    }
}
