//! Harvest-and-compound arithmetic: what a position earning `apr` is worth after
//! compounding `n` times a year when every harvest has a fixed cost.
//!
//! Conventions: APR is a fraction per 365-day year; harvests are evenly spaced, the
//! last one at the end of the horizon (so `n·years` harvests, rounded down, and the
//! remaining fraction of a period accrues simple interest, unharvested, counted at
//! face value). The cost is in the same unit as the principal (USD), paid either from
//! the position (it compounds away) or from outside (subtracted once per harvest,
//! not compounded). Values are net of all costs.

use super::{non_negative, AmmError, AmmResult};

/// Value after `years` with `harvests_per_year` harvests, each costing `cost`.
pub fn value(
    principal: f64,
    apr: f64,
    harvests_per_year: f64,
    years: f64,
    cost: f64,
    cost_from_position: bool,
) -> AmmResult<f64> {
    non_negative("principal", principal)?;
    non_negative("apr", apr)?;
    non_negative("years", years)?;
    non_negative("cost_per_harvest", cost)?;
    if !(harvests_per_year.is_finite() && harvests_per_year >= 1.0) {
        return Err(AmmError::Invalid {
            name: "harvests_per_year",
            rule: "a number >= 1",
            value: harvests_per_year,
        });
    }
    let period = 1.0 / harvests_per_year;
    let count = (years * harvests_per_year + 1e-9).floor();
    let g = 1.0 + apr * period;
    let mut v = if count == 0.0 {
        principal
    } else if cost_from_position {
        // V_N = P·g^N − c·(g^N − 1)/(g − 1)   (c·N when g = 1)
        let gn = g.powf(count);
        let costs = if apr == 0.0 {
            cost * count
        } else {
            cost * (gn - 1.0) / (g - 1.0)
        };
        principal * gn - costs
    } else {
        principal * g.powf(count) - cost * count
    };
    let rest = (years - count * period).max(0.0);
    if v > 0.0 {
        v *= 1.0 + apr * rest;
    }
    Ok(v)
}

/// The no-cost, continuous-compounding limit: P·e^(apr·years).
pub fn continuous(principal: f64, apr: f64, years: f64) -> f64 {
    principal * (apr * years).exp()
}

/// APY of an APR compounded `n` times a year: (1 + apr/n)^n − 1.
pub fn apy(apr: f64, n: f64) -> f64 {
    (1.0 + apr / n).powf(n) - 1.0
}

/// The number of harvests per year, from 1 to `max_harvests`, that maximises the
/// final value, and that value. Ties go to fewer harvests.
pub fn optimal_harvests(
    principal: f64,
    apr: f64,
    years: f64,
    cost: f64,
    cost_from_position: bool,
    max_harvests: u32,
) -> AmmResult<(u32, f64)> {
    if max_harvests == 0 {
        return Err(AmmError::Invalid {
            name: "max_harvests",
            rule: "at least 1",
            value: 0.0,
        });
    }
    let mut best = (
        1,
        value(principal, apr, 1.0, years, cost, cost_from_position)?,
    );
    for n in 2..=max_harvests {
        let v = value(principal, apr, n as f64, years, cost, cost_from_position)?;
        if v > best.1 {
            best = (n, v);
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_values() {
        // 1000 at 10 %, 4 harvests, 1 year, no cost: 1000·1.025^4 = 1103.8128906...
        let v = value(1000.0, 0.1, 4.0, 1.0, 0.0, true).unwrap();
        assert!((v - 1_103.812_890_625).abs() < 1e-9);
        // Cost 5 from the position: 1103.81 − 5·(1.025^4 − 1)/0.025 = 1103.8129 − 20.7578 = 1083.0551
        let v = value(1000.0, 0.1, 4.0, 1.0, 5.0, true).unwrap();
        assert!((v - (1_103.812_890_625 - 5.0 * (1.025f64.powi(4) - 1.0) / 0.025)).abs() < 1e-9);
        // From outside: 1103.81 − 20.
        let v = value(1000.0, 0.1, 4.0, 1.0, 5.0, false).unwrap();
        assert!((v - 1_083.812_890_625).abs() < 1e-9);
        // Half a period left over accrues simple interest.
        let v = value(1000.0, 0.1, 1.0, 1.5, 0.0, true).unwrap();
        assert!((v - 1100.0 * 1.05).abs() < 1e-9);
        assert!(value(1000.0, 0.1, 0.5, 1.0, 0.0, true).is_err());
    }

    #[test]
    fn compounding_limits() {
        assert!((apy(0.1, 1.0) - 0.1).abs() < 1e-15);
        assert!((apy(0.1, 12.0) - 0.104_713_067_441_297_6).abs() < 1e-12);
        let many = value(1000.0, 0.1, 1e6, 1.0, 0.0, true).unwrap();
        assert!((many - continuous(1000.0, 0.1, 1.0)).abs() < 1e-3);
    }

    #[test]
    fn optimum_balances_gas_against_compounding() {
        // $10 000 at 20 % with $5 per harvest. Compounding n times instead of
        // continuously loses about P·r²/(2n) while harvests cost c·n, so the optimum is
        // near n = √(P·r²/(2c)) = √40 ≈ 6.3.
        let (n, v) = optimal_harvests(10_000.0, 0.2, 1.0, 5.0, true, 365).unwrap();
        assert!((6..=7).contains(&n), "{n}");
        assert!(v > value(10_000.0, 0.2, 365.0, 1.0, 5.0, true).unwrap());
        assert!(v > value(10_000.0, 0.2, 1.0, 1.0, 5.0, true).unwrap());
        // Free harvests: more is always better.
        let (n, _) = optimal_harvests(10_000.0, 0.2, 1.0, 0.0, true, 100).unwrap();
        assert_eq!(n, 100);
    }
}
