//! Gross yield APR: what the run earned from fees, rewards (valued when they accrued)
//! and interest, per year, as a fraction of the capital, simple (not compounded). It is
//! the figure a pool's dashboard calls its APR; set beside `apy` (net of IL, price,
//! gas, swaps and vault fees) it shows how much of the headline yield the run kept.
//! Undefined (`None`) for a run without capital or length.

/// Yield per year over capital: `(fees + rewards + interest) / capital / years`.
pub fn yield_apr(yield_usd: f64, capital: f64, years: f64) -> Option<f64> {
    (capital > 0.0 && years > 0.0).then(|| yield_usd / capital / years)
}

/// `yield_apr`: from the fees, rewards and interest buckets.
pub struct YieldApr;

impl super::Metric for YieldApr {
    const COLUMN: &'static str = "yield_apr";
    const UNIT: super::Unit = super::Unit::Fraction;
    type Value = Option<f64>;
    fn measure(x: &super::Inputs<'_>) -> Option<f64> {
        use crate::engine::Bucket;
        let a = &x.run.attribution;
        let earned = Bucket::Fees.of(a) + Bucket::Rewards.of(a) + Bucket::Interest.of(a);
        yield_apr(earned, x.run.capital, x.years)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked() {
        // $5,000 earned on $100,000 over two years: 2.5 % a year.
        assert_eq!(yield_apr(5_000.0, 100_000.0, 2.0), Some(0.025));
        assert_eq!(yield_apr(5_000.0, 0.0, 2.0), None);
        assert_eq!(yield_apr(5_000.0, 100_000.0, 0.0), None);
    }
}
