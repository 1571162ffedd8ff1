//! Block bootstrap of a market: a resampled history made of blocks of consecutive steps
//! drawn at random (seeded) from the original, the same blocks for every series so that
//! their co-movement survives. Prices are rebuilt from the resampled log returns, so a
//! pool's price and its tokens' USD prices stay consistent; volumes, TVL, APYs, liquidity,
//! gas and rates are copied block by block. Ticks and cumulative fee growth, which would
//! no longer match the rebuilt prices, are left out.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::market::{Field, Market};

/// For each step of the resampled grid, the original step it takes its data from.
pub fn block_indices(n: usize, block: usize, seed: u64, sample: u32) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(sample as u64 + 1);
    let block = block.clamp(1, n.max(1));
    let mut idx = Vec::with_capacity(n);
    while idx.len() < n {
        let start = rng.random_range(0..=(n - block));
        for k in start..start + block {
            if idx.len() == n {
                break;
            }
            idx.push(k);
        }
    }
    idx
}

fn rebuild_prices(p: &[f64], idx: &[usize]) -> Vec<f64> {
    let mut out = Vec::with_capacity(p.len());
    let mut x = p[0];
    out.push(x);
    for &k in &idx[1..] {
        if k > 0 {
            x *= p[k] / p[k - 1];
        }
        out.push(x);
    }
    out
}

fn copy_levels(v: &[f64], idx: &[usize]) -> Vec<f64> {
    idx.iter().map(|k| v[*k]).collect()
}

/// A resampled copy of `market` (same grid and metadata).
pub fn resample(market: &Market, block_steps: usize, seed: u64, sample: u32) -> Market {
    let n = market.grid.len();
    let idx = block_indices(n, block_steps, seed, sample);
    let mut m = market.clone();
    for p in m.pools.values_mut() {
        // Ticks and a bar's tick extremes belong to the original price path; fee growth
        // is aligned as per-step increments and is resampled with the steps, as volume is.
        p.fields.remove(&Field::Tick);
        p.fields.remove(&Field::TickHigh);
        p.fields.remove(&Field::TickLow);
        for (_, v) in p.partial.values_mut() {
            *v = copy_levels(v, &idx);
        }
        for (f, v) in p.fields.iter_mut() {
            *v = if *f == Field::Price {
                rebuild_prices(v, &idx)
            } else {
                copy_levels(v, &idx)
            };
        }
    }
    for p in m.prices.values_mut() {
        p.price_usd = rebuild_prices(&p.price_usd, &idx);
    }
    for g in m.gas.values_mut() {
        g.gas_price_gwei = copy_levels(&g.gas_price_gwei, &idx);
    }
    for r in m.rates.values_mut() {
        for v in r.fields.values_mut() {
            *v = copy_levels(v, &idx);
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_seeded_and_contiguous() {
        let a = block_indices(100, 10, 7, 0);
        assert_eq!(a, block_indices(100, 10, 7, 0));
        assert_ne!(a, block_indices(100, 10, 7, 1));
        assert_eq!(a.len(), 100);
        for w in a.chunks(10) {
            assert!(w.windows(2).all(|p| p[1] == p[0] + 1));
        }
    }

    #[test]
    fn prices_are_rebuilt_from_returns() {
        let p = [100.0, 110.0, 99.0, 108.9];
        let idx = [0, 2, 3, 1];
        let out = rebuild_prices(&p, &idx);
        // Returns taken: step 2 (×0.9), step 3 (×1.1), step 1 (×1.1).
        let expect = [100.0, 90.0, 99.0, 108.9];
        for (o, e) in out.iter().zip(expect) {
            assert!((o - e).abs() < 1e-9, "{out:?}");
        }
    }
}
