//! Returns. Definitions: total return R = final / initial − 1; APR = R / years (simple,
//! not compounded); APY = (1 + R)^(1/years) − 1 (compounded; the same as CAGR). Years
//! are 365-day years.

use crate::units::YEAR;

pub fn total_return(initial: f64, final_value: f64) -> f64 {
    final_value / initial - 1.0
}

/// Years in `seconds` (365-day years).
pub fn years(seconds: i64) -> f64 {
    seconds as f64 / YEAR as f64
}

pub fn apr(total_return: f64, years: f64) -> f64 {
    if years <= 0.0 {
        return 0.0;
    }
    total_return / years
}

/// APY (CAGR); −1 when everything was lost.
pub fn apy(total_return: f64, years: f64) -> f64 {
    if total_return <= -1.0 {
        return -1.0;
    }
    if years <= 0.0 {
        return 0.0;
    }
    (1.0 + total_return).powf(1.0 / years) - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked() {
        assert!((total_return(100.0, 121.0) - 0.21).abs() < 1e-15);
        // 21 % over two years: APR 10.5 %, APY 10 % (1.1² = 1.21).
        assert!((apr(0.21, 2.0) - 0.105).abs() < 1e-15);
        assert!((apy(0.21, 2.0) - 0.1).abs() < 1e-15);
        // Half a year at +5 %: APY 10.25 %.
        assert!((apy(0.05, 0.5) - 0.1025).abs() < 1e-15);
        assert_eq!(apy(-1.0, 1.0), -1.0);
        assert!((years(YEAR / 2) - 0.5).abs() < 1e-15);
    }
}
