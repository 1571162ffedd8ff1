//! Distributions over bootstrap samples: percentiles by linear interpolation between
//! ranks, and per run setting the quantiles of APY, final value and max drawdown.

/// Percentile `q` (0..1) of sorted values, by linear interpolation between ranks; NaN
/// for no values.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// The quantiles a distribution reports: 5th, 25th, 50th, 75th, 95th percentiles.
pub const QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// The figures of one sample: APY, final value (USD), max drawdown.
pub const FIGURES: [&str; 3] = ["apy", "final_value_usd", "max_drawdown"];

/// A bootstrap sample: its setting (every parameter but the sample's) and its figures.
pub type Sample = (Vec<(String, String)>, [f64; 3]);

/// One run setting's samples, summarised.
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution<'a> {
    /// The setting: every parameter but the sample's.
    pub setting: &'a [(String, String)],
    pub samples: usize,
    /// Per figure (`FIGURES`), its `QUANTILES`.
    pub quantiles: [[f64; 5]; 3],
}

/// The distributions of bootstrap samples, one per setting in first-seen order; each
/// sample is its setting and its figures (`FIGURES`).
pub fn by_setting(samples: &[Sample]) -> Vec<Distribution<'_>> {
    let mut keys: Vec<&[(String, String)]> = Vec::new();
    let mut figures: Vec<Vec<[f64; 3]>> = Vec::new();
    for (k, v) in samples {
        match keys.iter().position(|g| *g == k.as_slice()) {
            Some(p) => figures[p].push(*v),
            None => {
                keys.push(k);
                figures.push(vec![*v]);
            }
        }
    }
    keys.into_iter()
        .zip(figures)
        .map(|(setting, vals)| {
            let quantiles = std::array::from_fn(|m| {
                let mut v: Vec<f64> = vals.iter().map(|x| x[m]).collect();
                v.sort_by(f64::total_cmp);
                QUANTILES.map(|q| percentile(&v, q))
            });
            Distribution {
                setting,
                samples: vals.len(),
                quantiles,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_between_ranks() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile(&v, 0.5), 3.0);
        assert_eq!(percentile(&v, 0.25), 2.0);
        assert_eq!(percentile(&v, 0.05), 1.2);
        assert_eq!(percentile(&v, 1.0), 5.0);
        assert!(percentile(&[], 0.5).is_nan());
    }

    #[test]
    fn samples_group_by_setting_in_first_seen_order() {
        let s = |a: &str, apy: f64| (vec![("x".to_string(), a.to_string())], [apy, 100.0, -0.1]);
        let samples = [s("b", 0.3), s("a", 1.0), s("b", 0.1), s("b", 0.2)];
        let d = by_setting(&samples);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].setting[0].1, "b");
        assert_eq!(d[0].samples, 3);
        // Sorted 0.1, 0.2, 0.3: the median is 0.2, the 25th percentile 0.15.
        assert!((d[0].quantiles[0][2] - 0.2).abs() < 1e-12);
        assert!((d[0].quantiles[0][1] - 0.15).abs() < 1e-12);
        assert_eq!(d[1].quantiles[1], [100.0; 5]);
    }
}
