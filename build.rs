#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // a build script fails loudly on bad vocabularies
//! Turns the vocabularies that tiktoken-rs embeds into compact static tables in OUT_DIR:
//! `<name>.bytes` (every token's bytes, concatenated in rank order) and `<name>.offsets`
//! (little-endian u32 start offsets, one per rank plus the end). The core maps these with
//! `include_bytes!`, so a process pays nothing to parse base64 at run time and only touches the
//! pages it uses. Special tokens are not part of these tables: they are defined in
//! src/encodings.rs exactly as PyPI tiktoken defines them.

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use tiktoken_rs::CoreBPE;

fn write_tables(out_dir: &Path, name: &str, bpe: &CoreBPE, rank_end: u32) {
    let special_ids: HashSet<u32> =
        bpe.special_tokens().into_iter().flat_map(|s| bpe.encode_with_special_tokens(s)).collect();
    let mut bytes = Vec::new();
    let mut offsets = Vec::new();
    for rank in 0..rank_end {
        offsets.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        // A special token's id is a gap in the mergeable ranks (p50k_base has one at 50256):
        // an empty range, which the core reads as "no such mergeable token".
        if !special_ids.contains(&rank) {
            let token =
                bpe.decode_bytes(&[rank]).unwrap_or_else(|_| panic!("{name}: no rank {rank}"));
            bytes.extend_from_slice(&token);
        }
    }
    // One past the end must not be an ordinary token, or rank_end is wrong.
    let next = bpe.decode_bytes(&[rank_end]);
    assert!(next.is_err() || special_ids.contains(&rank_end), "{name}: more than {rank_end} ranks");
    offsets.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    fs::write(out_dir.join(format!("{name}.bytes")), bytes).expect("write bytes table");
    fs::write(out_dir.join(format!("{name}.offsets")), offsets).expect("write offsets table");
}

/// Bits of the character classes the split patterns use (src/unicode_classes.rs reads them).
const CLASSES: [(&str, u8); 8] = [
    (r"\p{Lu}", 1),
    (r"\p{Ll}", 2),
    (r"\p{Lt}", 4),
    (r"\p{Lm}", 8),
    (r"\p{Lo}", 16),
    (r"\p{M}", 32),
    (r"\p{N}", 64),
    (r"\s", 128),
];

/// A two-level table code point -> class bits: `STAGE1[cp >> 8]` picks a 256-entry block of
/// `STAGE2`; identical blocks are stored once (about 40 KB instead of 1.1 MB).
fn write_class_tables(out_dir: &Path) {
    let mut bits = vec![0u8; 0x11_0000];
    for (pattern, bit) in CLASSES {
        let hir = regex_syntax::Parser::new().parse(pattern).expect("class parses");
        let regex_syntax::hir::HirKind::Class(regex_syntax::hir::Class::Unicode(class)) =
            hir.kind()
        else {
            panic!("{pattern} is not a Unicode class")
        };
        for range in class.ranges() {
            for bits_of_cp in &mut bits[range.start() as usize..=range.end() as usize] {
                *bits_of_cp |= bit;
            }
        }
    }
    let mut blocks: Vec<&[u8]> = Vec::new();
    let mut stage1 = Vec::new();
    for block in bits.chunks(256) {
        let index = blocks.iter().position(|b| *b == block).unwrap_or_else(|| {
            blocks.push(block);
            blocks.len() - 1
        });
        stage1.push(index as u16);
    }
    let stage2: Vec<u8> = blocks.concat();
    let source = format!(
        "/// Block index per 256 code points.\npub static STAGE1: [u16; {}] = {:?};\n/// Class bits, blocks of 256.\npub static STAGE2: [u8; {}] = {:?};\n",
        stage1.len(),
        stage1,
        stage2.len(),
        stage2
    );
    fs::write(out_dir.join("unicode_classes.rs"), source).expect("write class tables");
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let out_dir = std::env::var("OUT_DIR").expect("OUT_DIR is set by cargo");
    let out_dir = Path::new(&out_dir);
    write_class_tables(out_dir);
    // p50k_edit and o200k_harmony share the ranks of p50k_base and o200k_base; gpt2 those of r50k.
    write_tables(out_dir, "r50k_base", &tiktoken_rs::r50k_base().expect("r50k"), 50256);
    write_tables(out_dir, "p50k_base", &tiktoken_rs::p50k_base().expect("p50k"), 50281);
    write_tables(out_dir, "cl100k_base", &tiktoken_rs::cl100k_base().expect("cl100k"), 100256);
    write_tables(out_dir, "o200k_base", &tiktoken_rs::o200k_base().expect("o200k"), 199998);
}
