//! `portfolio`: legs, each a strategy of its own kind holding a weight of the capital,
//! rebalanced between them on a calendar (`rebalance = "calendar"`, every `every`) or
//! when a leg's share drifts more than `drift_pct` points from its weight
//! (`rebalance = "drift"`). A rebalance takes the excess out of the legs above their
//! weight (`Action::Withdraw`) and adds it to those below (`Action::Deposit`), each
//! paying its gas, its swaps' fees and price impact and, out of a vault, its withdrawal
//! fee; transfers smaller than `min_trade_pct` % of the portfolio are not made. Cash
//! the legs leave in the wallet (sold rewards) is part of the portfolio and is
//! deployed by the next rebalance.
//!
//! Each leg runs as it would alone on its share: it sees its own positions (its first
//! is its position 0) and opens them at the first step with its weight of the capital,
//! less that opening's gas.
//! Legs may be `lp`, `stable_lp`, `range_lp`, `lend` and `autocompound`: kinds whose
//! capital sits in the positions they open at the start (`hodl` holds tokens in the
//! wallet, `pool_hop` moves between positions, and portfolios do not nest).
//!
//! ```toml
//! [strategy]
//! kind = "portfolio"
//! rebalance = "calendar"
//! every = "30d"
//! [[strategy.legs]]
//! weight = 0.5
//! kind = "lend"
//! market = "usdc_lending"
//! asset = "USDC"
//! chain = "ethereum"
//! [[strategy.legs]]
//! weight = 0.5
//! kind = "stable_lp"
//! pool = "usdc_usdt_stable"
//! ```

use serde::{Deserialize, Serialize};

use super::{in_range, Needs, StrategyParams};
use crate::costs::ActionKind;
use crate::engine::{Action, EngineError, Strategy, View};
use crate::market::Market;
use crate::units::Duration;

/// The kinds a leg may be.
pub const LEG_KINDS: [&str; 5] = ["lp", "stable_lp", "range_lp", "lend", "autocompound"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Calendar,
    Drift,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub legs: Vec<Leg>,
    pub rebalance: Rule,
    /// For `calendar`: how often (e.g. "30d").
    #[serde(default)]
    pub every: Option<Duration>,
    /// For `drift`: rebalance when a leg's share of the portfolio (or the cash's) is
    /// this many percentage points from its weight.
    #[serde(default)]
    pub drift_pct: Option<f64>,
    /// Transfers below this share of the portfolio (%) are not made; default 0.5.
    #[serde(default)]
    pub min_trade_pct: Option<f64>,
}

/// One leg: its weight of the capital and its strategy (`kind` and its parameters).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Leg {
    pub weight: f64,
    #[serde(flatten)]
    pub strategy: StrategyParams,
}

impl Params {
    pub fn needs(&self) -> Needs {
        let mut n = Needs::default();
        for leg in &self.legs {
            n.extend(leg.strategy.needs());
        }
        n
    }
}

struct LegRun {
    weight: f64,
    kind: &'static str,
    strategy: Box<dyn Strategy>,
    /// The run's ids of the positions this leg opened, in order: its position n is `ids[n]`.
    ids: Vec<u32>,
}

/// Who asked for an action of this step's list: a leg (its index, and the action's
/// index and form in the leg's own list) or the rebalance.
enum Origin {
    Leg(usize, usize, Action),
    Rebalance,
}

pub struct Portfolio {
    legs: Vec<LegRun>,
    rule: Rule,
    every: i64,
    drift: f64,
    min_trade: f64,
    last: i64,
    origin: Vec<Origin>,
}

impl Portfolio {
    pub fn new(p: Params) -> Result<Portfolio, String> {
        if p.legs.len() < 2 {
            return Err("a portfolio needs at least two [[strategy.legs]]".into());
        }
        let mut legs = Vec::with_capacity(p.legs.len());
        for (k, leg) in p.legs.iter().enumerate() {
            let kind = leg.strategy.kind();
            if !LEG_KINDS.contains(&kind) {
                return Err(format!(
                    "leg {} is kind = \"{kind}\"; a leg may be {}",
                    k + 1,
                    LEG_KINDS.join(", ")
                ));
            }
            in_range(&format!("leg {} weight", k + 1), leg.weight, 1e-9, 1.0)?;
            let strategy = leg
                .strategy
                .build()
                .map_err(|m| format!("leg {} ({kind}): {m}", k + 1))?;
            legs.push(LegRun {
                weight: leg.weight,
                kind,
                strategy,
                ids: Vec::new(),
            });
        }
        let sum: f64 = legs.iter().map(|l| l.weight).sum();
        if (sum - 1.0).abs() > 1e-6 {
            return Err(format!(
                "the legs' weights add up to {sum}; they must add up to 1"
            ));
        }
        let (every, drift) = match p.rebalance {
            Rule::Calendar => {
                if p.drift_pct.is_some() {
                    return Err("drift_pct goes with rebalance = \"drift\"".into());
                }
                let e = p
                    .every
                    .as_ref()
                    .ok_or("rebalance = \"calendar\" needs `every`, e.g. \"30d\"")?;
                (e.secs_of("every")?, 0.0)
            }
            Rule::Drift => {
                if p.every.is_some() {
                    return Err("every goes with rebalance = \"calendar\"".into());
                }
                let d = p
                    .drift_pct
                    .ok_or("rebalance = \"drift\" needs `drift_pct`, e.g. 5")?;
                (0, in_range("drift_pct", d, 0.01, 100.0)? / 100.0)
            }
        };
        let min_trade =
            in_range("min_trade_pct", p.min_trade_pct.unwrap_or(0.5), 0.0, 100.0)? / 100.0;
        Ok(Portfolio {
            legs,
            rule: p.rebalance,
            every,
            drift,
            min_trade,
            last: 0,
            origin: Vec::new(),
        })
    }

    /// A leg's action in the run's ids; at the first step its `Open` of the whole
    /// wallet becomes an `Open` of its weight of the capital less the opening's gas
    /// (what the leg would put in alone with that capital).
    fn to_run(
        &self,
        view: &View,
        k: usize,
        a: &Action,
        share: Option<f64>,
    ) -> Result<Action, EngineError> {
        let leg = &self.legs[k];
        let id = |n: u32| {
            leg.ids.get(n as usize).copied().ok_or_else(|| {
                EngineError::Spec(format!(
                    "portfolio leg {} ({}) acted on its position {n}, which it has not opened",
                    k + 1,
                    leg.kind
                ))
            })
        };
        Ok(match a.clone() {
            Action::Open { target, usd } => match share {
                Some(s) => {
                    let gas = view.target_gas_usd(&target, ActionKind::Deposit);
                    let s = if gas.is_finite() { (s - gas).max(0.0) } else { s };
                    Action::Open {
                        target,
                        usd: Some(usd.map_or(s, |u| u.min(s))),
                    }
                }
                None => {
                    return Err(EngineError::Spec(format!(
                        "portfolio leg {} ({}) opened a position after the first step, which a leg cannot do",
                        k + 1,
                        leg.kind
                    )))
                }
            },
            Action::Hold { .. } | Action::Move { .. } => {
                return Err(EngineError::Spec(format!(
                    "portfolio leg {} ({}) holds or moves between positions, which a leg cannot do",
                    k + 1,
                    leg.kind
                )))
            }
            Action::Close { position } => Action::Close {
                position: id(position)?,
            },
            Action::Claim { position } => Action::Claim {
                position: id(position)?,
            },
            Action::SellRewards => Action::SellRewards,
            Action::Harvest {
                position,
                paid_by_others,
            } => Action::Harvest {
                position: id(position)?,
                paid_by_others,
            },
            Action::Rebalance {
                position,
                lower,
                upper,
            } => Action::Rebalance {
                position: id(position)?,
                lower,
                upper,
            },
            Action::Withdraw { position, usd } => Action::Withdraw {
                position: id(position)?,
                usd,
            },
            Action::Deposit { position, usd } => Action::Deposit {
                position: id(position)?,
                usd,
            },
        })
    }

    /// The rebalance between the legs, when due: withdrawals first, then deposits.
    fn rebalance(&mut self, view: &View) -> Vec<Action> {
        // Each leg's value, and its position taking transfers (its first still held).
        let legs: Vec<(f64, Option<u32>, f64)> = self
            .legs
            .iter()
            .map(|l| {
                let value: f64 = l.ids.iter().map(|g| view.position_value(*g)).sum();
                let live = l
                    .ids
                    .iter()
                    .copied()
                    .find(|g| view.position(*g).is_some_and(|p| p.exit.is_none()));
                (value, live, l.weight)
            })
            .collect();
        let cash = view.wallet_value();
        let total = cash + legs.iter().map(|l| l.0).sum::<f64>();
        if total.is_nan() || total <= 0.0 {
            return Vec::new();
        }
        let due = match self.rule {
            Rule::Calendar => view.ts - self.last >= self.every,
            Rule::Drift => {
                cash / total > self.drift
                    || legs.iter().any(|l| (l.0 / total - l.2).abs() > self.drift)
            }
        };
        if !due {
            return Vec::new();
        }
        self.last = view.ts;
        // Legs without a position to trade (a skipped opening) keep out; the others
        // share the portfolio in their weights.
        let weight: f64 = legs.iter().filter(|l| l.1.is_some()).map(|l| l.2).sum();
        let (mut out, mut ins) = (Vec::new(), Vec::new());
        for (value, live, w) in &legs {
            let Some(position) = live else { continue };
            let gap = w / weight * total - value;
            if gap.abs() <= self.min_trade * total {
                continue;
            }
            if gap < 0.0 {
                out.push(Action::Withdraw {
                    position: *position,
                    usd: -gap,
                });
            } else {
                ins.push(Action::Deposit {
                    position: *position,
                    usd: gap,
                });
            }
        }
        out.extend(ins);
        out
    }
}

impl Strategy for Portfolio {
    fn pools(&self, market: &Market) -> Vec<String> {
        let mut v: Vec<String> = self
            .legs
            .iter()
            .flat_map(|l| l.strategy.pools(market))
            .collect();
        v.sort();
        v.dedup();
        v
    }

    fn assets(&self) -> Vec<String> {
        let mut v: Vec<String> = self.legs.iter().flat_map(|l| l.strategy.assets()).collect();
        v.sort();
        v.dedup();
        v
    }

    fn chains(&self) -> Vec<String> {
        let mut v: Vec<String> = self.legs.iter().flat_map(|l| l.strategy.chains()).collect();
        v.sort();
        v.dedup();
        v
    }

    fn on_step(&mut self, view: &View) -> Result<Vec<Action>, EngineError> {
        // Every position is some leg's: one the engine opened otherwise (a deposit
        // window's delayed deposit) could not be told apart.
        for (id, _) in view.positions() {
            if !self.legs.iter().any(|l| l.ids.contains(&id)) {
                return Err(EngineError::Spec(format!(
                    "position {id} was opened outside a leg's own deposit (a deposit window delays it); portfolio legs cannot use venues with deposit windows"
                )));
            }
        }
        if view.i == 0 {
            self.last = view.ts;
        }
        let capital = view.wallet_value();
        let mut out = Vec::new();
        self.origin.clear();
        for k in 0..self.legs.len() {
            let share = (view.i == 0).then(|| capital * self.legs[k].weight);
            let asked = {
                let leg = &mut self.legs[k];
                leg.strategy.on_step(&view.scoped(&leg.ids))?
            };
            for (n, a) in asked.into_iter().enumerate() {
                out.push(self.to_run(view, k, &a, share)?);
                self.origin.push(Origin::Leg(k, n, a));
            }
        }
        if view.i > 0 {
            for a in self.rebalance(view) {
                out.push(a);
                self.origin.push(Origin::Rebalance);
            }
        }
        Ok(out)
    }

    fn opened(&mut self, index: usize, id: u32) {
        if let Some(Origin::Leg(k, n, _)) = self.origin.get(index) {
            let (k, n) = (*k, *n);
            let leg = &mut self.legs[k];
            leg.ids.push(id);
            let local = (leg.ids.len() - 1) as u32;
            leg.strategy.opened(n, local);
        }
    }

    fn skipped(&mut self, index: usize, _action: &Action, reason: &str) {
        if let Some(Origin::Leg(k, n, a)) = self.origin.get(index) {
            let (k, n, a) = (*k, *n, a.clone());
            self.legs[k].strategy.skipped(n, &a, reason);
        }
    }
}

impl super::Kind for Params {
    const NAME: &'static str = "portfolio";
    fn needs(&self) -> Needs {
        Params::needs(self)
    }
    fn schedules(&self) -> Vec<(&'static str, &crate::units::Duration)> {
        self.every
            .iter()
            .map(|d| ("every", d))
            .chain(self.legs.iter().flat_map(|l| l.strategy.schedules()))
            .collect()
    }
    fn build(&self) -> Result<Box<dyn Strategy>, String> {
        Ok(Box::new(Portfolio::new(self.clone())?))
    }
}
