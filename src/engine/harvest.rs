//! A vault's harvest: claim, sell, pay the vault's fees, re-deposit.

use super::*;

impl<'a> Engine<'a> {
    pub(super) fn harvest(
        &mut self,
        id: u32,
        i: usize,
        paid_by_others: bool,
    ) -> Result<Outcome, EngineError> {
        let Some(pos) = self.pf.positions.get(&id) else {
            return Err(EngineError::Spec(format!("no position {id} to harvest")));
        };
        let ours = self.cx.position_value(pos, i);
        let vault = pos.vault;
        let (reward_value, fees_usd) = self.harvestable(pos, i);
        let share = if paid_by_others {
            0.0
        } else {
            ours / (ours + self.cx.config.vault_others_usd.max(0.0))
        };
        // The gas, priced on the position's chain without copying its name.
        let gas = self
            .cx
            .gas_usd(self.chain_of(id)?, ActionKind::Harvest, i)?
            * share;
        let sell_cost = self.cx.config.reward_swap.cost(reward_value);
        let proceeds = reward_value - sell_cost + fees_usd;
        let vf = self.cx.config.vault_fees;
        let fee = if vault {
            proceeds.max(0.0) * (vf.performance_fee + vf.call_fee)
        } else {
            0.0
        };
        let net = proceeds - fee;
        if let Some(r) = self
            .cx
            .unaffordable("harvest", gas, self.wallet_value(i) + net.max(0.0))
        {
            let name = self.position_name(id);
            return Ok(self.skip(i, "harvest", &name, r));
        }
        self.st.att.swap_costs.add(-sell_cost);
        self.st.att.vault_fees.add(-fee);
        let name = self.position_name(id);
        self.log(
            i,
            LedgerAction::Harvest,
            &name,
            proceeds,
            0.0,
            sell_cost,
            fee,
        );
        self.st.counts.harvests += 1;
        if let Some(p) = self.pf.positions.get_mut(&id) {
            if let PosKind::Amm(a) = &mut p.kind {
                a.pending = 0.0;
                a.fees_usd = 0.0;
            }
        }
        // The proceeds come into the wallet and the gas goes out of it (other wallet
        // holdings are sold only for what neither its USD nor the proceeds cover); what
        // the proceeds leave is re-deposited, whole.
        if net > 0.0 {
            *self.pf.wallet.entry(0).or_default() += net;
        }
        self.charge_gas(gas, ActionKind::Harvest, i, &name);
        let net = net.min(self.pf.wallet.get(&0).copied().unwrap_or(0.0));
        if net <= 0.0 {
            return Ok(Outcome::Done);
        }
        self.redeposit(id, net, i)?;
        if vault && vf.profit_unlock_secs > 0 {
            let t = self.cx.market.grid.at(i);
            self.st.locked.push((net, t, t + vf.profit_unlock_secs));
            self.st.locked_now += net;
            self.st.att.unreleased_profit.add(-net);
        }
        Ok(Outcome::Done)
    }

    /// What a harvest of `pos` at step `i` collects: its pending rewards' USD value and
    /// its uncompounded fees (nothing for a loan or a yield stream).
    fn harvestable(&self, pos: &Position, i: usize) -> (f64, f64) {
        match &pos.kind {
            PosKind::Amm(a) => {
                let pv = &self.cx.book.pool_list[a.pid];
                (
                    pv.reward
                        .map(|r| a.pending * self.cx.book.price(r, i))
                        .unwrap_or(0.0),
                    a.fees_usd,
                )
            }
            _ => (0.0, 0.0),
        }
    }

    /// Re-deposits `net` USD of a harvest into position `id`: an AMM position's coins
    /// bought in its proportions (tokens the wallet held before are not the harvest's),
    /// a loan's asset; a yield stream takes nothing.
    fn redeposit(&mut self, id: u32, net: f64, i: usize) -> Result<(), EngineError> {
        enum Redeposit {
            Amm { pid: usize, unit: UnitAt },
            Lend { asset: usize },
            None,
        }
        let what = match &self.pf.positions[&id].kind {
            PosKind::Amm(a) => Redeposit::Amm {
                pid: a.pid,
                unit: self.cx.unit(a, i),
            },
            PosKind::Lend { asset, .. } => Redeposit::Lend { asset: *asset },
            PosKind::Yield { .. } => Redeposit::None,
        };
        match what {
            Redeposit::Amm { pid, unit: u } => {
                let pv = std::sync::Arc::clone(&self.cx.book.pool_list[pid]);
                let tokens = &pv.token_prices;
                let l_target = net / u.usd;
                // Tokens held before are not the harvest's: it adds only what it bought.
                let mut before = [0.0; MAX_COINS];
                let mut need = [0.0; MAX_COINS];
                for (j, t) in tokens.iter().enumerate() {
                    before[j] = self.pf.wallet.get(t).copied().unwrap_or(0.0);
                    need[j] = before[j] + u.amt[j] * l_target;
                }
                self.acquire_basket(tokens, &need, pid, i)?;
                let dl = self.fundable(tokens, &u.amt, &before).clamp(0.0, l_target);
                for (j, t) in tokens.iter().enumerate() {
                    *self.pf.wallet.entry(*t).or_default() -= u.amt[j] * dl;
                }
                let cx = &self.cx;
                if let Some(PosKind::Amm(a)) = self.pf.positions.get_mut(&id).map(|p| &mut p.kind) {
                    a.l += dl;
                    for (b, x) in a.basket.iter_mut().zip(u.amt) {
                        *b += x * dl;
                    }
                    a.last_il = cx.amm_value(a, i) - cx.basket_value(a, i);
                }
            }
            Redeposit::Lend { asset } => {
                let need = net / self.cx.book.price(asset, i);
                let before = self.pf.wallet.get(&asset).copied().unwrap_or(0.0);
                self.acquire(asset, before + need, &[], None, i)?;
                let got = (self.pf.wallet.get(&asset).copied().unwrap_or(0.0) - before).max(0.0);
                *self.pf.wallet.entry(asset).or_default() -= got;
                if let Some(PosKind::Lend { amount, .. }) =
                    self.pf.positions.get_mut(&id).map(|p| &mut p.kind)
                {
                    *amount += got;
                }
            }
            Redeposit::None => {}
        }
        Ok(())
    }
}
