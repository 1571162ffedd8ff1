//! Valuing what the run holds at a step: positions (through the cached unit amounts,
//! linear in L), the wallet, the portfolio; names and chains of positions.

use super::*;

impl<'a> Engine<'a> {
    pub(super) fn allocation(&self) -> String {
        let pools: Vec<String> = self
            .pf
            .positions
            .values()
            .map(|p| match &p.exit {
                Some(_) => format!("{} (unbonding)", p.venue()),
                None => p.venue().to_string(),
            })
            .collect();
        if pools.is_empty() {
            "wallet".into()
        } else {
            pools.join("+")
        }
    }

    // ---------------------------------------------------------------- valuation

    /// Amounts and value of one unit of the position's L at step `i` (cached per step).
    #[inline]
    pub(super) fn unit(&self, a: &AmmPos, i: usize) -> UnitAt {
        let slot = &a.unit[i & 1];
        if slot.step.get() == i {
            return UnitAt {
                amt: slot.amt.get(),
                usd: slot.usd.get(),
            };
        }
        let pv = &self.book.pool_list[a.pid];
        // AMM positions open only in priced pools (`PoolView::exposure`); NaN otherwise,
        // which the step's value check reports with the pool's name.
        let p = match &pv.price {
            Some(s) => s[i],
            None => f64::NAN,
        };
        // Kinds with a per-run state (StableSwap, weighted) read it; the others' amounts
        // follow from the price (`pool::Model::unit`). Two coins are valued with the
        // two-term sum, inline (the hot path); more coin by coin.
        let tp = &pv.token_prices;
        let state = &self.pool_state[a.pid];
        let amt = if state.is_empty() {
            let [x, y] = a.kind.unit(p, a.range);
            [x, y, 0.0]
        } else {
            state[i]
        };
        let usd = if let [t0, t1] = tp.as_slice() {
            amt[0] * self.book.price(*t0, i) + amt[1] * self.book.price(*t1, i)
        } else {
            self.amounts_value(pv, &amt, i)
        };
        slot.step.set(i);
        slot.amt.set(amt);
        slot.usd.set(usd);
        UnitAt { amt, usd }
    }

    /// The USD value of amounts of pool `pv`'s coins at step `i`.
    #[inline]
    pub(super) fn amounts_value(&self, pv: &PoolView, amt: &Amounts, i: usize) -> f64 {
        // Two coins, the hot case, without the loop.
        if let [t0, t1] = pv.token_prices.as_slice() {
            return amt[0] * self.book.price(*t0, i) + amt[1] * self.book.price(*t1, i);
        }
        let mut usd = 0.0;
        for (x, t) in amt.iter().zip(&pv.token_prices) {
            usd += x * self.book.price(*t, i);
        }
        usd
    }

    /// The position's token amounts at step `i`.
    #[inline]
    pub(super) fn amounts(&self, a: &AmmPos, i: usize) -> Amounts {
        self.unit(a, i).amt.map(|x| a.l * x)
    }

    #[inline]
    pub(super) fn amm_value(&self, a: &AmmPos, i: usize) -> f64 {
        let slot = &a.unit[i & 1];
        let usd = if slot.step.get() == i {
            slot.usd.get()
        } else {
            self.unit(a, i).usd
        };
        a.l * usd
    }

    #[inline]
    pub(super) fn basket_value(&self, a: &AmmPos, i: usize) -> f64 {
        self.amounts_value(&self.book.pool_list[a.pid], &a.basket, i)
    }

    pub(super) fn position_value(&self, p: &Position, i: usize) -> f64 {
        match &p.kind {
            PosKind::Amm(a) => {
                let pv = &self.book.pool_list[a.pid];
                self.amm_value(a, i)
                    + a.fees_usd
                    + pv.reward
                        .map(|r| a.pending * self.book.price(r, i))
                        .unwrap_or(0.0)
            }
            PosKind::Lend { asset, amount, .. } => amount * self.book.price(*asset, i),
            PosKind::Yield {
                principal, asset, ..
            } => principal * self.book.price(*asset, i),
        }
    }

    /// Names the quantity that made the portfolio's value `value` (NaN or infinite) at
    /// step `i`: a wallet amount or price, or a position's pool, amounts, fees or
    /// rewards — the first that is not finite.
    pub(super) fn non_finite(&self, i: usize, value: f64) -> String {
        let bad = |x: f64| !(x.is_finite() && x.abs() <= MAX_VALUE_USD);
        let value = crate::units::format_number(value);
        for (a, x) in &self.pf.wallet {
            let price = self.book.price(*a, i);
            if !x.is_finite() || !price.is_finite() || bad(x * price) {
                return format!(
                    "portfolio value is {value}: the wallet's {} is {x} at a price of {price} USD; check that asset's price series and the amounts the strategy moves",
                    self.asset_name(*a)
                );
            }
        }
        for p in self.pf.positions.values() {
            let v = self.position_value(p, i);
            if !bad(v) {
                continue;
            }
            return match &p.kind {
                PosKind::Amm(a) => {
                    let pv = &self.book.pool_list[a.pid];
                    let amounts = self.amounts(a, i);
                    let amounts: Vec<String> = amounts[..pv.token_prices.len()]
                        .iter()
                        .map(|x| x.to_string())
                        .collect();
                    let price = pv.price.as_ref().and_then(|s| s.get(i)).copied();
                    format!(
                        "portfolio value is {value}: the position in pool '{}' is worth {v} USD (liquidity {}, amounts {}, fees {} USD, pool price {}); check the pool's price, TVL and liquidity at this step",
                        pv.meta.id,
                        a.l,
                        amounts.join(" and "),
                        a.fees_usd,
                        price.map(|p| p.to_string()).unwrap_or_else(|| "none".into())
                    )
                }
                PosKind::Lend { asset, amount, .. } => format!(
                    "portfolio value is {value}: the loan of {amount} {} is worth {v} USD; check the rate and price series",
                    self.asset_name(*asset)
                ),
                PosKind::Yield {
                    principal, asset, ..
                } => format!(
                    "portfolio value is {value}: the yield position of {principal} {} is worth {v} USD; check the pool's APY and TVL series",
                    self.asset_name(*asset)
                ),
            };
        }
        format!(
            "portfolio value is {value} (locked {} USD, external gas {} USD); check the pools' prices and liquidity at this step",
            self.locked_now, self.external_gas
        )
    }

    pub(super) fn wallet_value(&self, i: usize) -> f64 {
        self.pf
            .wallet
            .iter()
            .map(|(a, x)| x * self.book.price(*a, i))
            .sum()
    }

    pub(super) fn value(&self, i: usize) -> f64 {
        let mut s = Sum::default();
        s.add(self.wallet_value(i));
        for p in self.pf.positions.values() {
            s.add(self.position_value(p, i));
        }
        s.add(-self.locked_now);
        s.add(-self.external_gas);
        s.value()
    }

    /// Token amounts held (for the HODL baseline).
    pub(super) fn composition(&self, i: usize) -> Vec<(usize, f64)> {
        let mut c: BTreeMap<usize, f64> = self.pf.wallet.iter().map(|(k, v)| (*k, *v)).collect();
        for p in self.pf.positions.values() {
            match &p.kind {
                PosKind::Amm(a) => {
                    let pv = &self.book.pool_list[a.pid];
                    for (x, t) in self.amounts(a, i).iter().zip(&pv.token_prices) {
                        *c.entry(*t).or_default() += x;
                    }
                    *c.entry(0).or_default() += a.fees_usd;
                }
                PosKind::Lend { asset, amount, .. } => *c.entry(*asset).or_default() += amount,
                PosKind::Yield {
                    principal, asset, ..
                } => *c.entry(*asset).or_default() += principal,
            }
        }
        c.into_iter().collect()
    }

    /// An asset's name for the ledger; empty in light runs, which keep no ledger.
    pub(super) fn log_name(&self, k: usize) -> String {
        if self.config.light {
            String::new()
        } else {
            self.asset_name(k)
        }
    }

    pub(super) fn asset_name(&self, k: usize) -> String {
        self.book
            .assets
            .iter()
            .find(|(_, v)| **v == k)
            .map(|(n, _)| n.clone())
            .unwrap_or_default()
    }

    /// A position's value at step `i`, or an error naming the missing id.
    pub(super) fn value_of(&self, id: u32, i: usize) -> Result<f64, EngineError> {
        self.pf
            .positions
            .get(&id)
            .map(|p| self.position_value(p, i))
            .ok_or_else(|| EngineError::Spec(format!("no position {id}")))
    }

    /// The pool or market a position is in.
    pub(super) fn position_name(&self, id: u32) -> String {
        self.pf
            .positions
            .get(&id)
            .map(|p| p.venue().to_string())
            .unwrap_or_default()
    }

    pub(super) fn first_chain(&self) -> String {
        self.book
            .pools
            .values()
            .next()
            .map(|p| p.meta.chain.clone())
            .unwrap_or_else(|| "ethereum".into())
    }

    pub(super) fn chain_of(&self, id: u32) -> Result<&str, EngineError> {
        match self.pf.positions.get(&id).map(|p| &p.kind) {
            Some(PosKind::Amm(a)) => Ok(&self.book.pool_list[a.pid].meta.chain),
            Some(PosKind::Yield { pid, .. }) => Ok(&self.book.pool_list[*pid].meta.chain),
            Some(PosKind::Lend { chain, .. }) => Ok(chain),
            None => Err(EngineError::Spec(format!("no position {id}"))),
        }
    }

    pub(super) fn position_chain(&self, id: u32) -> Result<String, EngineError> {
        self.chain_of(id).map(str::to_string)
    }

    pub(super) fn position_tokens(&self, id: u32) -> Vec<String> {
        match self.pf.positions.get(&id).map(|p| &p.kind) {
            Some(PosKind::Amm(a)) => self.book.pool_list[a.pid].meta.tokens.clone(),
            Some(PosKind::Yield { pid, .. }) => self.book.pool_list[*pid].meta.tokens.clone(),
            _ => Vec::new(),
        }
    }

    pub(super) fn target_chain(&self, t: &Target) -> Result<String, EngineError> {
        Ok(match t {
            Target::Pool { pool, .. } | Target::Yield { pool } => {
                self.book.pool(pool)?.meta.chain.clone()
            }
            Target::Lend { chain, .. } => chain.clone(),
        })
    }
}
