//! Moving part of a position's value out to the wallet, or wallet value into an
//! existing position: what a portfolio's rebalance between its legs is made of. Each
//! is one action with its own gas (and, out of a vault, the vault's withdrawal fee);
//! tokens are bought or left in the wallet as they are, so swap costs arise where the
//! next action needs other tokens.

use super::*;

impl<'a> Engine<'a> {
    /// `Action::Withdraw`: `usd` of position `id`'s value (at most all of it) to the
    /// wallet, in its tokens.
    pub(super) fn withdraw_part(
        &mut self,
        id: u32,
        usd: f64,
        i: usize,
    ) -> Result<Outcome, EngineError> {
        let value = self.value_of(id, i)?;
        let name = self.position_name(id);
        if !(usd.is_finite() && usd > 0.0) || value <= 0.0 {
            return Ok(Outcome::Done);
        }
        if usd >= value {
            return self.execute(&Action::Close { position: id }, i);
        }
        let ts = self.cx.market.grid.at(i);
        let set = self.cx.config.pools.get(&name).cloned().unwrap_or_default();
        let p = &self.pf.positions[&id];
        if p.exit.is_some()
            || p.locked_until.is_some_and(|t| t > ts)
            || set.unbonding_secs().map_err(EngineError::Spec)? > 0
        {
            return Ok(self.skip(
                i,
                "withdraw",
                &name,
                "a part of a position locked or unbonding cannot be withdrawn at once".into(),
            ));
        }
        let chain = self.position_chain(id)?;
        let gas = self.cx.gas_usd(&chain, ActionKind::Withdraw, i)?;
        if let Some(r) = self
            .cx
            .unaffordable("withdraw", gas, self.wallet_value(i) + usd)
        {
            return Ok(self.skip(i, "withdraw", &name, r));
        }
        let f = usd / value;
        let vault_fee = if p.vault {
            self.cx.config.vault_fees.withdrawal_fee
        } else {
            0.0
        };
        // The part leaves as its share of everything the position holds; the IL it
        // carried stays booked (as in a full withdrawal).
        let mut part = self.pf.positions[&id].clone();
        super::scale(&mut part, f * (1.0 - vault_fee));
        if vault_fee > 0.0 {
            self.st.att.vault_fees.add(-usd * vault_fee);
        }
        self.scale_position(id, 1.0 - f);
        self.put_in_wallet(part, i);
        self.st.counts.withdrawals += 1;
        self.log(
            i,
            LedgerAction::Withdraw,
            &name,
            usd,
            0.0,
            0.0,
            usd * vault_fee,
        );
        self.charge_gas(gas, ActionKind::Withdraw, i, &name);
        Ok(Outcome::Done)
    }

    /// `Action::Deposit`: `usd` of the wallet's value (less the gas) added to position
    /// `id` at step `i`'s price.
    pub(super) fn deposit_into(
        &mut self,
        id: u32,
        usd: f64,
        i: usize,
    ) -> Result<Outcome, EngineError> {
        let name = self.position_name(id);
        let Some(p) = self.pf.positions.get(&id) else {
            return Err(EngineError::Spec(format!(
                "no position {id} to deposit into"
            )));
        };
        if p.exit.is_some() {
            return Ok(self.skip(
                i,
                "deposit",
                &name,
                "the position is waiting to be withdrawn".into(),
            ));
        }
        let chain = self.position_chain(id)?;
        let gas = self.cx.gas_usd(&chain, ActionKind::Deposit, i)?;
        let have = self.wallet_value(i);
        if let Some(r) = self.cx.unaffordable("deposit", gas, have) {
            return Ok(self.skip(i, "deposit", &name, r));
        }
        let budget = usd.min(have - self.cx.reserve(gas)).max(0.0);
        if budget.is_nan() || budget <= 0.0 {
            return Ok(Outcome::Done);
        }
        let Some(added) = self.add_to_position(id, budget, i)? else {
            return Ok(Outcome::Done);
        };
        self.st.counts.deposits += 1;
        self.log(i, LedgerAction::Deposit, &name, added, 0.0, 0.0, 0.0);
        self.charge_gas(gas, ActionKind::Deposit, i, &name);
        Ok(Outcome::Done)
    }

    /// Adds `budget` USD of the wallet to position `id` at step `i`; the value added, or
    /// `None` where the position's pool cannot be priced at the step.
    fn add_to_position(
        &mut self,
        id: u32,
        budget: f64,
        i: usize,
    ) -> Result<Option<f64>, EngineError> {
        let kind = self.pf.positions[&id].kind.clone();
        Ok(Some(match kind {
            PosKind::Amm(mut a) => {
                let u = self.cx.unit(&a, i);
                if u.usd.is_nan() || u.usd <= 0.0 {
                    return Ok(None);
                }
                let l_target = budget / u.usd;
                let (l, amounts) = self.fund_liquidity(a.pid, u.amt, l_target, i)?;
                a.l += l;
                for (b, x) in a.basket.iter_mut().zip(amounts) {
                    *b += x;
                }
                let v = l * u.usd;
                if let Some(pos) = self.pf.positions.get_mut(&id) {
                    pos.kind = PosKind::Amm(a);
                }
                v
            }
            PosKind::Lend { asset, .. } => {
                let amount = budget / self.cx.book.price(asset, i);
                self.acquire(asset, amount, &[], None, i)?;
                let got = self
                    .pf
                    .wallet
                    .get(&asset)
                    .copied()
                    .unwrap_or(0.0)
                    .min(amount);
                *self.pf.wallet.entry(asset).or_default() -= got;
                if let Some(PosKind::Lend { amount, .. }) =
                    self.pf.positions.get_mut(&id).map(|p| &mut p.kind)
                {
                    *amount += got;
                }
                got * self.cx.book.price(asset, i)
            }
            PosKind::Yield { pid, asset, .. } => {
                let got = self.fund_usd(budget, pid, i)?;
                if let Some(PosKind::Yield { principal, .. }) =
                    self.pf.positions.get_mut(&id).map(|p| &mut p.kind)
                {
                    *principal += got / self.cx.book.price(asset, i);
                }
                got
            }
        }))
    }
}
