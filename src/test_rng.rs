//! A deterministic random-number generator for tests (xorshift64*): no dependency, the same
//! stream on every machine, so a failing case can be replayed.

pub(crate) struct TestRng(pub(crate) u64);

impl TestRng {
    /// A number in `0..n` (`n` > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

/// How many cases a randomized test runs: the environment variable `name` if it holds a number
/// (for the long runs before a submission), else `default`.
pub(crate) fn cases_from_env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|n| n.parse().ok()).unwrap_or(default)
}
