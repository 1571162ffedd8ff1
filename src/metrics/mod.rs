//! Metrics of a run: pure functions with stated units and annualisation, one per file,
//! each with exact tests. Returns are fractions (0.05 = 5 %); a year is 365 days.
//!
//! | file | metric |
//! |---|---|
//! | `returns` | total return, APR (simple), APY (compounded, = CAGR) |
//! | `volatility` | annualised volatility of step returns |
//! | `sharpe` | Sharpe ratio (risk-free rate as a parameter) |
//! | `sortino` | Sortino ratio |
//! | `drawdown` | maximum drawdown and its duration |
//! | `calmar` | Calmar ratio (APY / |max drawdown|) |
//! | `il` | impermanent loss as a fraction of the HODL value |
//! | `break_even` | the capital below which gas eats the yield |

pub mod break_even;
pub mod calmar;
pub mod drawdown;
pub mod il;
pub mod returns;
pub mod sharpe;
pub mod sortino;
pub mod volatility;

pub use drawdown::{max_drawdown, max_drawdown_duration};
pub use returns::{apr, apy, total_return, years};

/// Simple returns between consecutive values.
pub fn step_returns(values: &[f64]) -> Vec<f64> {
    values.windows(2).map(|w| w[1] / w[0] - 1.0).collect()
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
    pub hodl_final: f64,
    pub hodl_return: f64,
    pub hodl_apy: f64,
    pub volatility: f64,
    pub sharpe: f64,
    pub sortino: f64,
    pub max_drawdown: f64,
    /// Longest drawdown, days.
    pub max_drawdown_days: f64,
    pub calmar: f64,
    pub hodl_max_drawdown: f64,
    pub il_fraction: f64,
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
    let ppy = periods_per_year(g.step);
    let rets = step_returns(&r.series.value);
    let mdd = max_drawdown(&r.series.value);
    let a = r.attribution;
    let c = r.counts;
    RunMetrics {
        years: yrs,
        final_value: fin,
        total_return: ret,
        apr: apr(ret, yrs),
        apy: apy(ret, yrs),
        hodl_final: hodl,
        hodl_return: hret,
        hodl_apy: apy(hret, yrs),
        volatility: volatility::volatility(&rets, ppy),
        sharpe: sharpe::sharpe(&rets, ppy, risk_free),
        sortino: sortino::sortino(&rets, ppy, risk_free),
        max_drawdown: mdd,
        max_drawdown_days: max_drawdown_duration(&r.series.value) as f64 * g.step as f64 / 86_400.0,
        calmar: calmar::calmar(apy(ret, yrs), mdd),
        hodl_max_drawdown: max_drawdown(&r.series.hodl_value),
        il_fraction: il::il_fraction(a[1], hodl),
        // Yield = fees + rewards + interest; gas = the gas bucket.
        break_even_capital: break_even::break_even_capital(
            a[6],
            a[2] + a[3] + a[5],
            r.capital,
            yrs,
        ),
        time_in_range: (c.steps_with_range > 0)
            .then(|| c.steps_in_range / c.steps_with_range as f64),
    }
}
