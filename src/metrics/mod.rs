//! Metrics of a run: pure functions with stated units and annualisation, one per file,
//! each with exact tests. Returns are fractions (0.05 = 5 %); a year is 365 days.
//!
//! | file | metric |
//! |---|---|
//! | `returns` | total return, APR (simple), APY (compounded, = CAGR) |
//! | `volatility` | annualised volatility of daily returns |
//! | `sharpe` | Sharpe ratio (risk-free rate as a parameter) |
//! | `sortino` | Sortino ratio |
//! | `drawdown` | maximum drawdown (in [−1, 0]) and its duration |
//! | `calmar` | Calmar ratio (APY / |max drawdown|) |
//! | `il` | impermanent loss as a fraction of the value without it |
//! | `break_even` | the capital below which gas eats the yield |
//! | `yield_apr` | fees, rewards and interest per year as a fraction of the capital |
//! | `distribution` | percentiles; quantiles of bootstrap samples per setting |
//! | `sweep` | a sweep's mean APY per parameter value and per pair of values |
//!
//! Volatility, Sharpe and Sortino use **daily** returns (the value at each day's end of
//! the grid, `daily_returns`), annualised with √365, whatever the grid's step: the
//! same run on an hourly and a daily grid gets comparable figures. A ratio whose
//! denominator is zero is undefined (`None`, an empty cell), never 0.
//!
//! **A summary metric is one file and one line.** Its file implements [`Metric`] (its
//! column, unit and computation from [`Inputs`]); one line in `registry!` below adds it
//! to [`Measures`], whose columns `summary.csv` writes after `break_even_capital_usd`,
//! in registry order. Its description goes in docs/outputs.md (a test fails until it is
//! there).

pub mod break_even;
pub mod calmar;
pub mod distribution;
pub mod drawdown;
pub mod il;
pub mod returns;
pub mod sharpe;
pub mod sortino;
pub mod sweep;
pub mod verdict;
pub mod volatility;
pub mod yield_apr;

pub use distribution::percentile;
pub use drawdown::{max_drawdown, max_drawdown_duration, max_drawdown_from};
pub use returns::{apr, apy, total_return, years};

/// Returns between the value at the start and at each day's end after it: the last grid
/// point at or before `start + k` days (on a grid coarser than a day, every point), and
/// the periods per year of those samples (365 for daily). A return after a value at or
/// below zero is not defined; the series stops there.
pub fn daily_returns(grid: crate::market::TimeGrid, values: &[f64]) -> (Vec<f64>, f64) {
    const DAY: i64 = 86_400;
    let period = grid.step.max(DAY);
    let n = values.len().min(grid.len());
    let mut out = Vec::new();
    let mut prev = match values.first() {
        Some(v) => *v,
        None => return (out, periods_per_year(period)),
    };
    for k in 1.. {
        let Some(offset) = period.checked_mul(k) else {
            break;
        };
        let idx = (offset / grid.step) as usize;
        if idx >= n {
            break;
        }
        let v = values[idx];
        if prev.is_nan() || prev <= 0.0 {
            break;
        }
        out.push(v / prev - 1.0);
        prev = v;
    }
    (out, periods_per_year(period))
}

/// Steps per year of a grid with `step_seconds`.
pub fn periods_per_year(step_seconds: i64) -> f64 {
    crate::units::YEAR as f64 / step_seconds as f64
}

/// What a registered metric reads: the run and the figures every metric may share.
pub struct Inputs<'a> {
    pub run: &'a crate::engine::RunResult,
    /// The run's length in 365-day years.
    pub years: f64,
    pub final_value: f64,
    pub apy: f64,
    /// Maximum drawdown of the run's values (`max_drawdown_from`), in [−1, 0].
    pub max_drawdown: f64,
    /// Daily returns (`daily_returns`) and their periods per year.
    pub returns: &'a [f64],
    pub periods_per_year: f64,
    /// Risk-free rate, a fraction per year.
    pub risk_free: f64,
}

/// How a metric's value is written: a fraction (10 decimals) or USD (6 decimals).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Fraction,
    Usd,
}

/// A metric's value: a figure that is always defined (`f64`), or one that may be
/// undefined (`Option<f64>`, an empty cell, never 0).
pub trait Figure: Copy {
    fn figure(self) -> Option<f64>;
}

impl Figure for f64 {
    fn figure(self) -> Option<f64> {
        Some(self)
    }
}

impl Figure for Option<f64> {
    fn figure(self) -> Option<f64> {
        self
    }
}

/// A summary metric: its file implements this for a unit struct and `registry!` below
/// lists it once; its column, its unit and its computation come from here.
pub trait Metric {
    /// The `summary.csv` column.
    const COLUMN: &'static str;
    const UNIT: Unit;
    type Value: Figure;
    fn measure(x: &Inputs<'_>) -> Self::Value;
}

/// The registered metrics, in column order: `field: module::Type`. Generates
/// `Measures` (one named field per metric) and `Measures::COLUMNS`.
macro_rules! registry {
    ($($field:ident: $module:ident::$ty:ident,)*) => {
        /// The registered metrics of a run, one field per metric (`registry!`).
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub struct Measures {
            $(pub $field: <$module::$ty as Metric>::Value,)*
        }

        impl Measures {
            /// Each metric's column and unit, in column order.
            pub const COLUMNS: &'static [(&'static str, Unit)] =
                &[$((<$module::$ty as Metric>::COLUMN, <$module::$ty as Metric>::UNIT),)*];

            pub fn measure(x: &Inputs<'_>) -> Self {
                Measures { $($field: <$module::$ty as Metric>::measure(x),)* }
            }

            /// The values in column order (`None`: undefined).
            pub fn values(&self) -> Vec<Option<f64>> {
                vec![$(self.$field.figure(),)*]
            }
        }
    };
}

registry! {
    volatility: volatility::Volatility,
    sharpe: sharpe::Sharpe,
    sortino: sortino::Sortino,
    max_drawdown: drawdown::MaxDrawdown,
    max_drawdown_days: drawdown::MaxDrawdownDays,
    calmar: calmar::Calmar,
    hodl_max_drawdown: drawdown::HodlMaxDrawdown,
    il_fraction: il::IlFraction,
    break_even_capital: break_even::BreakEvenCapital,
    yield_apr: yield_apr::YieldApr,
}

/// Every figure `summary.csv` reports for a run, computed from its result: the return
/// figures every metric shares, and the registered metrics (`measures`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunMetrics {
    pub years: f64,
    pub final_value: f64,
    pub total_return: f64,
    pub apr: f64,
    pub apy: f64,
    /// The final value less the cost of closing everything (`engine::ExitCosts`), never
    /// below zero on the portfolio basis; `None` where the exit cannot be priced.
    pub liquidation_value: Option<f64>,
    pub liquidation_apy: Option<f64>,
    pub hodl_final: f64,
    pub hodl_return: f64,
    pub hodl_apy: f64,
    /// Maximum drawdown, in [−1, 0] (also the `max_drawdown` metric).
    pub max_drawdown: f64,
    pub time_in_range: Option<f64>,
    pub measures: Measures,
}

/// Computes a run's metrics; `risk_free` is a fraction per year.
pub fn run_metrics(r: &crate::engine::RunResult, risk_free: f64) -> RunMetrics {
    let g = r.grid;
    let yrs = years(g.end() - g.start);
    let fin = r.final_value();
    let ret = total_return(r.capital, fin);
    let hodl = r.hodl_final();
    let hret = total_return(r.capital, hodl);
    let (rets, ppy) = daily_returns(g, &r.series.value);
    let liquidation_value = r.exit.as_ref().ok().map(|e| {
        let v = fin - e.total();
        match r.gas_paid_by {
            crate::costs::GasPayer::Portfolio => v.max(0.0),
            crate::costs::GasPayer::External => v,
        }
    });
    let mdd = max_drawdown_from(r.capital, &r.series.value);
    let c = r.counts;
    let net_apy = apy(ret, yrs);
    let inputs = Inputs {
        run: r,
        years: yrs,
        final_value: fin,
        apy: net_apy,
        max_drawdown: mdd,
        returns: &rets,
        periods_per_year: ppy,
        risk_free,
    };
    RunMetrics {
        years: yrs,
        final_value: fin,
        total_return: ret,
        apr: apr(ret, yrs),
        apy: net_apy,
        liquidation_value,
        liquidation_apy: liquidation_value.map(|v| apy(total_return(r.capital, v), yrs)),
        hodl_final: hodl,
        hodl_return: hret,
        hodl_apy: apy(hret, yrs),
        max_drawdown: mdd,
        time_in_range: (c.steps_with_range > 0)
            .then(|| c.steps_in_range / c.steps_with_range as f64),
        measures: Measures::measure(&inputs),
    }
}
