//! One reusable zstd context of each kind per thread.
//!
//! Creating a context and growing its workspace costs more than compressing a small payload,
//! so each thread (the caller's, and every worker of the batch pool) keeps the last context it
//! used. A context comes back to its slot only when it is clean (the call succeeded; zstd says a
//! failed call may leave a context in an undefined state) and small: one that grew large for a
//! big payload is freed, so what stays cached per thread is bounded by `KEEP_MAX_BYTES`.

use std::cell::Cell;

use zstd::zstd_safe::{CCtx, DCtx, ResetDirective};

use crate::error::{Error, Result};

/// Contexts whose workspace grew beyond this are not kept for the next call.
const KEEP_MAX_BYTES: usize = 8 << 20;

thread_local! {
    static CCTX: Cell<Option<CCtx<'static>>> = const { Cell::new(None) };
    static DCTX: Cell<Option<DCtx<'static>>> = const { Cell::new(None) };
}

/// Runs `work` with this thread's compression context, with default parameters and no
/// dictionary: a context is reset (parameters and dictionary references cleared) before it is
/// kept, so a cached context is clean and never points at a dictionary freed since.
pub(crate) fn with_cctx<R>(work: impl FnOnce(&mut CCtx<'static>) -> Result<R>) -> Result<R> {
    // `take` leaves the slot empty while the context is out, so a nested call would simply
    // create its own context instead of aliasing this one.
    let mut cctx = match CCTX.with(Cell::take) {
        Some(cctx) => cctx,
        None => CCtx::try_create().ok_or_else(out_of_memory)?,
    };
    let result = work(&mut cctx);
    let clean = cctx.reset(ResetDirective::SessionAndParameters).is_ok();
    if result.is_ok() && clean && cctx.sizeof() <= KEEP_MAX_BYTES {
        CCTX.with(|slot| slot.set(Some(cctx)));
    }
    result
}

/// [`with_cctx`] for decompression contexts.
pub(crate) fn with_dctx<R>(work: impl FnOnce(&mut DCtx<'static>) -> Result<R>) -> Result<R> {
    let mut dctx = match DCTX.with(Cell::take) {
        Some(dctx) => dctx,
        None => DCtx::try_create().ok_or_else(out_of_memory)?,
    };
    let result = work(&mut dctx);
    let clean = dctx.reset(ResetDirective::SessionAndParameters).is_ok();
    if result.is_ok() && clean && dctx.sizeof() <= KEEP_MAX_BYTES {
        DCTX.with(|slot| slot.set(Some(dctx)));
    }
    result
}

pub(crate) fn out_of_memory() -> Error {
    Error::Compression("out of memory: zstd could not allocate a context".into())
}
