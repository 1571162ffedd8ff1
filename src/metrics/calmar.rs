//! Calmar ratio: APY / |maximum drawdown| over the run. Undefined (`None`) without a
//! drawdown (the denominator is zero).

pub fn calmar(apy: f64, max_drawdown: f64) -> Option<f64> {
    (max_drawdown < 0.0 && apy.is_finite()).then(|| apy / max_drawdown.abs())
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
