//! The phases of a step: before the strategy acts, mark to the step's prices, accrue
//! what the bar earned, vault management fees, stress events, locked profit, and the
//! exits and deposits whose wait is over; then its decisions, the checked value (the
//! identity, the HODL baseline) and the step's record.

use super::*;

impl<'a> Engine<'a> {
    /// Step `i`'s decisions: the strategy's actions (unless it said it is idle until a
    /// later time), each executed and its outcome reported back.
    #[inline]
    pub(super) fn decide(
        &mut self,
        strategy: &mut dyn Strategy,
        i: usize,
        ts: Timestamp,
        idle_until: &mut Option<Timestamp>,
    ) -> Result<(), EngineError> {
        let actions = if idle_until.is_some_and(|t| ts < t) {
            Vec::new()
        } else {
            let view = View {
                i,
                ts,
                market: self.cx.market,
                book: &self.cx.book,
                portfolio: &self.pf,
                engine: self,
                scope: None,
            };
            let actions = strategy.on_step(&view)?;
            *idle_until = strategy.idle_until();
            actions
        };
        for (k, a) in actions.iter().enumerate() {
            let next_id = self.pf.next_id;
            match self.execute(a, i)? {
                Outcome::Skipped(reason) => {
                    strategy.skipped(k, a, &reason);
                    *idle_until = strategy.idle_until();
                }
                Outcome::Done => {
                    if matches!(a, Action::Open { .. }) && self.pf.next_id > next_id {
                        strategy.opened(k, next_id);
                    }
                }
            }
        }
        Ok(())
    }

    /// The HODL baseline: the tokens the run started with (the entry gas paid from the
    /// wallet is not part of it).
    pub(super) fn set_baseline(&mut self) {
        // The baseline holds the tokens the run started with: the entry gas
        // paid from the wallet is not part of it.
        let mut c = self.composition(0);
        let gas0 = -self.st.att.gas.value();
        match c.iter_mut().find(|(a, _)| *a == 0) {
            Some(usd) => usd.1 += gas0,
            None => c.insert(0, (0, gas0)),
        }
        c.retain(|(_, x)| *x != 0.0);
        self.st.baseline = c;
    }

    /// Step `i`'s portfolio value, its distance from capital + attribution (the
    /// identity), and the HODL baseline's value; a value that is not finite, or out of
    /// any real range, is an error naming its cause.
    #[inline]
    pub(super) fn checked_value(
        &self,
        i: usize,
        ts: Timestamp,
    ) -> Result<(f64, f64, f64), EngineError> {
        let capital = self.cx.config.capital_usd;
        let value = self.value(i);
        if !(value.is_finite() && value.abs() <= MAX_VALUE_USD) {
            return Err(EngineError::Numeric {
                step: i,
                at: format_ts(ts),
                message: self.non_finite(i, value),
            });
        }
        let err = (value - (capital + self.st.att.total())).abs();
        if !err.is_finite() {
            let buckets = self.st.att.values();
            let (name, x) = BUCKETS
                .iter()
                .zip(buckets)
                .find(|(_, x)| !x.is_finite())
                .map(|(n, x)| (*n, x))
                .unwrap_or(("total", self.st.att.total()));
            return Err(EngineError::Numeric {
                step: i,
                at: format_ts(ts),
                message: format!(
                    "the attribution's {name} is {x} (portfolio value {value} USD); a pool's price or liquidity at this step is out of any real range"
                ),
            });
        }
        let hodl: f64 = self
            .st
            .baseline
            .iter()
            .map(|(a, amt)| amt * self.cx.book.price(*a, i))
            .sum();
        if !hodl.is_finite() {
            return Err(EngineError::Numeric {
                step: i,
                at: format_ts(ts),
                message: format!("the HODL baseline's value is {hodl}; check the prices of the tokens the run started with"),
            });
        }
        Ok((value, err, hodl))
    }

    /// Records step `i`'s buckets and allocation (full runs).
    #[inline]
    pub(super) fn record_step(&self, series: &mut Series, alloc_key: &mut Option<(u64, u32)>) {
        series.buckets.push(self.st.att.values());
        // The label changes only when positions open or close.
        let id = match *alloc_key {
            Some((v, id)) if v == self.pf.version => id,
            _ => {
                let label = self.allocation();
                let id = match series.allocation_labels.iter().position(|l| *l == label) {
                    Some(k) => k as u32,
                    None => {
                        series.allocation_labels.push(label);
                        (series.allocation_labels.len() - 1) as u32
                    }
                };
                *alloc_key = Some((self.pf.version, id));
                id
            }
        };
        series.allocation.push(id);
    }

    // ---------------------------------------------------------------- steps

    pub(super) fn mark(&mut self, i: usize) {
        let dp = |book: &Book, a: usize| book.price(a, i) - book.price(a, i - 1);
        for (a, x) in &self.pf.wallet {
            if *a == 0 || *x == 0.0 {
                continue;
            }
            let d = x * dp(&self.cx.book, *a);
            if self.cx.reward_assets.contains(a) {
                self.st.att.reward_price_change.add(d);
            } else {
                self.st.att.price_effect.add(d);
            }
        }
        // The positions are valued through the context while the state books them.
        let (cx, att) = (&self.cx, &mut self.st.att);
        for pos in self.pf.positions.values_mut() {
            match &mut pos.kind {
                PosKind::Amm(a) => {
                    let pv = &cx.book.pool_list[a.pid];
                    let effect = match pv.token_prices.as_slice() {
                        [t0, t1] => {
                            a.basket[0] * dp(&cx.book, *t0) + a.basket[1] * dp(&cx.book, *t1)
                        }
                        ts => a
                            .basket
                            .iter()
                            .zip(ts)
                            .map(|(b, t)| b * dp(&cx.book, *t))
                            .sum(),
                    };
                    att.price_effect.add(effect);
                    if let Some(r) = pv.reward {
                        att.reward_price_change.add(a.pending * dp(&cx.book, r));
                    }
                    let il = cx.amm_value(a, i) - cx.basket_value(a, i);
                    att.impermanent_loss.add(il - a.last_il);
                    a.last_il = il;
                }
                PosKind::Lend { asset, amount, .. } => {
                    att.price_effect.add(*amount * dp(&cx.book, *asset));
                }
                PosKind::Yield {
                    asset, principal, ..
                } => {
                    att.price_effect.add(*principal * dp(&cx.book, *asset));
                }
            }
        }
    }

    pub(super) fn accrue(&mut self, i: usize) -> Result<(), EngineError> {
        let dt = (self.cx.market.grid.at(i) - self.cx.market.grid.at(i - 1)) as f64;
        let (cx, st) = (&self.cx, &mut self.st);
        let mut result = Ok(());
        for pos in self.pf.positions.values_mut() {
            // A position waiting out an unbonding delay earns only where the venue says so.
            if pos.exit.as_ref().is_some_and(|e| !e.earns) {
                continue;
            }
            result = match &mut pos.kind {
                PosKind::Amm(a) => st.accrue_amm(cx, a, i, dt),
                PosKind::Lend {
                    market,
                    asset,
                    amount,
                    ..
                } => st.accrue_lend(cx, market, *asset, amount, i, dt),
                PosKind::Yield {
                    pid,
                    principal,
                    asset,
                    ..
                } => {
                    st.accrue_yield(cx, *pid, principal, *asset, i, dt);
                    Ok(())
                }
            };
            if result.is_err() {
                break;
            }
        }
        result
    }

    pub(super) fn management_fee(&mut self, i: usize) {
        let dt = (self.cx.market.grid.at(i) - self.cx.market.grid.at(i - 1)) as f64;
        let cut = self.cx.config.vault_fees.management_fee * dt / SECS_PER_YEAR;
        self.charge_vaults(i, cut, None);
    }

    pub(super) fn exit_fees(&mut self, i: usize) {
        self.charge_vaults(
            i,
            self.cx.config.vault_fees.withdrawal_fee,
            Some(LedgerAction::WithdrawalFee),
        );
    }

    /// Takes `fraction` of every vault position as a vault fee.
    pub(super) fn charge_vaults(&mut self, i: usize, fraction: f64, log: Option<LedgerAction>) {
        if fraction <= 0.0 {
            return;
        }
        let (cx, st) = (&self.cx, &mut self.st);
        for p in self.pf.positions.values_mut().filter(|p| p.vault) {
            let v = cx.position_value(p, i);
            st.take_vault_fee(p, v, fraction);
            if let Some(action) = log {
                st.entry(
                    cx,
                    i,
                    action,
                    "vault",
                    [v, 0.0, 0.0, v * fraction],
                    String::new(),
                );
            }
        }
    }

    /// Scales a position by `k` (fees taken from it, haircuts).
    pub(super) fn scale_position(&mut self, id: u32, k: f64) {
        if let Some(p) = self.pf.positions.get_mut(&id) {
            scale(p, k);
        }
    }

    pub(super) fn exploits(&mut self, i: usize) {
        if self.cx.book.exploits.is_empty() {
            return;
        }
        let hits: Vec<(String, f64)> = self
            .cx
            .book
            .exploits
            .iter()
            .filter(|(s, _, _)| *s == i)
            .map(|(_, p, h)| (p.clone(), *h))
            .collect();
        for (pool, haircut) in hits {
            let ids: Vec<u32> = self
                .pf
                .positions
                .iter()
                .filter(|(_, p)| p.venue() == pool)
                .map(|(k, _)| *k)
                .collect();
            for id in ids {
                let v = self.cx.position_value(&self.pf.positions[&id], i);
                self.scale_position(id, 1.0 - haircut);
                self.st.att.event_losses.add(-v * haircut);
                self.log(i, LedgerAction::Exploit, &pool, v * haircut, 0.0, 0.0, 0.0);
            }
        }
    }

    pub(super) fn update_locked(&mut self, i: usize) {
        if self.st.locked.is_empty() && self.st.locked_now == 0.0 {
            return;
        }
        let t = self.cx.market.grid.at(i);
        let now: f64 = self
            .st
            .locked
            .iter()
            .map(|(x, a, b)| {
                if t >= *b {
                    0.0
                } else {
                    x * (*b - t) as f64 / (*b - *a) as f64
                }
            })
            .sum();
        self.st.locked.retain(|(_, _, b)| t < *b);
        self.st.att.unreleased_profit.add(self.st.locked_now - now);
        self.st.locked_now = now;
    }

    /// Completes the withdrawals whose wait is over at step `i`, in position order, then
    /// the deposits whose window has opened, in the order they were asked for.
    pub(super) fn complete_exits(&mut self, i: usize) -> Result<(), EngineError> {
        let ts = self.cx.market.grid.at(i);
        self.complete_withdrawals(i)?;
        if self.st.pending_deposits.iter().any(|d| d.0 <= ts) {
            let (due, wait): (Vec<_>, Vec<_>) = std::mem::take(&mut self.st.pending_deposits)
                .into_iter()
                .partition(|d| d.0 <= ts);
            self.st.pending_deposits = wait;
            for (_, target, budget) in due {
                let have = self.wallet_value(i);
                self.open(target, budget.min(have), i, ActionKind::Deposit)?;
            }
        }
        Ok(())
    }

    pub(super) fn complete_withdrawals(&mut self, i: usize) -> Result<(), EngineError> {
        let ts = self.cx.market.grid.at(i);
        let due: Vec<(u32, Option<Target>)> = self
            .pf
            .positions
            .iter()
            .filter_map(|(id, p)| {
                p.exit
                    .as_ref()
                    .filter(|e| e.ready_at <= ts)
                    .map(|e| (*id, e.then.clone()))
            })
            .collect();
        for (id, then) in due {
            if let Some(p) = self.pf.positions.get_mut(&id) {
                p.exit = None;
            }
            match then {
                Some(to) => {
                    self.do_move(id, &to, i)?;
                }
                None => {
                    let chain = self.position_chain(id)?;
                    let gas = self.cx.gas_usd(&chain, ActionKind::Withdraw, i)?;
                    let funds = self.wallet_value(i) + self.value_of(id, i)?;
                    match self.cx.unaffordable("withdraw", gas, funds) {
                        Some(r) => {
                            let name = self.position_name(id);
                            self.skip(i, "withdraw", &name, r);
                        }
                        None => {
                            self.close(id, i, true)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

impl State {
    /// Takes `fraction` of a vault position worth `v` as a vault fee: the position
    /// shrinks by it and the fee is booked; the fee in USD. Every vault charge goes
    /// through here: management fees, withdrawal fees on a close and at the end.
    pub(super) fn take_vault_fee(&mut self, p: &mut Position, v: f64, fraction: f64) -> f64 {
        scale(p, 1.0 - fraction);
        self.att.vault_fees.add(-v * fraction);
        v * fraction
    }
}
