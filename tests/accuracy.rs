#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // tests fail loudly
//! `cargo test accuracy`: the core against the tiktoken-rs reference BPE on real text, plus known
//! token ids, round trips and count == encode length.

use tokenizer_rs::{count_tokens, count_tokens_batch, get_encoding, Allowed, Error};

const FIXTURES: [&str; 4] = [
    include_str!("../fixtures/large_text.txt"),
    include_str!("../fixtures/code.txt"),
    include_str!("../fixtures/multilingual.txt"),
    include_str!("../fixtures/edge_cases.txt"),
];

fn reference(name: &str) -> tiktoken_rs::CoreBPE {
    match name {
        "r50k_base" => tiktoken_rs::r50k_base(),
        "p50k_base" => tiktoken_rs::p50k_base(),
        "p50k_edit" => tiktoken_rs::p50k_edit(),
        "cl100k_base" => tiktoken_rs::cl100k_base(),
        "o200k_base" => tiktoken_rs::o200k_base(),
        other => panic!("no reference for {other}"),
    }
    .expect("reference encoding")
}

fn samples() -> Vec<&'static str> {
    let mut out: Vec<&str> = FIXTURES.to_vec();
    for text in FIXTURES {
        out.extend(text.split_inclusive('\n'));
    }
    out
}

#[test]
fn accuracy_matches_tiktoken_rs_on_fixtures() {
    for name in ["r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base"] {
        let ours = get_encoding(name).unwrap();
        let reference = reference(name);
        for text in samples() {
            let expected = reference.encode_ordinary(text);
            assert_eq!(ours.encode_ordinary(text).unwrap(), expected, "{name}: {text:.60}");
            let expected_all = reference.encode_with_special_tokens(text);
            assert_eq!(ours.encode(text, Allowed::All).unwrap(), expected_all, "{name}");
            assert_eq!(ours.count(text, Allowed::All).unwrap(), expected_all.len());
            assert_eq!(ours.count_ordinary(text).unwrap(), expected.len());
        }
    }
}

#[test]
fn accuracy_known_token_ids() {
    let cl100k = get_encoding("cl100k_base").unwrap();
    assert_eq!(cl100k.encode_ordinary("hello world").unwrap(), vec![15339, 1917]);
    assert_eq!(cl100k.encode("<|endoftext|>", Allowed::All).unwrap(), vec![100257]);
    let gpt2 = get_encoding("gpt2").unwrap();
    assert_eq!(gpt2.encode_ordinary("hello world").unwrap(), vec![31373, 995]);
    let o200k = get_encoding("o200k_base").unwrap();
    assert_eq!(o200k.encode_ordinary("hello world").unwrap(), vec![24912, 2375]);
    let harmony = get_encoding("o200k_harmony").unwrap();
    assert_eq!(harmony.encode("<|start|>", Allowed::All).unwrap(), vec![200006]);
    assert_eq!(harmony.n_vocab(), 201_088);
    assert_eq!(cl100k.n_vocab(), 100_277);
}

#[test]
fn accuracy_round_trips() {
    for name in tokenizer_rs::ENCODING_NAMES {
        let encoding = get_encoding(name).unwrap();
        for text in FIXTURES {
            let tokens = encoding.encode_ordinary(text).unwrap();
            assert!(encoding.decode_bytes(&tokens).unwrap() == text.as_bytes(), "{name}");
            // o200k_harmony's "<|reserved_200018|>" shares its id with "<|endofprompt|>" and so
            // decodes to the latter (as in tiktoken): no special-token round trip there.
            if name != "o200k_harmony" {
                let tokens = encoding.encode(text, Allowed::All).unwrap();
                assert!(encoding.decode_bytes(&tokens).unwrap() == text.as_bytes(), "{name}");
            }
        }
    }
}

#[test]
fn accuracy_batch_equals_single() {
    let texts: Vec<&str> = samples();
    let batch = count_tokens_batch(&texts, "gpt-4o").unwrap();
    let single: Vec<usize> = texts.iter().map(|t| count_tokens(t, "gpt-4o").unwrap()).collect();
    assert_eq!(batch, single);
}

#[test]
fn accuracy_long_runs_are_linear_enough_to_finish() {
    // The quadratic merge would take minutes on this in a debug build.
    let text = "x".repeat(200_000);
    let encoding = get_encoding("cl100k_base").unwrap();
    let tokens = encoding.encode_ordinary(&text).unwrap();
    assert_eq!(encoding.decode_bytes(&tokens).unwrap(), text.as_bytes());
    assert_eq!(encoding.count_ordinary(&text).unwrap(), tokens.len());
}

#[test]
fn accuracy_errors() {
    assert!(matches!(count_tokens("x", "no-such-model"), Err(Error::UnknownModel(_))));
    assert!(matches!(get_encoding("nope"), Err(Error::UnknownEncoding(..))));
    let encoding = get_encoding("cl100k_base").unwrap();
    assert!(matches!(encoding.decode_bytes(&[100_256]), Err(Error::InvalidToken(100_256))));
    assert!(encoding.encode_single_token(b"not one token at all").is_err());
}
