//! Sharpe ratio: annualised mean excess return over annualised volatility,
//! (mean(r) − rf/ppy)·ppy / (sd(r)·√ppy), from daily returns (`super::daily_returns`,
//! ppy = 365) with the risk-free rate `rf` a fraction per year (default 0).
//! Undefined (`None`) with fewer than two returns or zero volatility: a constant series
//! has no risk to reward, and 0 would read as "no excess return".

use super::volatility::std_dev;

pub fn sharpe(returns: &[f64], periods_per_year: f64, risk_free: f64) -> Option<f64> {
    if returns.len() < 2 {
        return None;
    }
    let sd = std_dev(returns);
    if sd == 0.0 || !sd.is_finite() {
        return None;
    }
    let mean = returns.iter().sum::<f64>() / returns.len() as f64;
    Some((mean - risk_free / periods_per_year) * periods_per_year / (sd * periods_per_year.sqrt()))
}

/// `sharpe`: of the run's daily returns.
pub struct Sharpe;

impl super::Metric for Sharpe {
    const COLUMN: &'static str = "sharpe";
    const UNIT: super::Unit = super::Unit::Fraction;
    type Value = Option<f64>;
    fn measure(x: &super::Inputs<'_>) -> Option<f64> {
        sharpe(x.returns, x.periods_per_year, x.risk_free)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked() {
        // Returns 2 %, 0 %: mean 1 %, sd √2e-4; 4 periods a year: 0.04 / (0.0141421·2) = √2.
        let s = sharpe(&[0.02, 0.0], 4.0, 0.0).unwrap();
        assert!((s - 2f64.sqrt()).abs() < 1e-12, "{s}");
        // A 4 % risk-free rate takes 1 % a period: mean excess 0.
        assert!(sharpe(&[0.02, 0.0], 4.0, 0.04).unwrap().abs() < 1e-12);
        assert_eq!(sharpe(&[0.01, 0.01], 4.0, 0.0), None);
        assert_eq!(sharpe(&[0.01], 4.0, 0.0), None);
    }
}
