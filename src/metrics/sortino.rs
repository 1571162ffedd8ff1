//! Sortino ratio: annualised mean excess step return over annualised downside
//! deviation, where the downside deviation is √(mean of min(r − rf/ppy, 0)²) over all
//! steps. 0 when there is no downside.

pub fn sortino(step_returns: &[f64], periods_per_year: f64, risk_free: f64) -> f64 {
    if step_returns.is_empty() {
        return 0.0;
    }
    let target = risk_free / periods_per_year;
    let n = step_returns.len() as f64;
    let mean = step_returns.iter().sum::<f64>() / n;
    let down = (step_returns
        .iter()
        .map(|r| (r - target).min(0.0).powi(2))
        .sum::<f64>()
        / n)
        .sqrt();
    if down == 0.0 {
        return 0.0;
    }
    (mean - target) * periods_per_year / (down * periods_per_year.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked() {
        // Returns 3 %, −1 %: mean 1 %, downside √(0.0001/2) = 0.0070711; 4 a year:
        // 0.04 / (0.0070711·2) = 2.828427.
        let s = sortino(&[0.03, -0.01], 4.0, 0.0);
        assert!((s - 2.0 * 2f64.sqrt()).abs() < 1e-12, "{s}");
        assert_eq!(sortino(&[0.01, 0.02], 4.0, 0.0), 0.0);
    }
}
