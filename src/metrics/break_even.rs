//! Break-even capital: the capital below which gas eats the yield. With gas costing G
//! USD a year whatever the size, and the strategy earning y of its capital a year in
//! fees, rewards and interest, the yield pays for the gas from C* = G / y. (Gas of a
//! compounding strategy does not scale with capital; its yield does.)

/// `gas_usd` and `yield_usd` over `years`, earned on `capital`.
pub fn break_even_capital(gas_usd: f64, yield_usd: f64, capital: f64, years: f64) -> Option<f64> {
    if years <= 0.0 || capital <= 0.0 {
        return None;
    }
    let y = yield_usd / capital / years;
    if y <= 0.0 {
        return None;
    }
    Some((gas_usd.abs() / years) / y)
}

/// `break_even_capital_usd`: from the gas bucket and the yield (fees + rewards +
/// interest) buckets.
pub struct BreakEvenCapital;

impl super::Metric for BreakEvenCapital {
    const COLUMN: &'static str = "break_even_capital_usd";
    const UNIT: super::Unit = super::Unit::Usd;
    type Value = Option<f64>;
    fn measure(x: &super::Inputs<'_>) -> Option<f64> {
        use crate::engine::Bucket;
        let a = &x.run.attribution;
        let yield_usd = Bucket::Fees.of(a) + Bucket::Rewards.of(a) + Bucket::Interest.of(a);
        break_even_capital(Bucket::Gas.of(a), yield_usd, x.run.capital, x.years)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked() {
        // $1 000 of gas and $10 000 of yield on $100 000 over 2 years: 5 % a year,
        // $500 of gas a year → break-even at $10 000.
        assert_eq!(
            break_even_capital(-1000.0, 10_000.0, 100_000.0, 2.0),
            Some(10_000.0)
        );
        assert_eq!(break_even_capital(-1.0, 0.0, 1.0, 1.0), None);
    }
}
