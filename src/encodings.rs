//! The built-in encodings, defined exactly as PyPI tiktoken 0.14 defines them
//! (`tiktoken_ext/openai_public.py`), each compiled lazily once per process on first use.
//! Encodings that share ranks share one [`Vocab`] (gpt2/r50k, p50k/p50k_edit, o200k/harmony).

use std::sync::{Arc, OnceLock};

use crate::encoding::CoreEncoding;
use crate::error::{Error, Result};
use crate::vocab::{Rank, Vocab};

const ENDOFTEXT: &str = "<|endoftext|>";
const FIM_PREFIX: &str = "<|fim_prefix|>";
const FIM_MIDDLE: &str = "<|fim_middle|>";
const FIM_SUFFIX: &str = "<|fim_suffix|>";
const ENDOFPROMPT: &str = "<|endofprompt|>";

/// gpt2, r50k_base, p50k_base, p50k_edit.
pub const R50K_PAT_STR: &str =
    r"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s";

pub const CL100K_PAT_STR: &str = r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s";

pub const O200K_PAT_STR: &str = concat!(
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    "|",
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    "|",
    r"\p{N}{1,3}",
    "|",
    r" ?[^\s\p{L}\p{N}]+[\r\n/]*",
    "|",
    r"\s*[\r\n]+",
    "|",
    r"\s+(?!\S)",
    "|",
    r"\s+",
);

/// Names of the built-in encodings, in tiktoken's order.
pub const ENCODING_NAMES: [&str; 7] =
    ["gpt2", "r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base", "o200k_harmony"];

/// The rank tables build.rs generated from tiktoken-rs.
#[derive(Clone, Copy)]
enum Table {
    R50k,
    P50k,
    Cl100k,
    O200k,
}

macro_rules! table_bytes {
    ($name:literal) => {
        (
            include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".bytes")).as_slice(),
            include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".offsets")).as_slice(),
        )
    };
}

fn vocab(table: Table) -> Result<Arc<Vocab>> {
    static CELLS: [OnceLock<std::result::Result<Arc<Vocab>, Error>>; 4] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let (cell, (bytes, offsets)) = match table {
        Table::R50k => (&CELLS[0], table_bytes!("r50k_base")),
        Table::P50k => (&CELLS[1], table_bytes!("p50k_base")),
        Table::Cl100k => (&CELLS[2], table_bytes!("cl100k_base")),
        Table::O200k => (&CELLS[3], table_bytes!("o200k_base")),
    };
    cell.get_or_init(|| Vocab::from_static(bytes, offsets).map(Arc::new)).clone()
}

fn specials(pairs: &[(&str, Rank)]) -> Vec<(String, Rank)> {
    pairs.iter().map(|(s, r)| ((*s).to_owned(), *r)).collect()
}

/// A built-in encoding: its pattern, its ranks, its special tokens in tiktoken's order.
type Definition = (&'static str, Table, Vec<(String, Rank)>);

/// The definition of a built-in encoding.
fn definition(name: &str) -> Option<Definition> {
    Some(match name {
        "gpt2" | "r50k_base" => (R50K_PAT_STR, Table::R50k, specials(&[(ENDOFTEXT, 50256)])),
        "p50k_base" => (R50K_PAT_STR, Table::P50k, specials(&[(ENDOFTEXT, 50256)])),
        "p50k_edit" => (
            R50K_PAT_STR,
            Table::P50k,
            specials(&[
                (ENDOFTEXT, 50256),
                (FIM_PREFIX, 50281),
                (FIM_MIDDLE, 50282),
                (FIM_SUFFIX, 50283),
            ]),
        ),
        "cl100k_base" => (
            CL100K_PAT_STR,
            Table::Cl100k,
            specials(&[
                (ENDOFTEXT, 100257),
                (FIM_PREFIX, 100258),
                (FIM_MIDDLE, 100259),
                (FIM_SUFFIX, 100260),
                (ENDOFPROMPT, 100276),
            ]),
        ),
        "o200k_base" => {
            (O200K_PAT_STR, Table::O200k, specials(&[(ENDOFTEXT, 199999), (ENDOFPROMPT, 200018)]))
        }
        "o200k_harmony" => {
            // o200k_base's specials, then harmony's; "<|endofprompt|>" and "<|reserved_200018|>"
            // share id 200018, exactly as in tiktoken.
            let mut tokens = specials(&[
                (ENDOFTEXT, 199999),
                (ENDOFPROMPT, 200018),
                ("<|startoftext|>", 199998),
                ("<|reserved_200000|>", 200000),
                ("<|reserved_200001|>", 200001),
                ("<|return|>", 200002),
                ("<|constrain|>", 200003),
                ("<|reserved_200004|>", 200004),
                ("<|channel|>", 200005),
                ("<|start|>", 200006),
                ("<|end|>", 200007),
                ("<|message|>", 200008),
                ("<|reserved_200009|>", 200009),
                ("<|reserved_200010|>", 200010),
                ("<|reserved_200011|>", 200011),
                ("<|call|>", 200012),
            ]);
            tokens.extend((200_013..201_088).map(|i| (format!("<|reserved_{i}|>"), i)));
            (O200K_PAT_STR, Table::O200k, tokens)
        }
        _ => return None,
    })
}

/// A built-in encoding by name, compiled on first use and shared for the life of the process.
pub fn get_encoding(name: &str) -> Result<&'static CoreEncoding> {
    static CELLS: [OnceLock<std::result::Result<CoreEncoding, Error>>; 7] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let unknown = || Error::UnknownEncoding(name.to_owned(), ENCODING_NAMES.join(", "));
    let index = ENCODING_NAMES.iter().position(|n| *n == name).ok_or_else(unknown)?;
    let cell = CELLS.get(index).ok_or_else(unknown)?;
    cell.get_or_init(|| {
        let (pat_str, table, special_tokens) = definition(name).ok_or_else(unknown)?;
        CoreEncoding::new(name, pat_str, vocab(table)?, &special_tokens)
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// The `explicit_n_vocab` tiktoken checks for some encodings (None where it sets none).
pub fn explicit_n_vocab(name: &str) -> Option<usize> {
    match name {
        "gpt2" | "r50k_base" => Some(50257),
        "p50k_base" => Some(50281),
        _ => None,
    }
}
