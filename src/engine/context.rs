//! The run's read-only context: valuing positions and amounts at a step (through the
//! cached unit amounts, linear in L), pricing gas and swaps. Nothing here changes the
//! run: an engine method can value its positions through the context while it books
//! its state.

use super::*;

impl<'a> Context<'a> {
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
            let mut amt = [0.0; MAX_COINS];
            amt[0] = x;
            amt[1] = y;
            amt
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

    pub(super) fn asset_name(&self, k: usize) -> String {
        self.book
            .assets
            .iter()
            .find(|(_, v)| **v == k)
            .map(|(n, _)| n.clone())
            .unwrap_or_default()
    }

    /// A chain's gas model in this run (`costs::ChainGas`), resolved once per chain.
    pub(super) fn chain_cost(&self, chain: &str) -> Result<costs::ChainGas, EngineError> {
        let series_native = self
            .market
            .gas(chain)
            .map(|g| g.chain.native_asset.as_str());
        self.config
            .gas
            .chain_gas(chain, series_native, &|a| self.book.assets.get(a).copied())
            .map_err(EngineError::Spec)
    }

    /// The USD cost of an action's gas on `chain` at step `i`, by the chain's model.
    pub(super) fn gas_usd(
        &self,
        chain: &str,
        kind: ActionKind,
        i: usize,
    ) -> Result<f64, EngineError> {
        let resolved;
        let c = match self.chain_costs.get(chain) {
            Some(c) => c,
            None => {
                resolved = self.chain_cost(chain)?;
                &resolved
            }
        };
        let series = || self.market.gas(chain).map(|g| g.gas_price_gwei.as_slice());
        c.usd(self.config.gas.units(kind), i, series, |k, i| {
            self.book.price(k, i)
        })
        .map_err(|m| EngineError::Spec(format!("{m} for chain '{chain}'")))
    }

    /// Gas the portfolio must keep for an action (0 when an external budget pays it).
    pub(super) fn reserve(&self, gas: f64) -> f64 {
        match self.config.gas.paid_by {
            costs::GasPayer::External => 0.0,
            costs::GasPayer::Portfolio => gas,
        }
    }

    /// Why an action costing `gas` cannot be paid from `funds` (the wallet and the
    /// action's own proceeds), or `None` when it can.
    pub(super) fn unaffordable(&self, what: &str, gas: f64, funds: f64) -> Option<String> {
        let need = self.reserve(gas);
        (need > 0.0 && (funds.is_nan() || need > funds)).then(|| {
            format!("{what}: gas ${need:.2} exceeds the ${:.2} the portfolio can pay it from (wallet and the action's proceeds)", funds.max(0.0))
        })
    }

    /// Swap cost of converting `usd` of value through a pool, from its own depth, by its
    /// kind's model (`pool::Model::swap_cost`): the active liquidity of a concentrated
    /// pool, the invariant of a StableSwap or weighted pool at its TVL, the reserves
    /// (TVL) of a constant-product pool. A pool with no depth data is an error unless
    /// the strategy file stated a slippage model (`[costs] reward_swap`).
    pub(super) fn pool_swap_cost(
        &self,
        pool: &PoolView,
        usd: f64,
        i: usize,
    ) -> Result<f64, EngineError> {
        let depth = crate::pool::Depth {
            meta: &pool.meta,
            usd,
            fee: pool.fee_at(i).unwrap_or(self.config.reward_swap.fee),
            tvl: pool
                .tvl
                .as_ref()
                .map(|t| t[i])
                .filter(|t| t.is_finite() && *t > 0.0),
            active_usd: self.active_depth(pool, i),
        };
        match pool.meta.kind.swap_cost(&depth) {
            Some(cost) => cost.map_err(EngineError::Spec),
            None if self.config.reward_swap_stated => Ok(self.config.reward_swap.cost(usd)),
            None => Err(EngineError::Spec(format!(
                "pool '{}' has no depth data at {} (no tvl_usd or active liquidity) to price a ${usd:.2} swap through it; add the series to the dataset, state `[assume.pool_tvl_usd]`, or state a slippage model in `[costs] reward_swap`",
                pool.meta.id,
                format_ts(self.market.grid.at(i))
            ))),
        }
    }

    /// The USD depth of a two-coin pool's active liquidity at step `i` (the virtual
    /// reserves L/√P and L·√P of the current range), where the data has it.
    fn active_depth(&self, pool: &PoolView, i: usize) -> Option<f64> {
        let (liq, scale, price) = (
            pool.liquidity.as_ref()?,
            pool.raw_liquidity_scale()?,
            pool.price.as_ref()?,
        );
        let [t0, t1] = pool.token_prices.as_slice() else {
            return None;
        };
        if !(liq[i].is_finite() && liq[i] > 0.0) {
            return None;
        }
        let l = liq[i] / scale;
        let s = price[i].sqrt();
        Some(l / s * self.book.price(*t0, i) + l * s * self.book.price(*t1, i))
    }

    /// Adds `usd` of value (from fees already counted) to an AMM position's liquidity.
    pub(super) fn add_liquidity_value(&self, a: &mut AmmPos, usd: f64, i: usize) {
        // Amounts and value are linear in L.
        if a.l <= 0.0 {
            return;
        }
        let u = self.unit(a, i);
        if u.usd <= 0.0 {
            return;
        }
        let dl = usd / u.usd;
        for (b, x) in a.basket.iter_mut().zip(u.amt) {
            *b += x * dl;
        }
        a.l += dl;
    }
}
