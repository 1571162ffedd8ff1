//! Uniswap v3 style concentrated liquidity: two coins, positions over a price range
//! (full range without one); one unit of liquidity holds the range's amounts at the
//! price (`amm::v3`); fees go to the liquidity active at the price and are held beside
//! the position until collected (a rebalance, a harvest, the close), as v3 does; a
//! swap trades against the active liquidity (virtual reserves L/√P and L·√P), or the
//! pool's TVL where the data has no liquidity.

use super::{Depth, FeeShape};
use crate::amm::v3;
use crate::costs::swap_cost_constant_product;

pub struct Model;

impl super::Model for Model {
    const NAME: &'static str = "concentrated";
    const COINS: (usize, usize) = (2, 2);
    const RANGES: bool = true;
    const FEES: FeeShape = FeeShape::ActiveLiquidity;
    const FEES_COMPOUND: bool = false;
    const PARAMS: &'static [&'static str] = &["tick_spacing"];

    fn check(meta: &super::PoolMeta) -> Result<(), String> {
        match meta.tick_spacing {
            Some(t) if !(1..=16_384).contains(&t) => Err(format!(
                "`tick_spacing` = {t} must be between 1 and 16384 (Uniswap v3 uses 1, 10, 60 or 200)"
            )),
            _ => Ok(()),
        }
    }

    #[inline]
    fn unit(p: f64, range: Option<(f64, f64)>) -> [f64; 2] {
        match range {
            Some((sa, sb)) => {
                let (x, y) = v3::amounts_unchecked(p.sqrt(), sa, sb, 1.0);
                [x, y]
            }
            None => {
                let s = p.sqrt();
                [1.0 / s, s]
            }
        }
    }

    fn swap_cost(d: &Depth<'_>) -> Option<Result<f64, String>> {
        d.active_usd
            .or(d.tvl)
            .map(|depth| Ok(swap_cost_constant_product(d.usd, depth, d.fee)))
    }
}
