//! Curve StableSwap (3pool-era contracts, as curvesim 0.5.0 ports them) in exact
//! integers: `get_D`, `get_y`, `exchange` (fee and admin fee in 1e10 units) and the
//! virtual price, for balances already in 18-decimal units (rates of 1e18). Pure;
//! checked against the committed curvesim vectors (tests/vectors/stableswap.jsonl).

use ruint::aliases::U256;

use super::v3_exact::{ExactError, ExactResult};

/// Fee and admin fee denominator (1e10 = 100 %).
pub const FEE_DENOMINATOR: u64 = 10_000_000_000;

fn u(x: u64) -> U256 {
    U256::from(x)
}

fn err<T>(m: &str) -> ExactResult<T> {
    Err(ExactError(m.to_string()))
}

fn check(xp: &[U256], amp: u64) -> ExactResult<()> {
    if !(2..=8).contains(&xp.len()) {
        return err("a pool has 2 to 8 coins");
    }
    if amp == 0 {
        return err("amplification must be > 0");
    }
    Ok(())
}

/// The invariant D for balances `xp` and amplification `amp` (Ann = A·n), by Newton's
/// method as the contract iterates it (at most 255 rounds, to within 1).
pub fn get_d(xp: &[U256], amp: u64) -> ExactResult<U256> {
    check(xp, amp)?;
    let n = u(xp.len() as u64);
    let s = xp.iter().fold(U256::ZERO, |a, b| a + *b);
    if s.is_zero() {
        return Ok(U256::ZERO);
    }
    if xp.iter().any(|x| x.is_zero()) {
        return err("a zero balance in a non-empty pool");
    }
    let ann = u(amp) * n;
    let mut d = s;
    for _ in 0..255 {
        let mut d_p = d;
        for x in xp {
            d_p = d_p * d / (*x * n);
        }
        let prev = d;
        let num = (ann * s + d_p * n) * d;
        let den = (ann - u(1)) * d + (n + u(1)) * d_p;
        d = num / den;
        if d.abs_diff(prev) <= u(1) {
            return Ok(d);
        }
    }
    err("D did not converge")
}

/// The balance of coin `j` that keeps D when coin `i` holds `x` (`get_y`): the D of
/// the current balances, solved for with coin `i` at `x` (`get_y_d`).
pub fn get_y(i: usize, j: usize, x: U256, xp: &[U256], amp: u64) -> ExactResult<U256> {
    check(xp, amp)?;
    if i == j || i >= xp.len() || j >= xp.len() {
        return err("coin indexes must differ and be within the pool");
    }
    let d = get_d(xp, amp)?;
    let mut moved = xp.to_vec();
    moved[i] = x;
    get_y_d(amp, j, &moved, d)
}

/// An exchange of `dx` of coin `i` for coin `j`: (dy paid out, the fee kept, the new
/// balances). The admin part of the fee leaves the balances, as on-chain.
pub fn exchange(
    xp: &[U256],
    amp: u64,
    fee: u64,
    admin_fee: u64,
    i: usize,
    j: usize,
    dx: U256,
) -> ExactResult<(U256, U256, Vec<U256>)> {
    if fee >= FEE_DENOMINATOR || admin_fee > FEE_DENOMINATOR {
        return err("fee and admin fee are in 1e10 units, below 1e10");
    }
    let x = xp
        .get(i)
        .copied()
        .ok_or_else(|| ExactError("coin i out of range".into()))?
        + dx;
    let y = get_y(i, j, x, xp, amp)?;
    let dy = xp[j]
        .checked_sub(y + u(1))
        .ok_or_else(|| ExactError("the exchange gives nothing".into()))?;
    let fee_amount = dy * u(fee) / u(FEE_DENOMINATOR);
    let admin = fee_amount * u(admin_fee) / u(FEE_DENOMINATOR);
    let out = dy - fee_amount;
    let mut after = xp.to_vec();
    after[i] = x;
    after[j] = xp[j].saturating_sub(out + admin);
    Ok((out, fee_amount, after))
}

/// The virtual price: D · 1e18 / LP supply.
pub fn virtual_price(xp: &[U256], amp: u64, supply: U256) -> ExactResult<U256> {
    if supply.is_zero() {
        return err("zero LP supply");
    }
    Ok(get_d(xp, amp)? * u(1_000_000_000_000_000_000) / supply)
}

/// `get_y_D`: the balance of coin `i` that gives invariant `d` with the other balances.
pub fn get_y_d(amp: u64, i: usize, xp: &[U256], d: U256) -> ExactResult<U256> {
    check(xp, amp)?;
    if i >= xp.len() {
        return err("coin index out of range");
    }
    let n = u(xp.len() as u64);
    let ann = u(amp) * n;
    let mut c = d;
    let mut s = U256::ZERO;
    for (k, x) in xp.iter().enumerate() {
        if k == i {
            continue;
        }
        if x.is_zero() {
            return err("a zero balance");
        }
        s += *x;
        c = c * d / (*x * n);
    }
    c = c * d / (ann * n);
    let b = s + d / ann;
    let mut y = d;
    for _ in 0..255 {
        let prev = y;
        let den = u(2) * y + b;
        if den <= d {
            return err("y did not converge");
        }
        y = (y * y + c) / (den - d);
        if y.abs_diff(prev) <= u(1) {
            return Ok(y);
        }
    }
    err("y did not converge")
}

/// The imbalance fees of moving from `old` to `new` balances (D0 → D1): per coin
/// fee·n/(4(n−1)) × |D1·old/D0 − new|; returns (balances kept by the pool, balances
/// for D2).
fn imbalance(
    old: &[U256],
    new: &[U256],
    d0: U256,
    d1: U256,
    fee: u64,
    admin_fee: u64,
) -> (Vec<U256>, Vec<U256>) {
    let n = old.len() as u64;
    let f = u(fee) * u(n) / u(4 * (n - 1));
    let mut kept = new.to_vec();
    let mut for_d = new.to_vec();
    for k in 0..old.len() {
        let ideal = d1 * old[k] / d0;
        let diff = ideal.abs_diff(new[k]);
        let fk = f * diff / u(FEE_DENOMINATOR);
        kept[k] = new[k].saturating_sub(fk * u(admin_fee) / u(FEE_DENOMINATOR));
        for_d[k] = new[k].saturating_sub(fk);
    }
    (kept, for_d)
}

/// `add_liquidity(amounts)`: LP tokens minted and the new balances.
pub fn add_liquidity(
    xp: &[U256],
    amp: u64,
    fee: u64,
    admin_fee: u64,
    supply: U256,
    amounts: &[U256],
) -> ExactResult<(U256, Vec<U256>)> {
    if amounts.len() != xp.len() {
        return err("one amount per coin");
    }
    let new: Vec<U256> = xp.iter().zip(amounts).map(|(a, b)| *a + *b).collect();
    let d1 = get_d(&new, amp)?;
    if supply.is_zero() {
        return Ok((d1, new));
    }
    let d0 = get_d(xp, amp)?;
    if d1 <= d0 {
        return err("the deposit does not raise D");
    }
    let (kept, for_d) = imbalance(xp, &new, d0, d1, fee, admin_fee);
    let d2 = get_d(&for_d, amp)?;
    let gain = d2
        .checked_sub(d0)
        .ok_or_else(|| ExactError("the deposit's fees exceed what it adds".into()))?;
    Ok((supply * gain / d0, kept))
}

/// `remove_liquidity_imbalance(amounts)`: LP tokens burned and the new balances.
pub fn remove_liquidity_imbalance(
    xp: &[U256],
    amp: u64,
    fee: u64,
    admin_fee: u64,
    supply: U256,
    amounts: &[U256],
) -> ExactResult<(U256, Vec<U256>)> {
    if amounts.len() != xp.len() {
        return err("one amount per coin");
    }
    let mut new = Vec::with_capacity(xp.len());
    for (a, b) in xp.iter().zip(amounts) {
        new.push(
            a.checked_sub(*b)
                .ok_or_else(|| ExactError("withdrawing more than the pool holds".into()))?,
        );
    }
    let d0 = get_d(xp, amp)?;
    let d1 = get_d(&new, amp)?;
    let (kept, for_d) = imbalance(xp, &new, d0, d1, fee, admin_fee);
    let d2 = get_d(&for_d, amp)?;
    Ok((d0.saturating_sub(d2) * supply / d0 + u(1), kept))
}

/// `calc_withdraw_one_coin(token_amount, i)`: coin `i` paid out and the fee kept.
pub fn calc_withdraw_one_coin(
    xp: &[U256],
    amp: u64,
    fee: u64,
    supply: U256,
    token_amount: U256,
    i: usize,
) -> ExactResult<(U256, U256)> {
    if supply.is_zero() || token_amount > supply {
        return err("token_amount must be within the LP supply");
    }
    let n = xp.len() as u64;
    let d0 = get_d(xp, amp)?;
    let d1 = d0 - token_amount * d0 / supply;
    let new_y = get_y_d(amp, i, xp, d1)?;
    let f = u(fee) * u(n) / u(4 * (n - 1));
    let mut reduced = xp.to_vec();
    for (k, x) in xp.iter().enumerate() {
        let expected = if k == i {
            (*x * d1 / d0).saturating_sub(new_y)
        } else {
            *x - *x * d1 / d0
        };
        reduced[k] = reduced[k].saturating_sub(f * expected / u(FEE_DENOMINATOR));
    }
    let dy = reduced[i]
        .checked_sub(get_y_d(amp, i, &reduced, d1)?)
        .and_then(|d| d.checked_sub(u(1)))
        .ok_or_else(|| ExactError("the withdrawal gives nothing".into()))?;
    let dy0 = xp[i].saturating_sub(new_y);
    Ok((dy, dy0.saturating_sub(dy)))
}
