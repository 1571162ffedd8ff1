//! `range_lp`: a concentrated range of ±`width_pct` % around the price, moved when the
//! price leaves it (`rebalance = "out_of_range"`) or drifts more than `drift_pct` % from
//! the range's centre (`rebalance = "drift"`), at most every `min_interval`. With
//! `out_of_range_for = "24h"` an out-of-range rebalance waits until the price has stayed
//! outside the range that long (a price that comes back in time costs nothing). Each
//! rebalance collects fees, withdraws, swaps to the new range's ratio and re-deposits,
//! paying one rebalance's gas and the swap's fee and price impact.

use serde::{Deserialize, Serialize};

use super::in_range;
use crate::engine::{Action, EngineError, Strategy, Target, View};
use crate::market::Market;
use crate::market::PoolKind;
use crate::units::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    OutOfRange,
    Drift,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub pool: String,
    /// Half-width of the range in percent of the price (10 = ±10 %).
    pub width_pct: f64,
    pub rebalance: Rule,
    /// For `drift`: rebalance when the price is this many percent from the centre.
    #[serde(default)]
    pub drift_pct: Option<f64>,
    /// Shortest time between rebalances (e.g. "1d"); default no limit.
    #[serde(default)]
    pub min_interval: Option<Duration>,
    /// For `out_of_range`: rebalance only once the price has been out of the range this
    /// long without a break (e.g. "24h"); default at once.
    #[serde(default)]
    pub out_of_range_for: Option<Duration>,
}

pub struct RangeLp {
    p: Params,
    min_interval: i64,
    /// How long the price must stay out of range before a rebalance (0: at once).
    out_for: i64,
    centre: f64,
    last: i64,
    /// Since when the price has been out of the range without a break.
    out_since: Option<i64>,
    /// (centre, last, out_since) before the latest rebalance, restored if the engine skips it.
    before: (f64, i64, Option<i64>),
}

impl RangeLp {
    pub fn new(p: Params) -> Result<RangeLp, String> {
        in_range("width_pct", p.width_pct, 0.01, 99.0)?;
        if p.rebalance == Rule::Drift {
            let d = p.drift_pct.ok_or("rebalance = \"drift\" needs drift_pct")?;
            in_range("drift_pct", d, 0.01, 99.0)?;
        }
        let min_interval = p
            .min_interval
            .as_ref()
            .map(|d| d.secs_of("min_interval"))
            .transpose()?
            .unwrap_or(0);
        let out_for = match (&p.out_of_range_for, p.rebalance) {
            (None, _) => 0,
            (Some(d), Rule::OutOfRange) => d.secs_of("out_of_range_for")?,
            (Some(_), Rule::Drift) => {
                return Err("out_of_range_for goes with rebalance = \"out_of_range\"".into())
            }
        };
        Ok(RangeLp {
            p,
            min_interval,
            out_for,
            centre: 0.0,
            last: i64::MIN / 2,
            out_since: None,
            before: (0.0, i64::MIN / 2, None),
        })
    }

    fn bounds(&self, price: f64) -> (f64, f64) {
        let w = self.p.width_pct / 100.0;
        (price * (1.0 - w), price * (1.0 + w))
    }
}

impl Strategy for RangeLp {
    fn pools(&self, _market: &Market) -> Vec<String> {
        vec![self.p.pool.clone()]
    }

    fn on_step(&mut self, view: &View) -> Result<Vec<Action>, EngineError> {
        let price = view.pool_price(&self.p.pool).ok_or_else(|| {
            EngineError::Spec(format!("pool '{}' has no price series", self.p.pool))
        })?;
        if view.i == 0 {
            let kind = view.pool(&self.p.pool)?.meta().kind;
            if kind != PoolKind::Concentrated {
                return Err(EngineError::Spec(format!(
                    "range_lp needs a concentrated pool; '{}' is {kind}",
                    self.p.pool
                )));
            }
            let (lower, upper) = self.bounds(price);
            self.centre = price;
            self.last = view.ts;
            return Ok(vec![Action::Open {
                target: Target::Pool {
                    pool: self.p.pool.clone(),
                    range: Some((lower, upper)),
                    vault: false,
                },
                usd: None,
            }]);
        }
        // No position (its opening was skipped: the capital could not pay the gas).
        if view.position(0).is_none() {
            return Ok(Vec::new());
        }
        // The out-of-range clock runs whatever the rebalance limit says.
        let out = !view.in_range(0);
        self.out_since = match (out, self.out_since) {
            (false, _) => None,
            (true, None) => Some(view.ts),
            (true, since) => since,
        };
        if view.ts - self.last < self.min_interval {
            return Ok(Vec::new());
        }
        let trigger = match self.p.rebalance {
            Rule::OutOfRange => self
                .out_since
                .is_some_and(|since| view.ts - since >= self.out_for),
            Rule::Drift => {
                let d = self.p.drift_pct.unwrap_or(self.p.width_pct) / 100.0;
                (price / self.centre - 1.0).abs() > d
            }
        };
        if !trigger {
            return Ok(Vec::new());
        }
        let (lower, upper) = self.bounds(price);
        self.before = (self.centre, self.last, self.out_since);
        self.centre = price;
        self.last = view.ts;
        self.out_since = None;
        Ok(vec![Action::Rebalance {
            position: 0,
            lower,
            upper,
        }])
    }

    fn skipped(&mut self, _index: usize, action: &Action, _reason: &str) {
        // The range did not move: it is still centred where it was.
        if let Action::Rebalance { .. } = action {
            (self.centre, self.last, self.out_since) = self.before;
        }
    }
}

impl super::Kind for Params {
    const NAME: &'static str = "range_lp";
    fn needs(&self) -> super::Needs {
        super::Needs::pool(&self.pool)
    }
    fn schedules(&self) -> Vec<(&'static str, &crate::units::Duration)> {
        self.out_of_range_for
            .iter()
            .map(|d| ("out_of_range_for", d))
            .collect()
    }
    fn build(&self) -> Result<Box<dyn Strategy>, String> {
        Ok(Box::new(RangeLp::new(self.clone())?))
    }
}
