//! zstd dictionaries: validated once, prepared lazily, and shared.
//!
//! Preparing a dictionary (a `CDict` per compression level, one `DDict`) costs far more than
//! compressing a chat-sized message with it, and the functional API receives the dictionary as
//! plain bytes on every call. So [`Dictionary::shared`] keeps the few most recently used
//! dictionaries, found again by content (length, then the bytes themselves: an exact
//! comparison, never a hash that two dictionaries could share).

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use zstd::zstd_safe::{self, CDict, DDict};

use crate::error::{Error, Result};

/// How many distinct dictionaries stay prepared. Applications use one or a handful; a bound
/// keeps memory from growing with the number of distinct dictionaries ever seen.
const CACHED_DICTIONARIES: usize = 4;
/// How many compression levels one dictionary keeps prepared (a `CDict` is built per level).
const CACHED_LEVELS: usize = 4;
/// The magic number that starts a structured (trained) dictionary.
const DICT_MAGIC: [u8; 4] = [0x37, 0xA4, 0x30, 0xEC];

/// A compression dictionary: either a structured one (trained by zstd, carrying an id that
/// frames record) or raw content (any other bytes, id 0, as zstd's "auto" mode treats them).
pub struct Dictionary {
    raw: Vec<u8>,
    id: Option<NonZeroU32>,
    cdicts: Mutex<Vec<(i32, Arc<CDict<'static>>)>>,
    ddict: OnceLock<Option<Arc<DDict<'static>>>>,
}

impl std::fmt::Debug for Dictionary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dictionary").field("len", &self.raw.len()).field("id", &self.id).finish()
    }
}

static SHARED: Mutex<Vec<Arc<Dictionary>>> = Mutex::new(Vec::new());

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing here panics while holding a lock; if something ever did, the data is still a
    // valid cache (entries are added or removed whole), so keep using it.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Dictionary {
    /// Validates `raw` as a dictionary. A structured dictionary whose tables are damaged is
    /// refused here, so a bad dictionary is reported as such rather than as corrupt data.
    pub fn new(raw: &[u8]) -> Result<Self> {
        if raw.is_empty() {
            return Err(Error::Compression("invalid dictionary: dict is empty".into()));
        }
        let dictionary = Dictionary {
            raw: raw.to_vec(),
            id: zstd_safe::get_dict_id_from_dict(raw),
            cdicts: Mutex::new(Vec::new()),
            ddict: OnceLock::new(),
        };
        if raw.starts_with(&DICT_MAGIC) {
            // Building the decoder tables parses the entropy tables: the cheapest full check.
            dictionary.ddict()?;
        }
        Ok(dictionary)
    }

    /// The dictionary for `raw`, from the cache of recently used ones when it is there.
    pub fn shared(raw: &[u8]) -> Result<Arc<Self>> {
        {
            let mut cache = lock(&SHARED);
            if let Some(at) = cache.iter().position(|d| d.raw.as_slice() == raw) {
                let found = cache.remove(at);
                cache.insert(0, Arc::clone(&found));
                return Ok(found);
            }
        }
        // Validation runs outside the lock; two threads racing on a new dictionary both build
        // it and one copy wins, which is harmless.
        let fresh = Arc::new(Dictionary::new(raw)?);
        let mut cache = lock(&SHARED);
        cache.insert(0, Arc::clone(&fresh));
        cache.truncate(CACHED_DICTIONARIES);
        Ok(fresh)
    }

    /// The dictionary bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The id frames compressed with this dictionary record (None for raw-content dictionaries).
    pub fn id(&self) -> Option<u32> {
        self.id.map(NonZeroU32::get)
    }

    /// The dictionary prepared for compression at `level`.
    pub(crate) fn cdict(&self, level: i32) -> Result<Arc<CDict<'static>>> {
        {
            let mut levels = lock(&self.cdicts);
            if let Some(at) = levels.iter().position(|(l, _)| *l == level) {
                let entry = levels.remove(at);
                let cdict = Arc::clone(&entry.1);
                levels.insert(0, entry);
                return Ok(cdict);
            }
        }
        let cdict = CDict::try_create(&self.raw, level)
            .map(Arc::new)
            .ok_or_else(|| Error::Compression("invalid dictionary: zstd cannot load it".into()))?;
        let mut levels = lock(&self.cdicts);
        levels.insert(0, (level, Arc::clone(&cdict)));
        levels.truncate(CACHED_LEVELS);
        Ok(cdict)
    }

    /// The dictionary prepared for decompression (built once).
    pub(crate) fn ddict(&self) -> Result<Arc<DDict<'static>>> {
        self.ddict
            .get_or_init(|| DDict::try_create(&self.raw).map(Arc::new))
            .clone()
            .ok_or_else(|| Error::Compression("invalid dictionary: zstd cannot load it".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_dictionary_is_refused() {
        assert!(matches!(Dictionary::new(b""), Err(Error::Compression(_))));
    }

    #[test]
    fn raw_content_dictionary_has_no_id() -> Result<()> {
        let dictionary = Dictionary::new(b"some shared prefix text")?;
        assert_eq!(dictionary.id(), None);
        dictionary.cdict(3)?;
        dictionary.ddict()?;
        Ok(())
    }

    #[test]
    fn damaged_structured_dictionary_is_refused() {
        let mut raw = DICT_MAGIC.to_vec();
        raw.extend_from_slice(&[1, 2, 3, 4]);
        raw.extend(std::iter::repeat_n(0xFF, 300));
        assert!(matches!(Dictionary::new(&raw), Err(Error::Compression(_))));
    }

    #[test]
    fn shared_finds_equal_content() -> Result<()> {
        let a = Dictionary::shared(b"dictionary content for the cache test")?;
        let b = Dictionary::shared(b"dictionary content for the cache test")?;
        assert!(Arc::ptr_eq(&a, &b));
        Ok(())
    }
}
