//! `autocompound`: a vault on an LP position (or a lending position): it harvests the
//! pending rewards and uncollected fees per a policy, sells them, pays the vault's fees
//! and re-deposits the rest. Policies:
//!
//! * `interval` — every `interval` (e.g. "1d");
//! * `threshold` — when pending value reaches `gas_multiple` × the harvest's gas cost;
//! * `on_deposit` — whenever other users deposit (the pool's TVL rises by more than
//!   `deposit_trigger_pct` % in a step): the depositor's transaction pays the harvest,
//!   as in harvest-on-deposit vaults, so our share of that gas is zero.
//!
//! Harvest gas is shared with the vault's other depositors (`[vault] others_usd`).

use serde::{Deserialize, Serialize};

use super::in_range;
use crate::costs::ActionKind;
use crate::engine::{Action, EngineError, Strategy, Target, View};
use crate::market::Market;
use crate::units::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    Interval,
    Threshold,
    OnDeposit,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The LP pool the vault farms ...
    #[serde(default)]
    pub pool: Option<String>,
    /// ... or a lending market and asset.
    #[serde(default)]
    pub market: Option<String>,
    #[serde(default)]
    pub asset: Option<String>,
    /// Chain of a lending vault (pools know theirs).
    #[serde(default)]
    pub chain: Option<String>,
    pub harvest: Policy,
    #[serde(default)]
    pub interval: Option<Duration>,
    #[serde(default)]
    pub gas_multiple: Option<f64>,
    #[serde(default)]
    pub deposit_trigger_pct: Option<f64>,
}

impl Params {
    pub fn needs(&self) -> super::Needs {
        super::Needs {
            pools: self.pool.iter().cloned().collect(),
            assets: self.asset.iter().cloned().collect(),
            rates: self.market.iter().cloned().collect(),
            chains: vec![self.chain.clone().unwrap_or_else(|| "ethereum".into())],
            ..Default::default()
        }
    }
}

pub struct Autocompound {
    p: Params,
    interval: i64,
    last: i64,
}

impl Autocompound {
    pub fn new(p: Params) -> Result<Autocompound, String> {
        match (&p.pool, &p.market, &p.asset) {
            (Some(_), None, None) | (None, Some(_), Some(_)) => {}
            _ => {
                return Err(
                    "give `pool` (an LP vault) or `market` and `asset` (a lending vault)".into(),
                )
            }
        }
        let interval = match p.harvest {
            Policy::Interval => p
                .interval
                .as_ref()
                .ok_or("harvest = \"interval\" needs `interval`, e.g. \"1d\"")?
                .secs_of("interval")?,
            _ => 0,
        };
        if p.harvest == Policy::Threshold {
            in_range(
                "gas_multiple",
                p.gas_multiple
                    .ok_or("harvest = \"threshold\" needs `gas_multiple`")?,
                0.0,
                1e6,
            )?;
        }
        if let Some(d) = p.deposit_trigger_pct {
            in_range("deposit_trigger_pct", d, 0.0, 100.0)?;
        }
        Ok(Autocompound {
            p,
            interval,
            last: 0,
        })
    }

    fn chain(&self, view: &View) -> Result<String, EngineError> {
        match &self.p.pool {
            Some(pool) => Ok(view.pool(pool)?.meta().chain.clone()),
            None => Ok(self.p.chain.clone().unwrap_or_else(|| "ethereum".into())),
        }
    }
}

impl Strategy for Autocompound {
    fn pools(&self, _market: &Market) -> Vec<String> {
        self.p.pool.iter().cloned().collect()
    }

    fn assets(&self) -> Vec<String> {
        self.p.asset.iter().cloned().collect()
    }

    fn chains(&self) -> Vec<String> {
        self.p.chain.iter().cloned().collect()
    }

    fn idle_until(&self) -> Option<i64> {
        // An interval vault acts only when the interval since its last harvest is up.
        (self.p.harvest == Policy::Interval).then(|| self.last.saturating_add(self.interval))
    }

    fn on_step(&mut self, view: &View) -> Result<Vec<Action>, EngineError> {
        if view.i == 0 {
            self.last = view.ts;
            let target = match (&self.p.pool, &self.p.market, &self.p.asset) {
                (Some(pool), _, _) => Target::Pool {
                    pool: pool.clone(),
                    range: None,
                    vault: true,
                },
                (None, Some(market), Some(asset)) => Target::Lend {
                    market: market.clone(),
                    asset: asset.clone(),
                    chain: self.p.chain.clone().unwrap_or_else(|| "ethereum".into()),
                    vault: true,
                },
                _ => unreachable!("checked in new"),
            };
            return Ok(vec![Action::Open { target, usd: None }]);
        }
        // No position (its opening was skipped: the capital could not pay the gas).
        if view.position(0).is_none() {
            return Ok(Vec::new());
        }
        let harvest = match self.p.harvest {
            Policy::Interval => view.ts - self.last >= self.interval,
            Policy::Threshold => {
                let gas = view.gas_usd(&self.chain(view)?, ActionKind::Harvest);
                view.pending_rewards_usd(0) >= self.p.gas_multiple.unwrap_or(1.0) * gas
            }
            Policy::OnDeposit => match &self.p.pool {
                Some(pool) => {
                    let tvl = view.pool(pool)?.tvl();
                    let trigger = self.p.deposit_trigger_pct.unwrap_or(0.5) / 100.0;
                    tvl.map(|t| t[view.i] > t[view.i - 1] * (1.0 + trigger))
                        .unwrap_or(false)
                }
                None => false,
            },
        };
        if !harvest {
            return Ok(Vec::new());
        }
        self.last = view.ts;
        Ok(vec![Action::Harvest {
            position: 0,
            paid_by_others: self.p.harvest == Policy::OnDeposit,
        }])
    }
}

impl super::Kind for Params {
    const NAME: &'static str = "autocompound";
    fn needs(&self) -> super::Needs {
        Params::needs(self)
    }
    fn schedules(&self) -> Vec<(&'static str, &crate::units::Duration)> {
        if self.harvest == Policy::Interval {
            self.interval.iter().map(|d| ("interval", d)).collect()
        } else {
            Vec::new()
        }
    }
    fn build(&self) -> Result<Box<dyn Strategy>, String> {
        Ok(Box::new(Autocompound::new(self.clone())?))
    }
}
