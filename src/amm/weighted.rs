//! Balancer-style weighted pools: n coins with fixed weights wᵢ (Σ wᵢ = 1) and the
//! invariant V = Π xᵢ^wᵢ. The spot price of coin i in coin j is (xⱼ/wⱼ)/(xᵢ/wᵢ), so
//! arbitrage leaves each coin's value at its weight's share of the pool: pᵢ·xᵢ =
//! wᵢ·TVL. A 50/50 pool is a constant-product pool.
//!
//! Amounts are whole tokens, prices USD (any common numéraire: the state depends only
//! on their ratios).

use super::{fee_fraction, non_negative, positive, AmmError, AmmResult};

/// Checks weights: at least two, each in (0, 1), summing to 1 (to 1e-9).
pub fn check_weights(weights: &[f64]) -> AmmResult<()> {
    if weights.len() < 2 {
        return Err(AmmError::Infeasible(format!(
            "a weighted pool has at least two weights, got {}",
            weights.len()
        )));
    }
    for w in weights {
        if !(w.is_finite() && *w > 0.0 && *w < 1.0) {
            return Err(AmmError::Invalid {
                name: "weight",
                rule: "a fraction in (0, 1)",
                value: *w,
            });
        }
    }
    let sum: f64 = weights.iter().sum();
    if (sum - 1.0).abs() > 1e-9 {
        return Err(AmmError::Invalid {
            name: "sum of the weights",
            rule: "1 (e.g. 0.8 and 0.2)",
            value: sum,
        });
    }
    Ok(())
}

/// The balances per unit of invariant (V = 1) that arbitrage leaves at coin prices
/// `prices`: xᵢ = wᵢ/pᵢ · Πⱼ (pⱼ/wⱼ)^wⱼ.
pub fn balances_for_prices(weights: &[f64], prices: &[f64]) -> AmmResult<Vec<f64>> {
    check_weights(weights)?;
    if prices.len() != weights.len() {
        return Err(AmmError::Infeasible(format!(
            "{} prices for {} weights",
            prices.len(),
            weights.len()
        )));
    }
    let mut log_scale = 0.0;
    for (w, p) in weights.iter().zip(prices) {
        positive("price", *p)?;
        log_scale += w * (p / w).ln();
    }
    let scale = log_scale.exp();
    Ok(weights
        .iter()
        .zip(prices)
        .map(|(w, p)| w / p * scale)
        .collect())
}

/// The invariant V = Π xᵢ^wᵢ of balances `x`.
pub fn invariant(weights: &[f64], x: &[f64]) -> AmmResult<f64> {
    check_weights(weights)?;
    let mut log_v = 0.0;
    for (w, b) in weights.iter().zip(x) {
        log_v += w * positive("balance", *b)?.ln();
    }
    Ok(log_v.exp())
}

/// Tokens out for `amount_in` of coin `i` into coin `o` (balances `b_in`, `b_out`,
/// weights `w_in`, `w_out`), the fee taken on the input: b_out·(1 − (b_in/(b_in +
/// a·(1 − fee)))^(w_in/w_out)), as Balancer's `calcOutGivenIn`.
pub fn amount_out(
    b_in: f64,
    w_in: f64,
    b_out: f64,
    w_out: f64,
    amount_in: f64,
    fee: f64,
) -> AmmResult<f64> {
    positive("balance_in", b_in)?;
    positive("balance_out", b_out)?;
    positive("weight_in", w_in)?;
    positive("weight_out", w_out)?;
    non_negative("amount_in", amount_in)?;
    fee_fraction("fee", fee)?;
    let a = amount_in * (1.0 - fee);
    // 1 − r^k as −expm1(k·ln r), exact for small trades.
    let ratio = b_in / (b_in + a);
    Ok(b_out * -((w_in / w_out) * ratio.ln()).exp_m1())
}

/// Impermanent loss of a weighted position against holding its deposit, when coin i's
/// price moves by `ratios[i]` (new / old): Π rᵢ^wᵢ / Σ wᵢ·rᵢ − 1 (≤ 0).
pub fn impermanent_loss(weights: &[f64], ratios: &[f64]) -> AmmResult<f64> {
    check_weights(weights)?;
    if ratios.len() != weights.len() {
        return Err(AmmError::Infeasible(format!(
            "{} price ratios for {} weights",
            ratios.len(),
            weights.len()
        )));
    }
    let mut log_lp = 0.0;
    let mut hodl = 0.0;
    for (w, r) in weights.iter().zip(ratios) {
        log_lp += w * positive("price_ratio", *r)?.ln();
        hodl += w * r;
    }
    Ok(log_lp.exp() / hodl - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balances_put_each_coin_at_its_weight_and_keep_the_invariant() {
        let w = [0.8, 0.2];
        let p = [1.7, 2_950.0];
        let x = balances_for_prices(&w, &p).unwrap();
        let tvl: f64 = x.iter().zip(&p).map(|(a, b)| a * b).sum();
        assert!((x[0] * p[0] / tvl - 0.8).abs() < 1e-12);
        assert!((invariant(&w, &x).unwrap() - 1.0).abs() < 1e-12);
        // The spot price of coin 0 in coin 1, (x1/w1)/(x0/w0), is p0/p1.
        let spot = (x[1] / w[1]) / (x[0] / w[0]);
        assert!((spot / (p[0] / p[1]) - 1.0).abs() < 1e-12);
        // Three coins.
        let w3 = [0.5, 0.3, 0.2];
        let x3 = balances_for_prices(&w3, &[1.0, 2.0, 4.0]).unwrap();
        assert!((invariant(&w3, &x3).unwrap() - 1.0).abs() < 1e-12);
        assert!((x3[1] * 2.0 / (x3[2] * 4.0) - 1.5).abs() < 1e-12);
    }

    #[test]
    fn fifty_fifty_is_constant_product() {
        // IL: 2√r/(1 + r) − 1.
        for r in [0.25, 0.9, 1.0, 1.6, 4.0] {
            let il = impermanent_loss(&[0.5, 0.5], &[r, 1.0]).unwrap();
            let v2 = crate::amm::v2::impermanent_loss(r).unwrap();
            assert!((il - v2).abs() < 1e-12, "{r}: {il} vs {v2}");
        }
        // A swap: x·y = k with the fee on the input.
        let out = amount_out(1_000.0, 0.5, 2_000.0, 0.5, 10.0, 0.003).unwrap();
        let v2 = crate::amm::v2::amount_out(1_000.0, 2_000.0, 10.0, 0.003).unwrap();
        assert!((out - v2).abs() < 1e-9, "{out} vs {v2}");
    }

    #[test]
    fn an_eighty_twenty_pool_loses_less_to_a_move_of_its_heavy_coin() {
        // Hand-worked: coin 0 (80 %) doubles: 2^0.8 / (0.8·2 + 0.2) − 1 = −3.2722 % (50/50: −5.7191 %).
        let il = impermanent_loss(&[0.8, 0.2], &[2.0, 1.0]).unwrap();
        assert!((il - (2f64.powf(0.8) / 1.8 - 1.0)).abs() < 1e-15);
        assert!((il + 0.032_722).abs() < 1e-6, "{il}");
        let il_5050 = impermanent_loss(&[0.5, 0.5], &[2.0, 1.0]).unwrap();
        assert!(il > il_5050, "{il} vs {il_5050}");
        // The invariant holds across a swap (less its fee).
        let (b0, b1) = (800.0, 200.0);
        let out = amount_out(b0, 0.8, b1, 0.2, 8.0, 0.0).unwrap();
        let before = invariant(&[0.8, 0.2], &[b0, b1]).unwrap();
        let after = invariant(&[0.8, 0.2], &[b0 + 8.0, b1 - out]).unwrap();
        assert!((after / before - 1.0).abs() < 1e-12);
    }

    #[test]
    fn bad_weights_are_refused() {
        assert!(check_weights(&[0.8, 0.3]).is_err());
        assert!(check_weights(&[1.0]).is_err());
        assert!(check_weights(&[0.0, 1.0]).is_err());
        assert!(check_weights(&[0.5, 0.5]).is_ok());
        assert!(balances_for_prices(&[0.5, 0.5], &[1.0, -1.0]).is_err());
    }
}
