//! Calmar ratio: APY / |maximum drawdown|; 0 without a drawdown.

pub fn calmar(apy: f64, max_drawdown: f64) -> f64 {
    if max_drawdown >= 0.0 {
        return 0.0;
    }
    apy / max_drawdown.abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked() {
        assert_eq!(calmar(0.1, -0.25), 0.4);
        assert_eq!(calmar(0.1, 0.0), 0.0);
    }
}
