//! Gas: an action's cost by its chain's gas model (`costs::ChainGas`: a gas price series
//! or preset, the native token's price, an L1 data fee), and paying it from the wallet
//! or an external budget.

use super::*;

impl<'a> Engine<'a> {
    // ---------------------------------------------------------------- costs

    pub(super) fn pay_gas(
        &mut self,
        chain: &str,
        kind: ActionKind,
        i: usize,
        share: f64,
        target: &str,
    ) -> Result<f64, EngineError> {
        let g = self.cx.gas_usd(chain, kind, i)? * share;
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
        match self.cx.config.gas.paid_by {
            costs::GasPayer::External => self.st.external_gas += g,
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
                    let p = self.cx.book.price(a, i);
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
        self.st.att.gas.add(-g);
    }

    /// Puts an action's gas on its ledger row: the row this step just logged for
    /// `action`, so that every action is one row with its gas beside its amount. An
    /// action that logged no row of its own (none today) gets one.
    pub(super) fn attach_gas(&mut self, i: usize, action: LedgerAction, target: &str, g: f64) {
        if self.cx.config.light {
            return;
        }
        if let Some(row) = self.st.ledger.last_mut() {
            if row.step == i && row.action == action && row.gas_usd.is_zero() && row.note.is_empty()
            {
                row.gas_usd = ledger::usd(g);
                return;
            }
        }
        self.log(i, action, target, 0.0, g, 0.0, 0.0);
    }
}
