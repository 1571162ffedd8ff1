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
                market: self.market,
                book: &self.book,
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
        let gas0 = -self.att.gas.value();
        match c.iter_mut().find(|(a, _)| *a == 0) {
            Some(usd) => usd.1 += gas0,
            None => c.insert(0, (0, gas0)),
        }
        c.retain(|(_, x)| *x != 0.0);
        self.baseline = c;
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
        let capital = self.config.capital_usd;
        let value = self.value(i);
        if !(value.is_finite() && value.abs() <= MAX_VALUE_USD) {
            return Err(EngineError::Numeric {
                step: i,
                at: format_ts(ts),
                message: self.non_finite(i, value),
            });
        }
        let err = (value - (capital + self.att.total())).abs();
        if !err.is_finite() {
            let buckets = self.att.values();
            let (name, x) = BUCKETS
                .iter()
                .zip(buckets)
                .find(|(_, x)| !x.is_finite())
                .map(|(n, x)| (*n, x))
                .unwrap_or(("total", self.att.total()));
            return Err(EngineError::Numeric {
                step: i,
                at: format_ts(ts),
                message: format!(
                    "the attribution's {name} is {x} (portfolio value {value} USD); a pool's price or liquidity at this step is out of any real range"
                ),
            });
        }
        let hodl: f64 = self
            .baseline
            .iter()
            .map(|(a, amt)| amt * self.book.price(*a, i))
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
        series.buckets.push(self.att.values());
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
            let d = x * dp(&self.book, *a);
            if self.reward_assets.contains(a) {
                self.att.reward_price_change.add(d);
            } else {
                self.att.price_effect.add(d);
            }
        }
        // Positions are taken out of the portfolio while they are marked (no clones).
        let mut positions = std::mem::take(&mut self.pf.positions);
        for pos in positions.values_mut() {
            match &mut pos.kind {
                PosKind::Amm(a) => {
                    let pv = &self.book.pool_list[a.pid];
                    let effect = match pv.token_prices.as_slice() {
                        [t0, t1] => {
                            a.basket[0] * dp(&self.book, *t0) + a.basket[1] * dp(&self.book, *t1)
                        }
                        ts => a
                            .basket
                            .iter()
                            .zip(ts)
                            .map(|(b, t)| b * dp(&self.book, *t))
                            .sum(),
                    };
                    self.att.price_effect.add(effect);
                    if let Some(r) = pv.reward {
                        self.att
                            .reward_price_change
                            .add(a.pending * dp(&self.book, r));
                    }
                    let il = self.amm_value(a, i) - self.basket_value(a, i);
                    self.att.impermanent_loss.add(il - a.last_il);
                    a.last_il = il;
                }
                PosKind::Lend { asset, amount, .. } => {
                    self.att.price_effect.add(*amount * dp(&self.book, *asset));
                }
                PosKind::Yield {
                    asset, principal, ..
                } => {
                    self.att
                        .price_effect
                        .add(*principal * dp(&self.book, *asset));
                }
            }
        }
        self.pf.positions = positions;
    }

    pub(super) fn accrue(&mut self, i: usize) -> Result<(), EngineError> {
        let dt = (self.market.grid.at(i) - self.market.grid.at(i - 1)) as f64;
        let mut positions = std::mem::take(&mut self.pf.positions);
        let mut result = Ok(());
        for pos in positions.values_mut() {
            // A position waiting out an unbonding delay earns only where the venue says so.
            if pos.exit.as_ref().is_some_and(|e| !e.earns) {
                continue;
            }
            result = match &mut pos.kind {
                PosKind::Amm(a) => self.accrue_amm(a, i, dt),
                PosKind::Lend {
                    market,
                    asset,
                    amount,
                    ..
                } => self.accrue_lend(market, *asset, amount, i, dt),
                PosKind::Yield {
                    pid,
                    principal,
                    asset,
                    ..
                } => {
                    self.accrue_yield(*pid, principal, *asset, i, dt);
                    Ok(())
                }
            };
            if result.is_err() {
                break;
            }
        }
        self.pf.positions = positions;
        result
    }

    /// An AMM position's fees and rewards over the bar ending at step `i` (`dt` seconds);
    /// fees compound into the position where its pool kind does so on-chain.
    #[inline]
    fn accrue_amm(&mut self, a: &mut AmmPos, i: usize, dt: f64) -> Result<(), EngineError> {
        let pv = &self.book.pool_list[a.pid];
        let ours = self.amm_value(a, i - 1);
        let (model, fee_income, in_range) = pv
            .fee_income(&self.book, i, a.range, a.l, ours)
            .map_err(|message| EngineError::Numeric {
                step: i,
                at: format_ts(self.market.grid.at(i)),
                message,
            })?;
        self.fee_steps[a.pid][model.index()] += 1;
        if a.range.is_some() {
            self.counts.steps_with_range += 1;
            self.counts.steps_in_range += in_range;
        }
        let mut reward_usd = 0.0;
        if let (Some(r), Some(tvl)) = (pv.reward, &pv.tvl) {
            let share = ours / (tvl[i - 1] + ours);
            let pr = self.book.price(r, i);
            // Emissions from the APY series (USD; a compounded APY as
            // per-step growth), else from a fixed token rate.
            if let Some(apy) = &pv.apy_reward {
                reward_usd =
                    self.growth(a.pid, 1, apy[i - 1], dt / SECS_PER_YEAR) * tvl[i - 1] * share;
                a.pending += reward_usd / pr;
            } else if let Some(per_day) = pv.meta.reward_per_day {
                let tokens = per_day * dt / 86_400.0 * share;
                reward_usd = tokens * pr;
                a.pending += tokens;
            }
        }
        // A pool known by its yields: its reward APY has no token in the
        // data; it is paid as value, like its fees (stated in the report).
        if let (true, None, Some(apy)) = (pv.known_by_yields(), pv.reward, &pv.apy_reward) {
            let tvl = pv.tvl.as_ref().map(|t| t[i - 1]).unwrap_or(f64::NAN);
            reward_usd = ours
                * self.growth(a.pid, 1, apy[i - 1], dt / SECS_PER_YEAR)
                * crate::fees::dilution(tvl, ours);
            a.fees_usd += reward_usd;
        }
        self.att.fees.add(fee_income);
        self.att.rewards.add(reward_usd);
        a.fees_usd += fee_income;
        // Constant-product, StableSwap and weighted pools compound fees into
        // the position on-chain; concentrated positions hold them uncollected
        // until collected (rebalance, harvest, close), as v3 does
        // (`pool::Model::FEES_COMPOUND`).
        if a.kind.fees_compound() && a.fees_usd > 0.0 {
            let fees = a.fees_usd;
            a.fees_usd = 0.0;
            self.add_liquidity_value(a, fees, i);
        }
        Ok(())
    }

    /// A loan's interest over the bar, at its market's supply rate (per-second
    /// compounding).
    #[inline]
    fn accrue_lend(
        &mut self,
        market: &str,
        asset: usize,
        amount: &mut f64,
        i: usize,
        dt: f64,
    ) -> Result<(), EngineError> {
        let rate = self
            .market
            .rate(market)
            .and_then(|r| r.field(Field::SupplyApr))
            .ok_or_else(|| {
                EngineError::Spec(format!(
                    "lending market '{market}' has no supply_apr series"
                ))
            })?;
        let growth = lending::compounded_per_second(rate[i - 1], dt);
        let earned = *amount * (growth - 1.0);
        self.att.interest.add(earned * self.book.price(asset, i));
        *amount += earned;
        Ok(())
    }

    /// A yield stream's fees and rewards over the bar: the published APYs are compounded
    /// (DefiLlama's apyBase/apyReward): per-step growth (1 + APY)^(dt/year) − 1, diluted
    /// by our capital.
    #[inline]
    fn accrue_yield(&mut self, pid: usize, principal: &mut f64, asset: usize, i: usize, dt: f64) {
        let pv = &self.book.pool_list[pid];
        let price = self.book.price(asset, i);
        let ours = *principal * self.book.price(asset, i - 1);
        let tvl = pv.tvl.as_ref().map(|t| t[i - 1]).unwrap_or(f64::NAN);
        let dil = crate::fees::dilution(tvl, ours);
        let years = dt / SECS_PER_YEAR;
        let base = pv.apy_base.as_ref().map(|a| a[i - 1]).unwrap_or(0.0);
        let rew = pv.apy_reward.as_ref().map(|a| a[i - 1]).unwrap_or(0.0);
        let fee = *principal * self.growth(pid, 0, base, years) * dil;
        let reward = *principal * self.growth(pid, 1, rew, years) * dil;
        self.att.fees.add(fee * price);
        self.att.rewards.add(reward * price);
        *principal += fee + reward;
    }

    /// `fees::apy_growth(apy, years)` for pool `pid`'s series `k` (0 base, 1 reward),
    /// from the last value where the APY and the step repeat.
    #[inline]
    pub(super) fn growth(&self, pid: usize, k: usize, apy: f64, years: f64) -> f64 {
        let c = &self.apy_growth[pid][k];
        let (a, y, g) = c.get();
        if a == apy && y == years {
            return g;
        }
        let g = crate::fees::apy_growth(apy, years);
        c.set((apy, years, g));
        g
    }

    pub(super) fn management_fee(&mut self, i: usize) {
        let dt = (self.market.grid.at(i) - self.market.grid.at(i - 1)) as f64;
        let cut = self.config.vault_fees.management_fee * dt / SECS_PER_YEAR;
        self.charge_vaults(i, cut, None);
    }

    pub(super) fn exit_fees(&mut self, i: usize) {
        self.charge_vaults(
            i,
            self.config.vault_fees.withdrawal_fee,
            Some(LedgerAction::WithdrawalFee),
        );
    }

    /// Takes `fraction` of every vault position as a vault fee.
    pub(super) fn charge_vaults(&mut self, i: usize, fraction: f64, log: Option<LedgerAction>) {
        if fraction <= 0.0 {
            return;
        }
        // Positions are taken out while they are charged (no allocation per step).
        let mut positions = std::mem::take(&mut self.pf.positions);
        for p in positions.values_mut().filter(|p| p.vault) {
            let v = self.position_value(p, i);
            scale(p, 1.0 - fraction);
            self.att.vault_fees.add(-v * fraction);
            if let Some(action) = log {
                self.log(i, action, "vault", v, 0.0, 0.0, v * fraction);
            }
        }
        self.pf.positions = positions;
    }

    /// Scales a position by `k` (fees taken from it, haircuts).
    pub(super) fn scale_position(&mut self, id: u32, k: f64) {
        if let Some(p) = self.pf.positions.get_mut(&id) {
            scale(p, k);
        }
    }

    pub(super) fn exploits(&mut self, i: usize) {
        if self.book.exploits.is_empty() {
            return;
        }
        let hits: Vec<(String, f64)> = self
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
                .filter(|(_, p)| match &p.kind {
                    PosKind::Amm(a) => a.pool == pool,
                    PosKind::Yield { pool: q, .. } => *q == pool,
                    PosKind::Lend { market, .. } => *market == pool,
                })
                .map(|(k, _)| *k)
                .collect();
            for id in ids {
                let v = self.position_value(&self.pf.positions[&id], i);
                self.scale_position(id, 1.0 - haircut);
                self.att.event_losses.add(-v * haircut);
                self.log(i, LedgerAction::Exploit, &pool, v * haircut, 0.0, 0.0, 0.0);
            }
        }
    }

    pub(super) fn update_locked(&mut self, i: usize) {
        if self.locked.is_empty() && self.locked_now == 0.0 {
            return;
        }
        let t = self.market.grid.at(i);
        let now: f64 = self
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
        self.locked.retain(|(_, _, b)| t < *b);
        self.att.unreleased_profit.add(self.locked_now - now);
        self.locked_now = now;
    }

    /// Completes the withdrawals whose wait is over at step `i`, in position order, then
    /// the deposits whose window has opened, in the order they were asked for.
    pub(super) fn complete_exits(&mut self, i: usize) -> Result<(), EngineError> {
        let ts = self.market.grid.at(i);
        self.complete_withdrawals(i)?;
        if self.pending_deposits.iter().any(|d| d.0 <= ts) {
            let (due, wait): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending_deposits)
                .into_iter()
                .partition(|d| d.0 <= ts);
            self.pending_deposits = wait;
            for (_, target, budget) in due {
                let have = self.wallet_value(i);
                self.open(target, budget.min(have), i, ActionKind::Deposit)?;
            }
        }
        Ok(())
    }

    pub(super) fn complete_withdrawals(&mut self, i: usize) -> Result<(), EngineError> {
        let ts = self.market.grid.at(i);
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
                    let gas = self.gas_usd(&chain, ActionKind::Withdraw, i)?;
                    let funds = self.wallet_value(i) + self.value_of(id, i)?;
                    match self.unaffordable("withdraw", gas, funds) {
                        Some(r) => {
                            let name = self.position_name(id);
                            self.skip(i, "withdraw", &name, r);
                        }
                        None => self.close(id, i, true)?,
                    }
                }
            }
        }
        Ok(())
    }
}
