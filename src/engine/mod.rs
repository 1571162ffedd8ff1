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
//! earned, compounded into v2 and StableSwap positions at once (as on-chain) and held
//! uncollected by concentrated positions until a rebalance, harvest or close.

pub mod book;
pub mod ledger;
mod transfer;

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::amm::{lending, stableswap, v3};
use crate::costs::{self, ActionKind, GasConfig, SlippageModel, VaultFees};
use crate::market::{Field, Market, PoolKind, TimeGrid};
use crate::units::{format_ts, Timestamp, YEAR};
pub use book::{Book, PoolSettings, PoolView, StressEvent, VecMap, Wallet, USD};
pub use ledger::{Attribution, Bucket, LedgerAction, LedgerEntry, Sum, BUCKETS};

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

/// What became of an action: done, or skipped with the reason (the portfolio could
/// not pay its costs). A skipped action changes nothing but the ledger and the counts.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Done,
    Skipped(String),
}

/// Where an `Open` puts value.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// Liquidity in an AMM pool; `range` = (lower, upper) price for concentrated ranges.
    Pool {
        pool: String,
        range: Option<(f64, f64)>,
        vault: bool,
    },
    /// Supply `asset` to lending market `market` (a rate series).
    Lend {
        market: String,
        asset: String,
        chain: String,
        vault: bool,
    },
    /// A yield-only pool (APY and TVL series, no price): a USD principal earning the
    /// pool's APY diluted by our capital.
    Yield { pool: String },
}

/// What a strategy asks for. Positions are named by the id `Open` gave them.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Hold assets in the given weights of the capital (step 0 only).
    Hold {
        weights: Vec<(String, f64)>,
    },
    /// Put `usd` of the wallet's value (all of it when `None`) into a target.
    Open {
        target: Target,
        usd: Option<f64>,
    },
    Close {
        position: u32,
    },
    /// Claim pending reward tokens into the wallet.
    Claim {
        position: u32,
    },
    /// Sell every reward token in the wallet for USD.
    SellRewards,
    /// A vault harvest: claim, sell, pay vault fees, re-deposit. `paid_by_others`: the
    /// harvest rides on another user's transaction (harvest on deposit).
    Harvest {
        position: u32,
        paid_by_others: bool,
    },
    /// Move a concentrated position to a new price range.
    Rebalance {
        position: u32,
        lower: f64,
        upper: f64,
    },
    /// Close a position and put its value into another target.
    Move {
        position: u32,
        to: Target,
    },
    /// Take `usd` of a position's value (all of it at most) into the wallet, as its
    /// tokens; one withdrawal's gas (and a vault's withdrawal fee). A venue with a lock
    /// or unbonding delay skips it.
    Withdraw {
        position: u32,
        usd: f64,
    },
    /// Add `usd` of the wallet's value to an existing position at this step's price (a
    /// range keeps its bounds), buying its tokens; one deposit's gas.
    Deposit {
        position: u32,
        usd: f64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct AmmPos {
    pub pool: String,
    /// Index of the pool in the run's book.
    pub pid: usize,
    pub kind: PoolKind,
    /// Liquidity in whole-token units (√(x·y) for v2 and ranges; a share of D for StableSwap).
    pub l: f64,
    /// √lower, √upper for concentrated ranges.
    pub range: Option<(f64, f64)>,
    /// Tokens deposited, each at the time it was deposited (the HODL reference).
    pub basket: [f64; 2],
    pub last_il: f64,
    /// Fees earned and not yet compounded or collected (USD).
    pub fees_usd: f64,
    /// Reward tokens earned and not yet claimed.
    pub pending: f64,
    /// The position's amounts and USD value per unit of L at the last two steps they
    /// were needed (slot `i % 2`): a step marks, accrues and values a position several
    /// times, and all of it is linear in L for a fixed range.
    pub unit: [Cell<UnitAt>; 2],
}

/// Amounts and USD value of one unit of L of a position at `step`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitAt {
    pub step: usize,
    pub x: f64,
    pub y: f64,
    pub usd: f64,
}

impl UnitAt {
    pub const NONE: UnitAt = UnitAt {
        step: usize::MAX,
        x: 0.0,
        y: 0.0,
        usd: 0.0,
    };
}

#[derive(Debug, Clone, PartialEq)]
pub enum PosKind {
    Amm(AmmPos),
    Lend {
        market: String,
        asset: usize,
        amount: f64,
        chain: String,
    },
    Yield {
        pool: String,
        /// Index of the pool in the run's book.
        pid: usize,
        /// In units of `asset`.
        principal: f64,
        /// What the principal tracks (book index; 0 = USD): the pool's stated exposure.
        asset: usize,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    pub kind: PosKind,
    pub opened: usize,
    /// A vault deposit: harvests share gas with other depositors and pay vault fees.
    pub vault: bool,
    /// The end of its venue's lock period (`[pools.<id>] lock`): no withdrawal before.
    pub locked_until: Option<Timestamp>,
    /// A withdrawal or move requested and waiting for the lock or the unbonding delay.
    pub exit: Option<PendingExit>,
}

/// A withdrawal waiting for its venue's lock or unbonding delay: it completes at
/// `ready_at` (the position stays held, marked and exposed to stress events until
/// then), and moves into `then` where it was a move.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingExit {
    pub ready_at: Timestamp,
    pub then: Option<Target>,
    /// Whether the position earns its yield while it waits.
    pub earns: bool,
}

impl Position {
    /// The pool or lending market the position is in.
    pub fn venue(&self) -> &str {
        match &self.kind {
            PosKind::Amm(a) => &a.pool,
            PosKind::Lend { market, .. } => market,
            PosKind::Yield { pool, .. } => pool,
        }
    }
}

/// What the run holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Portfolio {
    /// Asset (book index) → amount; index 0 is USD.
    pub wallet: Wallet,
    pub positions: VecMap<u32, Position>,
    next_id: u32,
    /// Bumped whenever a position opens or closes.
    version: u64,
}

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

/// A strategy: pure decisions. It reads the view (market data up to the current step,
/// the portfolio) and returns actions; it never edits the portfolio.
pub trait Strategy {
    /// Pools the strategy uses (it may pick them from the market).
    fn pools(&self, market: &Market) -> Vec<String>;
    /// Assets it needs USD prices for besides its pools' tokens.
    fn assets(&self) -> Vec<String> {
        Vec::new()
    }
    /// Chains it acts on besides its pools' (for gas).
    fn chains(&self) -> Vec<String> {
        Vec::new()
    }
    fn on_step(&mut self, view: &View) -> Result<Vec<Action>, EngineError>;
    /// The action at `index` of this step's list opened position `id`.
    fn opened(&mut self, _index: usize, _id: u32) {}
    /// Told when an action it returned was not executed (the portfolio could not pay
    /// its costs), with the reason; the portfolio is as it was before the action.
    fn skipped(&mut self, _index: usize, _action: &Action, _reason: &str) {}
    /// A promise, asked after each `on_step`: the strategy would return no actions, and
    /// change no state of its own, at any step before this time — so the engine need not
    /// ask it. `None` (the default): ask every step.
    fn idle_until(&self) -> Option<Timestamp> {
        None
    }
}

/// What a strategy sees at step `i`. Positions are named by ids: the n-th position a
/// strategy opened is its id n (a portfolio's legs each see their own positions so).
pub struct View<'a> {
    pub i: usize,
    pub ts: Timestamp,
    pub market: &'a Market,
    pub book: &'a Book,
    portfolio: &'a Portfolio,
    engine: &'a Engine<'a>,
    /// A leg's ids: its position n is the run's `scope[n]`; `None`: the run's own ids.
    scope: Option<&'a [u32]>,
}

impl<'a> View<'a> {
    /// The same step as seen by a part of the strategy whose position n is the run's
    /// position `ids[n]` (a portfolio's leg).
    pub fn scoped<'b>(&'b self, ids: &'b [u32]) -> View<'b> {
        View {
            i: self.i,
            ts: self.ts,
            market: self.market,
            book: self.book,
            portfolio: self.portfolio,
            engine: self.engine,
            scope: Some(ids),
        }
    }

    /// The run's id of this view's position `id`.
    fn global(&self, id: u32) -> Option<u32> {
        match self.scope {
            None => Some(id),
            Some(ids) => ids.get(id as usize).copied(),
        }
    }

    /// Position `id`, while it is held.
    pub fn position(&self, id: u32) -> Option<&Position> {
        self.global(id)
            .and_then(|g| self.portfolio.positions.get(&g))
    }

    /// The positions held, with their ids, in id order.
    pub fn positions(&self) -> Vec<(u32, &Position)> {
        match self.scope {
            None => self
                .portfolio
                .positions
                .iter()
                .map(|(k, p)| (*k, p))
                .collect(),
            Some(ids) => ids
                .iter()
                .enumerate()
                .filter_map(|(n, g)| self.portfolio.positions.get(g).map(|p| (n as u32, p)))
                .collect(),
        }
    }

    /// Gas cost in USD of an action on a chain at this step.
    pub fn gas_usd(&self, chain: &str, kind: ActionKind) -> f64 {
        self.engine
            .gas_usd(chain, kind, self.i)
            .unwrap_or(f64::INFINITY)
    }

    /// The value of a position at this step (USD).
    pub fn position_value(&self, id: u32) -> f64 {
        self.position(id)
            .map(|p| self.engine.position_value(p, self.i))
            .unwrap_or(0.0)
    }

    /// Value of a position's pending reward tokens (USD).
    pub fn pending_rewards_usd(&self, id: u32) -> f64 {
        match self.position(id).map(|p| &p.kind) {
            Some(PosKind::Amm(a)) => {
                let pv = &self.book.pool_list[a.pid];
                pv.reward
                    .map(|r| a.pending * self.book.price(r, self.i))
                    .unwrap_or(0.0)
                    + a.fees_usd
            }
            _ => 0.0,
        }
    }

    /// The pool price (token1 per token0) at this step.
    pub fn pool_price(&self, pool: &str) -> Option<f64> {
        self.book.pools.get(pool)?.price.as_ref().map(|p| p[self.i])
    }

    /// Whether a concentrated position's range holds the current price.
    pub fn in_range(&self, id: u32) -> bool {
        match self.position(id).map(|p| &p.kind) {
            Some(PosKind::Amm(a)) => match (a.range, self.pool_price(&a.pool)) {
                (Some((sa, sb)), Some(p)) => {
                    let s = p.sqrt();
                    s > sa && s < sb
                }
                _ => true,
            },
            _ => false,
        }
    }

    /// The wallet's total value (USD).
    pub fn wallet_value(&self) -> f64 {
        self.engine.wallet_value(self.i)
    }
}

#[derive(Debug, Clone, Copy)]
enum GasPrice {
    Constant(f64),
    Series,
}

#[derive(Debug, Clone, Copy)]
enum NativePrice {
    Asset(usize),
    Constant(f64),
}

/// A chain's gas pricing, resolved before the first step.
#[derive(Debug, Clone, Copy)]
struct ChainCost {
    gwei: GasPrice,
    native_price: NativePrice,
    l1_fee: f64,
}

/// The state of one run in progress.
pub struct Engine<'a> {
    chain_costs: BTreeMap<String, ChainCost>,
    market: &'a Market,
    book: Book,
    config: RunConfig,
    pf: Portfolio,
    att: Attribution,
    ledger: Vec<LedgerEntry>,
    counts: Counts,
    reward_assets: BTreeSet<usize>,
    /// Balances of a D = 1 StableSwap pool at each step's price, by pool index.
    stable_hat: Vec<Vec<(f64, f64)>>,
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
        let mut assets = strategy.assets();
        // Native gas tokens of the chains in play, where the market prices them.
        let mut chains: BTreeSet<String> = strategy.chains().into_iter().collect();
        for id in &pools {
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
        let book = Book::build(market, &pools, &assets, &config.events, &config.pools)?;
        // Pools are indexed in id order, as in the book.
        let mut stable_hat: Vec<Vec<(f64, f64)>> = vec![Vec::new(); book.pool_list.len()];
        for (pid, (id, pv)) in book.pools.iter().enumerate() {
            if let (PoolKind::Stableswap, Some(prices)) = (pv.meta.kind, &pv.price) {
                let amp = pv.meta.amplification.ok_or_else(|| {
                    EngineError::Spec(format!(
                        "stableswap pool '{id}' has no `amplification` in the dataset's metadata: add it there, or state it in the strategy file's [assume.amplification] (e.g. {id} = 200)"
                    ))
                })?;
                let mut hat = Vec::with_capacity(market.grid.len());
                let mut last: Option<(f64, (f64, f64))> = None;
                for (i, p) in prices.iter().enumerate() {
                    let v = match last {
                        Some((lp, v)) if lp == *p => v,
                        _ => stableswap::balances_for_price_near(amp, *p, last.map(|l| l.1 .0))
                            .map_err(|e| EngineError::Numeric {
                                step: i,
                                at: format_ts(market.grid.at(i)),
                                message: format!("pool '{id}': {e}"),
                            })?,
                    };
                    last = Some((*p, v));
                    hat.push(v);
                }
                stable_hat[pid] = hat;
            }
        }
        let reward_assets = book.pools.values().filter_map(|p| p.reward).collect();
        let chains_in_play: Vec<String> = chains.iter().cloned().collect();
        let mut pf = Portfolio::default();
        pf.wallet.insert(0, config.capital_usd);
        let mut engine = Engine {
            chain_costs: BTreeMap::new(),
            market,
            book,
            config,
            pf,
            att: Attribution::default(),
            ledger: Vec::new(),
            counts: Counts::default(),
            reward_assets,
            stable_hat,
            locked: Vec::new(),
            locked_now: 0.0,
            baseline: Vec::new(),
            fee_steps: Vec::new(),
            fee_pools: BTreeSet::new(),
            yield_pools: BTreeSet::new(),
            external_gas: 0.0,
            pending_deposits: Vec::new(),
            apy_growth: Vec::new(),
        };
        engine.apy_growth = (0..engine.book.pool_list.len())
            .map(|_| {
                [
                    Cell::new((f64::NAN, 0.0, 0.0)),
                    Cell::new((f64::NAN, 0.0, 0.0)),
                ]
            })
            .collect();
        engine.fee_steps = vec![[0; crate::fees::FeeModel::ALL.len()]; engine.book.pool_list.len()];
        for c in chains_in_play {
            // Chains without a gas price are an error only when an action needs one.
            if let Ok(cost) = engine.chain_cost(&c) {
                engine.chain_costs.insert(c, cost);
            }
        }
        Ok(engine)
    }

    pub fn book(&self) -> &Book {
        &self.book
    }

    /// Runs the strategy over the whole grid.
    pub fn run(mut self, strategy: &mut dyn Strategy) -> Result<RunResult, EngineError> {
        let n = self.market.grid.len();
        let light = self.config.light;
        let capital = self.config.capital_usd;
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
            let ts = self.market.grid.at(i);
            let actions = if idle_until.is_some_and(|t| ts < t) {
                Vec::new()
            } else {
                let view = View {
                    i,
                    ts,
                    market: self.market,
                    book: &self.book,
                    portfolio: &self.pf,
                    engine: &self,
                    scope: None,
                };
                let actions = strategy.on_step(&view)?;
                idle_until = strategy.idle_until();
                actions
            };
            for (k, a) in actions.iter().enumerate() {
                let next_id = self.pf.next_id;
                match self.execute(a, i)? {
                    Outcome::Skipped(reason) => {
                        strategy.skipped(k, a, &reason);
                        idle_until = strategy.idle_until();
                    }
                    Outcome::Done => {
                        if matches!(a, Action::Open { .. }) && self.pf.next_id > next_id {
                            strategy.opened(k, next_id);
                        }
                    }
                }
            }
            if i == 0 {
                // The baseline holds the tokens the run started with: the entry gas
                // paid from the wallet is not part of it.
                let mut c = self.composition(0);
                let gas0 = -self.att.gas.value();
                match c.iter_mut().find(|(a, _)| *a == 0) {
                    Some(usd) => usd.1 += gas0,
                    None => c.insert(0, (0, gas0)),
                }
                c.retain(|(_, x)| *x != 0.0);
                self.baseline = c;
            }
            if i + 1 == n {
                self.exit_fees(i);
            }
            self.update_locked(i);
            let value = self.value(i);
            if !(value.is_finite() && value.abs() <= MAX_VALUE_USD) {
                return Err(EngineError::Numeric {
                    step: i,
                    at: format_ts(ts),
                    message: self.non_finite(i, value),
                });
            }
            let err = (value - (capital + self.att.total())).abs();
            if !err.is_finite() {
                let buckets = self.att.values();
                let (name, x) = BUCKETS
                    .iter()
                    .zip(buckets)
                    .find(|(_, x)| !x.is_finite())
                    .map(|(n, x)| (*n, x))
                    .unwrap_or(("total", self.att.total()));
                return Err(EngineError::Numeric {
                    step: i,
                    at: format_ts(ts),
                    message: format!(
                        "the attribution's {name} is {x} (portfolio value {value} USD); a pool's price or liquidity at this step is out of any real range"
                    ),
                });
            }
            max_err = max_err.max(err);
            let hodl: f64 = self
                .baseline
                .iter()
                .map(|(a, amt)| amt * self.book.price(*a, i))
                .sum();
            if !hodl.is_finite() {
                return Err(EngineError::Numeric {
                    step: i,
                    at: format_ts(ts),
                    message: format!("the HODL baseline's value is {hodl}; check the prices of the tokens the run started with"),
                });
            }
            series.value.push(value);
            series.hodl_value.push(hodl);
            if !light {
                series.buckets.push(self.att.values());
                // The label changes only when positions open or close.
                let id = match alloc_key {
                    Some((v, id)) if v == self.pf.version => id,
                    _ => {
                        let label = self.allocation();
                        let id = match series.allocation_labels.iter().position(|l| *l == label) {
                            Some(k) => k as u32,
                            None => {
                                series.allocation_labels.push(label);
                                (series.allocation_labels.len() - 1) as u32
                            }
                        };
                        alloc_key = Some((self.pf.version, id));
                        id
                    }
                };
                series.allocation.push(id);
            }
        }
        let fee_models = self.fee_uses();
        let exit = self.exit_costs(n - 1);
        Ok(RunResult {
            grid: self.market.grid,
            capital,
            attribution: self.att.values(),
            series,
            ledger: self.ledger,
            counts: self.counts,
            max_identity_error: max_err,
            fee_models,
            external_gas: self.external_gas,
            gas_paid_by: self.config.gas.paid_by,
            exit,
        })
    }

    /// The cost of closing everything at step `i`: each position's withdraw gas, and
    /// every token held (in the wallet or the positions) that is not a USD stablecoin
    /// (`STABLE_BAND`) swapped to USD — through the pool it sits in, priced from that
    /// pool's depth, or, for wallet holdings and reward tokens, through the reward-swap
    /// model — with a swap's gas each. Nothing is changed: the mark value stays the
    /// run's value; this is its liquidation value's difference.
    fn exit_costs(&self, i: usize) -> Result<ExitCosts, String> {
        let mut exit = ExitCosts::default();
        let mut chains: BTreeSet<String> = BTreeSet::new();
        // (asset, value USD, pool it is swapped through)
        let mut holdings: Vec<(usize, f64, Option<usize>)> = Vec::new();
        for (a, x) in self.pf.wallet.iter() {
            holdings.push((*a, x * self.book.price(*a, i), None));
        }
        for (id, p) in self.pf.positions.iter() {
            let chain = self.chain_of(*id).map_err(|e| e.to_string())?;
            exit.gas += self
                .gas_usd(chain, ActionKind::Withdraw, i)
                .map_err(|e| e.to_string())?;
            chains.insert(chain.to_string());
            match &p.kind {
                PosKind::Amm(a) => {
                    let pv = &self.book.pool_list[a.pid];
                    let (x, y) = self.amounts(a, i);
                    for (t, amt) in [(pv.token_prices[0], x), (pv.token_prices[1], y)] {
                        holdings.push((t, amt * self.book.price(t, i), Some(a.pid)));
                    }
                    if let Some(r) = pv.reward {
                        holdings.push((r, a.pending * self.book.price(r, i), None));
                    }
                }
                PosKind::Lend { asset, amount, .. } => {
                    holdings.push((*asset, amount * self.book.price(*asset, i), None));
                }
                PosKind::Yield {
                    asset, principal, ..
                } => {
                    holdings.push((*asset, principal * self.book.price(*asset, i), None));
                }
            }
        }
        let swap_chain = chains
            .iter()
            .next()
            .cloned()
            .unwrap_or_else(|| self.first_chain());
        let mut swapped: BTreeSet<usize> = BTreeSet::new();
        for (a, value, pool) in holdings {
            let price = self.book.price(a, i);
            let stable = (price - 1.0).abs() <= STABLE_BAND && !self.reward_assets.contains(&a);
            if a == 0 || stable || value.is_nan() || value <= 0.0 {
                continue;
            }
            exit.swaps += match pool {
                Some(pid) => self
                    .pool_swap_cost(&self.book.pool_list[pid], value, i)
                    .map_err(|e| e.to_string())?,
                None => self.config.reward_swap.cost(value),
            };
            if swapped.insert(a) {
                exit.gas += self
                    .gas_usd(&swap_chain, ActionKind::Swap, i)
                    .map_err(|e| e.to_string())?;
            }
        }
        exit.swapped = swapped.len();
        Ok(exit)
    }

    fn fee_uses(&self) -> Vec<FeeUse> {
        let amm = self.fee_pools.iter().map(|pid| (pid, true));
        let yields = self.yield_pools.iter().map(|pid| (pid, false));
        let mut uses: Vec<FeeUse> =
            amm.chain(yields)
                .map(|(pid, is_amm)| {
                    let pv = &self.book.pool_list[*pid];
                    let price_source = match (&pv.price_twin, pv.price_from_tokens, pv.exposure) {
                        (Some(twin), _, _) => format!(
                            "the price of the dataset's pool '{twin}' (same address and chain)"
                        ),
                        (None, true, _) => format!(
                            "token0's USD price over token1's ({}), no pool price in the data",
                            pv.meta.tokens.join("/")
                        ),
                        (None, false, Some(k)) => format!(
                        "a yield stream on a principal tracking {} (stated in the strategy file)",
                        if k == 0 { "USD".to_string() } else { self.asset_name(k) }
                    ),
                        _ => String::new(),
                    };
                    let mut u = match (&pv.fee, is_amm) {
                        (Ok(r), true) => FeeUse {
                            pool: pv.meta.id.clone(),
                            kind: pv.meta.kind,
                            model: r.model.name().to_string(),
                            forced: r.forced,
                            steps: crate::fees::FeeModel::ALL
                                .iter()
                                .map(|m| (m.name().to_string(), self.fee_steps[*pid][m.index()]))
                                .filter(|(_, n)| *n > 0)
                                .collect(),
                            price_source: String::new(),
                        },
                        _ => FeeUse {
                            pool: pv.meta.id.clone(),
                            kind: pv.meta.kind,
                            model: "apy_series".into(),
                            forced: false,
                            steps: Vec::new(),
                            price_source: String::new(),
                        },
                    };
                    u.price_source = price_source;
                    u
                })
                .collect();
        uses.sort_by(|a, b| a.pool.cmp(&b.pool).then(a.model.cmp(&b.model)));
        uses
    }

    fn allocation(&self) -> String {
        let pools: Vec<String> = self
            .pf
            .positions
            .values()
            .map(|p| match &p.exit {
                Some(_) => format!("{} (unbonding)", p.venue()),
                None => p.venue().to_string(),
            })
            .collect();
        if pools.is_empty() {
            "wallet".into()
        } else {
            pools.join("+")
        }
    }

    // ---------------------------------------------------------------- valuation

    /// Amounts and value of one unit of the position's L at step `i` (cached per step).
    #[inline]
    fn unit(&self, a: &AmmPos, i: usize) -> UnitAt {
        let slot = &a.unit[i & 1];
        let cached = slot.get();
        if cached.step == i {
            return cached;
        }
        let pv = &self.book.pool_list[a.pid];
        // AMM positions open only in priced pools (`PoolView::exposure`); NaN otherwise,
        // which the step's value check reports with the pool's name.
        let p = match &pv.price {
            Some(s) => s[i],
            None => f64::NAN,
        };
        let (x, y) = match (a.kind, a.range) {
            (PoolKind::Stableswap, _) => self.stable_hat[a.pid][i],
            (_, Some((sa, sb))) => v3::amounts_unchecked(p.sqrt(), sa, sb, 1.0),
            _ => {
                let s = p.sqrt();
                (1.0 / s, s)
            }
        };
        let usd =
            x * self.book.price(pv.token_prices[0], i) + y * self.book.price(pv.token_prices[1], i);
        let u = UnitAt { step: i, x, y, usd };
        slot.set(u);
        u
    }

    #[inline]
    fn amounts(&self, a: &AmmPos, i: usize) -> (f64, f64) {
        let u = self.unit(a, i);
        (a.l * u.x, a.l * u.y)
    }

    #[inline]
    fn amm_value(&self, a: &AmmPos, i: usize) -> f64 {
        a.l * self.unit(a, i).usd
    }

    #[inline]
    fn basket_value(&self, a: &AmmPos, i: usize) -> f64 {
        let pv = &self.book.pool_list[a.pid];
        a.basket[0] * self.book.price(pv.token_prices[0], i)
            + a.basket[1] * self.book.price(pv.token_prices[1], i)
    }

    fn position_value(&self, p: &Position, i: usize) -> f64 {
        match &p.kind {
            PosKind::Amm(a) => {
                let pv = &self.book.pool_list[a.pid];
                self.amm_value(a, i)
                    + a.fees_usd
                    + pv.reward
                        .map(|r| a.pending * self.book.price(r, i))
                        .unwrap_or(0.0)
            }
            PosKind::Lend { asset, amount, .. } => amount * self.book.price(*asset, i),
            PosKind::Yield {
                principal, asset, ..
            } => principal * self.book.price(*asset, i),
        }
    }

    /// Names the quantity that made the portfolio's value `value` (NaN or infinite) at
    /// step `i`: a wallet amount or price, or a position's pool, amounts, fees or
    /// rewards — the first that is not finite.
    fn non_finite(&self, i: usize, value: f64) -> String {
        let bad = |x: f64| !(x.is_finite() && x.abs() <= MAX_VALUE_USD);
        let value = crate::units::format_number(value);
        for (a, x) in &self.pf.wallet {
            let price = self.book.price(*a, i);
            if !x.is_finite() || !price.is_finite() || bad(x * price) {
                return format!(
                    "portfolio value is {value}: the wallet's {} is {x} at a price of {price} USD; check that asset's price series and the amounts the strategy moves",
                    self.asset_name(*a)
                );
            }
        }
        for p in self.pf.positions.values() {
            let v = self.position_value(p, i);
            if !bad(v) {
                continue;
            }
            return match &p.kind {
                PosKind::Amm(a) => {
                    let pv = &self.book.pool_list[a.pid];
                    let (x, y) = self.amounts(a, i);
                    let price = pv.price.as_ref().and_then(|s| s.get(i)).copied();
                    format!(
                        "portfolio value is {value}: the position in pool '{}' is worth {v} USD (liquidity {}, amounts {x} and {y}, fees {} USD, pool price {}); check the pool's price, TVL and liquidity at this step",
                        pv.meta.id,
                        a.l,
                        a.fees_usd,
                        price.map(|p| p.to_string()).unwrap_or_else(|| "none".into())
                    )
                }
                PosKind::Lend { asset, amount, .. } => format!(
                    "portfolio value is {value}: the loan of {amount} {} is worth {v} USD; check the rate and price series",
                    self.asset_name(*asset)
                ),
                PosKind::Yield {
                    principal, asset, ..
                } => format!(
                    "portfolio value is {value}: the yield position of {principal} {} is worth {v} USD; check the pool's APY and TVL series",
                    self.asset_name(*asset)
                ),
            };
        }
        format!(
            "portfolio value is {value} (locked {} USD, external gas {} USD); check the pools' prices and liquidity at this step",
            self.locked_now, self.external_gas
        )
    }

    fn wallet_value(&self, i: usize) -> f64 {
        self.pf
            .wallet
            .iter()
            .map(|(a, x)| x * self.book.price(*a, i))
            .sum()
    }

    fn value(&self, i: usize) -> f64 {
        let mut s = Sum::default();
        s.add(self.wallet_value(i));
        for p in self.pf.positions.values() {
            s.add(self.position_value(p, i));
        }
        s.add(-self.locked_now);
        s.add(-self.external_gas);
        s.value()
    }

    /// Token amounts held (for the HODL baseline).
    fn composition(&self, i: usize) -> Vec<(usize, f64)> {
        let mut c: BTreeMap<usize, f64> = self.pf.wallet.iter().map(|(k, v)| (*k, *v)).collect();
        for p in self.pf.positions.values() {
            match &p.kind {
                PosKind::Amm(a) => {
                    let pv = &self.book.pool_list[a.pid];
                    let (x, y) = self.amounts(a, i);
                    *c.entry(pv.token_prices[0]).or_default() += x;
                    *c.entry(pv.token_prices[1]).or_default() += y;
                    *c.entry(0).or_default() += a.fees_usd;
                }
                PosKind::Lend { asset, amount, .. } => *c.entry(*asset).or_default() += amount,
                PosKind::Yield {
                    principal, asset, ..
                } => *c.entry(*asset).or_default() += principal,
            }
        }
        c.into_iter().collect()
    }

    // ---------------------------------------------------------------- steps

    fn mark(&mut self, i: usize) {
        let dp = |book: &Book, a: usize| book.price(a, i) - book.price(a, i - 1);
        for (a, x) in &self.pf.wallet {
            if *a == 0 || *x == 0.0 {
                continue;
            }
            let d = x * dp(&self.book, *a);
            if self.reward_assets.contains(a) {
                self.att.reward_price_change.add(d);
            } else {
                self.att.price_effect.add(d);
            }
        }
        // Positions are taken out of the portfolio while they are marked (no clones).
        let mut positions = std::mem::take(&mut self.pf.positions);
        for pos in positions.values_mut() {
            match &mut pos.kind {
                PosKind::Amm(a) => {
                    let pv = &self.book.pool_list[a.pid];
                    let (t0, t1) = (pv.token_prices[0], pv.token_prices[1]);
                    self.att
                        .price_effect
                        .add(a.basket[0] * dp(&self.book, t0) + a.basket[1] * dp(&self.book, t1));
                    if let Some(r) = pv.reward {
                        self.att
                            .reward_price_change
                            .add(a.pending * dp(&self.book, r));
                    }
                    let il = self.amm_value(a, i) - self.basket_value(a, i);
                    self.att.impermanent_loss.add(il - a.last_il);
                    a.last_il = il;
                }
                PosKind::Lend { asset, amount, .. } => {
                    self.att.price_effect.add(*amount * dp(&self.book, *asset));
                }
                PosKind::Yield {
                    asset, principal, ..
                } => {
                    self.att
                        .price_effect
                        .add(*principal * dp(&self.book, *asset));
                }
            }
        }
        self.pf.positions = positions;
    }

    fn accrue(&mut self, i: usize) -> Result<(), EngineError> {
        let dt = (self.market.grid.at(i) - self.market.grid.at(i - 1)) as f64;
        let mut positions = std::mem::take(&mut self.pf.positions);
        let mut failure = None;
        for pos in positions.values_mut() {
            // A position waiting out an unbonding delay earns only where the venue says so.
            if pos.exit.as_ref().is_some_and(|e| !e.earns) {
                continue;
            }
            match &mut pos.kind {
                PosKind::Amm(a) => {
                    let pv = &self.book.pool_list[a.pid];
                    let ours = self.amm_value(a, i - 1);
                    let (model, fee_income, in_range) =
                        match pv.fee_income(&self.book, i, a.range, a.l, ours) {
                            Ok(x) => x,
                            Err(message) => {
                                failure = Some(EngineError::Numeric {
                                    step: i,
                                    at: format_ts(self.market.grid.at(i)),
                                    message,
                                });
                                break;
                            }
                        };
                    self.fee_steps[a.pid][model.index()] += 1;
                    if a.range.is_some() {
                        self.counts.steps_with_range += 1;
                        self.counts.steps_in_range += in_range;
                    }
                    let mut reward_usd = 0.0;
                    if let (Some(r), Some(tvl)) = (pv.reward, &pv.tvl) {
                        let share = ours / (tvl[i - 1] + ours);
                        let pr = self.book.price(r, i);
                        // Emissions from the APY series (USD; a compounded APY as
                        // per-step growth), else from a fixed token rate.
                        if let Some(apy) = &pv.apy_reward {
                            reward_usd = self.growth(a.pid, 1, apy[i - 1], dt / SECS_PER_YEAR)
                                * tvl[i - 1]
                                * share;
                            a.pending += reward_usd / pr;
                        } else if let Some(per_day) = pv.meta.reward_per_day {
                            let tokens = per_day * dt / 86_400.0 * share;
                            reward_usd = tokens * pr;
                            a.pending += tokens;
                        }
                    }
                    // A pool known by its yields: its reward APY has no token in the
                    // data; it is paid as value, like its fees (stated in the report).
                    if let (true, None, Some(apy)) =
                        (pv.known_by_yields(), pv.reward, &pv.apy_reward)
                    {
                        let tvl = pv.tvl.as_ref().map(|t| t[i - 1]).unwrap_or(f64::NAN);
                        reward_usd = ours
                            * self.growth(a.pid, 1, apy[i - 1], dt / SECS_PER_YEAR)
                            * crate::fees::dilution(tvl, ours);
                        a.fees_usd += reward_usd;
                    }
                    self.att.fees.add(fee_income);
                    self.att.rewards.add(reward_usd);
                    a.fees_usd += fee_income;
                    // Constant-product and StableSwap pools compound fees into the
                    // position on-chain; concentrated positions hold them uncollected
                    // until collected (rebalance, harvest, close), as v3 does.
                    if a.kind != PoolKind::Concentrated && a.fees_usd > 0.0 {
                        let fees = a.fees_usd;
                        a.fees_usd = 0.0;
                        self.add_liquidity_value(a, fees, i);
                    }
                }
                PosKind::Lend {
                    market,
                    asset,
                    amount,
                    ..
                } => {
                    let rate = self
                        .market
                        .rate(market)
                        .and_then(|r| r.field(Field::SupplyApr))
                        .ok_or_else(|| {
                            EngineError::Spec(format!(
                                "lending market '{market}' has no supply_apr series"
                            ))
                        })?;
                    let growth = lending::compounded_per_second(rate[i - 1], dt);
                    let earned = *amount * (growth - 1.0);
                    self.att.interest.add(earned * self.book.price(*asset, i));
                    *amount += earned;
                }
                PosKind::Yield {
                    pid,
                    principal,
                    asset,
                    ..
                } => {
                    // The published APYs are compounded (DefiLlama's apyBase/apyReward):
                    // per-step growth (1 + APY)^(dt/year) − 1, diluted by our capital.
                    let pv = &self.book.pool_list[*pid];
                    let price = self.book.price(*asset, i);
                    let ours = *principal * self.book.price(*asset, i - 1);
                    let tvl = pv.tvl.as_ref().map(|t| t[i - 1]).unwrap_or(f64::NAN);
                    let dil = crate::fees::dilution(tvl, ours);
                    let years = dt / SECS_PER_YEAR;
                    let base = pv.apy_base.as_ref().map(|a| a[i - 1]).unwrap_or(0.0);
                    let rew = pv.apy_reward.as_ref().map(|a| a[i - 1]).unwrap_or(0.0);
                    let fee = *principal * self.growth(*pid, 0, base, years) * dil;
                    let reward = *principal * self.growth(*pid, 1, rew, years) * dil;
                    self.att.fees.add(fee * price);
                    self.att.rewards.add(reward * price);
                    *principal += fee + reward;
                }
            }
        }
        self.pf.positions = positions;
        failure.map_or(Ok(()), Err)
    }

    /// `fees::apy_growth(apy, years)` for pool `pid`'s series `k` (0 base, 1 reward),
    /// from the last value where the APY and the step repeat.
    #[inline]
    fn growth(&self, pid: usize, k: usize, apy: f64, years: f64) -> f64 {
        let c = &self.apy_growth[pid][k];
        let (a, y, g) = c.get();
        if a == apy && y == years {
            return g;
        }
        let g = crate::fees::apy_growth(apy, years);
        c.set((apy, years, g));
        g
    }

    fn management_fee(&mut self, i: usize) {
        let dt = (self.market.grid.at(i) - self.market.grid.at(i - 1)) as f64;
        let cut = self.config.vault_fees.management_fee * dt / SECS_PER_YEAR;
        self.charge_vaults(i, cut, None);
    }

    fn exit_fees(&mut self, i: usize) {
        self.charge_vaults(
            i,
            self.config.vault_fees.withdrawal_fee,
            Some(LedgerAction::WithdrawalFee),
        );
    }

    /// Takes `fraction` of every vault position as a vault fee.
    fn charge_vaults(&mut self, i: usize, fraction: f64, log: Option<LedgerAction>) {
        if fraction <= 0.0 {
            return;
        }
        // Positions are taken out while they are charged (no allocation per step).
        let mut positions = std::mem::take(&mut self.pf.positions);
        for p in positions.values_mut().filter(|p| p.vault) {
            let v = self.position_value(p, i);
            scale(p, 1.0 - fraction);
            self.att.vault_fees.add(-v * fraction);
            if let Some(action) = log {
                self.log(i, action, "vault", v, 0.0, 0.0, v * fraction);
            }
        }
        self.pf.positions = positions;
    }

    /// Scales a position by `k` (fees taken from it, haircuts).
    fn scale_position(&mut self, id: u32, k: f64) {
        if let Some(p) = self.pf.positions.get_mut(&id) {
            scale(p, k);
        }
    }

    fn exploits(&mut self, i: usize) {
        if self.book.exploits.is_empty() {
            return;
        }
        let hits: Vec<(String, f64)> = self
            .book
            .exploits
            .iter()
            .filter(|(s, _, _)| *s == i)
            .map(|(_, p, h)| (p.clone(), *h))
            .collect();
        for (pool, haircut) in hits {
            let ids: Vec<u32> = self
                .pf
                .positions
                .iter()
                .filter(|(_, p)| match &p.kind {
                    PosKind::Amm(a) => a.pool == pool,
                    PosKind::Yield { pool: q, .. } => *q == pool,
                    PosKind::Lend { market, .. } => *market == pool,
                })
                .map(|(k, _)| *k)
                .collect();
            for id in ids {
                let v = self.position_value(&self.pf.positions[&id], i);
                self.scale_position(id, 1.0 - haircut);
                self.att.event_losses.add(-v * haircut);
                self.log(i, LedgerAction::Exploit, &pool, v * haircut, 0.0, 0.0, 0.0);
            }
        }
    }

    fn update_locked(&mut self, i: usize) {
        if self.locked.is_empty() && self.locked_now == 0.0 {
            return;
        }
        let t = self.market.grid.at(i);
        let now: f64 = self
            .locked
            .iter()
            .map(|(x, a, b)| {
                if t >= *b {
                    0.0
                } else {
                    x * (*b - t) as f64 / (*b - *a) as f64
                }
            })
            .sum();
        self.locked.retain(|(_, _, b)| t < *b);
        self.att.unreleased_profit.add(self.locked_now - now);
        self.locked_now = now;
    }

    // ---------------------------------------------------------------- costs

    /// How a chain's gas is priced in this run, resolved once per chain.
    fn chain_cost(&self, chain: &str) -> Result<ChainCost, EngineError> {
        let preset = self.config.gas.preset(chain);
        let gwei = match (self.config.gas.gas_price_gwei, self.market.gas(chain), &preset) {
            (Some(g), _, _) => GasPrice::Constant(g),
            (None, Some(_), _) => GasPrice::Series,
            (None, None, Some(p)) => GasPrice::Constant(p.gas_price_gwei),
            _ => {
                return Err(EngineError::Spec(format!(
                    "chain '{chain}' has no gas series in the data and no preset; add [gas.chains.{chain}] to the strategy file"
                )))
            }
        };
        let native = self
            .market
            .gas(chain)
            .map(|g| g.chain.native_asset.clone())
            .or_else(|| preset.as_ref().map(|p| p.native_asset.clone()))
            .unwrap_or_default();
        let native_price = match self.book.assets.get(&native) {
            Some(k) => NativePrice::Asset(*k),
            None => match &preset {
                Some(p) => NativePrice::Constant(p.native_price_usd),
                None => {
                    return Err(EngineError::Spec(format!(
                        "no USD price for chain '{chain}''s native asset '{native}'"
                    )))
                }
            },
        };
        Ok(ChainCost {
            gwei,
            native_price,
            l1_fee: preset.map(|p| p.l1_data_fee_usd).unwrap_or(0.0),
        })
    }

    fn gas_usd(&self, chain: &str, kind: ActionKind, i: usize) -> Result<f64, EngineError> {
        let resolved;
        let c = match self.chain_costs.get(chain) {
            Some(c) => c,
            None => {
                resolved = self.chain_cost(chain)?;
                &resolved
            }
        };
        let gwei = match c.gwei {
            GasPrice::Constant(g) => g,
            GasPrice::Series => match self.market.gas(chain) {
                Some(g) => g.gas_price_gwei[i],
                None => {
                    return Err(EngineError::Spec(format!(
                        "no gas price series for chain '{chain}'"
                    )))
                }
            },
        };
        let native_usd = match c.native_price {
            NativePrice::Asset(k) => self.book.price(k, i),
            NativePrice::Constant(p) => p,
        };
        Ok(self.config.gas.units(kind) * gwei * 1e-9 * native_usd + c.l1_fee)
    }

    fn pay_gas(
        &mut self,
        chain: &str,
        kind: ActionKind,
        i: usize,
        share: f64,
        target: &str,
    ) -> Result<f64, EngineError> {
        let g = self.gas_usd(chain, kind, i)? * share;
        self.charge_gas(g, kind, i, target);
        Ok(g)
    }

    /// Pays `g` USD of gas already priced: from the wallet by value, its USD first and
    /// then its other holdings in asset order (the caller checked the portfolio can
    /// pay; converting them to the native token is not charged), or from the external
    /// budget where the strategy file chose one.
    fn charge_gas(&mut self, g: f64, kind: ActionKind, i: usize, target: &str) {
        self.take_gas(g, i);
        self.attach_gas(i, kind.into(), target, g);
    }

    /// Takes `g` USD of gas from whoever pays it and books it (no ledger row).
    fn take_gas(&mut self, g: f64, i: usize) {
        match self.config.gas.paid_by {
            costs::GasPayer::External => self.external_gas += g,
            costs::GasPayer::Portfolio => {
                let cash = self.pf.wallet.entry(0).or_default();
                let from_cash = cash.max(0.0).min(g);
                *cash -= from_cash;
                let mut owed = g - from_cash;
                for k in 0..self.pf.wallet.len() {
                    if owed <= 0.0 {
                        break;
                    }
                    let (a, &x) = self.pf.wallet.slot(k);
                    let p = self.book.price(a, i);
                    if a == 0 || x <= 0.0 || p.is_nan() || p <= 0.0 {
                        continue;
                    }
                    let take = (x * p).min(owed);
                    *self.pf.wallet.slot_mut(k) -= take / p;
                    owed -= take;
                }
                // Only rounding can leave anything owed; it stays a (tiny) USD debt.
                if owed > 0.0 {
                    *self.pf.wallet.entry(0).or_default() -= owed;
                }
            }
        }
        self.att.gas.add(-g);
    }

    /// Puts an action's gas on its ledger row: the row this step just logged for
    /// `action`, so that every action is one row with its gas beside its amount. An
    /// action that logged no row of its own (none today) gets one.
    fn attach_gas(&mut self, i: usize, action: LedgerAction, target: &str, g: f64) {
        if self.config.light {
            return;
        }
        if let Some(row) = self.ledger.last_mut() {
            if row.step == i && row.action == action && row.gas_usd.is_zero() && row.note.is_empty()
            {
                row.gas_usd = ledger::usd(g);
                return;
            }
        }
        self.log(i, action, target, 0.0, g, 0.0, 0.0);
    }

    /// Gas the portfolio must keep for an action (0 when an external budget pays it).
    fn reserve(&self, gas: f64) -> f64 {
        match self.config.gas.paid_by {
            costs::GasPayer::External => 0.0,
            costs::GasPayer::Portfolio => gas,
        }
    }

    /// Why an action costing `gas` cannot be paid from `funds` (the wallet and the
    /// action's own proceeds), or `None` when it can.
    fn unaffordable(&self, what: &str, gas: f64, funds: f64) -> Option<String> {
        let need = self.reserve(gas);
        (need > 0.0 && (funds.is_nan() || need > funds)).then(|| {
            format!("{what}: gas ${need:.2} exceeds the ${:.2} the portfolio can pay it from (wallet and the action's proceeds)", funds.max(0.0))
        })
    }

    /// A ledger row with no cash flow but a note (an action skipped, waiting).
    fn log_note(
        &mut self,
        i: usize,
        action: LedgerAction,
        target: &str,
        amount: f64,
        note: String,
    ) {
        self.log_entry(i, action, target, [amount, 0.0, 0.0, 0.0], note);
    }

    /// Records an action not executed, with its reason.
    fn skip(&mut self, i: usize, what: &str, target: &str, reason: String) -> Outcome {
        self.counts.skipped += 1;
        self.log_note(
            i,
            LedgerAction::Skipped,
            target,
            0.0,
            format!("{what} not executed: {reason}"),
        );
        Outcome::Skipped(reason)
    }

    #[allow(clippy::too_many_arguments)]
    fn log(
        &mut self,
        i: usize,
        action: LedgerAction,
        target: &str,
        amount: f64,
        gas: f64,
        swap: f64,
        vault: f64,
    ) {
        self.log_entry(i, action, target, [amount, gas, swap, vault], String::new());
    }

    /// The one place a ledger row is made: `[amount, gas, swap, vault]` in USD.
    fn log_entry(
        &mut self,
        i: usize,
        action: LedgerAction,
        target: &str,
        [amount, gas, swap, vault]: [f64; 4],
        note: String,
    ) {
        // Light runs (sweeps keeping no series) keep no ledger either.
        if self.config.light {
            return;
        }
        self.ledger.push(LedgerEntry {
            step: i,
            timestamp: self.market.grid.at(i),
            action,
            target: target.to_string(),
            amount_usd: ledger::usd(amount),
            gas_usd: ledger::usd(gas),
            swap_cost_usd: ledger::usd(swap),
            vault_fee_usd: ledger::usd(vault),
            note,
        });
    }

    /// Swap cost of converting `usd` of value through a pool, from its own depth: the
    /// active liquidity of a concentrated pool, the invariant of a StableSwap pool, the
    /// reserves (TVL) of a constant-product pool. A pool with no depth data is an error
    /// unless the strategy file stated a slippage model (`[costs] reward_swap`).
    fn pool_swap_cost(&self, pool: &PoolView, usd: f64, i: usize) -> Result<f64, EngineError> {
        let fee = pool.fee_at(i).unwrap_or(self.config.reward_swap.fee);
        // A concentrated pool trades against its active liquidity: within the current
        // range it is a constant-product pool of virtual reserves L/√P and L·√P.
        if let (PoolKind::Concentrated, Some(liq), Some(scale), Some(price)) = (
            pool.meta.kind,
            &pool.liquidity,
            pool.raw_liquidity_scale(),
            &pool.price,
        ) {
            if pool.token_prices.len() == 2 && liq[i].is_finite() && liq[i] > 0.0 {
                let l = liq[i] / scale;
                let s = price[i].sqrt();
                let depth = l / s * self.book.price(pool.token_prices[0], i)
                    + l * s * self.book.price(pool.token_prices[1], i);
                return Ok(costs::swap_cost_constant_product(usd, depth, fee));
            }
        }
        let tvl = pool
            .tvl
            .as_ref()
            .map(|t| t[i])
            .filter(|t| t.is_finite() && *t > 0.0);
        match (tvl, pool.meta.kind, pool.meta.amplification) {
            (Some(tvl), PoolKind::Stableswap, Some(amp)) => {
                Ok(costs::swap_cost_stableswap(usd, tvl, amp, fee))
            }
            (Some(_), PoolKind::Stableswap, None) => Err(EngineError::Spec(format!(
                "pool '{}': a swap through this StableSwap pool needs its amplification; add it to the pool's metadata or `[assume.amplification]`",
                pool.meta.id
            ))),
            (Some(tvl), _, _) => Ok(costs::swap_cost_constant_product(usd, tvl, fee)),
            (None, _, _) if self.config.reward_swap_stated => Ok(self.config.reward_swap.cost(usd)),
            (None, _, _) => Err(EngineError::Spec(format!(
                "pool '{}' has no depth data at {} (no tvl_usd or active liquidity) to price a ${usd:.2} swap through it; add the series to the dataset, state `[assume.pool_tvl_usd]`, or state a slippage model in `[costs] reward_swap`",
                pool.meta.id,
                format_ts(self.market.grid.at(i))
            ))),
        }
    }

    /// Makes the wallet hold at least `amount` of `target`, selling other holdings
    /// (USD first) except `keep`; one swap's cost on the value sold. Free at step 0.
    fn acquire(
        &mut self,
        target: usize,
        amount: f64,
        keep: &[usize],
        cost_pool: Option<usize>,
        i: usize,
    ) -> Result<(), EngineError> {
        let have = self.pf.wallet.get(&target).copied().unwrap_or(0.0);
        if have >= amount {
            return Ok(());
        }
        let pt = self.book.price(target, i);
        let mut short = (amount - have) * pt;
        let mut sold = 0.0;
        // Selling changes amounts, never which assets the wallet holds: walk it by slot.
        for k in 0..self.pf.wallet.len() {
            if short <= 0.0 {
                break;
            }
            let (a, &x) = self.pf.wallet.slot(k);
            if a == target || keep.contains(&a) || x <= 0.0 {
                continue;
            }
            let pa = self.book.price(a, i);
            let take = (x * pa).min(short);
            *self.pf.wallet.slot_mut(k) -= take / pa;
            short -= take;
            sold += take;
        }
        if sold <= 0.0 {
            return Ok(());
        }
        let cost = if i == 0 {
            0.0
        } else {
            match cost_pool.map(|p| &self.book.pool_list[p]) {
                Some(pv) => self.pool_swap_cost(pv, sold, i)?,
                None => self.config.reward_swap.cost(sold),
            }
        };
        *self.pf.wallet.entry(target).or_default() += (sold - cost) / pt;
        if i > 0 {
            self.att.swap_costs.add(-cost);
            self.counts.swaps += 1;
            let name = self.log_name(target);
            self.log(i, LedgerAction::Swap, &name, sold, 0.0, cost, 0.0);
        }
        Ok(())
    }

    /// Makes the wallet hold at least `need0` of `t0` and `need1` of `t1`: covers what
    /// is missing from other holdings first, then by swapping the surplus of one token
    /// into the other (through `pool`, paying its fee and price impact).
    /// Makes the wallet hold `need0` of `t0` and `need1` of `t1`, swapping through pool
    /// `pool` (its index in the book) at that pool's cost.
    fn acquire_pair(
        &mut self,
        t0: usize,
        need0: f64,
        t1: usize,
        need1: f64,
        pool: usize,
        i: usize,
    ) -> Result<(), EngineError> {
        self.acquire(t0, need0, &[t1], Some(pool), i)?;
        self.acquire(t1, need1, &[t0], Some(pool), i)?;
        for (a, na, b, nb) in [(t0, need0, t1, need1), (t1, need1, t0, need0)] {
            let have_a = self.pf.wallet.get(&a).copied().unwrap_or(0.0);
            let have_b = self.pf.wallet.get(&b).copied().unwrap_or(0.0);
            let deficit = (na - have_a).max(0.0) * self.book.price(a, i);
            let surplus = (have_b - nb).max(0.0) * self.book.price(b, i);
            let v = deficit.min(surplus);
            if v <= 0.0 {
                continue;
            }
            let cost = if i == 0 {
                0.0
            } else {
                self.pool_swap_cost(&self.book.pool_list[pool], v, i)?
            };
            *self.pf.wallet.entry(b).or_default() -= v / self.book.price(b, i);
            *self.pf.wallet.entry(a).or_default() += (v - cost) / self.book.price(a, i);
            if i > 0 {
                self.att.swap_costs.add(-cost);
                self.counts.swaps += 1;
                let name = self.log_name(a);
                self.log(i, LedgerAction::Swap, &name, v, 0.0, cost, 0.0);
            }
        }
        Ok(())
    }

    /// An asset's name for the ledger; empty in light runs, which keep no ledger.
    fn log_name(&self, k: usize) -> String {
        if self.config.light {
            String::new()
        } else {
            self.asset_name(k)
        }
    }

    fn asset_name(&self, k: usize) -> String {
        self.book
            .assets
            .iter()
            .find(|(_, v)| **v == k)
            .map(|(n, _)| n.clone())
            .unwrap_or_default()
    }

    /// Adds `usd` of value (from fees already counted) to an AMM position's liquidity.
    fn add_liquidity_value(&self, a: &mut AmmPos, usd: f64, i: usize) {
        // Amounts and value are linear in L.
        if a.l <= 0.0 {
            return;
        }
        let u = self.unit(a, i);
        if u.usd <= 0.0 {
            return;
        }
        let dl = usd / u.usd;
        a.basket = [a.basket[0] + u.x * dl, a.basket[1] + u.y * dl];
        a.l += dl;
    }

    // ---------------------------------------------------------------- actions

    fn execute(&mut self, action: &Action, i: usize) -> Result<Outcome, EngineError> {
        match action {
            Action::Hold { weights } => {
                if i != 0 {
                    return Err(EngineError::Spec("Hold is a step-0 allocation".into()));
                }
                let total: f64 = weights.iter().map(|w| w.1).sum();
                let cash = self.pf.wallet.remove(&0).unwrap_or(0.0);
                for (asset, w) in weights {
                    let k = self.book.asset(asset)?;
                    *self.pf.wallet.entry(k).or_default() +=
                        cash * w / total / self.book.price(k, 0);
                }
                Ok(Outcome::Done)
            }
            Action::Open { target, usd } => {
                let have = self.wallet_value(i);
                let budget = usd.unwrap_or(have).min(have);
                self.open(target.clone(), budget, i, ActionKind::Deposit)
                    .map(|(o, _)| o)
            }
            Action::Close { position } => {
                let position = *position;
                if let Some(o) = self.wait_for_exit(position, None, i)? {
                    return Ok(o);
                }
                let chain = self.position_chain(position)?;
                let gas = self.gas_usd(&chain, ActionKind::Withdraw, i)?;
                let funds = self.wallet_value(i) + self.value_of(position, i)?;
                if let Some(r) = self.unaffordable("withdraw", gas, funds) {
                    let name = self.position_name(position);
                    return Ok(self.skip(i, "withdraw", &name, r));
                }
                self.close(position, i, true)?;
                Ok(Outcome::Done)
            }
            Action::Claim { position } => {
                let position = *position;
                let (pool, value) = match self.pf.positions.get(&position).map(|p| &p.kind) {
                    Some(PosKind::Amm(a)) => {
                        let pv = &self.book.pool_list[a.pid];
                        let v = pv
                            .reward
                            .map(|r| a.pending * self.book.price(r, i))
                            .unwrap_or(0.0);
                        (a.pool.clone(), v)
                    }
                    _ => {
                        return Err(EngineError::Spec(format!(
                            "position {position} has no rewards to claim"
                        )))
                    }
                };
                let chain = self.book.pools[&pool].meta.chain.clone();
                let gas = self.gas_usd(&chain, ActionKind::Claim, i)?;
                let funds = self.wallet_value(i) + value;
                if let Some(r) = self.unaffordable("claim", gas, funds) {
                    return Ok(self.skip(i, "claim", &pool, r));
                }
                if let Some(PosKind::Amm(a)) =
                    self.pf.positions.get_mut(&position).map(|p| &mut p.kind)
                {
                    let pending = std::mem::take(&mut a.pending);
                    if let Some(r) = self.book.pools[&pool].reward {
                        *self.pf.wallet.entry(r).or_default() += pending;
                    }
                }
                self.counts.claims += 1;
                self.log(i, LedgerAction::Claim, &pool, value, 0.0, 0.0, 0.0);
                self.charge_gas(gas, ActionKind::Claim, i, &pool);
                Ok(Outcome::Done)
            }
            Action::SellRewards => {
                let held: Vec<usize> = self
                    .reward_assets
                    .iter()
                    .copied()
                    .filter(|r| self.pf.wallet.get(r).is_some_and(|x| *x > 0.0))
                    .collect();
                if held.is_empty() {
                    return Ok(Outcome::Done);
                }
                let chain = self.first_chain();
                let gas = self.gas_usd(&chain, ActionKind::Swap, i)?;
                if let Some(r) = self.unaffordable("sell rewards", gas, self.wallet_value(i)) {
                    return Ok(self.skip(i, "sell_rewards", "rewards", r));
                }
                for r in held {
                    let x = self.pf.wallet.remove(&r).unwrap_or(0.0);
                    let v = x * self.book.price(r, i);
                    let cost = self.config.reward_swap.cost(v);
                    *self.pf.wallet.entry(0).or_default() += v - cost;
                    self.att.swap_costs.add(-cost);
                    self.counts.swaps += 1;
                    let name = self.log_name(r);
                    self.log(i, LedgerAction::SellRewards, &name, v, 0.0, cost, 0.0);
                }
                self.take_gas(gas, i);
                self.attach_gas(i, LedgerAction::SellRewards, "rewards", gas);
                Ok(Outcome::Done)
            }
            Action::Harvest {
                position,
                paid_by_others,
            } => self.harvest(*position, i, *paid_by_others),
            Action::Rebalance {
                position,
                lower,
                upper,
            } => {
                let position = *position;
                let Some(Position {
                    kind: PosKind::Amm(a),
                    vault,
                    ..
                }) = self.pf.positions.get(&position).cloned()
                else {
                    return Err(EngineError::Spec(format!(
                        "position {position} is not a pool position"
                    )));
                };
                let pool = a.pool.clone();
                let chain = self.book.pool_list[a.pid].meta.chain.clone();
                let gas = self.gas_usd(&chain, ActionKind::Rebalance, i)?;
                let budget = self.value_of(position, i)?;
                if let Some(r) = self.unaffordable("rebalance", gas, self.wallet_value(i) + budget)
                {
                    return Ok(self.skip(i, "rebalance", &pool, r));
                }
                self.withdraw_to_wallet(position, i);
                let (outcome, id) = self.open(
                    Target::Pool {
                        pool: pool.clone(),
                        range: Some((*lower, *upper)),
                        vault,
                    },
                    budget,
                    i,
                    ActionKind::Rebalance,
                )?;
                // Keep the strategy's id for the position.
                if let Some(p) = id.and_then(|id| self.pf.positions.remove(&id)) {
                    self.pf.positions.insert(position, p);
                }
                self.counts.rebalances += 1;
                Ok(outcome)
            }
            Action::Move { position, to } => {
                if let Some(o) = self.wait_for_exit(*position, Some(to), i)? {
                    return Ok(o);
                }
                self.do_move(*position, to, i)
            }
            Action::Withdraw { position, usd } => self.withdraw_part(*position, *usd, i),
            Action::Deposit { position, usd } => self.deposit_into(*position, *usd, i),
        }
    }

    /// A withdrawal (or move) of a position whose venue has a lock or an unbonding
    /// delay: it is queued to complete when both have passed, and logged (`unbond`).
    /// `None` when it can go ahead now.
    fn wait_for_exit(
        &mut self,
        position: u32,
        then: Option<&Target>,
        i: usize,
    ) -> Result<Option<Outcome>, EngineError> {
        let ts = self.market.grid.at(i);
        let p = self
            .pf
            .positions
            .get(&position)
            .ok_or_else(|| EngineError::Spec(format!("no position {position}")))?;
        let name = p.venue().to_string();
        if p.exit.is_some() {
            return Ok(Some(self.skip(
                i,
                "withdraw",
                &name,
                "the position is already waiting to be withdrawn".into(),
            )));
        }
        let set = self.config.pools.get(&name).cloned().unwrap_or_default();
        let unbonding = set.unbonding_secs().map_err(EngineError::Spec)?;
        let lock_end = p.locked_until.unwrap_or(i64::MIN);
        let ready_at = lock_end.max(ts.saturating_add(unbonding));
        if ready_at <= ts {
            return Ok(None);
        }
        let note = format!(
            "withdrawal requested; completes at {}{}{}",
            format_ts(ready_at),
            if lock_end > ts {
                format!(" (locked until {})", format_ts(lock_end))
            } else {
                String::new()
            },
            if unbonding > 0 {
                format!(
                    " (unbonding {}{})",
                    crate::units::format_duration(unbonding),
                    if set.unbonding_yield {
                        ", earning"
                    } else {
                        ", not earning"
                    }
                )
            } else {
                String::new()
            }
        );
        let v = self.value_of(position, i)?;
        if let Some(p) = self.pf.positions.get_mut(&position) {
            p.exit = Some(PendingExit {
                ready_at,
                then: then.cloned(),
                earns: set.unbonding_yield,
            });
        }
        self.pf.version += 1;
        self.log_note(i, LedgerAction::Unbond, &name, v, note);
        Ok(Some(Outcome::Done))
    }

    /// Completes the withdrawals whose wait is over at step `i`, in position order, then
    /// the deposits whose window has opened, in the order they were asked for.
    fn complete_exits(&mut self, i: usize) -> Result<(), EngineError> {
        let ts = self.market.grid.at(i);
        self.complete_withdrawals(i)?;
        if self.pending_deposits.iter().any(|d| d.0 <= ts) {
            let (due, wait): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending_deposits)
                .into_iter()
                .partition(|d| d.0 <= ts);
            self.pending_deposits = wait;
            for (_, target, budget) in due {
                let have = self.wallet_value(i);
                self.open(target, budget.min(have), i, ActionKind::Deposit)?;
            }
        }
        Ok(())
    }

    fn complete_withdrawals(&mut self, i: usize) -> Result<(), EngineError> {
        let ts = self.market.grid.at(i);
        let due: Vec<(u32, Option<Target>)> = self
            .pf
            .positions
            .iter()
            .filter_map(|(id, p)| {
                p.exit
                    .as_ref()
                    .filter(|e| e.ready_at <= ts)
                    .map(|e| (*id, e.then.clone()))
            })
            .collect();
        for (id, then) in due {
            if let Some(p) = self.pf.positions.get_mut(&id) {
                p.exit = None;
            }
            match then {
                Some(to) => {
                    self.do_move(id, &to, i)?;
                }
                None => {
                    let chain = self.position_chain(id)?;
                    let gas = self.gas_usd(&chain, ActionKind::Withdraw, i)?;
                    let funds = self.wallet_value(i) + self.value_of(id, i)?;
                    match self.unaffordable("withdraw", gas, funds) {
                        Some(r) => {
                            let name = self.position_name(id);
                            self.skip(i, "withdraw", &name, r);
                        }
                        None => self.close(id, i, true)?,
                    }
                }
            }
        }
        Ok(())
    }

    /// Closes a position and puts its value into `to`: withdraw gas, a bridge between
    /// chains, a swap where a yield stream's tokens differ, deposit gas.
    fn do_move(&mut self, position: u32, to: &Target, i: usize) -> Result<Outcome, EngineError> {
        {
            {
                let from_chain = self.position_chain(position)?;
                let from_tokens = self.position_tokens(position);
                let to_chain = self.target_chain(to)?;
                let mut value = self.value_of(position, i)?;
                let mut gas = self.gas_usd(&from_chain, ActionKind::Withdraw, i)?
                    + self.gas_usd(&to_chain, ActionKind::Deposit, i)?;
                if to_chain != from_chain {
                    gas += self.gas_usd(&from_chain, ActionKind::Bridge, i)?;
                }
                if let Some(r) = self.unaffordable("move", gas, self.wallet_value(i) + value) {
                    let name = self.position_name(position);
                    return Ok(self.skip(i, "move", &name, r));
                }
                self.close(position, i, true)?;
                if to_chain != from_chain {
                    let bridge_gas = self.gas_usd(&from_chain, ActionKind::Bridge, i)?;
                    self.take_gas(bridge_gas, i);
                    let fee = value.max(0.0) * self.config.bridge_fee;
                    value -= fee;
                    *self.pf.wallet.entry(0).or_default() -= fee;
                    self.att.swap_costs.add(-fee);
                    self.log(
                        i,
                        LedgerAction::Bridge,
                        &to_chain,
                        value,
                        bridge_gas,
                        fee,
                        0.0,
                    );
                }
                if let Target::Yield { pool } = to {
                    let to_tokens = self.book.pool(pool)?.meta.tokens.clone();
                    if to_tokens != from_tokens {
                        let v = value.max(0.0);
                        let pv = self.book.pool_arc(pool)?;
                        let cost = self.pool_swap_cost(&pv, v, i)?;
                        value -= cost;
                        *self.pf.wallet.entry(0).or_default() -= cost;
                        self.att.swap_costs.add(-cost);
                        self.counts.swaps += 1;
                        self.log(i, LedgerAction::Swap, pool, v, 0.0, cost, 0.0);
                    }
                }
                let (outcome, _) = self.open(to.clone(), value, i, ActionKind::Deposit)?;
                self.counts.moves += 1;
                Ok(outcome)
            }
        }
    }

    /// A position's value at step `i`, or an error naming the missing id.
    fn value_of(&self, id: u32, i: usize) -> Result<f64, EngineError> {
        self.pf
            .positions
            .get(&id)
            .map(|p| self.position_value(p, i))
            .ok_or_else(|| EngineError::Spec(format!("no position {id}")))
    }

    /// The pool or market a position is in.
    fn position_name(&self, id: u32) -> String {
        self.pf
            .positions
            .get(&id)
            .map(|p| p.venue().to_string())
            .unwrap_or_default()
    }

    fn first_chain(&self) -> String {
        self.book
            .pools
            .values()
            .next()
            .map(|p| p.meta.chain.clone())
            .unwrap_or_else(|| "ethereum".into())
    }

    fn chain_of(&self, id: u32) -> Result<&str, EngineError> {
        match self.pf.positions.get(&id).map(|p| &p.kind) {
            Some(PosKind::Amm(a)) => Ok(&self.book.pool_list[a.pid].meta.chain),
            Some(PosKind::Yield { pid, .. }) => Ok(&self.book.pool_list[*pid].meta.chain),
            Some(PosKind::Lend { chain, .. }) => Ok(chain),
            None => Err(EngineError::Spec(format!("no position {id}"))),
        }
    }

    fn position_chain(&self, id: u32) -> Result<String, EngineError> {
        self.chain_of(id).map(str::to_string)
    }

    fn position_tokens(&self, id: u32) -> Vec<String> {
        match self.pf.positions.get(&id).map(|p| &p.kind) {
            Some(PosKind::Amm(a)) => self.book.pool_list[a.pid].meta.tokens.clone(),
            Some(PosKind::Yield { pid, .. }) => self.book.pool_list[*pid].meta.tokens.clone(),
            _ => Vec::new(),
        }
    }

    fn target_chain(&self, t: &Target) -> Result<String, EngineError> {
        Ok(match t {
            Target::Pool { pool, .. } | Target::Yield { pool } => {
                self.book.pool(pool)?.meta.chain.clone()
            }
            Target::Lend { chain, .. } => chain.clone(),
        })
    }

    /// Opens a position with up to `budget` USD of the wallet, keeping what its gas
    /// costs; returns its id, or the reason it was skipped (the wallet cannot pay the gas).
    fn open(
        &mut self,
        target: Target,
        budget: f64,
        i: usize,
        gas_kind: ActionKind,
    ) -> Result<(Outcome, Option<u32>), EngineError> {
        let target_name = match &target {
            Target::Pool { pool, .. } | Target::Yield { pool } => pool.clone(),
            Target::Lend { market, .. } => market.clone(),
        };
        // A venue with deposit windows takes deposits only while one is open: the value
        // waits in the wallet until the next one (rebalances are not deposits).
        if gas_kind == ActionKind::Deposit {
            let set = self
                .config
                .pools
                .get(&target_name)
                .cloned()
                .unwrap_or_default();
            let ts = self.market.grid.at(i);
            if let Some(next) = set.next_deposit_window(ts).map_err(EngineError::Spec)? {
                let v = budget.min(self.wallet_value(i)).max(0.0);
                self.pending_deposits.push((next, target, budget));
                self.log_note(
                    i,
                    LedgerAction::DepositWait,
                    &target_name,
                    v,
                    format!(
                        "deposits open only in the venue's windows; the next opens at {}",
                        format_ts(next)
                    ),
                );
                return Ok((Outcome::Done, None));
            }
        }
        let gas_chain = self.target_chain(&target)?;
        let gas = self.gas_usd(&gas_chain, gas_kind, i)?;
        let have = self.wallet_value(i);
        if let Some(r) = self.unaffordable(gas_kind.name(), gas, have) {
            return Ok((self.skip(i, gas_kind.name(), &target_name, r), None));
        }
        let budget = budget.min(have - self.reserve(gas)).max(0.0);
        let (kind, chain, name, vault) = match target {
            Target::Pool { pool, range, vault } => {
                let pv = self.book.pool_arc(&pool)?;
                if !book::is_amm(&pv) {
                    return Err(EngineError::Spec(format!(
                        "pool '{pool}' has no price series or is not a two-token AMM pool"
                    )));
                }
                if pv.volume.is_some() && pv.fees_usd.is_none() && pv.fee_at(i).is_none() {
                    return Err(EngineError::Spec(format!("pool '{pool}' has volume but no fee rate: give `fee` in its [[pools]] entry or a fee_rate series")));
                }
                if let Err(m) = &pv.fee {
                    return Err(EngineError::Spec(m.clone()));
                }
                let p = pv.price.as_ref().map_or(f64::NAN, |s| s[i]);
                let kind = pv.meta.kind;
                let range = match range {
                    Some((lo, hi)) => {
                        if kind != PoolKind::Concentrated {
                            return Err(EngineError::Spec(format!(
                                "a price range needs a concentrated pool; '{pool}' is {kind}"
                            )));
                        }
                        if !(lo > 0.0 && hi > lo && lo.is_finite() && hi.is_finite()) {
                            return Err(EngineError::Spec(format!(
                                "range [{lo}, {hi}] must have 0 < lower < upper"
                            )));
                        }
                        Some((lo.sqrt(), hi.sqrt()))
                    }
                    None => None,
                };
                self.fee_pools.insert(self.book.pool_ids[&pool]);
                let mut a = AmmPos {
                    pool: pool.clone(),
                    pid: self.book.pool_ids[&pool],
                    kind,
                    l: 1.0,
                    range,
                    basket: [0.0, 0.0],
                    last_il: 0.0,
                    fees_usd: 0.0,
                    pending: 0.0,
                    unit: [Cell::new(UnitAt::NONE), Cell::new(UnitAt::NONE)],
                };
                let (u0, u1) = self.amounts(&a, i);
                let (t0, t1) = (pv.token_prices[0], pv.token_prices[1]);
                let per_l = u0 * self.book.price(t0, i) + u1 * self.book.price(t1, i);
                let l_target = budget / per_l;
                self.acquire_pair(t0, u0 * l_target, t1, u1 * l_target, a.pid, i)?;
                let h0 = self.pf.wallet.get(&t0).copied().unwrap_or(0.0);
                let h1 = self.pf.wallet.get(&t1).copied().unwrap_or(0.0);
                let l = match (u0 > 0.0, u1 > 0.0) {
                    (true, true) => (h0 / u0).min(h1 / u1).min(l_target),
                    (true, false) => (h0 / u0).min(l_target),
                    (false, true) => (h1 / u1).min(l_target),
                    _ => 0.0,
                };
                let _ = p;
                let (x, y) = (u0 * l, u1 * l);
                *self.pf.wallet.entry(t0).or_default() -= x;
                *self.pf.wallet.entry(t1).or_default() -= y;
                a.l = l;
                a.basket = [x, y];
                let chain = pv.meta.chain.clone();
                (PosKind::Amm(a), chain, pool, vault)
            }
            Target::Lend {
                market,
                asset,
                chain,
                vault,
            } => {
                let rate = self.market.rate(&market).ok_or_else(|| {
                    let known: Vec<&str> = self.market.rates.keys().map(String::as_str).collect();
                    EngineError::Spec(format!(
                        "lending market '{market}' is not in the market{}; markets: {}",
                        crate::data::error::suggest(&market, known.iter().copied()),
                        crate::data::error::list_names(known.iter().copied())
                    ))
                })?;
                if rate.field(Field::SupplyApr).is_none() {
                    return Err(EngineError::Spec(format!(
                        "lending market '{market}' has no supply_apr over the run"
                    )));
                }
                let k = self.book.asset(&asset)?;
                let amount = budget / self.book.price(k, i);
                self.acquire(k, amount, &[], None, i)?;
                let have = self.pf.wallet.get(&k).copied().unwrap_or(0.0).min(amount);
                *self.pf.wallet.entry(k).or_default() -= have;
                (
                    PosKind::Lend {
                        market: market.clone(),
                        asset: k,
                        amount: have,
                        chain: chain.clone(),
                    },
                    chain,
                    market,
                    vault,
                )
            }
            Target::Yield { pool } => {
                let pv = self.book.pool_arc(&pool)?;
                if pv.apy_base.is_none() && pv.apy_reward.is_none() {
                    return Err(EngineError::Spec(format!(
                        "pool '{pool}' has no apy_base or apy_reward over the run"
                    )));
                }
                let asset = pv.exposure.ok_or_else(|| {
                    EngineError::Spec(format!(
                        "pool '{pool}' has a price (from the data or its tokens): it is held as a pool position, not a yield stream"
                    ))
                })?;
                let pid = self.book.pool_ids[&pool];
                self.yield_pools.insert(pid);
                self.acquire(0, budget, &[], Some(pid), i)?;
                let have = self
                    .pf
                    .wallet
                    .get(&0)
                    .copied()
                    .unwrap_or(0.0)
                    .min(budget)
                    .max(0.0);
                *self.pf.wallet.entry(0).or_default() -= have;
                (
                    PosKind::Yield {
                        pool: pool.clone(),
                        pid,
                        principal: have / self.book.price(asset, i),
                        asset,
                    },
                    pv.meta.chain.clone(),
                    pool,
                    false,
                )
            }
        };
        let id = self.pf.next_id;
        self.pf.next_id += 1;
        self.pf.version += 1;
        let lock = self
            .config
            .pools
            .get(&name)
            .map(|s| s.lock_secs())
            .transpose()
            .map_err(EngineError::Spec)?
            .unwrap_or(0);
        let pos = Position {
            kind,
            opened: i,
            vault,
            locked_until: (lock > 0).then(|| self.market.grid.at(i).saturating_add(lock)),
            exit: None,
        };
        let v = self.position_value(&pos, i);
        if let PosKind::Amm(a) = &pos.kind {
            let il = self.amm_value(a, i) - self.basket_value(a, i);
            let mut pos = pos.clone();
            if let PosKind::Amm(m) = &mut pos.kind {
                m.last_il = il;
            }
            self.att.impermanent_loss.add(il);
            self.pf.positions.insert(id, pos);
        } else {
            self.pf.positions.insert(id, pos);
        }
        // A rebalance is one action, one row and one count (not a withdrawal and a deposit).
        if gas_kind == ActionKind::Deposit {
            self.counts.deposits += 1;
        }
        self.log(i, gas_kind.into(), &name, v, 0.0, 0.0, 0.0);
        debug_assert_eq!(chain, gas_chain);
        self.charge_gas(gas, gas_kind, i, &name);
        Ok((Outcome::Done, Some(id)))
    }

    /// Moves a position's tokens, fees and rewards into the wallet and removes it.
    fn withdraw_to_wallet(&mut self, id: u32, i: usize) {
        let Some(pos) = self.pf.positions.remove(&id) else {
            return;
        };
        self.put_in_wallet(pos, i);
    }

    /// Puts what a position holds (taken out of the portfolio) into the wallet.
    fn put_in_wallet(&mut self, pos: Position, i: usize) {
        match pos.kind {
            PosKind::Amm(a) => {
                let (x, y) = self.amounts(&a, i);
                let pv = &self.book.pool_list[a.pid];
                let (t0, t1, r) = (pv.token_prices[0], pv.token_prices[1], pv.reward);
                // The position's IL stays in its bucket; the wallet now holds the tokens.
                // Re-base: the wallet's tokens are worth the LP value; the difference
                // between that and the basket is the IL already booked.
                *self.pf.wallet.entry(t0).or_default() += x;
                *self.pf.wallet.entry(t1).or_default() += y;
                *self.pf.wallet.entry(0).or_default() += a.fees_usd;
                if let Some(r) = r {
                    *self.pf.wallet.entry(r).or_default() += a.pending;
                }
            }
            PosKind::Lend { asset, amount, .. } => {
                *self.pf.wallet.entry(asset).or_default() += amount
            }
            PosKind::Yield {
                principal, asset, ..
            } => *self.pf.wallet.entry(asset).or_default() += principal,
        }
    }

    fn close(&mut self, id: u32, i: usize, pay: bool) -> Result<(), EngineError> {
        let chain = self.position_chain(id)?;
        let v = self.position_value(&self.pf.positions[&id], i);
        let name = match &self.pf.positions[&id].kind {
            PosKind::Amm(a) => a.pool.clone(),
            PosKind::Lend { market, .. } => market.clone(),
            PosKind::Yield { pool, .. } => pool.clone(),
        };
        self.withdraw_to_wallet(id, i);
        self.counts.withdrawals += 1;
        self.log(i, LedgerAction::Withdraw, &name, v, 0.0, 0.0, 0.0);
        if pay {
            self.pay_gas(&chain, ActionKind::Withdraw, i, 1.0, &name)?;
        }
        Ok(())
    }

    fn harvest(&mut self, id: u32, i: usize, paid_by_others: bool) -> Result<Outcome, EngineError> {
        let Some(pos) = self.pf.positions.get(&id) else {
            return Err(EngineError::Spec(format!("no position {id} to harvest")));
        };
        let ours = self.position_value(pos, i);
        let vault = pos.vault;
        let (reward_value, fees_usd) = match &pos.kind {
            PosKind::Amm(a) => {
                let pv = &self.book.pool_list[a.pid];
                (
                    pv.reward
                        .map(|r| a.pending * self.book.price(r, i))
                        .unwrap_or(0.0),
                    a.fees_usd,
                )
            }
            _ => (0.0, 0.0),
        };
        let share = if paid_by_others {
            0.0
        } else {
            ours / (ours + self.config.vault_others_usd.max(0.0))
        };
        // The gas, priced on the position's chain without copying its name.
        let gas = self.gas_usd(self.chain_of(id)?, ActionKind::Harvest, i)? * share;
        let sell_cost = self.config.reward_swap.cost(reward_value);
        let proceeds = reward_value - sell_cost + fees_usd;
        let vf = self.config.vault_fees;
        let fee = if vault {
            proceeds.max(0.0) * (vf.performance_fee + vf.call_fee)
        } else {
            0.0
        };
        let net = proceeds - fee;
        if let Some(r) = self.unaffordable("harvest", gas, self.wallet_value(i) + net.max(0.0)) {
            let name = self.position_name(id);
            return Ok(self.skip(i, "harvest", &name, r));
        }
        self.att.swap_costs.add(-sell_cost);
        self.att.vault_fees.add(-fee);
        let name = self.position_name(id);
        self.log(
            i,
            LedgerAction::Harvest,
            &name,
            proceeds,
            0.0,
            sell_cost,
            fee,
        );
        self.counts.harvests += 1;
        if let Some(p) = self.pf.positions.get_mut(&id) {
            if let PosKind::Amm(a) = &mut p.kind {
                a.pending = 0.0;
                a.fees_usd = 0.0;
            }
        }
        // The proceeds come into the wallet and the gas goes out of it (other wallet
        // holdings are sold only for what neither its USD nor the proceeds cover); what
        // the proceeds leave is re-deposited, whole.
        if net > 0.0 {
            *self.pf.wallet.entry(0).or_default() += net;
        }
        self.charge_gas(gas, ActionKind::Harvest, i, &name);
        let net = net.min(self.pf.wallet.get(&0).copied().unwrap_or(0.0));
        if net <= 0.0 {
            return Ok(Outcome::Done);
        }
        enum Redeposit {
            Amm { pid: usize, unit: UnitAt },
            Lend { asset: usize },
            None,
        }
        let what = match &self.pf.positions[&id].kind {
            PosKind::Amm(a) => Redeposit::Amm {
                pid: a.pid,
                unit: self.unit(a, i),
            },
            PosKind::Lend { asset, .. } => Redeposit::Lend { asset: *asset },
            PosKind::Yield { .. } => Redeposit::None,
        };
        match what {
            Redeposit::Amm { pid, unit: u } => {
                let tokens = &self.book.pool_list[pid].token_prices;
                let (t0, t1) = (tokens[0], tokens[1]);
                let (u0, u1) = (u.x, u.y);
                let l_target = net / u.usd;
                let before = (
                    self.pf.wallet.get(&t0).copied().unwrap_or(0.0),
                    self.pf.wallet.get(&t1).copied().unwrap_or(0.0),
                );
                self.acquire_pair(
                    t0,
                    before.0 + u0 * l_target,
                    t1,
                    before.1 + u1 * l_target,
                    pid,
                    i,
                )?;
                let h0 = self.pf.wallet.get(&t0).copied().unwrap_or(0.0) - before.0;
                let h1 = self.pf.wallet.get(&t1).copied().unwrap_or(0.0) - before.1;
                let dl = match (u0 > 0.0, u1 > 0.0) {
                    (true, true) => (h0 / u0).min(h1 / u1),
                    (true, false) => h0 / u0,
                    (false, true) => h1 / u1,
                    _ => 0.0,
                }
                .clamp(0.0, l_target);
                *self.pf.wallet.entry(t0).or_default() -= u0 * dl;
                *self.pf.wallet.entry(t1).or_default() -= u1 * dl;
                let mut positions = std::mem::take(&mut self.pf.positions);
                if let Some(PosKind::Amm(a)) = positions.get_mut(&id).map(|p| &mut p.kind) {
                    a.l += dl;
                    a.basket = [a.basket[0] + u0 * dl, a.basket[1] + u1 * dl];
                    a.last_il = self.amm_value(a, i) - self.basket_value(a, i);
                }
                self.pf.positions = positions;
            }
            Redeposit::Lend { asset } => {
                let need = net / self.book.price(asset, i);
                let before = self.pf.wallet.get(&asset).copied().unwrap_or(0.0);
                self.acquire(asset, before + need, &[], None, i)?;
                let got = (self.pf.wallet.get(&asset).copied().unwrap_or(0.0) - before).max(0.0);
                *self.pf.wallet.entry(asset).or_default() -= got;
                if let Some(PosKind::Lend { amount, .. }) =
                    self.pf.positions.get_mut(&id).map(|p| &mut p.kind)
                {
                    *amount += got;
                }
            }
            Redeposit::None => {}
        }
        if vault && vf.profit_unlock_secs > 0 {
            let t = self.market.grid.at(i);
            self.locked.push((net, t, t + vf.profit_unlock_secs));
            self.locked_now += net;
            self.att.unreleased_profit.add(-net);
        }
        Ok(Outcome::Done)
    }
}

/// Scales a position by `k`.
fn scale(p: &mut Position, k: f64) {
    match &mut p.kind {
        PosKind::Amm(a) => {
            a.l *= k;
            a.basket = [a.basket[0] * k, a.basket[1] * k];
            a.last_il *= k;
            a.fees_usd *= k;
            a.pending *= k;
        }
        PosKind::Lend { amount, .. } => *amount *= k,
        PosKind::Yield { principal, .. } => *principal *= k,
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
