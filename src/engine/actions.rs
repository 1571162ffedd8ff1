//! Executing a strategy's actions: dispatch, closes, moves and exits that wait for a
//! lock or an unbonding delay.

use super::*;

impl<'a> Engine<'a> {
    // ---------------------------------------------------------------- actions

    pub(super) fn execute(&mut self, action: &Action, i: usize) -> Result<Outcome, EngineError> {
        match action {
            Action::Hold { weights } => {
                if i != 0 {
                    return Err(EngineError::Spec("Hold is a step-0 allocation".into()));
                }
                let total: f64 = weights.iter().map(|w| w.1).sum();
                let cash = self.pf.wallet.remove(&0).unwrap_or(0.0);
                for (asset, w) in weights {
                    let k = self.cx.book.asset(asset)?;
                    *self.pf.wallet.entry(k).or_default() +=
                        cash * w / total / self.cx.book.price(k, 0);
                }
                Ok(Outcome::Done)
            }
            Action::Open { target, usd } => {
                let have = self.wallet_value(i);
                let budget = usd.unwrap_or(have).min(have);
                self.open(target.clone(), budget, i, ActionKind::Deposit)
                    .map(|(o, _)| o)
            }
            Action::Close { position } => self.close_action(*position, i),
            Action::Claim { position } => self.claim(*position, i),
            Action::SellRewards => self.sell_rewards(i),
            Action::Harvest {
                position,
                paid_by_others,
            } => self.harvest(*position, i, *paid_by_others),
            Action::Rebalance {
                position,
                lower,
                upper,
            } => self.rebalance(*position, *lower, *upper, i),
            Action::Move { position, to } => {
                if let Some(o) = self.wait_for_exit(*position, Some(to), i)? {
                    return Ok(o);
                }
                self.do_move(*position, to, i)
            }
            Action::Withdraw { position, usd } => self.withdraw_part(*position, *usd, i),
            Action::Deposit { position, usd } => self.deposit_into(*position, *usd, i),
        }
    }

    /// `Action::Close`: a full withdrawal, or its wait for the venue's lock or unbonding.
    fn close_action(&mut self, position: u32, i: usize) -> Result<Outcome, EngineError> {
        if let Some(o) = self.wait_for_exit(position, None, i)? {
            return Ok(o);
        }
        let chain = self.position_chain(position)?;
        let gas = self.cx.gas_usd(&chain, ActionKind::Withdraw, i)?;
        let funds = self.wallet_value(i) + self.value_of(position, i)?;
        if let Some(r) = self.cx.unaffordable("withdraw", gas, funds) {
            let name = self.position_name(position);
            return Ok(self.skip(i, "withdraw", &name, r));
        }
        self.close(position, i, true)?;
        Ok(Outcome::Done)
    }

    /// `Action::Claim`: a position's pending reward tokens into the wallet.
    fn claim(&mut self, position: u32, i: usize) -> Result<Outcome, EngineError> {
        let (pool, value) = match self.pf.positions.get(&position).map(|p| &p.kind) {
            Some(PosKind::Amm(a)) => {
                let pv = &self.cx.book.pool_list[a.pid];
                let v = pv
                    .reward
                    .map(|r| a.pending * self.cx.book.price(r, i))
                    .unwrap_or(0.0);
                (a.pool.clone(), v)
            }
            _ => {
                return Err(EngineError::Spec(format!(
                    "position {position} has no rewards to claim"
                )))
            }
        };
        let chain = self.cx.book.pools[&pool].meta.chain.clone();
        let gas = self.cx.gas_usd(&chain, ActionKind::Claim, i)?;
        let funds = self.wallet_value(i) + value;
        if let Some(r) = self.cx.unaffordable("claim", gas, funds) {
            return Ok(self.skip(i, "claim", &pool, r));
        }
        if let Some(PosKind::Amm(a)) = self.pf.positions.get_mut(&position).map(|p| &mut p.kind) {
            let pending = std::mem::take(&mut a.pending);
            if let Some(r) = self.cx.book.pools[&pool].reward {
                *self.pf.wallet.entry(r).or_default() += pending;
            }
        }
        self.st.counts.claims += 1;
        self.log(i, LedgerAction::Claim, &pool, value, 0.0, 0.0, 0.0);
        self.charge_gas(gas, ActionKind::Claim, i, &pool);
        Ok(Outcome::Done)
    }

    /// `Action::SellRewards`: every reward token in the wallet sold for USD.
    fn sell_rewards(&mut self, i: usize) -> Result<Outcome, EngineError> {
        let held: Vec<usize> = self
            .cx
            .reward_assets
            .iter()
            .copied()
            .filter(|r| self.pf.wallet.get(r).is_some_and(|x| *x > 0.0))
            .collect();
        if held.is_empty() {
            return Ok(Outcome::Done);
        }
        let chain = self.home_chain(held.first().copied())?;
        let gas = self.cx.gas_usd(&chain, ActionKind::Swap, i)?;
        if let Some(r) = self
            .cx
            .unaffordable("sell rewards", gas, self.wallet_value(i))
        {
            return Ok(self.skip(i, "sell_rewards", "rewards", r));
        }
        for r in held {
            let x = self.pf.wallet.remove(&r).unwrap_or(0.0);
            let v = x * self.cx.book.price(r, i);
            let cost = self.cx.config.reward_swap.cost(v);
            *self.pf.wallet.entry(0).or_default() += v - cost;
            self.st.att.swap_costs.add(-cost);
            self.st.counts.swaps += 1;
            let name = self.log_name(r);
            self.log(i, LedgerAction::SellRewards, &name, v, 0.0, cost, 0.0);
        }
        self.take_gas(gas, i);
        self.attach_gas(i, LedgerAction::SellRewards, "rewards", gas);
        Ok(Outcome::Done)
    }

    /// `Action::Rebalance`: a concentrated position moved to new bounds, as one action
    /// (withdraw, swap, mint) with one rebalance's gas; it keeps its id.
    fn rebalance(
        &mut self,
        position: u32,
        lower: f64,
        upper: f64,
        i: usize,
    ) -> Result<Outcome, EngineError> {
        let Some(Position {
            kind: PosKind::Amm(a),
            vault,
            ..
        }) = self.pf.positions.get(&position).cloned()
        else {
            return Err(EngineError::Spec(format!(
                "position {position} is not a pool position"
            )));
        };
        let pool = a.pool.clone();
        let chain = self.cx.book.pool_list[a.pid].meta.chain.clone();
        let gas = self.cx.gas_usd(&chain, ActionKind::Rebalance, i)?;
        let budget = self.value_of(position, i)?;
        if let Some(r) = self
            .cx
            .unaffordable("rebalance", gas, self.wallet_value(i) + budget)
        {
            return Ok(self.skip(i, "rebalance", &pool, r));
        }
        self.withdraw_to_wallet(position, i);
        let (outcome, id) = self.open(
            Target::Pool {
                pool: pool.clone(),
                range: Some((lower, upper)),
                vault,
            },
            budget,
            i,
            ActionKind::Rebalance,
        )?;
        // Keep the strategy's id for the position.
        if let Some(p) = id.and_then(|id| self.pf.positions.remove(&id)) {
            self.pf.positions.insert(position, p);
        }
        self.st.counts.rebalances += 1;
        Ok(outcome)
    }

    /// A withdrawal (or move) of a position whose venue has a lock or an unbonding
    /// delay: it is queued to complete when both have passed, and logged (`unbond`).
    /// `None` when it can go ahead now.
    pub(super) fn wait_for_exit(
        &mut self,
        position: u32,
        then: Option<&Target>,
        i: usize,
    ) -> Result<Option<Outcome>, EngineError> {
        let ts = self.cx.market.grid.at(i);
        let p = self
            .pf
            .positions
            .get(&position)
            .ok_or_else(|| EngineError::Spec(format!("no position {position}")))?;
        let name = p.venue().to_string();
        if p.exit.is_some() {
            return Ok(Some(self.skip(
                i,
                "withdraw",
                &name,
                "the position is already waiting to be withdrawn".into(),
            )));
        }
        let set = self.cx.config.pools.get(&name).cloned().unwrap_or_default();
        let unbonding = set.unbonding_secs().map_err(EngineError::Spec)?;
        let lock_end = p.locked_until.unwrap_or(i64::MIN);
        let ready_at = lock_end.max(ts.saturating_add(unbonding));
        if ready_at <= ts {
            return Ok(None);
        }
        let note = format!(
            "withdrawal requested; completes at {}{}{}",
            format_ts(ready_at),
            if lock_end > ts {
                format!(" (locked until {})", format_ts(lock_end))
            } else {
                String::new()
            },
            if unbonding > 0 {
                format!(
                    " (unbonding {}{})",
                    crate::units::format_duration(unbonding),
                    if set.unbonding_yield {
                        ", earning"
                    } else {
                        ", not earning"
                    }
                )
            } else {
                String::new()
            }
        );
        let v = self.value_of(position, i)?;
        if let Some(p) = self.pf.positions.get_mut(&position) {
            p.exit = Some(PendingExit {
                ready_at,
                then: then.cloned(),
                earns: set.unbonding_yield,
            });
        }
        self.pf.version += 1;
        self.log_note(i, LedgerAction::Unbond, &name, v, note);
        Ok(Some(Outcome::Done))
    }

    /// Closes a position and puts its value into `to`: withdraw gas, a bridge between
    /// chains, a swap where a yield stream's tokens differ, deposit gas.
    pub(super) fn do_move(
        &mut self,
        position: u32,
        to: &Target,
        i: usize,
    ) -> Result<Outcome, EngineError> {
        {
            {
                let from_chain = self.position_chain(position)?;
                let from_tokens = self.position_tokens(position);
                let to_chain = self.target_chain(to)?;
                let mut value = self.value_of(position, i)?;
                let mut gas = self.cx.gas_usd(&from_chain, ActionKind::Withdraw, i)?
                    + self.cx.gas_usd(&to_chain, ActionKind::Deposit, i)?;
                if to_chain != from_chain {
                    gas += self.cx.gas_usd(&from_chain, ActionKind::Bridge, i)?;
                }
                if let Some(r) = self
                    .cx
                    .unaffordable("move", gas, self.wallet_value(i) + value)
                {
                    let name = self.position_name(position);
                    return Ok(self.skip(i, "move", &name, r));
                }
                value = self.close(position, i, true)?;
                if to_chain != from_chain {
                    let bridge_gas = self.cx.gas_usd(&from_chain, ActionKind::Bridge, i)?;
                    self.take_gas(bridge_gas, i);
                    let fee = value.max(0.0) * self.cx.config.bridge_fee;
                    value -= fee;
                    *self.pf.wallet.entry(0).or_default() -= fee;
                    self.st.att.swap_costs.add(-fee);
                    self.log(
                        i,
                        LedgerAction::Bridge,
                        &to_chain,
                        value,
                        bridge_gas,
                        fee,
                        0.0,
                    );
                }
                if let Target::Yield { pool } = to {
                    let to_tokens = self.cx.book.pool(pool)?.meta.tokens.clone();
                    if to_tokens != from_tokens {
                        let v = value.max(0.0);
                        let pv = self.cx.book.pool_arc(pool)?;
                        let cost = self.cx.pool_swap_cost(&pv, v, i)?;
                        value -= cost;
                        *self.pf.wallet.entry(0).or_default() -= cost;
                        self.st.att.swap_costs.add(-cost);
                        self.st.counts.swaps += 1;
                        self.log(i, LedgerAction::Swap, pool, v, 0.0, cost, 0.0);
                    }
                }
                let (outcome, _) = self.open(to.clone(), value, i, ActionKind::Deposit)?;
                self.st.counts.moves += 1;
                Ok(outcome)
            }
        }
    }

    pub(super) fn close(&mut self, id: u32, i: usize, pay: bool) -> Result<f64, EngineError> {
        let chain = self.position_chain(id)?;
        let pos = &self.pf.positions[&id];
        let v = self.cx.position_value(pos, i);
        let name = pos.venue().to_string();
        // Leaving a vault pays its withdrawal fee, as a partial withdrawal and the
        // run's final exit do: taken from the position before it is withdrawn.
        let fee = if pos.vault {
            self.cx.config.vault_fees.withdrawal_fee
        } else {
            0.0
        };
        let fee_usd = match self.pf.positions.get_mut(&id) {
            Some(p) if fee > 0.0 => self.st.take_vault_fee(p, v, fee),
            _ => 0.0,
        };
        self.withdraw_to_wallet(id, i);
        self.st.counts.withdrawals += 1;
        self.log(i, LedgerAction::Withdraw, &name, v, 0.0, 0.0, fee_usd);
        if pay {
            self.pay_gas(&chain, ActionKind::Withdraw, i, 1.0, &name)?;
        }
        Ok(v - fee_usd)
    }
}
