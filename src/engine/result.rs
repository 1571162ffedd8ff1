//! What a run returns: its series, attribution, ledger, counts, exit costs and the fee
//! models it used.

use super::*;

/// Counts of what a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Counts {
    pub deposits: u32,
    pub withdrawals: u32,
    pub claims: u32,
    pub harvests: u32,
    pub rebalances: u32,
    pub moves: u32,
    pub swaps: u32,
    /// Actions not executed because the portfolio could not pay their costs.
    pub skipped: u32,
    /// Bars a concentrated position was held through (per position), and the sum of
    /// their in-range fractions (`fees::in_range_fraction`, before any rebalance at the
    /// bar's end).
    pub steps_in_range: f64,
    pub steps_with_range: u64,
}

/// Per-step series of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    pub value: Vec<f64>,
    pub hodl_value: Vec<f64>,
    pub buckets: Vec<[f64; 11]>,
    /// Which pools or markets held the capital at each step: an index into
    /// `allocation_labels` ("wallet" when none). Empty for light runs.
    pub allocation: Vec<u32>,
    pub allocation_labels: Vec<String>,
}

impl Series {
    pub fn allocation_at(&self, i: usize) -> &str {
        self.allocation
            .get(i)
            .and_then(|k| self.allocation_labels.get(*k as usize))
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// The outcome of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    pub grid: TimeGrid,
    pub capital: f64,
    pub series: Series,
    pub attribution: [f64; 11],
    pub ledger: Vec<LedgerEntry>,
    pub counts: Counts,
    /// Largest |value − (capital + Σ buckets)| over the run (USD).
    pub max_identity_error: f64,
    /// How each pool the run held liquidity in computed its fees.
    pub fee_models: Vec<FeeUse>,
    /// Gas paid from an external budget (0 unless `gas.paid_by = "external"`); the value
    /// series is the portfolio less this spending.
    pub external_gas: f64,
    pub gas_paid_by: costs::GasPayer,
    /// Closing everything at the last step: its costs, or why they cannot be priced.
    pub exit: Result<ExitCosts, String>,
}

/// What closing every position at the end would cost (`Engine::exit_costs`), USD.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ExitCosts {
    /// Withdraw gas per position, and swap gas per token swapped.
    pub gas: f64,
    /// Fees and price impact of swapping every token that is not a USD stablecoin back
    /// to USD through the pools' depth (reward tokens through the reward-swap model).
    pub swaps: f64,
    /// Tokens swapped, by name.
    pub swapped: usize,
}

impl ExitCosts {
    pub fn total(&self) -> f64 {
        self.gas + self.swaps
    }
}

/// A token within this of $1 at the end is taken as a USD stablecoin: the run's quote,
/// which closing does not swap.
pub const STABLE_BAND: f64 = 0.01;

/// How one pool's fees were computed in a run: the model chosen (from the data or the
/// strategy file) and the position-steps accrued under each model (more than one only
/// where the strategy allowed fallback).
#[derive(Debug, Clone, PartialEq)]
pub struct FeeUse {
    pub pool: String,
    pub kind: PoolKind,
    /// `fees::FeeModel` name, or "apy_series" for yield-only pools.
    pub model: String,
    pub forced: bool,
    pub steps: Vec<(String, u64)>,
    /// For a pool the data knows only by its yields: where its price (its exposure)
    /// came from; empty for pools the data prices.
    pub price_source: String,
}

impl RunResult {
    pub fn final_value(&self) -> f64 {
        *self.series.value.last().unwrap_or(&self.capital)
    }

    pub fn hodl_final(&self) -> f64 {
        *self.series.hodl_value.last().unwrap_or(&self.capital)
    }
}
