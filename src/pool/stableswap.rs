//! Curve StableSwap pools: 2 to 4 coins (a position holds up to `MAX_COINS`) and the
//! amplification A (`amplification`). A position's unit amounts are the balances per
//! unit of invariant that arbitrage leaves at the step's prices, computed once per run
//! (`amm::stableswap`): a two-coin pool follows its own price series (coin 0 in coin
//! 1); a pool of more coins its coins' USD prices, so a depeg of one coin moves its
//! balance and the position's IL through the invariant. Fees stay in the pool and
//! compound; a swap's cost comes from the invariant at the pool's TVL.

use super::{Amounts, Depth, FeeShape, StateError, StateInput};
use crate::amm::stableswap;
use crate::costs::swap_cost_stableswap;

pub struct Model;

impl super::Model for Model {
    const NAME: &'static str = "stableswap";
    const COINS: (usize, usize) = (2, 4);
    const FEES: FeeShape = FeeShape::ValueShare;
    const FEES_COMPOUND: bool = true;
    const PARAMS: &'static [&'static str] = &["amplification"];

    fn priced_by_coins(coins: usize) -> bool {
        coins >= 3
    }

    fn check(meta: &super::PoolMeta) -> Result<(), String> {
        match meta.amplification {
            Some(a) if !(a.is_finite() && (1.0..=1e6).contains(&a)) => Err(format!(
                "`amplification` = {a} must be between 1 and 1000000 (Curve's A, e.g. 100 or 2000)"
            )),
            _ => Ok(()),
        }
    }

    fn state(x: &StateInput<'_>) -> Result<Option<Vec<Amounts>>, StateError> {
        let id = &x.meta.id;
        let amp = x.meta.amplification.ok_or_else(|| {
            StateError::Spec(format!(
                "stableswap pool '{id}' has no `amplification` in the dataset's metadata: add it there, or state it in the strategy file's [assume.amplification] (e.g. {id} = 200)"
            ))
        })?;
        let numeric = |step: usize, e: crate::amm::AmmError| StateError::Numeric {
            step,
            message: format!("pool '{id}': {e}"),
        };
        let n = x.coins.len();
        let mut hat = Vec::with_capacity(x.steps);
        if n == 2 {
            let prices = x.price.unwrap_or(&[]);
            // A step whose price equals the previous step's reuses its balances.
            let mut last: Option<(f64, (f64, f64))> = None;
            for (i, p) in prices.iter().enumerate() {
                let v = match last {
                    Some((lp, v)) if lp == *p => v,
                    _ => stableswap::balances_for_price_near(amp, *p, last.map(|l| l.1 .0))
                        .map_err(|e| numeric(i, e))?,
                };
                last = Some((*p, v));
                let mut amt = [0.0; super::MAX_COINS];
                amt[0] = v.0;
                amt[1] = v.1;
                hat.push(amt);
            }
            return Ok(Some(hat));
        }
        x.from_coin_prices(|p| stableswap::balances_for_prices(amp, p))
            .map(Some)
    }

    /// Never read: the kind's amounts are its `state`.
    fn unit(_p: f64, _range: Option<(f64, f64)>) -> [f64; 2] {
        [f64::NAN; 2]
    }

    fn swap_cost(d: &Depth<'_>) -> Option<Result<f64, String>> {
        let tvl = d.tvl?;
        Some(match d.meta.amplification {
            Some(amp) => Ok(swap_cost_stableswap(d.usd, tvl, amp, d.fee, d.meta.tokens.len())),
            None => Err(format!(
                "pool '{}': a swap through this StableSwap pool needs its amplification; add it to the pool's metadata or `[assume.amplification]`",
                d.meta.id
            )),
        })
    }
}
