//! Balancer-style weighted pools: 2 to 8 coins (a position holds up to `MAX_COINS`)
//! with fixed `weights` summing to 1 (an 80/20 pool: `weights = [0.8, 0.2]`). The pool
//! has no single price: its state at a step is the one its coins' USD prices give,
//! each coin holding its weight's share of the value (`amm::weighted`), computed once
//! per run, so the position's IL is Π rᵢ^wᵢ / Σ wᵢ·rᵢ − 1 of its coins' price moves.
//! Fees stay in the pool and compound; a swap's cost comes from the weighted invariant
//! at the pool's TVL (`swap_cost`).

use super::{Amounts, Depth, FeeShape, StateError, StateInput};
use crate::amm::weighted;

pub struct Model;

impl super::Model for Model {
    const NAME: &'static str = "weighted";
    const COINS: (usize, usize) = (2, 8);
    const FEES: FeeShape = FeeShape::ValueShare;
    const FEES_COMPOUND: bool = true;
    const PARAMS: &'static [&'static str] = &["weights"];

    fn priced_by_coins(_coins: usize) -> bool {
        true
    }

    fn check(meta: &super::PoolMeta) -> Result<(), String> {
        let w = meta.weights.as_deref().ok_or_else(|| {
            "a weighted pool needs `weights`, one per token in token order, summing to 1 (e.g. weights = [0.8, 0.2])".to_string()
        })?;
        if w.len() != meta.tokens.len() {
            return Err(format!(
                "`weights` has {} entries but `tokens` has {}",
                w.len(),
                meta.tokens.len()
            ));
        }
        weighted::check_weights(w).map_err(|e| format!("`weights`: {e}"))
    }

    fn state(x: &StateInput<'_>) -> Result<Option<Vec<Amounts>>, StateError> {
        let id = &x.meta.id;
        let w =
            x.meta.weights.as_deref().ok_or_else(|| {
                StateError::Spec(format!("weighted pool '{id}' has no `weights`"))
            })?;
        if x.coins.len() != w.len() {
            return Err(StateError::Spec(format!(
                "weighted pool '{id}' has {} coins and {} weights",
                x.coins.len(),
                w.len()
            )));
        }
        x.from_coin_prices(|p| weighted::balances_for_prices(w, p))
            .map(Some)
    }

    /// Never read: the kind's amounts are its `state`.
    fn unit(_p: f64, _range: Option<(f64, f64)>) -> [f64; 2] {
        [f64::NAN; 2]
    }

    fn swap_cost(d: &Depth<'_>) -> Option<Result<f64, String>> {
        let tvl = d.tvl?;
        Some(match d.meta.weights.as_deref() {
            Some(w) => Ok(swap_cost(d.usd, tvl, w, d.fee)),
            None => Err(format!("weighted pool '{}' has no `weights`", d.meta.id)),
        })
    }
}

/// Swap cost through a weighted pool of `depth_usd` total value at its arbitrage state
/// (each coin holding its weight's share of the value), for selling `usd` of value:
/// between the two coins of smallest weight (the pair of largest price impact, which to
/// second order is the same in either direction), the lighter one bought; pool fee
/// plus price impact, in USD. A 50/50 pool costs what a constant-product pool does.
pub fn swap_cost(usd: f64, depth_usd: f64, weights: &[f64], fee: f64) -> f64 {
    if usd <= 0.0 {
        return 0.0;
    }
    let mut w: Vec<f64> = weights.to_vec();
    w.sort_by(f64::total_cmp);
    let (w_out, w_in) = match w.as_slice() {
        [a, b, ..] => (*a, *b),
        _ => return usd,
    };
    let depth = depth_usd.max(1e-9);
    match weighted::amount_out(w_in * depth, w_in, w_out * depth, w_out, usd, fee) {
        Ok(out) => (usd - out).max(0.0),
        Err(_) => usd,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_weighted_pools_swap_cost() {
        // 50/50 is the constant-product cost.
        let cp = crate::costs::swap_cost_constant_product(1e6, 10e6, 0.003);
        let w = swap_cost(1e6, 10e6, &[0.5, 0.5], 0.003);
        assert!((w - cp).abs() < 1e-6, "{w} vs {cp}");
        // 80/20: the 20 % side is $2M deep; $100k in at 0.3 %: out = 2e6·(1 − (8e6/(8e6 +
        // 99_700))^4).
        let w = swap_cost(1e5, 10e6, &[0.8, 0.2], 0.003);
        let out = 2e6 * (1.0 - (8e6f64 / (8e6 + 0.997e5)).powi(4));
        assert!((w - (1e5 - out)).abs() < 1e-6, "{w}");
        // More than a 50/50 pool of the same TVL costs: its light side is shallower.
        assert!(w > crate::costs::swap_cost_constant_product(1e5, 10e6, 0.003));
        assert_eq!(swap_cost(0.0, 1e6, &[0.8, 0.2], 0.003), 0.0);
    }
}
