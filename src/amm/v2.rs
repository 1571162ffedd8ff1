//! Uniswap v2 constant product (`UniswapV2Pair`, `UniswapV2Library`).
//!
//! Amounts are whole tokens. The fee is taken from the input, as `getAmountOut` does
//! with 997/1000 (fee 0.003); the integer contracts round the output down and the
//! required input up by one wei, which float math leaves out.

use super::{fee_fraction, non_negative, positive, AmmError, AmmResult};

/// Output for `amount_in` of the input token (`getAmountOut`).
pub fn amount_out(reserve_in: f64, reserve_out: f64, amount_in: f64, fee: f64) -> AmmResult<f64> {
    positive("reserve_in", reserve_in)?;
    positive("reserve_out", reserve_out)?;
    non_negative("amount_in", amount_in)?;
    fee_fraction("fee", fee)?;
    let with_fee = amount_in * (1.0 - fee);
    Ok(with_fee * reserve_out / (reserve_in + with_fee))
}

/// Input needed for `amount_out` of the output token (`getAmountIn`).
pub fn amount_in(reserve_in: f64, reserve_out: f64, amount_out: f64, fee: f64) -> AmmResult<f64> {
    positive("reserve_in", reserve_in)?;
    positive("reserve_out", reserve_out)?;
    non_negative("amount_out", amount_out)?;
    fee_fraction("fee", fee)?;
    if amount_out >= reserve_out {
        return Err(AmmError::Infeasible(format!(
            "amount_out {amount_out} is not below the reserve {reserve_out}"
        )));
    }
    Ok(reserve_in * amount_out / ((reserve_out - amount_out) * (1.0 - fee)))
}

/// Impermanent loss of a 50/50 constant-product position vs holding, with no fees,
/// when the price moves by `price_ratio` = p1 / p0: 2·√r / (1 + r) − 1 (≤ 0).
pub fn impermanent_loss(price_ratio: f64) -> AmmResult<f64> {
    positive("price_ratio", price_ratio)?;
    Ok(2.0 * price_ratio.sqrt() / (1.0 + price_ratio) - 1.0)
}

/// A pair's state: reserves of token0 and token1 and the LP token supply.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    pub reserve0: f64,
    pub reserve1: f64,
    pub supply: f64,
    /// Swap fee, fraction.
    pub fee: f64,
}

/// A swap's result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Swap {
    pub amount_in: f64,
    pub amount_out: f64,
    /// Fee paid, in the input token.
    pub fee_paid: f64,
}

impl Pair {
    /// A pair holding `reserve0`/`reserve1` with `supply` LP tokens.
    pub fn new(reserve0: f64, reserve1: f64, supply: f64, fee: f64) -> AmmResult<Pair> {
        positive("reserve0", reserve0)?;
        positive("reserve1", reserve1)?;
        positive("supply", supply)?;
        fee_fraction("fee", fee)?;
        Ok(Pair {
            reserve0,
            reserve1,
            supply,
            fee,
        })
    }

    /// Price of token0 in token1.
    pub fn price(&self) -> f64 {
        self.reserve1 / self.reserve0
    }

    /// k = x·y.
    pub fn k(&self) -> f64 {
        self.reserve0 * self.reserve1
    }

    /// Quotes a swap of `amount_in` of token0 (`zero_for_one`) or token1.
    pub fn quote_swap(&self, zero_for_one: bool, amount_in: f64) -> AmmResult<Swap> {
        let (rin, rout) = if zero_for_one {
            (self.reserve0, self.reserve1)
        } else {
            (self.reserve1, self.reserve0)
        };
        let out = amount_out(rin, rout, amount_in, self.fee)?;
        Ok(Swap {
            amount_in,
            amount_out: out,
            fee_paid: amount_in * self.fee,
        })
    }

    /// Applies a swap; the fee stays in the pool (k grows).
    pub fn swap(&mut self, zero_for_one: bool, amount_in: f64) -> AmmResult<Swap> {
        let s = self.quote_swap(zero_for_one, amount_in)?;
        if zero_for_one {
            self.reserve0 += amount_in;
            self.reserve1 -= s.amount_out;
        } else {
            self.reserve1 += amount_in;
            self.reserve0 -= s.amount_out;
        }
        Ok(s)
    }

    /// LP tokens minted for depositing `amount0` and `amount1` (`mint`: the smaller
    /// of the two proportional shares; the excess of the other token is donated).
    pub fn quote_add(&self, amount0: f64, amount1: f64) -> AmmResult<f64> {
        non_negative("amount0", amount0)?;
        non_negative("amount1", amount1)?;
        Ok((amount0 * self.supply / self.reserve0).min(amount1 * self.supply / self.reserve1))
    }

    pub fn add(&mut self, amount0: f64, amount1: f64) -> AmmResult<f64> {
        let minted = self.quote_add(amount0, amount1)?;
        self.reserve0 += amount0;
        self.reserve1 += amount1;
        self.supply += minted;
        Ok(minted)
    }

    /// Token amounts that `shares` LP tokens redeem for (`burn`: proportional).
    pub fn quote_remove(&self, shares: f64) -> AmmResult<(f64, f64)> {
        non_negative("shares", shares)?;
        if shares > self.supply {
            return Err(AmmError::Infeasible(format!(
                "cannot burn {shares} LP tokens of a supply of {}",
                self.supply
            )));
        }
        let f = shares / self.supply;
        Ok((self.reserve0 * f, self.reserve1 * f))
    }

    pub fn remove(&mut self, shares: f64) -> AmmResult<(f64, f64)> {
        let (a0, a1) = self.quote_remove(shares)?;
        self.reserve0 -= a0;
        self.reserve1 -= a1;
        self.supply -= shares;
        Ok((a0, a1))
    }
}

/// Token amounts of a position of liquidity `l` (= √(x·y) of its share) at price `p`
/// (token1 per token0): x = l/√p, y = l·√p.
pub fn amounts_at_price(l: f64, p: f64) -> (f64, f64) {
    let s = p.sqrt();
    (l / s, l * s)
}

/// Value in token1 of liquidity `l` at price `p`: 2·l·√p.
pub fn value_at_price(l: f64, p: f64) -> f64 {
    2.0 * l * p.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_swap() {
        // 1 ETH into 100 ETH / 300 000 USDC at 0.3 %: 0.997·300000/(100.997) = 2961.4741...
        let out = amount_out(100.0, 300_000.0, 1.0, 0.003).unwrap();
        assert!((out - 0.997 * 300_000.0 / 100.997).abs() < 1e-9);
        assert!((out - 2_961.474_103_190_193).abs() < 1e-9);
        // Buying it back costs exactly that input.
        let back = amount_in(100.0, 300_000.0, out, 0.003).unwrap();
        assert!((back - 1.0).abs() < 1e-12);
        assert!(amount_in(1.0, 1.0, 1.0, 0.003).is_err());
        assert!(amount_out(0.0, 1.0, 1.0, 0.003).is_err());
        assert!(amount_out(1.0, 1.0, 1.0, 1.5).is_err());
    }

    #[test]
    fn il_closed_form() {
        assert_eq!(impermanent_loss(1.0).unwrap(), 0.0);
        // Price doubles: 2√2/3 − 1 = −5.719 %.
        assert!((impermanent_loss(2.0).unwrap() + 0.057_190_958_417_936_64).abs() < 1e-15);
        // Price × 4: 2·2/5 − 1 = −20 %.
        assert!((impermanent_loss(4.0).unwrap() + 0.2).abs() < 1e-15);
        // Symmetric in r and 1/r.
        assert!((impermanent_loss(0.25).unwrap() + 0.2).abs() < 1e-15);
    }

    #[test]
    fn il_from_reserves_equals_closed_form() {
        // Move the pool's price by arbitrage with no fee; the LP's value vs HODL is the formula.
        let mut p = Pair::new(100.0, 100.0 * 2000.0, 100.0, 0.0).unwrap();
        let (x0, y0) = (p.reserve0, p.reserve1);
        let k = p.k();
        // Target price 3000: x = √(k/p).
        let x1 = (k / 3000.0).sqrt();
        p.swap(false, k / x1 - p.reserve1).unwrap();
        assert!((p.price() - 3000.0).abs() < 1e-6);
        let lp = p.reserve0 * 3000.0 + p.reserve1;
        let hodl = x0 * 3000.0 + y0;
        let il = lp / hodl - 1.0;
        assert!((il - impermanent_loss(1.5).unwrap()).abs() < 1e-12);
    }

    #[test]
    fn add_and_remove_are_proportional() {
        let mut p = Pair::new(10.0, 20.0, 100.0, 0.003).unwrap();
        let minted = p.add(1.0, 2.0).unwrap();
        assert!((minted - 10.0).abs() < 1e-12);
        let (a, b) = p.remove(minted).unwrap();
        assert!((a - 1.0).abs() < 1e-12 && (b - 2.0).abs() < 1e-12);
        // Unbalanced deposits mint the smaller share.
        assert!((p.quote_add(1.0, 100.0).unwrap() - 10.0).abs() < 1e-12);
        assert!(p.quote_remove(1e9).is_err());
    }

    #[test]
    fn lp_amounts_and_value() {
        let (x, y) = amounts_at_price(100.0, 4.0);
        assert_eq!((x, y), (50.0, 200.0));
        assert_eq!(value_at_price(100.0, 4.0), 400.0);
    }
}
