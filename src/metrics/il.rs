//! Impermanent loss as a fraction: IL (USD, ≤ 0) / the value of holding the run's
//! initial tokens at the end.

pub fn il_fraction(il_usd: f64, hodl_value: f64) -> f64 {
    if hodl_value <= 0.0 {
        return 0.0;
    }
    il_usd / hodl_value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked() {
        // The v2 closed form at ×4: IL of −5000 on a 25 000 HODL value is −20 %.
        assert_eq!(il_fraction(-5000.0, 25_000.0), -0.2);
        assert_eq!(il_fraction(-1.0, 0.0), 0.0);
    }
}
