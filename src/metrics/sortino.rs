//! Sortino ratio: annualised mean excess return over annualised downside deviation,
//! where the downside deviation is √(mean of min(r − rf/ppy, 0)²) over all returns
//! (daily returns, ppy = 365). Undefined (`None`) where there is no downside (no return
//! below the target): the ratio's denominator is zero, and 0 would read as "bad".

pub fn sortino(returns: &[f64], periods_per_year: f64, risk_free: f64) -> Option<f64> {
    if returns.is_empty() {
        return None;
    }
    let target = risk_free / periods_per_year;
    let n = returns.len() as f64;
    let mean = returns.iter().sum::<f64>() / n;
    let down = (returns
        .iter()
        .map(|r| (r - target).min(0.0).powi(2))
        .sum::<f64>()
        / n)
        .sqrt();
    if down == 0.0 || !down.is_finite() {
        return None;
    }
    Some((mean - target) * periods_per_year / (down * periods_per_year.sqrt()))
}

/// `sortino`: of the run's daily returns.
pub struct Sortino;

impl super::Metric for Sortino {
    const COLUMN: &'static str = "sortino";
    const UNIT: super::Unit = super::Unit::Fraction;
    type Value = Option<f64>;
    fn measure(x: &super::Inputs<'_>) -> Option<f64> {
        sortino(x.returns, x.periods_per_year, x.risk_free)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked() {
        // Returns 3 %, −1 %: mean 1 %, downside √(0.0001/2) = 0.0070711; 4 a year:
        // 0.04 / (0.0070711·2) = 2.828427.
        let s = sortino(&[0.03, -0.01], 4.0, 0.0).unwrap();
        assert!((s - 2.0 * 2f64.sqrt()).abs() < 1e-12, "{s}");
        assert_eq!(sortino(&[0.01, 0.02], 4.0, 0.0), None);
        assert_eq!(sortino(&[], 4.0, 0.0), None);
    }
}
