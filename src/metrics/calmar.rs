//! Calmar ratio: APY / |maximum drawdown| over the run. Undefined (`None`) without a
//! drawdown (the denominator is zero).

pub fn calmar(apy: f64, max_drawdown: f64) -> Option<f64> {
    (max_drawdown < 0.0 && apy.is_finite()).then(|| apy / max_drawdown.abs())
}

/// `calmar`: the run's APY over its maximum drawdown.
pub struct Calmar;

impl super::Metric for Calmar {
    const COLUMN: &'static str = "calmar";
    const UNIT: super::Unit = super::Unit::Fraction;
    type Value = Option<f64>;
    fn measure(x: &super::Inputs<'_>) -> Option<f64> {
        calmar(x.apy, x.max_drawdown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked() {
        assert_eq!(calmar(0.1, -0.25), Some(0.4));
        assert_eq!(calmar(0.1, 0.0), None);
    }
}
