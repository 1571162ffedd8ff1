//! Metrics of a run: pure functions with stated units and annualisation (365-day year).
//! Returns are fractions (0.05 = 5 %).

use crate::units::YEAR;

/// Total return: final / initial − 1.
pub fn total_return(initial: f64, final_value: f64) -> f64 {
    final_value / initial - 1.0
}

/// Years between two timestamps (365-day years).
pub fn years(seconds: i64) -> f64 {
    seconds as f64 / YEAR as f64
}

/// APR: the total return scaled linearly to a year (no compounding).
pub fn apr(total_return: f64, years: f64) -> f64 {
    if years <= 0.0 {
        return 0.0;
    }
    total_return / years
}

/// APY: the total return compounded to a year, (1 + R)^(1/years) − 1 (the CAGR).
pub fn apy(total_return: f64, years: f64) -> f64 {
    if years <= 0.0 || total_return <= -1.0 {
        return if total_return <= -1.0 { -1.0 } else { 0.0 };
    }
    (1.0 + total_return).powf(1.0 / years) - 1.0
}

/// Maximum drawdown: the largest fall from a running peak, as a fraction (≤ 0).
pub fn max_drawdown(values: &[f64]) -> f64 {
    let mut peak = f64::NEG_INFINITY;
    let mut worst = 0.0f64;
    for &v in values {
        peak = peak.max(v);
        if peak > 0.0 {
            worst = worst.min(v / peak - 1.0);
        }
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked() {
        assert!((total_return(100.0, 121.0) - 0.21).abs() < 1e-15);
        assert!((apy(0.21, 2.0) - 0.1).abs() < 1e-12);
        assert!((apr(0.21, 2.0) - 0.105).abs() < 1e-12);
        assert_eq!(max_drawdown(&[100.0, 120.0, 90.0, 130.0, 117.0]), -0.25);
        assert_eq!(max_drawdown(&[1.0, 2.0, 3.0]), 0.0);
        assert!((years(YEAR / 2) - 0.5).abs() < 1e-15);
        assert_eq!(apy(-1.0, 1.0), -1.0);
    }
}
