//! Uniswap v3 concentrated liquidity (`TickMath`, `SqrtPriceMath`, `LiquidityAmounts`,
//! `SwapMath`).
//!
//! Prices are token1 per token0 in the units the caller uses: raw (wei per wei, as
//! on-chain) or whole tokens, converted by `raw_price` / `human_price` with the tokens'
//! decimals. Ticks are raw: price_raw = 1.0001^tick. Liquidity L has the units of
//! √(amount0·amount1) in the same units as the prices. Float math agrees with the
//! contracts' Q64.96 integer math to about 1e-12 relative, except where the contracts
//! round amounts of a few wei by one unit.

use super::{fee_fraction, non_negative, positive, AmmError, AmmResult};

/// The smallest and largest ticks (`TickMath.MIN_TICK`, `MAX_TICK`).
pub const MIN_TICK: i32 = -887_272;
pub const MAX_TICK: i32 = 887_272;

const LN_TICK_BASE: f64 = 0.000_099_995_000_333_308_33; // ln(1.0001)

/// √(1.0001^tick).
pub fn tick_to_sqrt_price(tick: i32) -> AmmResult<f64> {
    if !(MIN_TICK..=MAX_TICK).contains(&tick) {
        return Err(AmmError::Invalid {
            name: "tick",
            rule: "within [-887272, 887272]",
            value: tick as f64,
        });
    }
    Ok((tick as f64 * LN_TICK_BASE / 2.0).exp())
}

/// 1.0001^tick.
pub fn tick_to_price(tick: i32) -> AmmResult<f64> {
    Ok(tick_to_sqrt_price(tick)?.powi(2))
}

/// The greatest tick whose price is <= `price` (`TickMath.getTickAtSqrtRatio`).
pub fn price_to_tick(price: f64) -> AmmResult<i32> {
    positive("price", price)?;
    let guess = (price.ln() / LN_TICK_BASE).floor();
    if !(MIN_TICK as f64..=MAX_TICK as f64).contains(&guess) {
        return Err(AmmError::Invalid {
            name: "price",
            rule: "within the tick range 1.0001^±887272",
            value: price,
        });
    }
    let mut t = guess as i32;
    // Float log can land one tick off next to an exact tick price: correct it.
    while t > MIN_TICK && tick_to_price(t)? > price {
        t -= 1;
    }
    while t < MAX_TICK && tick_to_price(t + 1)? <= price {
        t += 1;
    }
    Ok(t)
}

/// Raw price (wei of token1 per wei of token0) from a whole-token price.
pub fn raw_price(human: f64, decimals0: u32, decimals1: u32) -> f64 {
    human * 10f64.powi(decimals1 as i32 - decimals0 as i32)
}

/// Whole-token price from a raw price.
pub fn human_price(raw: f64, decimals0: u32, decimals1: u32) -> f64 {
    raw * 10f64.powi(decimals0 as i32 - decimals1 as i32)
}

fn check_range(sqrt_a: f64, sqrt_b: f64) -> AmmResult<()> {
    positive("sqrt_price_lower", sqrt_a)?;
    positive("sqrt_price_upper", sqrt_b)?;
    if sqrt_a >= sqrt_b {
        return Err(AmmError::Infeasible(format!(
            "the range's lower price {} must be below its upper price {}",
            sqrt_a * sqrt_a,
            sqrt_b * sqrt_b
        )));
    }
    Ok(())
}

/// Liquidity from an amount of token0 over [√a, √b] (`getLiquidityForAmount0`).
pub fn liquidity_for_amount0(sqrt_a: f64, sqrt_b: f64, amount0: f64) -> f64 {
    amount0 * sqrt_a * sqrt_b / (sqrt_b - sqrt_a)
}

/// Liquidity from an amount of token1 over [√a, √b] (`getLiquidityForAmount1`).
pub fn liquidity_for_amount1(sqrt_a: f64, sqrt_b: f64, amount1: f64) -> f64 {
    amount1 / (sqrt_b - sqrt_a)
}

/// The largest liquidity that `amount0` and `amount1` can fund in the range at the
/// current √price (`LiquidityAmounts.getLiquidityForAmounts`).
pub fn liquidity_for_amounts(
    sqrt_p: f64,
    sqrt_a: f64,
    sqrt_b: f64,
    amount0: f64,
    amount1: f64,
) -> AmmResult<f64> {
    positive("sqrt_price", sqrt_p)?;
    check_range(sqrt_a, sqrt_b)?;
    non_negative("amount0", amount0)?;
    non_negative("amount1", amount1)?;
    Ok(if sqrt_p <= sqrt_a {
        liquidity_for_amount0(sqrt_a, sqrt_b, amount0)
    } else if sqrt_p < sqrt_b {
        liquidity_for_amount0(sqrt_p, sqrt_b, amount0)
            .min(liquidity_for_amount1(sqrt_a, sqrt_p, amount1))
    } else {
        liquidity_for_amount1(sqrt_a, sqrt_b, amount1)
    })
}

/// Token amounts of liquidity `l` in [√a, √b] at √p: all token0 below the range, all
/// token1 above it (`LiquidityAmounts.getAmountsForLiquidity`).
pub fn amounts_for_liquidity(
    sqrt_p: f64,
    sqrt_a: f64,
    sqrt_b: f64,
    l: f64,
) -> AmmResult<(f64, f64)> {
    positive("sqrt_price", sqrt_p)?;
    check_range(sqrt_a, sqrt_b)?;
    non_negative("liquidity", l)?;
    Ok(amounts_unchecked(sqrt_p, sqrt_a, sqrt_b, l))
}

/// `amounts_for_liquidity` without argument checks, for the hot loop.
#[inline]
pub fn amounts_unchecked(sqrt_p: f64, sqrt_a: f64, sqrt_b: f64, l: f64) -> (f64, f64) {
    if sqrt_p <= sqrt_a {
        (l * (sqrt_b - sqrt_a) / (sqrt_a * sqrt_b), 0.0)
    } else if sqrt_p < sqrt_b {
        (
            l * (sqrt_b - sqrt_p) / (sqrt_p * sqrt_b),
            l * (sqrt_p - sqrt_a),
        )
    } else {
        (0.0, l * (sqrt_b - sqrt_a))
    }
}

/// Value in token1 of liquidity `l` in [√a, √b] at √p.
#[inline]
pub fn value_unchecked(sqrt_p: f64, sqrt_a: f64, sqrt_b: f64, l: f64) -> f64 {
    let (a0, a1) = amounts_unchecked(sqrt_p, sqrt_a, sqrt_b, l);
    a0 * sqrt_p * sqrt_p + a1
}

/// A position's value and its impermanent loss against holding the tokens it was
/// opened with, all in token1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RangeIl {
    /// LP value at the final price.
    pub value_lp: f64,
    /// Value at the final price of the tokens deposited at the initial price.
    pub value_hodl: f64,
    /// value_lp / value_hodl − 1 (≤ 0).
    pub il: f64,
}

/// IL of a range position [pa, pb] opened at `p0` and marked at `p1` (prices, not
/// square roots), per unit of liquidity. With pa → 0 and pb → ∞ it equals v2's.
pub fn range_il(pa: f64, pb: f64, p0: f64, p1: f64) -> AmmResult<RangeIl> {
    let (sa, sb) = (
        positive("price_lower", pa)?.sqrt(),
        positive("price_upper", pb)?.sqrt(),
    );
    check_range(sa, sb)?;
    let (s0, s1) = (
        positive("price_initial", p0)?.sqrt(),
        positive("price_final", p1)?.sqrt(),
    );
    let (h0, h1) = amounts_unchecked(s0, sa, sb, 1.0);
    let value_hodl = h0 * p1 + h1;
    let value_lp = value_unchecked(s1, sa, sb, 1.0);
    Ok(RangeIl {
        value_lp,
        value_hodl,
        il: value_lp / value_hodl - 1.0,
    })
}

/// Our share of a swap's fee while in range: `ours / (ours + others)`, where `others`
/// is the pool's active liquidity without us — our own liquidity belongs in the
/// denominator (leaving it out overstates fees for any position that is not tiny).
pub fn fee_share(ours: f64, others: f64) -> AmmResult<f64> {
    non_negative("liquidity_ours", ours)?;
    non_negative("liquidity_others", others)?;
    if ours + others == 0.0 {
        return Ok(0.0);
    }
    Ok(ours / (ours + others))
}

/// One swap step inside a single initialised-tick range (`SwapMath.computeSwapStep`
/// for exact input): moves √price from `sqrt_p` towards `sqrt_target` with liquidity
/// `l`, taking the fee from the input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SwapStep {
    pub sqrt_price_next: f64,
    /// Input used, fee excluded.
    pub amount_in: f64,
    pub amount_out: f64,
    pub fee_amount: f64,
}

/// Exact-input swap step: `zero_for_one` sells token0 (price falls). Uses at most
/// `amount_remaining` (fee included); stops at `sqrt_target` (the range's edge).
pub fn swap_step(
    sqrt_p: f64,
    sqrt_target: f64,
    l: f64,
    amount_remaining: f64,
    fee: f64,
) -> AmmResult<SwapStep> {
    positive("sqrt_price", sqrt_p)?;
    positive("sqrt_price_target", sqrt_target)?;
    positive("liquidity", l)?;
    non_negative("amount_remaining", amount_remaining)?;
    fee_fraction("fee", fee)?;
    let zero_for_one = sqrt_target <= sqrt_p;
    let less_fee = amount_remaining * (1.0 - fee);
    // Input needed to reach the target.
    let to_target = if zero_for_one {
        l * (sqrt_p - sqrt_target) / (sqrt_p * sqrt_target)
    } else {
        l * (sqrt_target - sqrt_p)
    };
    let (sqrt_next, amount_in) = if less_fee >= to_target {
        (sqrt_target, to_target)
    } else if zero_for_one {
        // getNextSqrtPriceFromAmount0RoundingUp: L·√P / (L + x·√P)
        (l * sqrt_p / (l + less_fee * sqrt_p), less_fee)
    } else {
        (sqrt_p + less_fee / l, less_fee)
    };
    let amount_out = if zero_for_one {
        l * (sqrt_p - sqrt_next)
    } else {
        l * (sqrt_next - sqrt_p) / (sqrt_p * sqrt_next)
    };
    let fee_amount = if sqrt_next != sqrt_target {
        amount_remaining - amount_in
    } else {
        amount_in * fee / (1.0 - fee)
    };
    Ok(SwapStep {
        sqrt_price_next: sqrt_next,
        amount_in,
        amount_out,
        fee_amount,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_and_prices() {
        assert_eq!(tick_to_price(0).unwrap(), 1.0);
        assert!((tick_to_price(1).unwrap() - 1.0001).abs() < 1e-15);
        assert!((tick_to_price(-1).unwrap() - 1.0 / 1.0001).abs() < 1e-15);
        // USDC/WETH at ETH = $2000: raw price = 1/2000 · 1e12 = 5e8 → tick 200311.
        let raw = raw_price(1.0 / 2000.0, 6, 18);
        assert_eq!(price_to_tick(raw).unwrap(), 200_311);
        for t in [-887_272, -200_000, -1, 0, 1, 60, 200_311, 887_271] {
            assert_eq!(
                price_to_tick(tick_to_price(t).unwrap()).unwrap(),
                t,
                "tick {t}"
            );
        }
        assert!(tick_to_sqrt_price(887_273).is_err());
        assert!((human_price(raw, 6, 18) - 0.0005).abs() < 1e-18);
    }

    #[test]
    fn hand_worked_liquidity() {
        // Range [1, 4] (√ 1..2) at price 2.25 (√1.5), L = 100: a0 = 100(2−1.5)/(1.5·2) = 16.67,
        // a1 = 100(1.5 − 1) = 50.
        let (a0, a1) = amounts_for_liquidity(1.5, 1.0, 2.0, 100.0).unwrap();
        assert!((a0 - 100.0 / 6.0).abs() < 1e-12);
        assert!((a1 - 50.0).abs() < 1e-12);
        let l = liquidity_for_amounts(1.5, 1.0, 2.0, a0, a1).unwrap();
        assert!((l - 100.0).abs() < 1e-9);
        // Below the range all token0, above it all token1.
        assert_eq!(
            amounts_for_liquidity(0.5, 1.0, 2.0, 100.0).unwrap(),
            (50.0, 0.0)
        );
        assert_eq!(
            amounts_for_liquidity(3.0, 1.0, 2.0, 100.0).unwrap(),
            (0.0, 100.0)
        );
        assert!(amounts_for_liquidity(1.5, 2.0, 1.0, 1.0).is_err());
    }

    #[test]
    fn full_range_il_equals_v2() {
        for r in [0.25, 0.5, 1.5, 2.0, 4.0] {
            let v3 = range_il(1e-20, 1e20, 100.0, 100.0 * r).unwrap().il;
            let v2 = super::super::v2::impermanent_loss(r).unwrap();
            assert!((v3 - v2).abs() < 1e-6, "r {r}: {v3} vs {v2}");
        }
        // A narrow range loses more than full range for the same move.
        let narrow = range_il(90.0, 110.0, 100.0, 105.0).unwrap().il;
        let full = super::super::v2::impermanent_loss(1.05).unwrap();
        assert!(narrow < full);
    }

    #[test]
    fn fee_share_counts_our_liquidity() {
        assert_eq!(fee_share(1.0, 3.0).unwrap(), 0.25);
        assert_eq!(fee_share(0.0, 0.0).unwrap(), 0.0);
    }

    #[test]
    fn swap_step_within_and_to_the_edge() {
        // Sell 1 token1 into L = 1000 at √p = 1: √p' = 1 + 0.997/1000.
        let s = swap_step(1.0, 2.0, 1000.0, 1.0, 0.003).unwrap();
        assert!((s.sqrt_price_next - 1.000_997).abs() < 1e-15);
        assert!((s.amount_in - 0.997).abs() < 1e-15);
        assert!((s.fee_amount - 0.003).abs() < 1e-15);
        let expect_out = 1000.0 * (1.000_997 - 1.0) / 1.000_997;
        assert!((s.amount_out - expect_out).abs() < 1e-12);
        // A large input stops at the edge.
        let e = swap_step(1.0, 1.001, 1000.0, 1e6, 0.003).unwrap();
        assert_eq!(e.sqrt_price_next, 1.001);
        assert!((e.amount_in - 1.0).abs() < 1e-9);
        // Selling token0 lowers the price.
        let d = swap_step(1.0, 0.5, 1000.0, 1.0, 0.0).unwrap();
        assert!(d.sqrt_price_next < 1.0);
        assert!((d.amount_out - 1000.0 * (1.0 - d.sqrt_price_next)).abs() < 1e-12);
    }
}
