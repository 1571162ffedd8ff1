//! Impermanent loss as a fraction: IL (USD, ≤ 0, the run's `impermanent_loss` bucket)
//! over the value the run would have ended with without it, final value − IL. It is in
//! [−1, 0] whenever the final value is not negative: −0.2 means IL took a fifth of what
//! the run would otherwise have had. (A fraction of the HODL value is not bounded: a
//! range that is rebalanced often realises IL many times over its HODL value.)
//! 0 without IL; undefined (`None`) when the counterfactual value is not positive.

pub fn il_fraction(il_usd: f64, final_value: f64) -> Option<f64> {
    if il_usd == 0.0 {
        return Some(0.0);
    }
    let without = final_value - il_usd;
    (without > 0.0 && without.is_finite()).then(|| il_usd / without)
}

/// `il_fraction`: the impermanent-loss bucket against the final value.
pub struct IlFraction;

impl super::Metric for IlFraction {
    const COLUMN: &'static str = "il_fraction";
    const UNIT: super::Unit = super::Unit::Fraction;
    type Value = Option<f64>;
    fn measure(x: &super::Inputs<'_>) -> Option<f64> {
        let il = crate::engine::Bucket::ImpermanentLoss.of(&x.run.attribution);
        il_fraction(il, x.final_value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked() {
        // The v2 closed form at ×4 with no fees: HODL 25 000, LP 20 000, IL −5000:
        // −5000 / (20 000 + 5000) = −0.2.
        assert_eq!(il_fraction(-5000.0, 20_000.0), Some(-0.2));
        assert_eq!(il_fraction(0.0, 0.0), Some(0.0));
        // IL realised many times (a rebalanced range): still a fraction.
        assert!((il_fraction(-250_000.0, 50_000.0).unwrap() + 250.0 / 300.0).abs() < 1e-15);
        assert_eq!(il_fraction(-1.0, -5.0), None);
    }
}
