//! The StableSwap pool model's state per step: balances per unit of invariant at the
//! step's prices, precomputed once per run (a position's unit amounts read them).

use super::*;

/// A StableSwap pool's balances per unit of invariant at every step: the state
/// arbitrage leaves it in at the step's prices (`amm::stableswap`). A two-coin pool
/// follows its own price series (coin 0 in coin 1); a pool of more coins its coins'
/// USD prices, so a depeg of one coin moves its balance and the position's IL through
/// the invariant. A step whose prices equal the previous step's reuses its balances.
pub(super) fn stable_balances(
    book: &Book,
    id: &str,
    pv: &PoolView,
    grid: TimeGrid,
) -> Result<Vec<Amounts>, EngineError> {
    let amp = pv.meta.amplification.ok_or_else(|| {
        EngineError::Spec(format!(
            "stableswap pool '{id}' has no `amplification` in the dataset's metadata: add it there, or state it in the strategy file's [assume.amplification] (e.g. {id} = 200)"
        ))
    })?;
    let numeric = |i: usize, e: crate::amm::AmmError| EngineError::Numeric {
        step: i,
        at: format_ts(grid.at(i)),
        message: format!("pool '{id}': {e}"),
    };
    let n = pv.token_prices.len();
    let mut hat = Vec::with_capacity(grid.len());
    if n == 2 {
        let prices = pv.price.as_deref().unwrap_or(&[]);
        let mut last: Option<(f64, (f64, f64))> = None;
        for (i, p) in prices.iter().enumerate() {
            let v = match last {
                Some((lp, v)) if lp == *p => v,
                _ => stableswap::balances_for_price_near(amp, *p, last.map(|l| l.1 .0))
                    .map_err(|e| numeric(i, e))?,
            };
            last = Some((*p, v));
            hat.push([v.0, v.1, 0.0]);
        }
        return Ok(hat);
    }
    if !(2..=MAX_COINS).contains(&n) {
        return Err(EngineError::Spec(format!(
            "stableswap pool '{id}' has {n} coins; a position holds 2 to {MAX_COINS}"
        )));
    }
    let mut last: Option<(Amounts, Amounts)> = None;
    for i in 0..grid.len() {
        let mut prices = [0.0; MAX_COINS];
        for (j, t) in pv.token_prices.iter().enumerate() {
            prices[j] = book.price(*t, i);
        }
        let v = match last {
            Some((lp, v)) if lp == prices => v,
            _ => {
                let x = stableswap::balances_for_prices(amp, &prices[..n])
                    .map_err(|e| numeric(i, e))?;
                let mut v = [0.0; MAX_COINS];
                v[..n].copy_from_slice(&x);
                v
            }
        };
        last = Some((prices, v));
        hat.push(v);
    }
    Ok(hat)
}
