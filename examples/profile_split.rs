use std::time::Instant;
fn main() {
    let text = include_str!("../fixtures/large_text.txt").repeat(4);
    for (name, pat) in [("cl100k", tokenizer_rs::encodings::CL100K_PAT_STR), ("o200k", tokenizer_rs::encodings::O200K_PAT_STR)] {
        let re = fancy_regex::Regex::new(pat).unwrap();
        let t = Instant::now();
        let mut n = 0;
        for _ in 0..5 { for m in re.find_iter(&text) { m.unwrap(); n += 1; } }
        let split = t.elapsed().as_secs_f64() / 5.0;
        let enc = tokenizer_rs::get_encoding(if name == "cl100k" { "cl100k_base" } else { "o200k_base" }).unwrap();
        let t = Instant::now();
        let mut c = 0;
        for _ in 0..5 { c = enc.count(&text, tokenizer_rs::Allowed::All).unwrap(); }
        let all = t.elapsed().as_secs_f64() / 5.0;
        println!("{name}: pieces {} tokens {c} split {:.2} ms  full {:.2} ms  split per 10k tok {:.3} ms full per 10k {:.3} ms", n/5, split*1e3, all*1e3, split*1e4/c as f64*1e3, all*1e4/c as f64*1e3);
    }
}
