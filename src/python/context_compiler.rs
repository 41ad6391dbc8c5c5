//! The native half of `compile_context`: the Python wrapper passes plain values (kind
//! positions, contents, priorities, budgets) and builds its dataclasses from the result.

use std::borrow::Cow;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::conversation::non_negative;
use super::errors::IntoPyResult;
use super::messages::items;
use super::text;
use crate::context_compiler::{
    compile_context, ContextBlock, ContextBlockKind, ContextCompilerConfig,
};

/// A kept block: (input index, text, tokens).
type KeptBlock = (usize, String, usize);

/// Kept blocks as (input index, text, tokens) in assembly order, dropped input indices, and
/// the total tokens. `blocks` holds (kind position, content, priority) tuples; `block_budgets`
/// one budget or None per kind, in assembly order.
#[pyfunction]
fn compile_blocks(
    py: Python<'_>,
    blocks: &Bound<'_, PyAny>,
    total_budget: &Bound<'_, PyAny>,
    block_budgets: &Bound<'_, PyAny>,
    model: &str,
) -> PyResult<(Vec<KeptBlock>, Vec<usize>, usize)> {
    let total_budget = non_negative(total_budget, "total_budget")?;
    let budget_items = items(block_budgets, "block_budgets")?;
    let mut config = ContextCompilerConfig { total_budget, block_budgets: [None; 6] };
    if budget_items.len() != config.block_budgets.len() {
        return Err(PyValueError::new_err("block_budgets must have one entry per kind"));
    }
    for (slot, budget) in config.block_budgets.iter_mut().zip(&budget_items) {
        *slot = if budget.is_none() { None } else { Some(non_negative(budget, "a block budget")?) };
    }
    let block_items = items(blocks, "blocks")?;
    let mut parts = Vec::with_capacity(block_items.len());
    for item in &block_items {
        let (position, content, priority): (usize, Bound<'_, PyAny>, i64) = item.extract()?;
        let kind = ContextBlockKind::from_position(position).ok_or_else(|| {
            PyValueError::new_err(format!("no block kind at position {position}"))
        })?;
        parts.push((kind, content, priority));
    }
    let mut core_blocks = Vec::with_capacity(parts.len());
    for (kind, content, priority) in &parts {
        let content: Cow<'_, str> = text::text(content, "a block's content")?;
        core_blocks.push(ContextBlock { kind: *kind, content, priority: *priority });
    }
    let compiled = py.detach(|| compile_context(&core_blocks, &config, model)).py()?;
    let kept = compiled
        .blocks
        .iter()
        .map(|block| (block.index, block.text.to_owned(), block.tokens))
        .collect();
    Ok((kept, compiled.dropped, compiled.total_tokens))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(compile_blocks, m)?)?;
    Ok(())
}
