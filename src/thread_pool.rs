//! The rayon pool that batch calls run on.
//!
//! A pool of our own (not rayon's global one) so that `init_thread_pool` can replace it at any
//! time, and so that a forked child (multiprocessing with fork, gunicorn, Ray workers), which
//! inherits the parent's pool object but none of its threads, notices the fork by its process
//! id and builds a fresh pool instead of waiting forever on threads that do not exist.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::error::{Error, Result};

/// Environment variable with the default number of threads.
pub const NUM_THREADS_ENV: &str = "TOKENIZER_RS_NUM_THREADS";

struct Pool {
    owner_pid: u32,
    threads: usize,
    pool: Arc<ThreadPool>,
}

static POOL: Mutex<Option<Pool>> = Mutex::new(None);

fn build(threads: usize) -> Result<Pool> {
    let pool = ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("tokenizer-rs-{i}"))
        .build()
        .map_err(|e| Error::InvalidArgument(format!("cannot start {threads} threads: {e}")))?;
    Ok(Pool { owner_pid: std::process::id(), threads, pool: Arc::new(pool) })
}

fn default_threads() -> Result<usize> {
    match std::env::var(NUM_THREADS_ENV) {
        Ok(value) => match value.trim().parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(Error::InvalidArgument(format!(
                "{NUM_THREADS_ENV} must be a whole number >= 1, got {value:?}"
            ))),
        },
        Err(_) => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

fn lock() -> std::sync::MutexGuard<'static, Option<Pool>> {
    // A panic while holding this lock cannot leave the Option half-written; keep going.
    POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Replaces the pool with one of `num_threads` threads (>= 1). Callable before or after first
/// use, and again; batches already running finish on the old pool.
pub fn init_thread_pool(num_threads: usize) -> Result<()> {
    if num_threads == 0 {
        return Err(Error::InvalidArgument("num_threads must be at least 1".into()));
    }
    let fresh = build(num_threads)?;
    let mut slot = lock();
    forget_if_forked(&mut slot);
    *slot = Some(fresh);
    Ok(())
}

/// The number of threads batch calls use now.
pub fn current_num_threads() -> Result<usize> {
    Ok(current()?.1)
}

/// In a forked child the inherited pool has no threads; dropping it could touch state of the
/// parent's threads, so it is leaked (once per fork, a few hundred bytes).
fn forget_if_forked(slot: &mut Option<Pool>) {
    if slot.as_ref().is_some_and(|p| p.owner_pid != std::process::id()) {
        if let Some(stale) = slot.take() {
            std::mem::forget(stale);
        }
    }
}

fn current() -> Result<(Arc<ThreadPool>, usize)> {
    let mut slot = lock();
    forget_if_forked(&mut slot);
    if slot.is_none() {
        *slot = Some(build(default_threads()?)?);
    }
    match slot.as_ref() {
        Some(p) => Ok((Arc::clone(&p.pool), p.threads)),
        None => Err(Error::InvalidArgument("thread pool unavailable".into())),
    }
}

/// How many [`install`] calls are running (batches): while one is, the pool's threads are busy
/// and a single long count does not hand them parts (`encoding/parts.rs`), which would wait
/// behind the batch.
static INSTALLED: AtomicUsize = AtomicUsize::new(0);

/// Counts one running install, until dropped (also when the work panics).
struct Installed;

impl Installed {
    fn new() -> Self {
        INSTALLED.fetch_add(1, Ordering::Relaxed);
        Installed
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        INSTALLED.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Runs `work` inside the pool (so rayon's parallel iterators in it use our threads).
pub fn install<R: Send>(work: impl FnOnce() -> R + Send) -> Result<R> {
    let (pool, _) = current()?;
    let _installed = Installed::new();
    Ok(pool.install(work))
}

/// The pool and its number of threads if no batch runs on it and the caller is not one of its
/// threads: then its threads are free to take parts of one call's work.
pub(crate) fn idle() -> Option<(Arc<ThreadPool>, usize)> {
    if INSTALLED.load(Ordering::Relaxed) > 0 {
        return None;
    }
    let (pool, threads) = current().ok()?;
    match pool.current_thread_index() {
        Some(_) => None,
        None => Some((pool, threads)),
    }
}
