//! Sharpe ratio: annualised mean excess step return over annualised volatility,
//! (mean(r) − rf/ppy)·ppy / (sd(r)·√ppy), with the risk-free rate `rf` a fraction per
//! year (default 0). 0 when volatility is 0.

use super::volatility::std_dev;

pub fn sharpe(step_returns: &[f64], periods_per_year: f64, risk_free: f64) -> f64 {
    if step_returns.is_empty() {
        return 0.0;
    }
    let sd = std_dev(step_returns);
    if sd == 0.0 {
        return 0.0;
    }
    let mean = step_returns.iter().sum::<f64>() / step_returns.len() as f64;
    (mean - risk_free / periods_per_year) * periods_per_year / (sd * periods_per_year.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked() {
        // Returns 2 %, 0 %: mean 1 %, sd √2e-4; 4 periods a year: 0.04 / (0.0141421·2) = √2.
        let s = sharpe(&[0.02, 0.0], 4.0, 0.0);
        assert!((s - 2f64.sqrt()).abs() < 1e-12, "{s}");
        // A 4 % risk-free rate takes 1 % a period: mean excess 0.
        assert!(sharpe(&[0.02, 0.0], 4.0, 0.04).abs() < 1e-12);
        assert_eq!(sharpe(&[0.01, 0.01], 4.0, 0.0), 0.0);
    }
}
