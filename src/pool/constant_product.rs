//! Uniswap v2 style constant-product pools (x·y = k): two coins; one unit of liquidity
//! holds 1/√P of token0 and √P of token1 at price P (token1 per token0); fees stay in
//! the pool, so they compound into the position; a swap's cost comes from the pool's
//! reserves (its TVL).

use super::{Depth, FeeShape};
use crate::costs::swap_cost_constant_product;

pub struct Model;

impl super::Model for Model {
    const NAME: &'static str = "constant_product";
    const COINS: (usize, usize) = (2, 2);
    const FEES: FeeShape = FeeShape::ValueShare;
    const FEES_COMPOUND: bool = true;

    #[inline]
    fn unit(p: f64, _range: Option<(f64, f64)>) -> [f64; 2] {
        let s = p.sqrt();
        [1.0 / s, s]
    }

    fn swap_cost(d: &Depth<'_>) -> Option<Result<f64, String>> {
        d.tvl
            .map(|tvl| Ok(swap_cost_constant_product(d.usd, tvl, d.fee)))
    }
}
