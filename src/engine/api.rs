//! What a strategy sees and asks for: the `Strategy` trait, its `View` of a step (accessors
//! that name positions by the strategy's own ids), the `Action`s and their `Target`s.

use super::*;

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
///
/// The data is read through accessors that end at the step: a level (a price, a TVL,
/// an APY, a rate) up to and including step `i`, a flow over a bar (volume, fees) up to
/// the bar that closed at `i` — so a strategy cannot look ahead, whatever it does.
pub struct View<'a> {
    pub i: usize,
    pub ts: Timestamp,
    pub(super) market: &'a Market,
    pub(super) book: &'a Book,
    pub(super) portfolio: &'a Portfolio,
    pub(super) engine: &'a Engine<'a>,
    /// A leg's ids: its position n is the run's `scope[n]`; `None`: the run's own ids.
    pub(super) scope: Option<&'a [u32]>,
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

    /// The positions held, with their ids, in id order (a leg's ids rise with the run's).
    pub fn positions(&self) -> impl Iterator<Item = (u32, &Position)> + '_ {
        let scope = self.scope;
        self.portfolio
            .positions
            .iter()
            .filter_map(move |(k, p)| match scope {
                None => Some((*k, p)),
                Some(ids) => ids.iter().position(|g| g == k).map(|n| (n as u32, p)),
            })
    }

    /// Gas cost in USD at this step of an action of `kind` on `target`'s chain.
    pub fn target_gas_usd(&self, target: &Target, kind: ActionKind) -> f64 {
        self.engine
            .target_chain(target)
            .and_then(|c| self.engine.cx.gas_usd(&c, kind, self.i))
            .unwrap_or(f64::INFINITY)
    }

    /// Gas cost in USD of an action on a chain at this step.
    pub fn gas_usd(&self, chain: &str, kind: ActionKind) -> f64 {
        self.engine
            .cx
            .gas_usd(chain, kind, self.i)
            .unwrap_or(f64::INFINITY)
    }

    /// The value of a position at this step (USD).
    pub fn position_value(&self, id: u32) -> f64 {
        self.position(id)
            .map(|p| self.engine.cx.position_value(p, self.i))
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
        self.pool(pool).ok()?.price()?.last().copied()
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

    /// The run's time grid (its times are known in advance; its data is not).
    pub fn grid(&self) -> crate::market::TimeGrid {
        self.market.grid
    }

    /// The ids of the pools the run resolved, in id order.
    pub fn pool_ids(&self) -> impl Iterator<Item = &str> + '_ {
        self.book.pools.keys().map(String::as_str)
    }

    /// A pool's metadata and its series up to this step; an error names a pool the run
    /// did not resolve.
    pub fn pool(&self, id: &str) -> Result<PoolHistory<'_>, EngineError> {
        Ok(PoolHistory {
            pv: self.book.pool(id)?,
            i: self.i,
        })
    }

    /// A lending market's series of `field` (a level: supply or borrow APR,
    /// utilization) up to and including this step.
    pub fn rate(&self, market: &str, field: crate::market::Field) -> Option<&[f64]> {
        let s = self.market.rate(market)?.field(field)?;
        Some(until(s, field, self.i))
    }

    /// An asset's USD prices up to and including this step (where the run prices it).
    pub fn asset_prices(&self, asset: &str) -> Option<&[f64]> {
        let k = *self.book.assets.get(asset)?;
        Some(&self.book.prices[k][..=self.i])
    }
}

/// The part of a series known at step `i`: a level up to and including `i`, a flow
/// over a bar (or a counter's increment) up to the bar that closed at `i`.
fn until(s: &[f64], field: crate::market::Field, i: usize) -> &[f64] {
    let end = match field.aggregation() {
        crate::market::Aggregation::Level => i + 1,
        _ => i,
    };
    &s[..end.min(s.len())]
}

/// A pool as a strategy sees it at a step: its metadata, and its series up to the step
/// (`View`'s rule: levels to the step, flows to the bar that closed at it).
pub struct PoolHistory<'a> {
    pv: &'a PoolView,
    i: usize,
}

impl<'a> PoolHistory<'a> {
    pub fn meta(&self) -> &'a crate::market::PoolMeta {
        &self.pv.meta
    }

    /// Whether a position can hold the pool with its kind's exposure (it is priced and
    /// its kind holds liquidity): else only its yield can be held.
    pub fn is_amm(&self) -> bool {
        super::book::is_amm(self.pv)
    }

    fn series(&self, s: &'a Option<Vec<f64>>, field: crate::market::Field) -> Option<&'a [f64]> {
        s.as_deref().map(|s| until(s, field, self.i))
    }

    /// token1 per token0.
    pub fn price(&self) -> Option<&'a [f64]> {
        self.series(&self.pv.price, crate::market::Field::Price)
    }

    pub fn tvl(&self) -> Option<&'a [f64]> {
        self.series(&self.pv.tvl, crate::market::Field::TvlUsd)
    }

    pub fn apy_base(&self) -> Option<&'a [f64]> {
        self.series(&self.pv.apy_base, crate::market::Field::ApyBase)
    }

    pub fn apy_reward(&self) -> Option<&'a [f64]> {
        self.series(&self.pv.apy_reward, crate::market::Field::ApyReward)
    }

    /// Volume of the bars that closed by this step (USD).
    pub fn volume(&self) -> Option<&'a [f64]> {
        self.series(&self.pv.volume, crate::market::Field::VolumeUsd)
    }
}
