//! Drawdown: the largest fall from a running peak, as a fraction in [−1, 0], and the
//! longest time spent below a previous peak (from the peak to the recovery, or to the
//! end). A value at or below zero (possible only on the external-gas basis) is a total
//! loss, −1.

/// Maximum drawdown, in [−1, 0].
pub fn max_drawdown(values: &[f64]) -> f64 {
    let mut peak = f64::NEG_INFINITY;
    let mut worst = 0.0f64;
    for &v in values {
        peak = peak.max(v);
        if peak > 0.0 {
            worst = worst.min((v / peak - 1.0).max(-1.0));
        }
    }
    worst
}

/// Maximum drawdown of a run: from the running peak of its values, which start after
/// the entry costs (paying the first deposit's gas is not a drawdown); a run whose
/// value is not positive from its first step (possible only on the external-gas
/// basis) has lost its capital: −1.
pub fn max_drawdown_from(capital: f64, values: &[f64]) -> f64 {
    match values.first() {
        Some(v0) if *v0 <= 0.0 && capital > 0.0 => -1.0,
        _ => max_drawdown(values),
    }
}

/// The fall from the running peak at each value, as a fraction (0 at a new peak).
pub fn series(values: &[f64]) -> Vec<f64> {
    let mut peak = f64::NEG_INFINITY;
    values
        .iter()
        .map(|v| {
            peak = peak.max(*v);
            v / peak - 1.0
        })
        .collect()
}

/// Longest drawdown in steps: from a peak to the first step back at or above it.
pub fn max_drawdown_duration(values: &[f64]) -> usize {
    let mut peak = f64::NEG_INFINITY;
    let mut since = 0usize;
    let mut longest = 0usize;
    for (i, &v) in values.iter().enumerate() {
        if v >= peak {
            peak = v;
            since = i;
        } else {
            longest = longest.max(i - since);
        }
    }
    longest
}

/// `max_drawdown`: of the run's values (`max_drawdown_from`).
pub struct MaxDrawdown;

impl super::Metric for MaxDrawdown {
    const COLUMN: &'static str = "max_drawdown";
    const UNIT: super::Unit = super::Unit::Fraction;
    type Value = f64;
    fn measure(x: &super::Inputs<'_>) -> f64 {
        x.max_drawdown
    }
}

/// `max_drawdown_days`: the longest drawdown of the run's values, in days.
pub struct MaxDrawdownDays;

impl super::Metric for MaxDrawdownDays {
    const COLUMN: &'static str = "max_drawdown_days";
    const UNIT: super::Unit = super::Unit::Fraction;
    type Value = f64;
    fn measure(x: &super::Inputs<'_>) -> f64 {
        let steps = max_drawdown_duration(&x.run.series.value);
        steps as f64 * x.run.grid.step as f64 / 86_400.0
    }
}

/// `hodl_max_drawdown`: of the HODL baseline's values.
pub struct HodlMaxDrawdown;

impl super::Metric for HodlMaxDrawdown {
    const COLUMN: &'static str = "hodl_max_drawdown";
    const UNIT: super::Unit = super::Unit::Fraction;
    type Value = f64;
    fn measure(x: &super::Inputs<'_>) -> f64 {
        max_drawdown_from(x.run.capital, &x.run.series.hodl_value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked() {
        let v = [100.0, 120.0, 90.0, 130.0, 117.0];
        assert_eq!(max_drawdown(&v), -0.25);
        assert_eq!(max_drawdown(&[1.0, 2.0, 3.0]), 0.0);
        assert_eq!(max_drawdown(&[100.0, -300.0]), -1.0);
        assert_eq!(max_drawdown_from(50.0, &[-300.0, -400.0]), -1.0);
        assert_eq!(max_drawdown_from(100.0, &[75.0, 120.0]), 0.0);
        // Below 120 at steps 2 (one step), recovered at 3; below 130 from 3 to the end (1 step).
        assert_eq!(max_drawdown_duration(&v), 1);
        assert_eq!(max_drawdown_duration(&[10.0, 9.0, 8.0, 9.0, 10.0, 11.0]), 3);
        assert_eq!(max_drawdown_duration(&[10.0, 9.0, 8.0]), 2);
        let s = series(&v);
        for (got, want) in s.iter().zip([0.0, 0.0, -0.25, 0.0, -0.1]) {
            assert!((got - want).abs() < 1e-12, "{s:?}");
        }
    }
}
