//! Gas: an action's cost by its chain's gas model (`costs::ChainGas`: a gas price series
//! or preset, the native token's price, an L1 data fee), and paying it from the wallet
//! or an external budget.

use super::*;

impl<'a> Engine<'a> {
    // ---------------------------------------------------------------- costs

    /// A chain's gas model in this run (`costs::ChainGas`), resolved once per chain.
    pub(super) fn chain_cost(&self, chain: &str) -> Result<costs::ChainGas, EngineError> {
        let series_native = self.market.gas(chain).map(|g| g.chain.native_asset.as_str());
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
        let series = self.market.gas(chain).map(|g| g.gas_price_gwei.as_slice());
        c.usd(self.config.gas.units(kind), i, series, |k, i| self.book.price(k, i))
            .map_err(|m| EngineError::Spec(format!("{m} for chain '{chain}'")))
    }

    pub(super) fn pay_gas(
        &mut self,
        chain: &str,
        kind: ActionKind,
        i: usize,
        share: f64,
        target: &str,
    ) -> Result<f64, EngineError> {
        let g = self.gas_usd(chain, kind, i)? * share;
        self.charge_gas(g, kind, i, target);
        Ok(g)
    }

    /// Pays `g` USD of gas already priced: from the wallet by value, its USD first and
    /// then its other holdings in asset order (the caller checked the portfolio can
    /// pay; converting them to the native token is not charged), or from the external
    /// budget where the strategy file chose one.
    pub(super) fn charge_gas(&mut self, g: f64, kind: ActionKind, i: usize, target: &str) {
        self.take_gas(g, i);
        self.attach_gas(i, kind.into(), target, g);
    }

    /// Takes `g` USD of gas from whoever pays it and books it (no ledger row).
    pub(super) fn take_gas(&mut self, g: f64, i: usize) {
        match self.config.gas.paid_by {
            costs::GasPayer::External => self.external_gas += g,
            costs::GasPayer::Portfolio => {
                let cash = self.pf.wallet.entry(0).or_default();
                let from_cash = cash.max(0.0).min(g);
                *cash -= from_cash;
                let mut owed = g - from_cash;
                for k in 0..self.pf.wallet.len() {
                    if owed <= 0.0 {
                        break;
                    }
                    let (a, &x) = self.pf.wallet.slot(k);
                    let p = self.book.price(a, i);
                    if a == 0 || x <= 0.0 || p.is_nan() || p <= 0.0 {
                        continue;
                    }
                    let take = (x * p).min(owed);
                    *self.pf.wallet.slot_mut(k) -= take / p;
                    owed -= take;
                }
                // Only rounding can leave anything owed; it stays a (tiny) USD debt.
                if owed > 0.0 {
                    *self.pf.wallet.entry(0).or_default() -= owed;
                }
            }
        }
        self.att.gas.add(-g);
    }

    /// Puts an action's gas on its ledger row: the row this step just logged for
    /// `action`, so that every action is one row with its gas beside its amount. An
    /// action that logged no row of its own (none today) gets one.
    pub(super) fn attach_gas(&mut self, i: usize, action: LedgerAction, target: &str, g: f64) {
        if self.config.light {
            return;
        }
        if let Some(row) = self.ledger.last_mut() {
            if row.step == i && row.action == action && row.gas_usd.is_zero() && row.note.is_empty()
            {
                row.gas_usd = ledger::usd(g);
                return;
            }
        }
        self.log(i, action, target, 0.0, g, 0.0, 0.0);
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
}
