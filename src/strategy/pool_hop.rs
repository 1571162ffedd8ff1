//! `pool_hop`: chase the best trailing yield in a universe of pools. Every
//! `check_every` it scores each pool by its mean APY (base + reward) over the trailing
//! `window`, diluted by our own capital (APY × TVL / (TVL + ours)), and moves a holding
//! to a better pool when the better one beats it by more than `hysteresis` and the
//! holding is at least `min_hold` old, and only if the extra yield over `payback`
//! (default: `min_hold`) pays for the move's gas and bridge fee. With `top_k` > 1 the capital is spread over the
//! best k pools in equal weights. Every move pays withdraw gas, a bridge (gas and fee)
//! between chains, a swap when the pools' tokens differ, and deposit gas.
//!
//! The universe's pools are yield streams on a USD principal: their APY and TVL series
//! drive them; any price exposure of their tokens is not modelled.

use serde::{Deserialize, Serialize};

use super::in_range;
use crate::costs::ActionKind;
use crate::engine::{Action, EngineError, Strategy, Target, View};
use crate::market::{Field, Market};
use crate::units::Duration;
use crate::units::YEAR;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The universe; empty = every pool of the dataset with an APY series and no price.
    #[serde(default)]
    pub pools: Vec<String>,
    pub window: Duration,
    /// APY advantage (fraction per year, 0.02 = 2 points) needed to move.
    pub hysteresis: f64,
    pub min_hold: Duration,
    #[serde(default = "daily")]
    pub check_every: Duration,
    #[serde(default = "one")]
    pub top_k: usize,
    /// Ignore pools with less TVL than this (USD).
    #[serde(default)]
    pub min_tvl_usd: f64,
    /// Horizon over which a move's extra yield must repay its cost; default `min_hold`.
    #[serde(default)]
    pub payback: Option<Duration>,
    /// Bridge fee assumed when deciding (fraction); match `[costs] bridge_fee`.
    #[serde(default = "bridge")]
    pub bridge_fee: f64,
}

fn bridge() -> f64 {
    0.0005
}

fn daily() -> Duration {
    Duration::day()
}

fn one() -> usize {
    1
}

impl Params {
    /// Its pools, or (none given) every yield-only pool of the dataset.
    pub fn needs(&self) -> super::Needs {
        super::Needs {
            pools: self.pools.clone(),
            yield_pools: self.pools.is_empty(),
            ..Default::default()
        }
    }
}

pub struct PoolHop {
    p: Params,
    window: i64,
    min_hold: i64,
    check_every: i64,
    payback: i64,
    universe: Vec<String>,
    last_check: i64,
}

impl PoolHop {
    pub fn new(p: Params) -> Result<PoolHop, String> {
        let window = p.window.secs_of("window")?;
        let min_hold = p.min_hold.secs_of("min_hold")?;
        let check_every = p.check_every.secs_of("check_every")?;
        let payback = match &p.payback {
            Some(d) => d.secs_of("payback")?,
            None => min_hold,
        };
        in_range("bridge_fee", p.bridge_fee, 0.0, 0.5)?;
        in_range("hysteresis", p.hysteresis, 0.0, 10.0)?;
        if p.top_k == 0 || p.top_k > 50 {
            return Err(format!("top_k = {} must be between 1 and 50", p.top_k));
        }
        Ok(PoolHop {
            p,
            window,
            min_hold,
            check_every,
            payback,
            universe: Vec::new(),
            last_check: 0,
        })
    }

    fn score(&self, view: &View, pool: &str, ours: f64) -> Option<f64> {
        let pv = view.pool(pool).ok()?;
        let steps = (self.window / view.grid().step).max(1) as usize;
        let from = view.i.saturating_sub(steps - 1);
        let tvl = pv.tvl()?;
        if tvl[view.i] < self.p.min_tvl_usd {
            return None;
        }
        let mut s = 0.0;
        for k in from..=view.i {
            let apy = pv.apy_base().map(|a| a[k]).unwrap_or(0.0)
                + pv.apy_reward().map(|a| a[k]).unwrap_or(0.0);
            s += apy * tvl[k] / (tvl[k] + ours);
        }
        Some(s / (view.i - from + 1) as f64)
    }
}

impl Strategy for PoolHop {
    fn pools(&self, market: &Market) -> Vec<String> {
        if !self.p.pools.is_empty() {
            return self.p.pools.clone();
        }
        market
            .pools
            .iter()
            .filter(|(_, p)| {
                p.field(Field::Price).is_none()
                    && (p.field(Field::ApyBase).is_some() || p.field(Field::ApyReward).is_some())
            })
            .map(|(id, _)| id.clone())
            .collect()
    }

    fn on_step(&mut self, view: &View) -> Result<Vec<Action>, EngineError> {
        if view.i == 0 {
            self.universe = view.pool_ids().map(str::to_string).collect();
            if self.universe.len() < self.p.top_k {
                return Err(EngineError::Spec(format!(
                    "pool_hop: the universe has {} pools with yields, fewer than top_k = {}",
                    self.universe.len(),
                    self.p.top_k
                )));
            }
        } else if view.ts - self.last_check < self.check_every {
            return Ok(Vec::new());
        }
        self.last_check = view.ts;
        // What the run holds, read from the portfolio (a skipped move leaves it as it was):
        // (position id, pool, opened at).
        let held: Vec<(u32, String, i64)> = view
            .positions()
            .map(|(id, p)| (id, p.venue().to_string(), view.grid().at(p.opened)))
            .collect();
        let total = if view.i == 0 {
            view.wallet_value()
        } else {
            held.iter().map(|h| view.position_value(h.0)).sum()
        };
        let per = total / self.p.top_k as f64;
        let mut scored: Vec<(f64, String)> = self
            .universe
            .iter()
            // The data's TVL is the pool without us: our capital dilutes any pool we hold
            // or would move to alike.
            .filter_map(|pool| self.score(view, pool, per).map(|s| (s, pool.clone())))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut out = Vec::new();
        if view.i == 0 {
            for (_, pool) in scored.iter().take(self.p.top_k) {
                out.push(Action::Open {
                    target: target(view, pool),
                    usd: Some(per),
                });
            }
            return Ok(out);
        }
        self.moves(view, &scored, &held)
    }
}

impl PoolHop {
    /// The moves of a check: each holding outside the top pools (held long enough)
    /// moves to the best top pool not yet held, where the APY gained over the payback
    /// horizon pays for the move's gas and bridge fee.
    fn moves(
        &self,
        view: &View,
        scored: &[(f64, String)],
        held: &[(u32, String, i64)],
    ) -> Result<Vec<Action>, EngineError> {
        let mut out = Vec::new();
        let top: Vec<&(f64, String)> = scored.iter().take(self.p.top_k).collect();
        let score_of = |pool: &str| {
            scored
                .iter()
                .find(|s| s.1 == pool)
                .map(|s| s.0)
                .unwrap_or(f64::NEG_INFINITY)
        };
        let mut moved_to: Vec<String> = Vec::new();
        // A position waiting out a lock or an unbonding delay is already on its way.
        let mut holdings: Vec<(u32, String, i64)> = held
            .iter()
            .filter(|h| view.position(h.0).is_some_and(|p| p.exit.is_none()))
            .cloned()
            .collect();
        holdings.sort_by(|a, b| {
            score_of(&a.1)
                .total_cmp(&score_of(&b.1))
                .then(a.1.cmp(&b.1))
        });
        for h in holdings {
            if top.iter().any(|t| t.1 == h.1) || view.ts - h.2 < self.min_hold {
                continue;
            }
            let Some(best) = top
                .iter()
                .find(|t| !held.iter().any(|x| x.1 == t.1) && !moved_to.contains(&t.1))
            else {
                continue;
            };
            let gain = best.0 - score_of(&h.1);
            if gain <= self.p.hysteresis {
                continue;
            }
            // The move must pay for itself over the payback horizon.
            let value = view.position_value(h.0);
            let from_chain = view.pool(&h.1)?.meta().chain.clone();
            let to_chain = view.pool(&best.1)?.meta().chain.clone();
            let mut cost = view.gas_usd(&from_chain, ActionKind::Withdraw)
                + view.gas_usd(&to_chain, ActionKind::Deposit);
            if from_chain != to_chain {
                cost += view.gas_usd(&from_chain, ActionKind::Bridge) + value * self.p.bridge_fee;
            }
            if gain * value * self.payback as f64 / YEAR as f64 <= cost {
                continue;
            }
            out.push(Action::Move {
                position: h.0,
                to: target(view, &best.1),
            });
            moved_to.push(best.1.clone());
        }
        Ok(out)
    }
}

/// Where capital goes in `pool`: a pool position of its kind where the pool has a
/// price (real exposure: price effect, IL, depegs), else its yield stream.
fn target(view: &View, pool: &str) -> Target {
    match view.pool(pool) {
        Ok(pv) if pv.is_amm() => Target::Pool {
            pool: pool.to_string(),
            range: None,
            vault: false,
        },
        _ => Target::Yield {
            pool: pool.to_string(),
        },
    }
}

impl super::Kind for Params {
    const NAME: &'static str = "pool_hop";
    fn needs(&self) -> super::Needs {
        Params::needs(self)
    }
    fn schedules(&self) -> Vec<(&'static str, &crate::units::Duration)> {
        vec![("check_every", &self.check_every)]
    }
    fn build(&self) -> Result<Box<dyn Strategy>, String> {
        Ok(Box::new(PoolHop::new(self.clone())?))
    }
}
