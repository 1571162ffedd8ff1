//! Gas: each chain's pricing (a gas price series or preset, the native token's price, an
//! L1 data fee), an action's cost in USD, and paying it from the wallet or an external
//! budget.

use super::*;

#[derive(Debug, Clone, Copy)]
pub(super) enum GasPrice {
    Constant(f64),
    Series,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum NativePrice {
    Asset(usize),
    Constant(f64),
}

/// A chain's gas pricing, resolved before the first step.
#[derive(Debug, Clone, Copy)]
pub(super) struct ChainCost {
    pub(super) gwei: GasPrice,
    pub(super) native_price: NativePrice,
    pub(super) l1_fee: f64,
}

impl<'a> Engine<'a> {
    // ---------------------------------------------------------------- costs

    /// How a chain's gas is priced in this run, resolved once per chain.
    pub(super) fn chain_cost(&self, chain: &str) -> Result<ChainCost, EngineError> {
        let preset = self.config.gas.preset(chain);
        let gwei = match (self.config.gas.gas_price_gwei, self.market.gas(chain), &preset) {
            (Some(g), _, _) => GasPrice::Constant(g),
            (None, Some(_), _) => GasPrice::Series,
            (None, None, Some(p)) => GasPrice::Constant(p.gas_price_gwei),
            _ => {
                return Err(EngineError::Spec(format!(
                    "chain '{chain}' has no gas series in the data and no preset; add [gas.chains.{chain}] to the strategy file"
                )))
            }
        };
        let native = self
            .market
            .gas(chain)
            .map(|g| g.chain.native_asset.clone())
            .or_else(|| preset.as_ref().map(|p| p.native_asset.clone()))
            .unwrap_or_default();
        let native_price = match self.book.assets.get(&native) {
            Some(k) => NativePrice::Asset(*k),
            None => match &preset {
                Some(p) => NativePrice::Constant(p.native_price_usd),
                None => {
                    return Err(EngineError::Spec(format!(
                        "no USD price for chain '{chain}''s native asset '{native}'"
                    )))
                }
            },
        };
        Ok(ChainCost {
            gwei,
            native_price,
            l1_fee: preset.map(|p| p.l1_data_fee_usd).unwrap_or(0.0),
        })
    }

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
        let gwei = match c.gwei {
            GasPrice::Constant(g) => g,
            GasPrice::Series => match self.market.gas(chain) {
                Some(g) => g.gas_price_gwei[i],
                None => {
                    return Err(EngineError::Spec(format!(
                        "no gas price series for chain '{chain}'"
                    )))
                }
            },
        };
        let native_usd = match c.native_price {
            NativePrice::Asset(k) => self.book.price(k, i),
            NativePrice::Constant(p) => p,
        };
        Ok(self.config.gas.units(kind) * gwei * 1e-9 * native_usd + c.l1_fee)
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
