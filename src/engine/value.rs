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

    /// Names the quantity that made the portfolio's value `value` (NaN or infinite) at
    /// step `i`: a wallet amount or price, or a position's pool, amounts, fees or
    /// rewards — the first that is not finite.
    pub(super) fn non_finite(&self, i: usize, value: f64) -> String {
        let bad = |x: f64| !(x.is_finite() && x.abs() <= MAX_VALUE_USD);
        let value = crate::units::format_number(value);
        for (a, x) in &self.pf.wallet {
            let price = self.cx.book.price(*a, i);
            if !x.is_finite() || !price.is_finite() || bad(x * price) {
                return format!(
                    "portfolio value is {value}: the wallet's {} is {x} at a price of {price} USD; check that asset's price series and the amounts the strategy moves",
                    self.cx.asset_name(*a)
                );
            }
        }
        for p in self.pf.positions.values() {
            let v = self.cx.position_value(p, i);
            if !bad(v) {
                continue;
            }
            return match &p.kind {
                PosKind::Amm(a) => {
                    let pv = &self.cx.book.pool_list[a.pid];
                    let amounts = self.cx.amounts(a, i);
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
                    self.cx.asset_name(*asset)
                ),
                PosKind::Yield {
                    principal, asset, ..
                } => format!(
                    "portfolio value is {value}: the yield position of {principal} {} is worth {v} USD; check the pool's APY and TVL series",
                    self.cx.asset_name(*asset)
                ),
            };
        }
        format!(
            "portfolio value is {value} (locked {} USD, external gas {} USD); check the pools' prices and liquidity at this step",
            self.st.locked_now, self.st.external_gas
        )
    }

    pub(super) fn wallet_value(&self, i: usize) -> f64 {
        self.pf
            .wallet
            .iter()
            .map(|(a, x)| x * self.cx.book.price(*a, i))
            .sum()
    }

    pub(super) fn value(&self, i: usize) -> f64 {
        let mut s = Sum::default();
        s.add(self.wallet_value(i));
        for p in self.pf.positions.values() {
            s.add(self.cx.position_value(p, i));
        }
        s.add(-self.st.locked_now);
        s.add(-self.st.external_gas);
        s.value()
    }

    /// Token amounts held (for the HODL baseline).
    pub(super) fn composition(&self, i: usize) -> Vec<(usize, f64)> {
        let mut c: BTreeMap<usize, f64> = self.pf.wallet.iter().map(|(k, v)| (*k, *v)).collect();
        for p in self.pf.positions.values() {
            match &p.kind {
                PosKind::Amm(a) => {
                    let pv = &self.cx.book.pool_list[a.pid];
                    for (x, t) in self.cx.amounts(a, i).iter().zip(&pv.token_prices) {
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
        if self.cx.config.light {
            String::new()
        } else {
            self.cx.asset_name(k)
        }
    }

    /// A position's value at step `i`, or an error naming the missing id.
    pub(super) fn value_of(&self, id: u32, i: usize) -> Result<f64, EngineError> {
        self.pf
            .positions
            .get(&id)
            .map(|p| self.cx.position_value(p, i))
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

    /// The chain a swap of wallet holdings is priced on where no position says: the
    /// chain of the pool emitting `reward` (for a reward token), else of the run's first
    /// pool (id order), else the first chain the run acts on; an error where it acts on
    /// none (never a chain it did not name).
    pub(super) fn home_chain(&self, reward: Option<usize>) -> Result<String, EngineError> {
        let pools = &self.cx.book.pool_list;
        reward
            .and_then(|r| pools.iter().find(|p| p.reward == Some(r)))
            .or_else(|| pools.first())
            .map(|p| p.meta.chain.clone())
            .or_else(|| self.cx.chain_costs.keys().next().cloned())
            .ok_or_else(|| {
                EngineError::Spec(
                    "the run acts on no chain to price a swap's gas on: name a pool, or state the strategy's chain".into(),
                )
            })
    }

    pub(super) fn chain_of(&self, id: u32) -> Result<&str, EngineError> {
        match self.pf.positions.get(&id).map(|p| &p.kind) {
            Some(PosKind::Amm(a)) => Ok(&self.cx.book.pool_list[a.pid].meta.chain),
            Some(PosKind::Yield { pid, .. }) => Ok(&self.cx.book.pool_list[*pid].meta.chain),
            Some(PosKind::Lend { chain, .. }) => Ok(chain),
            None => Err(EngineError::Spec(format!("no position {id}"))),
        }
    }

    pub(super) fn position_chain(&self, id: u32) -> Result<String, EngineError> {
        self.chain_of(id).map(str::to_string)
    }

    pub(super) fn position_tokens(&self, id: u32) -> Vec<String> {
        match self.pf.positions.get(&id).and_then(|p| p.kind.pid()) {
            Some(pid) => self.cx.book.pool_list[pid].meta.tokens.clone(),
            None => Vec::new(),
        }
    }

    pub(super) fn target_chain(&self, t: &Target) -> Result<String, EngineError> {
        Ok(match t {
            Target::Pool { pool, .. } | Target::Yield { pool } => {
                self.cx.book.pool(pool)?.meta.chain.clone()
            }
            Target::Lend { chain, .. } => chain.clone(),
        })
    }
}
