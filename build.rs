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
    let special_ids: HashSet<u32> = bpe
        .special_tokens()
        .into_iter()
        .flat_map(|s| bpe.encode_with_special_tokens(s))
        .collect();
    let mut bytes = Vec::new();
    let mut offsets = Vec::new();
    for rank in 0..rank_end {
        offsets.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        // A special token's id is a gap in the mergeable ranks (p50k_base has one at 50256):
        // an empty range, which the core reads as "no such mergeable token".
        if !special_ids.contains(&rank) {
            let token = bpe.decode_bytes(&[rank]).unwrap_or_else(|_| panic!("{name}: no rank {rank}"));
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

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let out_dir = std::env::var("OUT_DIR").expect("OUT_DIR is set by cargo");
    let out_dir = Path::new(&out_dir);
    // p50k_edit and o200k_harmony share the ranks of p50k_base and o200k_base; gpt2 those of r50k.
    write_tables(out_dir, "r50k_base", &tiktoken_rs::r50k_base().expect("r50k"), 50256);
    write_tables(out_dir, "p50k_base", &tiktoken_rs::p50k_base().expect("p50k"), 50281);
    write_tables(out_dir, "cl100k_base", &tiktoken_rs::cl100k_base().expect("cl100k"), 100256);
    write_tables(out_dir, "o200k_base", &tiktoken_rs::o200k_base().expect("o200k"), 199998);
}
