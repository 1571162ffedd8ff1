//! Curve StableSwap for n = 2 to 4 coins, following the 3pool-era contracts
//! (`StableSwap3Pool.vy`): Ann = A·n, invariant
//! `Ann·Σx + D = Ann·D + D^(n+1) / (n^n·Πx)`, Newton iterations as on-chain
//! (at most 255, stopping when an iteration moves D or y by at most one unit of the
//! last place: here 1e-15 relative instead of 1 wei).
//!
//! Balances are whole tokens already scaled to a common unit (the contracts' `xp`
//! with `rates` = 1: a stablecoin pool). Fees are fractions: `fee` = 0.0004 is the
//! contracts' 4_000_000 / 1e10; `admin_fee` = 0.5 is 5e9 / 1e10.

use super::{fee_fraction, non_negative, positive, AmmError, AmmResult};

const MAX_ITER: u32 = 255;
const TOL: f64 = 1e-15;

/// A pool's state.
#[derive(Debug, Clone, PartialEq)]
pub struct Pool {
    pub balances: Vec<f64>,
    /// Amplification A as on-chain (the contracts use Ann = A·n).
    pub amp: f64,
    pub fee: f64,
    /// Share of each fee that goes to the admin (leaves the pool).
    pub admin_fee: f64,
    /// LP token supply.
    pub supply: f64,
}

/// Result of an exchange.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// Amount of coin j received.
    pub dy: f64,
    /// Fee charged, in coin j.
    pub fee: f64,
    pub balances_after: Vec<f64>,
}

/// Result of a deposit or an imbalanced withdrawal.
#[derive(Debug, Clone, PartialEq)]
pub struct Liquidity {
    /// LP tokens minted (deposit) or burned (withdrawal).
    pub lp_amount: f64,
    /// Imbalance fees charged per coin.
    pub fees: Vec<f64>,
    pub balances_after: Vec<f64>,
}

/// Result of a single-coin withdrawal.
#[derive(Debug, Clone, PartialEq)]
pub struct OneCoin {
    pub dy: f64,
    pub fee: f64,
    pub balances_after: Vec<f64>,
}

fn check_balances(xp: &[f64]) -> AmmResult<()> {
    if !(2..=4).contains(&xp.len()) {
        return Err(AmmError::Infeasible(format!(
            "a StableSwap pool has 2 to 4 coins, got {}",
            xp.len()
        )));
    }
    for &x in xp {
        positive("balance", x)?;
    }
    Ok(())
}

/// The invariant D for balances `xp` and amplification `amp`.
pub fn get_d(xp: &[f64], amp: f64) -> AmmResult<f64> {
    check_balances(xp)?;
    positive("amp", amp)?;
    let n = xp.len() as f64;
    let s: f64 = xp.iter().sum();
    let ann = amp * n;
    let mut d = s;
    for _ in 0..MAX_ITER {
        let mut d_p = d;
        for &x in xp {
            d_p = d_p * d / (x * n);
        }
        let prev = d;
        d = (ann * s + d_p * n) * d / ((ann - 1.0) * d + (n + 1.0) * d_p);
        if (d - prev).abs() <= TOL * d {
            return Ok(d);
        }
    }
    Err(AmmError::NoConvergence {
        what: "StableSwap D",
        iterations: MAX_ITER,
    })
}

/// Solves for coin `j`'s balance given the others (`skip` excluded from the sums)
/// and the invariant `d`: the shared core of `get_y` and `get_y_D`.
fn solve_y(xs: &[f64], skip: usize, amp: f64, d: f64) -> AmmResult<f64> {
    let n = xs.len() as f64;
    let ann = amp * n;
    let mut c = d;
    let mut s = 0.0;
    for (k, &x) in xs.iter().enumerate() {
        if k == skip {
            continue;
        }
        s += x;
        c = c * d / (x * n);
    }
    c = c * d / (ann * n);
    let b = s + d / ann;
    let mut y = d;
    for _ in 0..MAX_ITER {
        let prev = y;
        y = (y * y + c) / (2.0 * y + b - d);
        // The contracts stop at one wei; a float stops at its resolution, which for a
        // coin that is a small part of the pool is set by D (b − D cancels), not y.
        if (y - prev).abs() <= TOL * y.max(d) {
            return Ok(y);
        }
    }
    Err(AmmError::NoConvergence {
        what: "StableSwap y",
        iterations: MAX_ITER,
    })
}

fn check_index(name: &'static str, i: usize, n: usize) -> AmmResult<()> {
    if i >= n {
        return Err(AmmError::Invalid {
            name,
            rule: "a coin index of the pool",
            value: i as f64,
        });
    }
    Ok(())
}

/// Coin j's balance after coin i's balance becomes `x` (`get_y`).
pub fn get_y(i: usize, j: usize, x: f64, xp: &[f64], amp: f64) -> AmmResult<f64> {
    check_index("i", i, xp.len())?;
    check_index("j", j, xp.len())?;
    if i == j {
        return Err(AmmError::Infeasible("i and j must differ".into()));
    }
    positive("x", x)?;
    let d = get_d(xp, amp)?;
    let mut xs = xp.to_vec();
    xs[i] = x;
    solve_y(&xs, j, amp, d)
}

/// Coin i's balance that, with the others, gives invariant `d` (`get_y_D`).
pub fn get_y_d(amp: f64, i: usize, xp: &[f64], d: f64) -> AmmResult<f64> {
    check_index("i", i, xp.len())?;
    positive("d", d)?;
    solve_y(xp, i, amp, d)
}

impl Pool {
    pub fn new(
        balances: Vec<f64>,
        amp: f64,
        fee: f64,
        admin_fee: f64,
        supply: f64,
    ) -> AmmResult<Pool> {
        check_balances(&balances)?;
        positive("amp", amp)?;
        fee_fraction("fee", fee)?;
        fee_fraction("admin_fee", admin_fee)?;
        non_negative("lp_supply", supply)?;
        Ok(Pool {
            balances,
            amp,
            fee,
            admin_fee,
            supply,
        })
    }

    pub fn n(&self) -> usize {
        self.balances.len()
    }

    pub fn d(&self) -> AmmResult<f64> {
        get_d(&self.balances, self.amp)
    }

    /// D / LP supply.
    pub fn virtual_price(&self) -> AmmResult<f64> {
        positive("lp_supply", self.supply)?;
        Ok(self.d()? / self.supply)
    }

    /// Marginal price of coin i in coin j (dy_j/dx_i along the invariant, no fee):
    /// (Ann + D_P/x_i) / (Ann + D_P/x_j).
    pub fn spot_price(&self, i: usize, j: usize) -> AmmResult<f64> {
        check_index("i", i, self.n())?;
        check_index("j", j, self.n())?;
        let d = self.d()?;
        let n = self.n() as f64;
        let ann = self.amp * n;
        let mut d_p = d;
        for &x in &self.balances {
            d_p = d_p * d / (x * n);
        }
        Ok((ann + d_p / self.balances[i]) / (ann + d_p / self.balances[j]))
    }

    /// Quotes an exchange of `dx` of coin i for coin j (`get_dy` / `exchange`).
    pub fn quote_exchange(&self, i: usize, j: usize, dx: f64) -> AmmResult<Exchange> {
        check_index("i", i, self.n())?;
        check_index("j", j, self.n())?;
        non_negative("dx", dx)?;
        let xp = &self.balances;
        let y = get_y(i, j, xp[i] + dx, xp, self.amp)?;
        let dy_gross = xp[j] - y;
        let fee = dy_gross * self.fee;
        let admin = fee * self.admin_fee;
        let dy = dy_gross - fee;
        let mut after = xp.clone();
        after[i] += dx;
        after[j] -= dy + admin;
        Ok(Exchange {
            dy,
            fee,
            balances_after: after,
        })
    }

    pub fn exchange(&mut self, i: usize, j: usize, dx: f64) -> AmmResult<Exchange> {
        let e = self.quote_exchange(i, j, dx)?;
        self.balances = e.balances_after.clone();
        Ok(e)
    }

    fn check_amounts(&self, amounts: &[f64]) -> AmmResult<()> {
        if amounts.len() != self.n() {
            return Err(AmmError::Infeasible(format!(
                "amounts has {} entries, the pool has {} coins",
                amounts.len(),
                self.n()
            )));
        }
        for &a in amounts {
            non_negative("amount", a)?;
        }
        Ok(())
    }

    /// The imbalance fee rate: fee·n / (4·(n − 1)).
    fn imbalance_fee(&self) -> f64 {
        let n = self.n() as f64;
        self.fee * n / (4.0 * (n - 1.0))
    }

    /// Charges imbalance fees on `new` against the ideal proportional balances; returns
    /// (fees per coin, balances after admin fees, balances for D2).
    fn imbalance(
        &self,
        old: &[f64],
        new: &[f64],
        d0: f64,
        d1: f64,
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let rate = self.imbalance_fee();
        let mut fees = Vec::with_capacity(self.n());
        let mut kept = Vec::with_capacity(self.n());
        let mut for_d2 = Vec::with_capacity(self.n());
        for (o, nw) in old.iter().zip(new) {
            let ideal = d1 * o / d0;
            let f = rate * (ideal - nw).abs();
            fees.push(f);
            kept.push(nw - f * self.admin_fee);
            for_d2.push(nw - f);
        }
        (fees, kept, for_d2)
    }

    /// Quotes a deposit (`add_liquidity`), with imbalance fees when the pool has supply.
    pub fn quote_add_liquidity(&self, amounts: &[f64]) -> AmmResult<Liquidity> {
        self.check_amounts(amounts)?;
        let old = &self.balances;
        let d0 = self.d()?;
        let new: Vec<f64> = old.iter().zip(amounts).map(|(b, a)| b + a).collect();
        let d1 = get_d(&new, self.amp)?;
        if d1 <= d0 {
            return Err(AmmError::Infeasible("the deposit does not raise D".into()));
        }
        if self.supply == 0.0 {
            return Ok(Liquidity {
                lp_amount: d1,
                fees: vec![0.0; self.n()],
                balances_after: new,
            });
        }
        let (fees, kept, for_d2) = self.imbalance(old, &new, d0, d1);
        let d2 = get_d(&for_d2, self.amp)?;
        Ok(Liquidity {
            lp_amount: self.supply * (d2 - d0) / d0,
            fees,
            balances_after: kept,
        })
    }

    pub fn add_liquidity(&mut self, amounts: &[f64]) -> AmmResult<Liquidity> {
        let r = self.quote_add_liquidity(amounts)?;
        self.balances = r.balances_after.clone();
        self.supply += r.lp_amount;
        Ok(r)
    }

    /// Proportional withdrawal of `lp_amount` (`remove_liquidity`, no fee).
    pub fn remove_liquidity(&mut self, lp_amount: f64) -> AmmResult<Vec<f64>> {
        non_negative("lp_amount", lp_amount)?;
        if lp_amount > self.supply {
            return Err(AmmError::Infeasible(format!(
                "cannot burn {lp_amount} LP tokens of a supply of {}",
                self.supply
            )));
        }
        let f = lp_amount / self.supply;
        let out: Vec<f64> = self.balances.iter().map(|b| b * f).collect();
        for (b, o) in self.balances.iter_mut().zip(&out) {
            *b -= o;
        }
        self.supply -= lp_amount;
        Ok(out)
    }

    /// Quotes withdrawing exact `amounts` (`remove_liquidity_imbalance`).
    pub fn quote_remove_liquidity_imbalance(&self, amounts: &[f64]) -> AmmResult<Liquidity> {
        self.check_amounts(amounts)?;
        positive("lp_supply", self.supply)?;
        let old = &self.balances;
        let d0 = self.d()?;
        let new: Vec<f64> = old.iter().zip(amounts).map(|(b, a)| b - a).collect();
        let d1 = get_d(&new, self.amp)?;
        let (fees, kept, for_d2) = self.imbalance(old, &new, d0, d1);
        let d2 = get_d(&for_d2, self.amp)?;
        let burned = (d0 - d2) * self.supply / d0;
        if burned > self.supply {
            return Err(AmmError::Infeasible(
                "the withdrawal needs more LP tokens than exist".into(),
            ));
        }
        Ok(Liquidity {
            lp_amount: burned,
            fees,
            balances_after: kept,
        })
    }

    pub fn remove_liquidity_imbalance(&mut self, amounts: &[f64]) -> AmmResult<Liquidity> {
        let r = self.quote_remove_liquidity_imbalance(amounts)?;
        self.balances = r.balances_after.clone();
        self.supply -= r.lp_amount;
        Ok(r)
    }

    /// Quotes burning `lp_amount` for coin i only (`calc_withdraw_one_coin`).
    pub fn quote_remove_liquidity_one_coin(&self, lp_amount: f64, i: usize) -> AmmResult<OneCoin> {
        check_index("i", i, self.n())?;
        positive("lp_supply", self.supply)?;
        non_negative("token_amount", lp_amount)?;
        if lp_amount >= self.supply {
            return Err(AmmError::Infeasible(format!(
                "cannot burn {lp_amount} LP tokens for one coin of a supply of {}",
                self.supply
            )));
        }
        let xp = &self.balances;
        let d0 = self.d()?;
        let d1 = d0 - lp_amount * d0 / self.supply;
        let new_y = get_y_d(self.amp, i, xp, d1)?;
        let rate = self.imbalance_fee();
        let reduced: Vec<f64> = xp
            .iter()
            .enumerate()
            .map(|(j, &x)| {
                let expected = if j == i {
                    x * d1 / d0 - new_y
                } else {
                    x - x * d1 / d0
                };
                x - rate * expected
            })
            .collect();
        let dy = reduced[i] - get_y_d(self.amp, i, &reduced, d1)?;
        let dy0 = xp[i] - new_y;
        let fee = dy0 - dy;
        let mut after = xp.clone();
        after[i] -= dy + fee * self.admin_fee;
        Ok(OneCoin {
            dy,
            fee,
            balances_after: after,
        })
    }

    pub fn remove_liquidity_one_coin(&mut self, lp_amount: f64, i: usize) -> AmmResult<OneCoin> {
        let r = self.quote_remove_liquidity_one_coin(lp_amount, i)?;
        self.balances = r.balances_after.clone();
        self.supply -= lp_amount;
        Ok(r)
    }

    /// Arbitrage against an external market where coin i is worth `price` of coin j:
    /// traders swap until the pool's marginal price, net of the fee, no longer offers a
    /// profit, i.e. until spot(i→j) is within [price·(1 − fee), price / (1 − fee)].
    /// Returns the trade made as (sold coin, bought coin, amount sold), or `None`.
    /// This is how a depeg becomes impermanent loss for LPs: the pool fills up with
    /// the coin that lost its peg.
    pub fn arbitrage_to_price(
        &mut self,
        i: usize,
        j: usize,
        price: f64,
    ) -> AmmResult<Option<(usize, usize, f64)>> {
        positive("price", price)?;
        let spot = self.spot_price(i, j)?;
        let keep = 1.0 - self.fee;
        // Pool pays too much j for i: sell i into the pool until spot·keep = price... and vice versa.
        let (sell, buy, target) = if spot * keep > price {
            (i, j, price / keep)
        } else if spot < price * keep {
            (j, i, keep / price)
        } else {
            return Ok(None);
        };
        // spot(sell→buy) falls as we sell more: bisection on the amount sold.
        let mut lo = 0.0;
        let mut hi = self.balances[sell].max(self.balances[buy]);
        loop {
            let trial = self.quote_exchange(sell, buy, hi)?;
            let probe = Pool {
                balances: trial.balances_after,
                ..self.clone()
            };
            if probe.spot_price(sell, buy)? < target {
                break;
            }
            hi *= 2.0;
            if !hi.is_finite() {
                return Err(AmmError::Infeasible(
                    "arbitrage did not bracket the target price".into(),
                ));
            }
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            let trial = self.quote_exchange(sell, buy, mid)?;
            let probe = Pool {
                balances: trial.balances_after,
                ..self.clone()
            };
            if probe.spot_price(sell, buy)? > target {
                lo = mid;
            } else {
                hi = mid;
            }
            if hi - lo <= 1e-13 * hi {
                break;
            }
        }
        let amount = 0.5 * (lo + hi);
        self.exchange(sell, buy, amount)?;
        Ok(Some((sell, buy, amount)))
    }
}

/// Balances of a two-coin pool with invariant D = 1 whose marginal price of coin 0 in
/// coin 1 is `price` (no fee band): the state arbitrage leaves the pool in when the
/// outside market prices coin 0 at `price`. The invariant is homogeneous of degree
/// one, so a pool of invariant D holds D times these balances.
pub fn balances_for_price(amp: f64, price: f64) -> AmmResult<(f64, f64)> {
    balances_for_price_near(amp, price, None)
}

/// `balances_for_price` starting from a guess of coin 0's balance (the previous step's
/// answer, say): a secant search in log space that falls back to bisection.
pub fn balances_for_price_near(amp: f64, price: f64, guess: Option<f64>) -> AmmResult<(f64, f64)> {
    positive("amp", amp)?;
    positive("price", price)?;
    let spot = |x0: f64| -> AmmResult<(f64, f64, f64)> {
        let x1 = solve_y(&[x0, 1.0], 1, amp, 1.0)?;
        let ann = 2.0 * amp;
        let d_p = 1.0 / (4.0 * x0 * x1);
        Ok(((ann + d_p / x0) / (ann + d_p / x1), x0, x1))
    };
    if let Some(g) = guess.filter(|g| g.is_finite() && *g > 0.0) {
        let target = price.ln();
        let f = |u: f64| -> AmmResult<f64> { Ok(spot(u.exp())?.0.ln() - target) };
        let (mut u0, mut u1) = (g.ln(), g.ln() + 1e-3);
        let (mut f0, mut f1) = (f(u0)?, f(u1)?);
        for _ in 0..40 {
            if f1.abs() <= 1e-15 || f1 == f0 {
                break;
            }
            let u2 = u1 - f1 * (u1 - u0) / (f1 - f0);
            if !u2.is_finite() {
                break;
            }
            (u0, f0) = (u1, f1);
            u1 = u2;
            f1 = f(u1)?;
        }
        if f1.abs() <= 1e-13 {
            let (_, x0, x1) = spot(u1.exp())?;
            return Ok((x0, x1));
        }
    }
    // spot falls as x0 grows; bracket in log space.
    let (mut lo, mut hi) = (0.5f64, 0.5f64);
    while spot(lo)?.0 < price {
        lo /= 2.0;
        if lo < 1e-12 {
            return Err(AmmError::Infeasible(format!(
                "no pool state has price {price:e}"
            )));
        }
    }
    while spot(hi)?.0 > price {
        hi *= 2.0;
        if hi > 1e12 {
            return Err(AmmError::Infeasible(format!(
                "no pool state has price {price:e}"
            )));
        }
    }
    for _ in 0..200 {
        let mid = (lo * hi).sqrt();
        if spot(mid)?.0 > price {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi / lo - 1.0 < 1e-15 {
            break;
        }
    }
    let (_, x0, x1) = spot((lo * hi).sqrt())?;
    Ok((x0, x1))
}

/// Balances of an n-coin pool with invariant D = 1 in which the marginal price of each
/// coin in each other equals the ratio of their outside prices (`prices`, in any one
/// unit, e.g. USD): the state arbitrage leaves the pool in. With Ann = amp·n and
/// D_P = Dⁿ⁺¹/(nⁿ·Πx), the marginal price of coin j in coin k is
/// (Ann + D_P/x_j)/(Ann + D_P/x_k); equal to p_j/p_k for all pairs exactly when
/// Ann + s/x_j = λ·p_j for one λ, with s = D_P. So x_j = s/(λ·p_j − Ann), D = 1 fixes
/// s = (Π(λ·p_j − Ann)/nⁿ)^(1/(n+1)), and the invariant
/// Ann·Σx + D = Ann·D + D_P leaves one equation in λ > Ann/min(p), solved by
/// bisection (its left side exceeds its right near that bound and falls below it as λ
/// grows). For two coins it is `balances_for_price(amp, p0/p1)`.
pub fn balances_for_prices(amp: f64, prices: &[f64]) -> AmmResult<Vec<f64>> {
    positive("amp", amp)?;
    if prices.len() < 2 {
        return Err(AmmError::Invalid {
            name: "prices",
            rule: "at least two coins' prices",
            value: prices.len() as f64,
        });
    }
    for p in prices {
        positive("price", *p)?;
    }
    let n = prices.len() as f64;
    let ann = amp * n;
    let ln_nn = n * n.ln();
    let p_min = prices.iter().copied().fold(f64::INFINITY, f64::min);
    let lam_min = ann / p_min;
    // λ = lam_min + t, t > 0; each g_j = λ·p_j − Ann > 0.
    let state = |t: f64| -> (f64, Vec<f64>) {
        let lam = lam_min + t;
        let g: Vec<f64> = prices.iter().map(|p| (lam * p - ann).max(t * p)).collect();
        let s = ((g.iter().map(|v| v.ln()).sum::<f64>() - ln_nn) / (n + 1.0)).exp();
        let x: Vec<f64> = g.iter().map(|v| s / v).collect();
        (ann * x.iter().sum::<f64>() - (ann - 1.0 + s), x)
    };
    let (mut lo, mut hi) = (1.0f64, 1.0f64);
    while state(lo).0 <= 0.0 {
        lo /= 2.0;
        if lo < 1e-300 {
            return Err(AmmError::Infeasible(format!(
                "no pool state has prices {prices:?}"
            )));
        }
    }
    while state(hi).0 > 0.0 {
        hi *= 2.0;
        if hi > 1e300 {
            return Err(AmmError::Infeasible(format!(
                "no pool state has prices {prices:?}"
            )));
        }
    }
    for _ in 0..400 {
        let mid = (lo * hi).sqrt();
        if state(mid).0 > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi / lo - 1.0 < 1e-15 {
            break;
        }
    }
    Ok(state((lo * hi).sqrt()).1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warm_start_finds_the_same_state() {
        for (p, g) in [(0.95, 0.5), (1.02, 0.6), (0.7, 0.49), (1.0, 0.9)] {
            let a = balances_for_price(200.0, p).unwrap();
            let b = balances_for_price_near(200.0, p, Some(g)).unwrap();
            assert!(
                (a.0 / b.0 - 1.0).abs() < 1e-12 && (a.1 / b.1 - 1.0).abs() < 1e-12,
                "{p}: {a:?} vs {b:?}"
            );
        }
    }

    #[test]
    fn balances_for_price_hit_the_price() {
        let (a, b) = balances_for_price(100.0, 1.0).unwrap();
        assert!((a - 0.5).abs() < 1e-12 && (b - 0.5).abs() < 1e-12);
        let (a, b) = balances_for_price(100.0, 0.95).unwrap();
        let p = Pool::new(vec![a, b], 100.0, 0.0, 0.0, 1.0).unwrap();
        assert!((p.spot_price(0, 1).unwrap() - 0.95).abs() < 1e-9);
        assert!((p.d().unwrap() - 1.0).abs() < 1e-12);
        assert!(a > b, "the cheap coin fills the pool");
    }

    #[test]
    fn balanced_pool_has_d_equal_to_the_sum() {
        let d = get_d(&[1000.0, 1000.0, 1000.0], 100.0).unwrap();
        assert!((d - 3000.0).abs() < 1e-9);
    }

    #[test]
    fn hand_worked_two_coin_d() {
        // n = 2, A = 1 (Ann = 2), balances 1 and 3: solve 2·4 + D = 2D + D³/(4·3):
        // D³/12 + D − 8 = 0 → D = 3.4641016... (√12 = 3.4641: 12√12/12 + √12 − 8 ≠ 0),
        // so check the invariant holds instead.
        let xp = [1.0, 3.0];
        let d = get_d(&xp, 1.0).unwrap();
        let lhs = 2.0 * 4.0 + d;
        let rhs = 2.0 * d + d.powi(3) / (4.0 * 3.0);
        assert!((lhs - rhs).abs() < 1e-12, "{lhs} vs {rhs}");
        assert!(d < 4.0 && d > 2.0 * (3.0f64).sqrt());
    }

    #[test]
    fn exchange_near_peg_and_fees() {
        let p = Pool::new(vec![1e6, 1e6, 1e6], 2000.0, 0.0004, 0.5, 3e6).unwrap();
        let e = p.quote_exchange(0, 1, 1000.0).unwrap();
        // Near the peg a 0.1 % trade costs about the fee.
        assert!((e.dy - 1000.0 * (1.0 - 0.0004)).abs() < 0.01, "{}", e.dy);
        assert!((e.fee - 0.4).abs() < 0.001);
        // Half the fee leaves as admin fee; the other half stays.
        let sum_after: f64 = e.balances_after.iter().sum();
        assert!((sum_after - (3e6 + 1000.0 - e.dy - e.fee * 0.5)).abs() < 1e-6);
        assert!((p.spot_price(0, 1).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn depeg_arbitrage_fills_the_pool_with_the_cheap_coin() {
        let mut p = Pool::new(vec![1e6, 1e6], 200.0, 0.0004, 0.5, 2e6).unwrap();
        let vp0 = p.virtual_price().unwrap();
        // Coin 0 now worth 0.9 of coin 1 outside.
        let trade = p.arbitrage_to_price(0, 1, 0.9).unwrap().unwrap();
        assert_eq!(trade.0, 0);
        assert!(p.balances[0] > 1.5 * p.balances[1]);
        let spot = p.spot_price(0, 1).unwrap();
        assert!((spot - 0.9 / 0.9996).abs() < 1e-6, "{spot}");
        // Valued at the outside price, LPs lost against holding 50/50.
        let lp_value = p.balances[0] * 0.9 + p.balances[1];
        let hodl = 1e6 * 0.9 + 1e6;
        assert!(lp_value < hodl);
        // Fees kept in the pool raise the virtual price.
        assert!(p.virtual_price().unwrap() > vp0);
        // At the peg nothing happens.
        let mut q = Pool::new(vec![1e6, 1e6], 200.0, 0.0004, 0.5, 2e6).unwrap();
        assert_eq!(q.arbitrage_to_price(0, 1, 1.0).unwrap(), None);
    }

    #[test]
    fn liquidity_round_trips_lose_only_fees() {
        let mut p = Pool::new(vec![1e6, 2e6, 1.5e6], 100.0, 0.0004, 0.5, 4.4e6).unwrap();
        let minted = p
            .add_liquidity(&[1000.0, 1000.0, 1000.0])
            .unwrap()
            .lp_amount;
        let one = p.quote_remove_liquidity_one_coin(minted, 0).unwrap();
        // Coin 0 is the scarcest, so taking it all in coin 0 yields less than the
        // proportional 3000 (price impact plus the imbalance fee).
        assert!(one.dy < 3000.0 && one.dy > 2950.0, "{}", one.dy);
        assert!(one.fee > 0.0);
        p.remove_liquidity(minted).unwrap();
        // In a balanced pool (coins worth the same) a one-sided deposit withdrawn
        // proportionally comes back smaller: the imbalance fee stayed in the pool.
        let mut b = Pool::new(vec![1e6, 1e6, 1e6], 100.0, 0.0004, 0.5, 3e6).unwrap();
        let minted = b.add_liquidity(&[3000.0, 0.0, 0.0]).unwrap().lp_amount;
        let got = b.remove_liquidity(minted).unwrap();
        let total: f64 = got.iter().sum();
        assert!(total < 3000.0 && total > 2999.0, "{total}");
        let imb = p
            .quote_remove_liquidity_imbalance(&[10.0, 0.0, 0.0])
            .unwrap();
        assert!(imb.lp_amount > 0.0);
        assert!(p.quote_add_liquidity(&[1.0, 1.0]).is_err());
    }

    #[test]
    fn n_coin_balances_price_every_pair_and_keep_d() {
        // Two coins: the same state as the two-coin solver.
        for p in [0.88, 0.97, 1.0, 1.03, 1.5] {
            let a = balances_for_price(2000.0, p).unwrap();
            let b = balances_for_prices(2000.0, &[p, 1.0]).unwrap();
            assert!(
                (a.0 / b[0] - 1.0).abs() < 1e-10 && (a.1 / b[1] - 1.0).abs() < 1e-10,
                "{p}: {a:?} vs {b:?}"
            );
        }
        // At the peg, three equal balances of 1/3.
        let x = balances_for_prices(2000.0, &[1.0, 1.0, 1.0]).unwrap();
        for b in &x {
            assert!((b - 1.0 / 3.0).abs() < 1e-12, "{x:?}");
        }
        // One coin of three depegged (and a scale that is not USD): every pair's
        // marginal price is the ratio of the prices, and D stays 1.
        for prices in [
            [0.88, 1.0, 1.001],
            [2.0, 2.0 * 1.02, 2.0 * 0.9],
            [1.0, 0.5, 1.0],
        ] {
            let x = balances_for_prices(200.0, &prices).unwrap();
            let pool = Pool::new(x.clone(), 200.0, 0.0, 0.0, 1.0).unwrap();
            assert!((pool.d().unwrap() - 1.0).abs() < 1e-12, "{prices:?}: {x:?}");
            for j in 0..3 {
                for k in 0..3 {
                    let want = prices[j] / prices[k];
                    let got = pool.spot_price(j, k).unwrap();
                    assert!(
                        (got / want - 1.0).abs() < 1e-9,
                        "{prices:?} {j}/{k}: {got} vs {want}"
                    );
                }
            }
            // The cheap coin is the pool's largest balance.
            let cheap = (0..3)
                .min_by(|a, b| prices[*a].total_cmp(&prices[*b]))
                .unwrap();
            assert!(x.iter().all(|b| *b <= x[cheap]), "{prices:?}: {x:?}");
        }
        assert!(balances_for_prices(200.0, &[1.0]).is_err());
        assert!(balances_for_prices(200.0, &[1.0, -1.0, 1.0]).is_err());
    }
}
