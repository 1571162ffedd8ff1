//! Lending interest indexes, as Aave and Compound accrue them.
//!
//! Rates are APRs as fractions per year of 365 days (`SECONDS_PER_YEAR` in Aave's
//! `MathUtils`). An index starts at 1 and multiplies a deposit (supply) or a debt
//! (borrow): balance(t) = principal · index(t) / index(t0).

use super::{non_negative, AmmError, AmmResult};

/// Seconds in the 365-day year both protocols annualise with.
pub const SECONDS_PER_YEAR: f64 = 365.0 * 86_400.0;

/// Growth over `dt` seconds at `apr` compounded every second: (1 + apr/year)^dt.
pub fn compounded_per_second(apr: f64, dt: f64) -> f64 {
    (dt * (apr / SECONDS_PER_YEAR).ln_1p()).exp()
}

/// Aave's `calculateCompoundedInterest`: the three-term binomial approximation of
/// per-second compounding used for variable debt (slightly below the exact value).
pub fn aave_compounded(apr: f64, dt: f64) -> f64 {
    let r = apr / SECONDS_PER_YEAR;
    if dt <= 0.0 {
        return 1.0;
    }
    let second = dt * (dt - 1.0) * r * r / 2.0;
    let third = dt * (dt - 1.0) * (dt - 2.0).max(0.0) * r * r * r / 6.0;
    1.0 + r * dt + second + third
}

/// Simple (linear) growth over `dt` seconds: 1 + apr·dt/year. Aave's liquidity index
/// grows linearly between updates (`calculateLinearInterest`), Compound's indexes
/// grow linearly per block between accruals.
pub fn linear(apr: f64, dt: f64) -> f64 {
    1.0 + apr * dt / SECONDS_PER_YEAR
}

/// How an index accrues between two observations of the rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accrual {
    /// Per-second compounding, exact.
    PerSecond,
    /// Linear between updates, compounding at each update (Aave supply, Compound).
    LinearPerUpdate,
}

/// The index over a rate series: `rates[k]` applies from `ts[k]` to `ts[k+1]`.
/// Returns one index per timestamp, starting at 1.
pub fn index_series(ts: &[i64], rates: &[f64], accrual: Accrual) -> AmmResult<Vec<f64>> {
    if ts.len() != rates.len() {
        return Err(AmmError::Infeasible(format!(
            "{} timestamps but {} rates",
            ts.len(),
            rates.len()
        )));
    }
    let mut out = Vec::with_capacity(ts.len());
    let mut index = 1.0;
    for k in 0..ts.len() {
        if k > 0 {
            let dt = (ts[k] - ts[k - 1]) as f64;
            if dt < 0.0 {
                return Err(AmmError::Infeasible("timestamps go backwards".into()));
            }
            let r = rates[k - 1];
            if !r.is_finite() || r <= -1.0 {
                return Err(AmmError::Invalid {
                    name: "apr",
                    rule: "finite and > -1",
                    value: r,
                });
            }
            index *= match accrual {
                Accrual::PerSecond => compounded_per_second(r, dt),
                Accrual::LinearPerUpdate => linear(r, dt),
            };
        }
        out.push(index);
    }
    Ok(out)
}

/// APY from an APR compounded every second: (1 + apr/year)^year − 1.
pub fn apy_per_second(apr: f64) -> AmmResult<f64> {
    non_negative("apr", apr.max(0.0))?;
    Ok(compounded_per_second(apr, SECONDS_PER_YEAR) - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_at_five_percent() {
        let g = compounded_per_second(0.05, SECONDS_PER_YEAR);
        // Per-second compounding is within 1e-9 of e^0.05 − it is continuous in practice.
        assert!((g - 0.05f64.exp()).abs() < 1e-8, "{g}");
        assert!((linear(0.05, SECONDS_PER_YEAR) - 1.05).abs() < 1e-15);
        let approx = aave_compounded(0.05, SECONDS_PER_YEAR);
        assert!(approx < g && g - approx < 3e-5, "{approx} vs {g}");
        assert!((apy_per_second(0.05).unwrap() - (0.05f64.exp() - 1.0)).abs() < 1e-8);
    }

    #[test]
    fn index_follows_the_rate_series() {
        let day = 86_400;
        let ts = [0, day, 2 * day, 3 * day];
        let rates = [0.1, 0.2, 0.0, 0.5];
        let idx = index_series(&ts, &rates, Accrual::LinearPerUpdate).unwrap();
        assert_eq!(idx[0], 1.0);
        let d = 86_400.0 / SECONDS_PER_YEAR;
        assert!((idx[1] - (1.0 + 0.1 * d)).abs() < 1e-15);
        assert!((idx[2] - (1.0 + 0.1 * d) * (1.0 + 0.2 * d)).abs() < 1e-15);
        assert_eq!(idx[3], idx[2]);
        let exact = index_series(&ts, &rates, Accrual::PerSecond).unwrap();
        assert!(exact[2] > idx[2]);
        assert!(index_series(&ts, &rates[..2], Accrual::PerSecond).is_err());
    }
}
