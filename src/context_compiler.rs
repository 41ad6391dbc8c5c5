//! `compile_context`: typed system-prompt blocks assembled under token budgets.
//!
//! Rules (budgets are real tokens of the model, counted on block content):
//! 1. Empty blocks are skipped (neither kept nor dropped); whitespace-only blocks are kept.
//! 2. Per kind: the blocks of a kind share its budget, higher priority first (ties: the block
//!    given first). A block over what is left is truncated to it (see `truncate`); a block left
//!    with nothing is dropped.
//! 3. Total: while the kept blocks exceed the total budget, the lowest-priority block that is
//!    not a Persona is dropped (ties: the one assembled later goes first, so equal priorities
//!    cut the prompt from its end). Persona blocks are never dropped for priority; if they alone
//!    exceed the total they are truncated, in order, to what is left of it.
//! 4. Kept blocks are assembled by kind (Persona, Rules, Memory, Retrieval, Workspace, Task),
//!    in the order given within a kind. The result is deterministic.

use std::borrow::Cow;
use std::cmp::Reverse;

use crate::encoding::{Allowed, CoreEncoding};
use crate::error::Result;
use crate::tokenizer::{map_batch, resolve};
use crate::truncate::truncate_to_tokens;

/// The kinds of block, in assembly order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContextBlockKind {
    Persona,
    Rules,
    Memory,
    Retrieval,
    Workspace,
    Task,
}

impl ContextBlockKind {
    /// Every kind, in assembly order.
    pub const ALL: [ContextBlockKind; 6] = [
        ContextBlockKind::Persona,
        ContextBlockKind::Rules,
        ContextBlockKind::Memory,
        ContextBlockKind::Retrieval,
        ContextBlockKind::Workspace,
        ContextBlockKind::Task,
    ];

    /// The position in assembly order (0 for Persona).
    pub fn position(self) -> usize {
        self as usize
    }

    /// The kind at a position in assembly order.
    pub fn from_position(position: usize) -> Option<Self> {
        Self::ALL.get(position).copied()
    }
}

/// One block of system prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextBlock<'a> {
    pub kind: ContextBlockKind,
    pub content: Cow<'a, str>,
    /// Higher is more important; the lowest goes first when the total is over budget.
    pub priority: i64,
}

/// The budgets, in tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextCompilerConfig {
    pub total_budget: usize,
    /// Per kind, by assembly position; `None` is no per-kind limit.
    pub block_budgets: [Option<usize>; 6],
}

impl Default for ContextCompilerConfig {
    fn default() -> Self {
        ContextCompilerConfig {
            total_budget: 30_000,
            block_budgets: [
                Some(2_000),
                Some(5_000),
                Some(8_000),
                Some(6_000),
                Some(5_000),
                Some(4_000),
            ],
        }
    }
}

/// A kept block: its index in the input and its text (the content, or a prefix of it).
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledBlock<'a> {
    pub index: usize,
    pub kind: ContextBlockKind,
    pub text: &'a str,
    pub tokens: usize,
}

/// The assembled prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledContext<'a> {
    /// Kept blocks in assembly order.
    pub blocks: Vec<CompiledBlock<'a>>,
    /// The tokens of the kept text.
    pub total_tokens: usize,
    /// Input indices of the dropped blocks, ascending.
    pub dropped: Vec<usize>,
}

/// A block on its way through the budgets.
struct Candidate<'a> {
    index: usize,
    kind: ContextBlockKind,
    priority: i64,
    text: &'a str,
    tokens: usize,
}

impl Candidate<'_> {
    /// Cuts the text to `budget` tokens; false when nothing is left.
    fn fit(&mut self, budget: usize, encoding: &CoreEncoding) -> Result<bool> {
        if self.tokens > budget {
            self.text = truncate_to_tokens(self.text, budget, encoding)?;
            self.tokens = encoding.count(self.text, Allowed::All)?;
        }
        Ok(!self.text.is_empty())
    }
}

/// Assembles `blocks` under `config` for `model` (a model or encoding name); see the module docs.
pub fn compile_context<'a>(
    blocks: &'a [ContextBlock<'a>],
    config: &ContextCompilerConfig,
    model: &str,
) -> Result<CompiledContext<'a>> {
    let encoding = resolve(model)?;
    let present: Vec<(usize, &'a ContextBlock<'a>)> =
        blocks.iter().enumerate().filter(|(_, b)| !b.content.is_empty()).collect();
    let texts: Vec<&str> = present.iter().map(|(_, b)| b.content.as_ref()).collect();
    let counts = map_batch(&texts, |text| encoding.count(text, Allowed::All))?;
    let mut candidates: Vec<Candidate<'a>> = present
        .iter()
        .zip(counts)
        .map(|((index, block), tokens)| Candidate {
            index: *index,
            kind: block.kind,
            priority: block.priority,
            text: block.content.as_ref(),
            tokens,
        })
        .collect();
    // Assembly order: by kind, then as given (the sort is stable).
    candidates.sort_by_key(|c| c.kind);
    let mut dropped = Vec::new();

    // Per-kind budgets, higher priority first.
    let mut keep = vec![true; candidates.len()];
    for kind in ContextBlockKind::ALL {
        let Some(budget) = config.block_budgets.get(kind.position()).copied().flatten() else {
            continue;
        };
        let mut order: Vec<usize> = (0..candidates.len())
            .filter(|&i| candidates.get(i).is_some_and(|c| c.kind == kind))
            .collect();
        order.sort_by_key(|&i| (Reverse(candidates.get(i).map_or(0, |c| c.priority)), i));
        let mut left = budget;
        for position in order {
            let (Some(candidate), Some(flag)) =
                (candidates.get_mut(position), keep.get_mut(position))
            else {
                continue;
            };
            *flag = candidate.fit(left, encoding)?;
            left = left.saturating_sub(if *flag { candidate.tokens } else { 0 });
        }
    }

    // Total budget: drop the lowest priority (ties: assembled later) until it fits.
    let mut total: usize =
        candidates.iter().zip(&keep).filter(|(_, k)| **k).map(|(c, _)| c.tokens).sum();
    let mut by_priority: Vec<usize> = (0..candidates.len())
        .filter(|&i| candidates.get(i).is_some_and(|c| c.kind != ContextBlockKind::Persona))
        .collect();
    by_priority.sort_by_key(|&i| (candidates.get(i).map_or(0, |c| c.priority), Reverse(i)));
    for position in by_priority {
        if total <= config.total_budget {
            break;
        }
        if let (Some(candidate), Some(flag)) = (candidates.get(position), keep.get_mut(position)) {
            if *flag {
                *flag = false;
                total -= candidate.tokens;
            }
        }
    }
    if total > config.total_budget {
        // Only Persona is left and it is over: truncate it to the total, in order.
        let mut left = config.total_budget;
        for (candidate, flag) in candidates.iter_mut().zip(keep.iter_mut()).filter(|(_, k)| **k) {
            *flag = candidate.fit(left, encoding)?;
            left = left.saturating_sub(if *flag { candidate.tokens } else { 0 });
        }
        total = config.total_budget - left;
    }

    let mut kept = Vec::new();
    for (candidate, flag) in candidates.into_iter().zip(keep) {
        if flag {
            kept.push(CompiledBlock {
                index: candidate.index,
                kind: candidate.kind,
                text: candidate.text,
                tokens: candidate.tokens,
            });
        } else {
            dropped.push(candidate.index);
        }
    }
    dropped.sort_unstable();
    Ok(CompiledContext { blocks: kept, total_tokens: total, dropped })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContextBlockKind::*;

    fn block(kind: ContextBlockKind, content: &str, priority: i64) -> ContextBlock<'_> {
        ContextBlock { kind, content: Cow::Borrowed(content), priority }
    }

    fn unlimited(total: usize) -> ContextCompilerConfig {
        ContextCompilerConfig { total_budget: total, block_budgets: [None; 6] }
    }

    fn count(text: &str) -> Result<usize> {
        resolve("gpt-4o")?.count(text, Allowed::All)
    }

    #[test]
    fn assembles_by_kind_and_skips_empty_blocks() -> Result<()> {
        let blocks = [
            block(Task, "do it", 1),
            block(Persona, "you", 1),
            block(Memory, "", 9),
            block(Rules, " ", 1),
        ];
        let compiled = compile_context(&blocks, &ContextCompilerConfig::default(), "gpt-4o")?;
        let order: Vec<usize> = compiled.blocks.iter().map(|b| b.index).collect();
        assert_eq!(order, vec![1, 3, 0]);
        assert!(compiled.dropped.is_empty());
        assert_eq!(compiled.total_tokens, count("do it")? + count("you")? + count(" ")?);
        Ok(())
    }

    #[test]
    fn over_the_total_the_lowest_priority_goes_first() -> Result<()> {
        let text = "word ".repeat(50);
        let blocks = [
            block(Persona, "p", 0),
            block(Memory, &text, 5),
            block(Retrieval, &text, 1),
            block(Task, &text, 9),
        ];
        let each = count(&text)?;
        let compiled = compile_context(&blocks, &unlimited(2 * each + 1), "gpt-4o")?;
        assert_eq!(compiled.dropped, vec![2]);
        let compiled = compile_context(&blocks, &unlimited(each + 1), "gpt-4o")?;
        assert_eq!(compiled.dropped, vec![1, 2]);
        // Equal priorities: the prompt is cut from its end.
        let tied = [block(Memory, &text, 0), block(Task, &text, 0)];
        assert_eq!(compile_context(&tied, &unlimited(each), "gpt-4o")?.dropped, vec![1]);
        Ok(())
    }

    #[test]
    fn per_kind_budgets_truncate_and_persona_is_never_dropped() -> Result<()> {
        let text = "one two three four five six seven eight nine ten ".repeat(20);
        let mut config = unlimited(30_000);
        if let Some(rules) = config.block_budgets.get_mut(Rules.position()) {
            *rules = Some(10);
        }
        let blocks =
            [block(Persona, &text, -100), block(Rules, &text, 0), block(Rules, "extra rule", -1)];
        let compiled = compile_context(&blocks, &config, "gpt-4o")?;
        let rules: Vec<&CompiledBlock<'_>> =
            compiled.blocks.iter().filter(|b| b.kind == Rules).collect();
        assert_eq!(rules.len(), 1);
        assert!(rules.first().is_some_and(|b| b.tokens <= 10 && text.starts_with(b.text)));
        assert_eq!(compiled.dropped, vec![2]);
        let tiny = compile_context(&blocks, &unlimited(7), "gpt-4o")?;
        assert_eq!(tiny.blocks.len(), 1);
        assert!(tiny
            .blocks
            .first()
            .is_some_and(|b| b.kind == Persona && b.tokens <= 7 && b.tokens > 0));
        assert_eq!(tiny.total_tokens, tiny.blocks.first().map_or(0, |b| b.tokens));
        assert_eq!(tiny.dropped, vec![1, 2]);
        Ok(())
    }

    #[test]
    fn compiling_is_deterministic() -> Result<()> {
        let text = "alpha beta gamma ".repeat(400);
        let blocks: Vec<ContextBlock<'_>> =
            ContextBlockKind::ALL.iter().map(|&k| block(k, &text, 3)).collect();
        let first = compile_context(&blocks, &ContextCompilerConfig::default(), "gpt-4o")?;
        for _ in 0..3 {
            assert_eq!(
                compile_context(&blocks, &ContextCompilerConfig::default(), "gpt-4o")?,
                first
            );
        }
        Ok(())
    }
}
