//! One deterministic backtest of one strategy on one market, with every dollar
//! accounted for. The engine never spawns threads (parallelism is the batch runner's)
//! and never reads the clock: time is the market's grid.
//!
//! Each step `i` of the grid:
//! 1. **mark** the holdings of step `i − 1` to step `i`'s prices: price effect of the
//!    tokens held, impermanent loss of AMM positions (from the invariant: value of the
//!    liquidity minus the value of the tokens deposited into it), reward tokens' price
//!    change;
//! 2. **accrue** what the step `[i − 1, i)` earned: trading fees (volume × fee rate ×
//!    our share, our own capital counted in the pool), reward emissions (diluted by our
//!    capital), lending interest (per-second compounding), valued at step `i`;
//! 3. apply **stress events** (exploit haircuts) and vault management fees;
//! 4. let the **strategy** decide from what is known at `i`;
//! 5. **execute** its actions with their costs (gas at step `i`'s gas and native
//!    prices, swap fees and price impact against the pool's depth, vault fees);
//! 6. **record** the value and the attribution; the identity
//!    `value = capital + Σ buckets` is checked at every step.
//!
//! Conventions (see docs/accounting.md): capital starts as USD; step-0 swaps are free
//! (the run starts holding the tokens it first deposits, as if bought before the
//! start); gas is paid from the wallet's USD, and a negative USD balance is gas paid
//! from outside, counted against the result; trading fees are valued in USD when
//! earned, compounded into v2, StableSwap and weighted positions at once (as on-chain) and held
//! uncollected by concentrated positions until a rebalance, harvest or close.
//!
//! A run is three parts borrowed apart: the read-only `Context` (market, book, config,
//! each chain's gas model, each pool kind's per-run state), the `Portfolio` it holds and
//! the `State` it records (attribution, ledger, counts, locked profit, fee-model
//! counts). A loop over the positions values them through the context while it books
//! the state, without taking the positions out of the portfolio.
//!
//! One idea per file: `api` (what a strategy sees and asks for), `position` (what a run
//! holds), `context` (valuing positions and amounts, pricing gas and swaps: reads
//! only), `value` (the portfolio's value, names and chains), `step` (the step's phases:
//! 1–3, waits that end, decisions, the checked value), `accrue` (what each position
//! kind earns over a bar), `gas` (paying gas; its pricing is `costs::ChainGas`),
//! `wallet` (buying tokens, taking holdings back), `open`, `actions`, `transfer`
//! (partial withdrawals and deposits), `harvest`, `record` (the ledger), `close_out`
//! (exit costs, fee models used) and `result`; `book` resolves the market into indexed
//! pools and assets before the first step, `ledger` the attribution. What depends on a
//! pool's kind is its model's (`crate::pool`).

mod accrue;
mod actions;
mod api;
pub mod book;
mod close_out;
mod context;
mod gas;
mod harvest;
pub mod ledger;
mod open;
mod position;
mod record;
mod result;
mod step;
mod transfer;
mod value;
mod wallet;

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::amm::lending;
use crate::costs::{self, ActionKind, GasConfig, SlippageModel, VaultFees};
use crate::market::{Field, Market, PoolKind, TimeGrid};
use crate::units::{format_ts, Timestamp, YEAR};
pub use api::{Action, Outcome, PoolHistory, Strategy, Target, View};
pub use book::{Book, PoolSettings, PoolView, StressEvent, VecMap, Wallet, USD};
pub use ledger::{Attribution, Bucket, LedgerAction, LedgerEntry, Sum, BUCKETS};
use position::scale;
pub use position::{
    AmmPos, Amounts, PendingExit, Portfolio, PosKind, Position, UnitAt, UnitCache, MAX_COINS,
};
pub use result::{Counts, ExitCosts, FeeUse, RunResult, Series, STABLE_BAND};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// A strategy or run that cannot work on this market (names what is missing).
    #[error("{0}")]
    Spec(String),
    /// A value became NaN or infinite.
    #[error("step {step} ({at}): {message}")]
    Numeric {
        step: usize,
        at: String,
        message: String,
    },
}

/// Settings of a run that are not the strategy's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    pub capital_usd: f64,
    pub gas: GasConfig,
    /// Swaps with no pool to price them (selling reward tokens).
    pub reward_swap: SlippageModel,
    /// Whether the strategy file stated `reward_swap`; only then may it price swaps
    /// through a pool that has no depth data.
    pub reward_swap_stated: bool,
    /// Bridge fee as a fraction of the value moved between chains.
    pub bridge_fee: f64,
    /// Vault fee schedule for positions opened as vault deposits.
    pub vault_fees: VaultFees,
    /// Other depositors' capital in the vault (USD): they share each harvest's gas.
    pub vault_others_usd: f64,
    pub events: Vec<StressEvent>,
    /// Per-pool settings (`[pools.<id>]`): fee model, what to do where its data is missing.
    pub pools: BTreeMap<String, PoolSettings>,
    /// Record only the value and HODL series per step (no per-step attribution,
    /// allocation or ledger): for sweeps that keep few series. Not part of strategy files.
    #[serde(skip)]
    pub light: bool,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            capital_usd: 10_000.0,
            gas: GasConfig::default(),
            reward_swap: SlippageModel::default(),
            reward_swap_stated: false,
            bridge_fee: 0.0005,
            vault_fees: VaultFees::none(),
            vault_others_usd: 0.0,
            events: Vec::new(),
            pools: BTreeMap::new(),
            light: false,
        }
    }
}

/// Largest portfolio value a run may reach, in USD (a quintillion: beyond any real
/// market); a value over it means a price or liquidity left every real range.
pub const MAX_VALUE_USD: f64 = 1e18;

/// The capital a run may start with, in USD: a cent to a trillion dollars (beyond it no
/// pool holds the position, and f64 sums lose the cents).
pub const CAPITAL_RANGE: (f64, f64) = (0.01, 1e12);

impl RunConfig {
    /// Every figure's domain, checked before a run (and when a strategy file is read,
    /// so the message names the file): capital above zero; gas, swap, bridge and vault
    /// costs never negative (a negative cost would earn money). Returns the field at
    /// fault and its allowed range.
    pub fn validate(&self) -> Result<(), String> {
        let (lo, hi) = CAPITAL_RANGE;
        if !(self.capital_usd.is_finite() && (lo..=hi).contains(&self.capital_usd)) {
            return Err(format!(
                "capital_usd = {} must be between {lo} and {hi:e} dollars",
                crate::units::format_number(self.capital_usd)
            ));
        }
        self.gas.validate()?;
        self.reward_swap.validate("costs.reward_swap")?;
        if !(self.bridge_fee.is_finite() && (0.0..1.0).contains(&self.bridge_fee)) {
            return Err(format!(
                "costs.bridge_fee = {} must be a fraction in [0, 1)",
                self.bridge_fee
            ));
        }
        let f = self.vault_fees;
        for (name, x) in [
            ("performance_fee", f.performance_fee),
            ("call_fee", f.call_fee),
            ("management_fee", f.management_fee),
            ("withdrawal_fee", f.withdrawal_fee),
        ] {
            if !(x.is_finite() && (0.0..1.0).contains(&x)) {
                return Err(format!("vault.{name} = {x} must be a fraction in [0, 1)"));
            }
        }
        if f.performance_fee + f.call_fee >= 1.0 {
            return Err(format!(
                "vault.performance_fee + vault.call_fee = {} must be below 1 (they are shares of one harvest)",
                f.performance_fee + f.call_fee
            ));
        }
        if f.profit_unlock_secs < 0 {
            return Err(format!(
                "vault.profit_unlock = {} s must not be negative",
                f.profit_unlock_secs
            ));
        }
        for (id, p) in &self.pools {
            p.lock_secs()
                .and_then(|_| p.unbonding_secs())
                .and_then(|_| p.next_deposit_window(0))
                .map_err(|m| m.replace("<id>", id))?;
        }
        if !(self.vault_others_usd.is_finite() && self.vault_others_usd >= 0.0) {
            return Err(format!(
                "vault.others_usd = {} must be a finite number >= 0",
                self.vault_others_usd
            ));
        }
        Ok(())
    }
}

/// One run in progress: what it reads, never changed once the run starts (`Context`),
/// what it holds (`Portfolio`), and what it records (`State`). Methods that only read
/// the context are `Context`'s; an engine method borrows the three parts apart, so a
/// loop over the positions can value them through the context while it books the
/// state.
pub struct Engine<'a> {
    cx: Context<'a>,
    pf: Portfolio,
    st: State,
}

/// The read-only context of a run: the market, the book of resolved pools and prices,
/// the run's configuration, each chain's gas model and each pool kind's per-run state.
pub(super) struct Context<'a> {
    market: &'a Market,
    book: Book,
    config: RunConfig,
    /// Each chain's gas model (`costs::ChainGas`), resolved before the first step.
    chain_costs: BTreeMap<String, costs::ChainGas>,
    /// One unit of liquidity's amounts at each step, by pool index, for the pool kinds
    /// that compute them once per run (`pool::Model::state`: StableSwap, weighted);
    /// empty for the others, whose amounts follow from the price at each step.
    pool_state: Vec<Vec<Amounts>>,
    reward_assets: BTreeSet<usize>,
}

/// What a run records as it goes: the attribution, the ledger, counts and the
/// bookkeeping of locked profit, baselines, fee models and waiting deposits.
pub(super) struct State {
    att: Attribution,
    ledger: Vec<LedgerEntry>,
    counts: Counts,
    /// (amount, release start, release end): harvested profit not yet released.
    locked: Vec<(f64, Timestamp, Timestamp)>,
    locked_now: f64,
    baseline: Vec<(usize, f64)>,
    /// Position-steps accrued under each fee model, per pool index.
    fee_steps: Vec<[u64; crate::fees::FeeModel::ALL.len()]>,
    /// Pools (index) that held liquidity at some step.
    fee_pools: BTreeSet<usize>,
    /// Yield-only pools (index) that held a principal at some step.
    yield_pools: BTreeSet<usize>,
    /// Gas paid from an external budget (`gas.paid_by = "external"`), USD.
    external_gas: f64,
    /// Deposits waiting for their venue's next deposit window: (opens at, target, USD).
    pending_deposits: Vec<(Timestamp, Target, f64)>,
    /// Per pool index, the last (APY, years, growth) of its base [0] and reward [1] APY
    /// series: a daily APY on an hourly grid repeats, and `fees::apy_growth` (a log and
    /// an exp) is the costliest part of a step.
    apy_growth: Vec<[Cell<(f64, f64, f64)>; 2]>,
}

/// Each priced pool's unit amounts per step where its kind computes them once per run
/// (`pool::Model::state`), by pool index (in id order, as in the book).
fn pool_states(book: &Book, grid: TimeGrid) -> Result<Vec<Vec<Amounts>>, EngineError> {
    use crate::pool::StateError;
    let mut out = vec![Vec::new(); book.pool_list.len()];
    for (pid, pv) in book.pools.values().enumerate() {
        if pv.price.is_none() || !pv.meta.holds_positions() {
            continue;
        }
        let coins: Vec<&[f64]> = pv
            .token_prices
            .iter()
            .map(|t| book.prices[*t].as_slice())
            .collect();
        let input = crate::pool::StateInput {
            meta: &pv.meta,
            price: pv.price.as_deref(),
            coins: &coins,
            steps: grid.len(),
        };
        match pv.meta.kind.state(&input) {
            Ok(Some(s)) => out[pid] = s,
            Ok(None) => {}
            Err(StateError::Spec(message)) => return Err(EngineError::Spec(message)),
            Err(StateError::Numeric { step, message }) => {
                return Err(EngineError::Numeric {
                    step,
                    at: format_ts(grid.at(step)),
                    message,
                })
            }
        }
    }
    Ok(out)
}

/// The chains a run acts on (the strategy's and its pools') and the assets it prices:
/// the strategy's, and each chain's native gas token where the market prices it.
fn chains_in_play(
    market: &Market,
    strategy: &dyn Strategy,
    config: &RunConfig,
    pools: &[String],
) -> (BTreeSet<String>, Vec<String>) {
    let mut assets = strategy.assets();
    // Native gas tokens of the chains in play, where the market prices them.
    let mut chains: BTreeSet<String> = strategy.chains().into_iter().collect();
    for id in pools {
        if let Some(p) = market.pool(id) {
            chains.insert(p.meta.chain.clone());
        }
    }
    for c in &chains {
        let native = market
            .gas(c)
            .map(|g| g.chain.native_asset.clone())
            .or_else(|| config.gas.preset(c).map(|p| p.native_asset));
        if let Some(n) = native {
            if market.price(&n).is_some() {
                assets.push(n);
            }
        }
    }
    (chains, assets)
}

const SECS_PER_YEAR: f64 = YEAR as f64;

impl<'a> Engine<'a> {
    /// Prepares a run: resolves prices and pools, checks the data the strategy needs.
    pub fn new(
        market: &'a Market,
        strategy: &dyn Strategy,
        config: RunConfig,
    ) -> Result<Engine<'a>, EngineError> {
        config.validate().map_err(EngineError::Spec)?;
        if market.grid.len() < 2 {
            return Err(EngineError::Spec(
                "the run's grid has fewer than two steps".into(),
            ));
        }
        let pools = strategy.pools(market);
        let (chains, assets) = chains_in_play(market, strategy, &config, &pools);
        let book = Book::build(market, &pools, &assets, &config.events, &config.pools)?;
        // Pools are indexed in id order, as in the book.
        let pool_state = pool_states(&book, market.grid)?;
        let reward_assets = book.pools.values().filter_map(|p| p.reward).collect();
        let chains_in_play: Vec<String> = chains.iter().cloned().collect();
        let mut pf = Portfolio::default();
        pf.wallet.insert(0, config.capital_usd);
        let mut engine = Engine {
            cx: Context {
                market,
                book,
                config,
                chain_costs: BTreeMap::new(),
                pool_state,
                reward_assets,
            },
            pf,
            st: State {
                att: Attribution::default(),
                ledger: Vec::new(),
                counts: Counts::default(),
                locked: Vec::new(),
                locked_now: 0.0,
                baseline: Vec::new(),
                fee_steps: Vec::new(),
                fee_pools: BTreeSet::new(),
                yield_pools: BTreeSet::new(),
                external_gas: 0.0,
                pending_deposits: Vec::new(),
                apy_growth: Vec::new(),
            },
        };
        engine.st.apy_growth = (0..engine.cx.book.pool_list.len())
            .map(|_| {
                [
                    Cell::new((f64::NAN, 0.0, 0.0)),
                    Cell::new((f64::NAN, 0.0, 0.0)),
                ]
            })
            .collect();
        engine.st.fee_steps =
            vec![[0; crate::fees::FeeModel::ALL.len()]; engine.cx.book.pool_list.len()];
        for c in chains_in_play {
            // Chains without a gas price are an error only when an action needs one.
            if let Ok(cost) = engine.cx.chain_cost(&c) {
                engine.cx.chain_costs.insert(c, cost);
            }
        }
        Ok(engine)
    }

    pub fn book(&self) -> &Book {
        &self.cx.book
    }

    /// Runs the strategy over the whole grid.
    pub fn run(mut self, strategy: &mut dyn Strategy) -> Result<RunResult, EngineError> {
        let n = self.cx.market.grid.len();
        let light = self.cx.config.light;
        let capital = self.cx.config.capital_usd;
        let mut series = Series {
            value: Vec::with_capacity(n),
            hodl_value: Vec::with_capacity(n),
            buckets: Vec::with_capacity(if light { 0 } else { n }),
            allocation: Vec::with_capacity(if light { 0 } else { n }),
            allocation_labels: Vec::new(),
        };
        let mut alloc_key: Option<(u64, u32)> = None;
        let mut idle_until: Option<Timestamp> = None;
        let mut max_err = 0.0f64;
        for i in 0..n {
            if i > 0 {
                self.mark(i);
                self.accrue(i)?;
                self.management_fee(i);
            }
            self.exploits(i);
            if i > 0 {
                self.complete_exits(i)?;
            }
            let ts = self.cx.market.grid.at(i);
            self.decide(strategy, i, ts, &mut idle_until)?;
            if i == 0 {
                self.set_baseline();
            }
            if i + 1 == n {
                self.exit_fees(i);
            }
            self.update_locked(i);
            let (value, err, hodl) = self.checked_value(i, ts)?;
            max_err = max_err.max(err);
            series.value.push(value);
            series.hodl_value.push(hodl);
            if !light {
                self.record_step(&mut series, &mut alloc_key);
            }
        }
        let fee_models = self.fee_uses();
        let exit = self.exit_costs(n - 1);
        Ok(RunResult {
            grid: self.cx.market.grid,
            capital,
            attribution: self.st.att.values(),
            series,
            ledger: self.st.ledger,
            counts: self.st.counts,
            max_identity_error: max_err,
            fee_models,
            external_gas: self.st.external_gas,
            gas_paid_by: self.cx.config.gas.paid_by,
            exit,
        })
    }
}

/// Runs `strategy` on `market` with `config`.
pub fn run(
    market: &Market,
    strategy: &mut dyn Strategy,
    config: RunConfig,
) -> Result<RunResult, EngineError> {
    let engine = Engine::new(market, strategy, config)?;
    engine.run(strategy)
}
