//! Uniswap v3 in exact on-chain integers: `FullMath`, `TickMath`, `SqrtPriceMath` and
//! `SwapMath` of v3-core, on `ruint` 256-bit integers (Q64.96 prices, Q128 fee growth),
//! rounding exactly as the contracts do. Pure functions: state and input in, `Result`
//! out (an input the contracts would revert on is an error, never a panic).
//!
//! Written from the v3-core specification (the whitepaper and the libraries' NatSpec),
//! checked against the committed reference vectors (tests/vectors/v3.jsonl) and against
//! real pools' event streams (`amm::replay`).

use ruint::aliases::{U256, U512};

/// An input the contracts would revert on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ExactError(pub String);

pub type ExactResult<T> = Result<T, ExactError>;

fn err<T>(m: impl Into<String>) -> ExactResult<T> {
    Err(ExactError(m.into()))
}

pub const MIN_TICK: i32 = -887_272;
pub const MAX_TICK: i32 = 887_272;
/// `TickMath.MIN_SQRT_RATIO`, the √price of `MIN_TICK` (Q64.96).
pub const MIN_SQRT_RATIO: U256 = U256::from_limbs([4_295_128_739, 0, 0, 0]);
/// `TickMath.MAX_SQRT_RATIO`, the √price of `MAX_TICK` (Q64.96).
pub const MAX_SQRT_RATIO: U256 = U256::from_limbs([
    0x5d95_1d52_6398_8d26,
    0xefd1_fc6a_5064_8849,
    0x0000_0000_fffd_8963,
    0,
]);
/// 2^96.
pub const Q96: U256 = U256::from_limbs([0, 1 << 32, 0, 0]);
/// 2^128.
pub const Q128: U256 = U256::from_limbs([0, 0, 1, 0]);
/// Fees are in hundredths of a basis point: 1e6 = 100 %.
pub const FEE_DENOMINATOR: u32 = 1_000_000;

fn narrow(x: U512) -> ExactResult<U256> {
    let l = x.as_limbs();
    if l[4..].iter().any(|w| *w != 0) {
        return err("a result overflows 256 bits");
    }
    Ok(U256::from_limbs([l[0], l[1], l[2], l[3]]))
}

fn wide(x: U256) -> U512 {
    let l = x.as_limbs();
    U512::from_limbs([l[0], l[1], l[2], l[3], 0, 0, 0, 0])
}

/// `FullMath.mulDiv`: ⌊a·b / d⌋ with a 512-bit intermediate.
pub fn mul_div(a: U256, b: U256, d: U256) -> ExactResult<U256> {
    if d.is_zero() {
        return err("division by zero");
    }
    let p: U512 = a.widening_mul(b);
    narrow(p / wide(d))
}

/// `FullMath.mulDivRoundingUp`: ⌈a·b / d⌉.
pub fn mul_div_rounding_up(a: U256, b: U256, d: U256) -> ExactResult<U256> {
    if d.is_zero() {
        return err("division by zero");
    }
    let p: U512 = a.widening_mul(b);
    let (q, r) = p.div_rem(wide(d));
    let q = narrow(q)?;
    if r.is_zero() {
        Ok(q)
    } else {
        q.checked_add(U256::from(1u8))
            .ok_or_else(|| ExactError("a result overflows 256 bits".into()))
    }
}

/// `UnsafeMath.divRoundingUp`: ⌈a / d⌉.
fn div_rounding_up(a: U256, d: U256) -> ExactResult<U256> {
    if d.is_zero() {
        return err("division by zero");
    }
    let (q, r) = a.div_rem(d);
    Ok(if r.is_zero() { q } else { q + U256::from(1u8) })
}

/// `TickMath.getSqrtRatioAtTick`: √(1.0001^tick) · 2^96, rounded up to the Q64.96 grid.
pub fn sqrt_ratio_at_tick(tick: i32) -> ExactResult<U256> {
    if !(MIN_TICK..=MAX_TICK).contains(&tick) {
        return err(format!("tick {tick} is outside [-887272, 887272]"));
    }
    let abs = tick.unsigned_abs();
    // 2^128 / √(1.0001)^(2^k) in Q128, for each bit k of |tick|.
    const FACTORS: [u128; 19] = [
        0xfff9_7272_373d_4132_59a4_6990_580e_213a,
        0xfff2_e50f_5f65_6932_ef12_357c_f3c7_fdcc,
        0xffe5_caca_7e10_e4e6_1c36_24ea_a094_1cd0,
        0xffcb_9843_d60f_6159_c9db_5883_5c92_6644,
        0xff97_3b41_fa98_c081_472e_6896_dfb2_54c0,
        0xff2e_a164_66c9_6a38_43ec_78b3_26b5_2861,
        0xfe5d_ee04_6a99_a2a8_11c4_61f1_969c_3053,
        0xfcbe_86c7_900a_88ae_dcff_c83b_479a_a3a4,
        0xf987_a725_3ac4_1317_6f2b_074c_f781_5e54,
        0xf339_2b08_22b7_0005_940c_7a39_8e4b_70f3,
        0xe715_9475_a2c2_9b74_43b2_9c7f_a6e8_89d9,
        0xd097_f3bd_fd20_22b8_845a_d8f7_92aa_5825,
        0xa9f7_4646_2d87_0fdf_8a65_dc1f_90e0_61e5,
        0x70d8_69a1_56d2_a1b8_90bb_3df6_2baf_32f7,
        0x31be_135f_97d0_8fd9_8123_1505_542f_cfa6,
        0x09aa_508b_5b7a_84e1_c677_de54_f3e9_9bc9,
        0x005d_6af8_dedb_8119_6699_c329_225e_e604,
        0x0000_2216_e584_f5fa_1ea9_2604_1bed_fe98,
        0x0000_0000_048a_1703_91f7_dc42_444e_8fa2,
    ];
    let mut ratio: U256 = if abs & 1 != 0 {
        U256::from(0xfffc_b933_bd6f_ad37_aa2d_162d_1a59_4001u128)
    } else {
        Q128
    };
    for (k, f) in FACTORS.iter().enumerate() {
        if abs & (2 << k) != 0 {
            ratio = narrow(ratio.widening_mul::<256, 4, 512, 8>(U256::from(*f)) >> 128usize)?;
        }
    }
    if tick > 0 {
        ratio = U256::MAX / ratio;
    }
    // Q128.128 → Q64.96, rounding up.
    let low = ratio & U256::from(u32::MAX);
    Ok((ratio >> 32usize)
        + if low.is_zero() {
            U256::ZERO
        } else {
            U256::from(1u8)
        })
}

/// `TickMath.getTickAtSqrtRatio`: the greatest tick whose √ratio is at most
/// `sqrt_price_x96` (by bisection over `sqrt_ratio_at_tick`, which is monotone: the same
/// answer as the contract's log2 computation, by its specification).
pub fn tick_at_sqrt_ratio(sqrt_price_x96: U256) -> ExactResult<i32> {
    if sqrt_price_x96 < MIN_SQRT_RATIO || sqrt_price_x96 >= MAX_SQRT_RATIO {
        return err(format!(
            "sqrt_price_x96 {sqrt_price_x96} is outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO)"
        ));
    }
    let (mut lo, mut hi) = (MIN_TICK, MAX_TICK);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if sqrt_ratio_at_tick(mid)? <= sqrt_price_x96 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(if sqrt_ratio_at_tick(hi)? <= sqrt_price_x96 {
        hi
    } else {
        lo
    })
}

fn sorted(a: U256, b: U256) -> (U256, U256) {
    if a > b {
        (b, a)
    } else {
        (a, b)
    }
}

/// `SqrtPriceMath.getAmount0Delta`: token0 between two √prices for liquidity `l`.
pub fn amount0_delta(a: U256, b: U256, l: u128, round_up: bool) -> ExactResult<U256> {
    let (a, b) = sorted(a, b);
    if a.is_zero() {
        return err("sqrt price 0");
    }
    let n1: U256 = U256::from(l) << 96usize;
    let n2 = b - a;
    if round_up {
        div_rounding_up(mul_div_rounding_up(n1, n2, b)?, a)
    } else {
        Ok(mul_div(n1, n2, b)? / a)
    }
}

/// `SqrtPriceMath.getAmount1Delta`: token1 between two √prices for liquidity `l`.
pub fn amount1_delta(a: U256, b: U256, l: u128, round_up: bool) -> ExactResult<U256> {
    let (a, b) = sorted(a, b);
    if round_up {
        mul_div_rounding_up(U256::from(l), b - a, Q96)
    } else {
        mul_div(U256::from(l), b - a, Q96)
    }
}

fn max160() -> U256 {
    (U256::from(1u8) << 160usize) - U256::from(1u8)
}

/// `SqrtPriceMath.getNextSqrtPriceFromAmount0RoundingUp`.
fn next_from_amount0(sqrt_p: U256, l: u128, amount: U256, add: bool) -> ExactResult<U256> {
    if amount.is_zero() {
        return Ok(sqrt_p);
    }
    let n1: U256 = U256::from(l) << 96usize;
    let product = amount.checked_mul(sqrt_p);
    if add {
        if let Some(product) = product {
            if let Some(den) = n1.checked_add(product) {
                return mul_div_rounding_up(n1, sqrt_p, den);
            }
        }
        div_rounding_up(n1, n1 / sqrt_p + amount)
    } else {
        match product {
            Some(product) if n1 > product => mul_div_rounding_up(n1, sqrt_p, n1 - product),
            _ => err("the output exceeds the token0 the liquidity holds"),
        }
    }
}

/// `SqrtPriceMath.getNextSqrtPriceFromAmount1RoundingDown`.
fn next_from_amount1(sqrt_p: U256, l: u128, amount: U256, add: bool) -> ExactResult<U256> {
    let l256 = U256::from(l);
    if l == 0 {
        return err("zero liquidity");
    }
    if add {
        let q = if amount <= max160() {
            (amount << 96usize) / l256
        } else {
            mul_div(amount, Q96, l256)?
        };
        sqrt_p
            .checked_add(q)
            .filter(|x| *x <= max160())
            .ok_or_else(|| ExactError("the price overflows uint160".into()))
    } else {
        let q = if amount <= max160() {
            div_rounding_up(amount << 96, l256)?
        } else {
            mul_div_rounding_up(amount, Q96, l256)?
        };
        if sqrt_p <= q {
            return err("the output exceeds the token1 the liquidity holds");
        }
        Ok(sqrt_p - q)
    }
}

/// One step of a swap (`SwapMath.computeSwapStep`): from `sqrt_cur` towards
/// `sqrt_target` with liquidity `l`; `remaining` > 0 is an exact input, < 0 an exact
/// output; `fee_pips` in hundredths of a bip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub sqrt_next: U256,
    pub amount_in: U256,
    pub amount_out: U256,
    pub fee: U256,
}

pub fn swap_step(
    sqrt_cur: U256,
    sqrt_target: U256,
    l: u128,
    remaining: U256,
    exact_in: bool,
    fee_pips: u32,
) -> ExactResult<Step> {
    if fee_pips >= FEE_DENOMINATOR {
        return err("fee must be below 1e6 pips");
    }
    let zero_for_one = sqrt_cur >= sqrt_target;
    let fee = U256::from(fee_pips);
    let denom = U256::from(FEE_DENOMINATOR);
    let mut amount_in = U256::ZERO;
    let mut amount_out = U256::ZERO;
    let sqrt_next;
    if exact_in {
        let less_fee = mul_div(remaining, denom - fee, denom)?;
        amount_in = if zero_for_one {
            amount0_delta(sqrt_target, sqrt_cur, l, true)?
        } else {
            amount1_delta(sqrt_cur, sqrt_target, l, true)?
        };
        sqrt_next = if less_fee >= amount_in {
            sqrt_target
        } else if zero_for_one {
            next_from_amount0(sqrt_cur, l, less_fee, true)?
        } else {
            next_from_amount1(sqrt_cur, l, less_fee, true)?
        };
    } else {
        amount_out = if zero_for_one {
            amount1_delta(sqrt_target, sqrt_cur, l, false)?
        } else {
            amount0_delta(sqrt_cur, sqrt_target, l, false)?
        };
        sqrt_next = if remaining >= amount_out {
            sqrt_target
        } else if zero_for_one {
            next_from_amount1(sqrt_cur, l, remaining, false)?
        } else {
            next_from_amount0(sqrt_cur, l, remaining, false)?
        };
    }
    let max = sqrt_target == sqrt_next;
    if zero_for_one {
        if !(max && exact_in) {
            amount_in = amount0_delta(sqrt_next, sqrt_cur, l, true)?;
        }
        if !max || exact_in {
            amount_out = amount1_delta(sqrt_next, sqrt_cur, l, false)?;
        }
    } else {
        if !(max && exact_in) {
            amount_in = amount1_delta(sqrt_cur, sqrt_next, l, true)?;
        }
        if !max || exact_in {
            amount_out = amount0_delta(sqrt_cur, sqrt_next, l, false)?;
        }
    }
    if !exact_in && amount_out > remaining {
        amount_out = remaining;
    }
    let fee_amount = if exact_in && sqrt_next != sqrt_target {
        remaining - amount_in
    } else {
        mul_div_rounding_up(amount_in, fee, denom - fee)?
    };
    Ok(Step {
        sqrt_next,
        amount_in,
        amount_out,
        fee: fee_amount,
    })
}

/// The fee growth (Q128) a fee adds for liquidity `l`: ⌊fee · 2^128 / l⌋.
pub fn fee_growth_of(fee: U256, l: u128) -> ExactResult<U256> {
    if l == 0 {
        return Ok(U256::ZERO);
    }
    mul_div(fee, Q128, U256::from(l))
}

/// A decimal string as a 256-bit integer.
pub fn parse_u256(s: &str) -> ExactResult<U256> {
    let t = s.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return err(format!("'{s}' is not a non-negative whole number"));
    }
    U256::from_str_radix(t, 10).map_err(|_| ExactError(format!("'{s}' does not fit 256 bits")))
}

/// A U256 as f64 (nearest).
pub fn to_f64(x: U256) -> f64 {
    let l = x.as_limbs();
    l[0] as f64
        + l[1] as f64 * 2f64.powi(64)
        + l[2] as f64 * 2f64.powi(128)
        + l[3] as f64 * 2f64.powi(192)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_math_edges() {
        assert_eq!(sqrt_ratio_at_tick(MIN_TICK).unwrap(), MIN_SQRT_RATIO);
        assert_eq!(sqrt_ratio_at_tick(MAX_TICK).unwrap(), MAX_SQRT_RATIO);
        assert_eq!(sqrt_ratio_at_tick(0).unwrap(), Q96);
        assert_eq!(tick_at_sqrt_ratio(MIN_SQRT_RATIO).unwrap(), MIN_TICK);
        assert_eq!(
            tick_at_sqrt_ratio(MAX_SQRT_RATIO - U256::from(1u8)).unwrap(),
            MAX_TICK - 1
        );
        assert!(tick_at_sqrt_ratio(MAX_SQRT_RATIO).is_err());
        assert!(sqrt_ratio_at_tick(MAX_TICK + 1).is_err());
        // At an exact tick boundary and one below it.
        for t in [-200_000, -1, 1, 60, 195_000] {
            let s = sqrt_ratio_at_tick(t).unwrap();
            assert_eq!(tick_at_sqrt_ratio(s).unwrap(), t);
            assert_eq!(tick_at_sqrt_ratio(s - U256::from(1u8)).unwrap(), t - 1);
        }
    }

    #[test]
    fn a_swap_step_never_takes_more_than_offered_and_charges_the_fee() {
        let cur = sqrt_ratio_at_tick(-198_370).unwrap();
        let target = sqrt_ratio_at_tick(-198_380).unwrap();
        let l = 8_255_063_126_016_221_642u128;
        let offered = U256::from(1_000_000_000_000_000u64);
        let s = swap_step(cur, target, l, offered, true, 500).unwrap();
        assert!(s.amount_in + s.fee <= offered);
        assert!(s.sqrt_next < cur && s.sqrt_next >= target);
        // Exact input not reaching the target: the fee is the remainder.
        if s.sqrt_next != target {
            assert_eq!(s.amount_in + s.fee, offered);
        }
        // Exact output of what the step gave: the same price, at least the same input.
        let back = swap_step(cur, target, l, s.amount_out, false, 500).unwrap();
        assert_eq!(back.amount_out, s.amount_out);
        assert!(back.amount_in <= s.amount_in + U256::from(1u8));
    }
}
