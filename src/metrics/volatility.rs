//! Annualised volatility: the sample standard deviation of step returns × √(steps per
//! year).

/// Sample standard deviation (n − 1); 0 for fewer than two values.
pub fn std_dev(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (xs.len() - 1) as f64;
    var.sqrt()
}

pub fn volatility(step_returns: &[f64], periods_per_year: f64) -> f64 {
    std_dev(step_returns) * periods_per_year.sqrt()
}

/// `volatility`: of the run's daily returns.
pub struct Volatility;

impl super::Metric for Volatility {
    const COLUMN: &'static str = "volatility";
    const UNIT: super::Unit = super::Unit::Fraction;
    type Value = f64;
    fn measure(x: &super::Inputs<'_>) -> f64 {
        volatility(x.returns, x.periods_per_year)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked() {
        // Returns +1 %, −1 %: mean 0, sample variance 2e-4, sd 0.014142…; daily → ×√365.
        let v = volatility(&[0.01, -0.01], 365.0);
        assert!((v - (2e-4f64).sqrt() * 365f64.sqrt()).abs() < 1e-15);
        assert_eq!(volatility(&[0.01], 365.0), 0.0);
        assert_eq!(volatility(&[0.02, 0.02, 0.02], 365.0), 0.0);
    }
}
