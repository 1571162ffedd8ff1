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
//!
//! Volatility, Sharpe and Sortino use **daily** returns (the value at each day's end of
//! the grid, `daily_returns`), annualised with √365, whatever the grid's step: the
//! same run on an hourly and a daily grid gets comparable figures. A ratio whose
//! denominator is zero is undefined (`None`, an empty cell), never 0.
//! | `break_even` | the capital below which gas eats the yield |
//! | `distribution` | percentiles; quantiles of bootstrap samples per setting |
//! | `sweep` | a sweep's mean APY per parameter value and per pair of values |

use crate::engine::Bucket;

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

/// Every figure `summary.csv` reports for a run, computed from its result.
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
    pub volatility: f64,
    pub sharpe: Option<f64>,
    pub sortino: Option<f64>,
    pub max_drawdown: f64,
    /// Longest drawdown, days.
    pub max_drawdown_days: f64,
    pub calmar: Option<f64>,
    pub hodl_max_drawdown: f64,
    pub il_fraction: Option<f64>,
    pub break_even_capital: Option<f64>,
    pub time_in_range: Option<f64>,
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
    let a = r.attribution;
    let c = r.counts;
    RunMetrics {
        years: yrs,
        final_value: fin,
        total_return: ret,
        apr: apr(ret, yrs),
        apy: apy(ret, yrs),
        liquidation_value,
        liquidation_apy: liquidation_value.map(|v| apy(total_return(r.capital, v), yrs)),
        hodl_final: hodl,
        hodl_return: hret,
        hodl_apy: apy(hret, yrs),
        volatility: volatility::volatility(&rets, ppy),
        sharpe: sharpe::sharpe(&rets, ppy, risk_free),
        sortino: sortino::sortino(&rets, ppy, risk_free),
        max_drawdown: mdd,
        max_drawdown_days: max_drawdown_duration(&r.series.value) as f64 * g.step as f64 / 86_400.0,
        calmar: calmar::calmar(apy(ret, yrs), mdd),
        hodl_max_drawdown: max_drawdown_from(r.capital, &r.series.hodl_value),
        il_fraction: il::il_fraction(Bucket::ImpermanentLoss.of(&a), fin),
        // Yield = fees + rewards + interest; gas = the gas bucket.
        break_even_capital: break_even::break_even_capital(
            Bucket::Gas.of(&a),
            Bucket::Fees.of(&a) + Bucket::Rewards.of(&a) + Bucket::Interest.of(&a),
            r.capital,
            yrs,
        ),
        time_in_range: (c.steps_with_range > 0)
            .then(|| c.steps_in_range / c.steps_with_range as f64),
    }
}
