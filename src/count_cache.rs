//! A bounded, process-wide memo of the token counts of message texts.
//!
//! Agents trim their history before every model call, and the history of call N+1 is the
//! history of call N plus a message or two. Remembering what each text counted makes a repeated
//! call pay for hashing the old texts (gigabytes per second) and for tokenizing only the new
//! ones.
//!
//! - Keys are 128 bits: a SipHash with a key chosen at random per process (so no input can be
//!   crafted to collide) and an independent FxHash mixed with the length. An accidental
//!   collision would need two texts to agree on both; at the cache's size that is below 2^-80.
//! - Bounded: 16 shards of at most `SHARD_CAPACITY` entries; a full shard is emptied.
//! - Never waits: a shard that is busy (another thread, or a lock inherited from a thread that
//!   does not exist in a forked child) is skipped and the text is simply counted.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Mutex, OnceLock};

use rustc_hash::{FxHashMap, FxHasher};

use crate::encoding::{Allowed, CoreEncoding};
use crate::error::Result;

const SHARDS: usize = 16;
/// 16 x 16,384 entries of 24 bytes (plus the table's slack): under 16 MB.
const SHARD_CAPACITY: usize = 16_384;

type Key = (u64, u64);

struct CountCache {
    seed: RandomState,
    shards: [Mutex<FxHashMap<Key, u32>>; SHARDS],
}

fn cache() -> &'static CountCache {
    static CACHE: OnceLock<CountCache> = OnceLock::new();
    CACHE.get_or_init(|| CountCache {
        seed: RandomState::new(),
        shards: std::array::from_fn(|_| Mutex::new(FxHashMap::default())),
    })
}

fn key(seed: &RandomState, encoding: &CoreEncoding, text: &str) -> Key {
    let mut sip = seed.build_hasher();
    sip.write_usize(std::ptr::from_ref(encoding) as usize);
    sip.write(text.as_bytes());
    let mut fx = FxHasher::default();
    fx.write(text.as_bytes());
    (sip.finish(), fx.finish() ^ (text.len() as u64).rotate_left(32))
}

/// `encoding.count(text, Allowed::All)`, remembered. Short texts (roles, names, ids) are
/// remembered too: a lookup costs a fraction of setting up the split of even a tiny text.
pub fn count_cached(encoding: &'static CoreEncoding, text: &str) -> Result<usize> {
    let cache = cache();
    let key = key(&cache.seed, encoding, text);
    let shard = cache.shards.get((key.0 as usize) % SHARDS);
    if let Some(Ok(map)) = shard.map(Mutex::try_lock) {
        if let Some(&tokens) = map.get(&key) {
            return Ok(tokens as usize);
        }
    }
    let tokens = encoding.count(text, Allowed::All)?;
    if let (Some(Ok(mut map)), Ok(small)) = (shard.map(Mutex::try_lock), u32::try_from(tokens)) {
        if map.len() >= SHARD_CAPACITY {
            map.clear();
        }
        map.insert(key, small);
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::resolve;

    #[test]
    fn cached_counts_equal_direct_counts() -> Result<()> {
        let encoding = resolve("cl100k_base")?;
        let other = resolve("o200k_base")?;
        let texts = [
            "short",
            "a longer text that is certainly worth remembering, twice over",
            "日本語のテキストはトークンの境界で文字が分かれることがあります",
        ];
        for _ in 0..3 {
            for text in texts {
                assert_eq!(count_cached(encoding, text)?, encoding.count(text, Allowed::All)?);
                assert_eq!(count_cached(other, text)?, other.count(text, Allowed::All)?);
            }
        }
        Ok(())
    }

    #[test]
    fn a_full_shard_is_emptied_not_grown() -> Result<()> {
        let encoding = resolve("gpt2")?;
        for i in 0..(SHARD_CAPACITY * 2) {
            count_cached(encoding, &format!("text number {i} padded to be long enough to cache"))?;
        }
        for shard in &cache().shards {
            let len = shard.lock().map(|m| m.len()).unwrap_or(0);
            assert!(len <= SHARD_CAPACITY);
        }
        Ok(())
    }
}
