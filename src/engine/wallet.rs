//! The wallet: buying the tokens an action needs (each swap's fee and price impact
//! through the pool, or the reward-swap model), and taking a position's holdings back.

use super::*;

impl<'a> Engine<'a> {
    /// Makes the wallet hold at least `amount` of `target`, selling other holdings
    /// (USD first) except `keep`; one swap's cost on the value sold. Free at step 0.
    pub(super) fn acquire(
        &mut self,
        target: usize,
        amount: f64,
        keep: &[usize],
        cost_pool: Option<usize>,
        i: usize,
    ) -> Result<(), EngineError> {
        let have = self.pf.wallet.get(&target).copied().unwrap_or(0.0);
        if have >= amount {
            return Ok(());
        }
        let pt = self.cx.book.price(target, i);
        let mut short = (amount - have) * pt;
        let mut sold = 0.0;
        // Selling changes amounts, never which assets the wallet holds: walk it by slot.
        for k in 0..self.pf.wallet.len() {
            if short <= 0.0 {
                break;
            }
            let (a, &x) = self.pf.wallet.slot(k);
            if a == target || keep.contains(&a) || x <= 0.0 {
                continue;
            }
            let pa = self.cx.book.price(a, i);
            let take = (x * pa).min(short);
            *self.pf.wallet.slot_mut(k) -= take / pa;
            short -= take;
            sold += take;
        }
        if sold <= 0.0 {
            return Ok(());
        }
        let cost = if i == 0 {
            0.0
        } else {
            match cost_pool.map(|p| &self.cx.book.pool_list[p]) {
                Some(pv) => self.cx.pool_swap_cost(pv, sold, i)?,
                None => self.cx.config.reward_swap.cost(sold),
            }
        };
        *self.pf.wallet.entry(target).or_default() += (sold - cost) / pt;
        if i > 0 {
            self.st.att.swap_costs.add(-cost);
            self.st.counts.swaps += 1;
            let name = self.log_name(target);
            self.log(i, LedgerAction::Swap, &name, sold, 0.0, cost, 0.0);
        }
        Ok(())
    }

    /// Makes the wallet hold `need[j]` of each of pool `pool`'s coins `tokens[j]`: covers
    /// what is missing from other holdings first (USD first), then by swapping the
    /// surplus of one coin into another (through the pool, paying its fee and price
    /// impact).
    pub(super) fn acquire_basket(
        &mut self,
        tokens: &[usize],
        need: &Amounts,
        pool: usize,
        i: usize,
    ) -> Result<(), EngineError> {
        // Each coin is bought from other holdings (USD first), never from the pool's
        // other coins (`acquire` never sells the coin it buys).
        for (j, t) in tokens.iter().enumerate() {
            self.acquire(*t, need[j], tokens, Some(pool), i)?;
        }
        let n = tokens.len();
        for (ja, jb) in (0..n * n).map(|k| (k / n, k % n)) {
            if ja == jb {
                continue;
            }
            let (a, na, b, nb) = (tokens[ja], need[ja], tokens[jb], need[jb]);
            let have_a = self.pf.wallet.get(&a).copied().unwrap_or(0.0);
            let have_b = self.pf.wallet.get(&b).copied().unwrap_or(0.0);
            let deficit = (na - have_a).max(0.0) * self.cx.book.price(a, i);
            let surplus = (have_b - nb).max(0.0) * self.cx.book.price(b, i);
            let v = deficit.min(surplus);
            if v <= 0.0 {
                continue;
            }
            let cost = if i == 0 {
                0.0
            } else {
                self.cx
                    .pool_swap_cost(&self.cx.book.pool_list[pool], v, i)?
            };
            *self.pf.wallet.entry(b).or_default() -= v / self.cx.book.price(b, i);
            *self.pf.wallet.entry(a).or_default() += (v - cost) / self.cx.book.price(a, i);
            if i > 0 {
                self.st.att.swap_costs.add(-cost);
                self.st.counts.swaps += 1;
                let name = self.log_name(a);
                self.log(i, LedgerAction::Swap, &name, v, 0.0, cost, 0.0);
            }
        }
        Ok(())
    }

    /// Moves a position's tokens, fees and rewards into the wallet and removes it.
    pub(super) fn withdraw_to_wallet(&mut self, id: u32, i: usize) {
        let Some(pos) = self.pf.positions.remove(&id) else {
            return;
        };
        self.put_in_wallet(pos, i);
    }

    /// Puts what a position holds (taken out of the portfolio) into the wallet.
    pub(super) fn put_in_wallet(&mut self, pos: Position, i: usize) {
        match pos.kind {
            PosKind::Amm(a) => {
                let amounts = self.cx.amounts(&a, i);
                let pv = &self.cx.book.pool_list[a.pid];
                let r = pv.reward;
                // The position's IL stays in its bucket; the wallet now holds the tokens.
                // Re-base: the wallet's tokens are worth the LP value; the difference
                // between that and the basket is the IL already booked.
                for (x, t) in amounts.iter().zip(&pv.token_prices) {
                    *self.pf.wallet.entry(*t).or_default() += x;
                }
                *self.pf.wallet.entry(0).or_default() += a.fees_usd;
                if let Some(r) = r {
                    *self.pf.wallet.entry(r).or_default() += a.pending;
                }
            }
            PosKind::Lend { asset, amount, .. } => {
                *self.pf.wallet.entry(asset).or_default() += amount
            }
            PosKind::Yield {
                principal, asset, ..
            } => *self.pf.wallet.entry(asset).or_default() += principal,
        }
    }

    /// Funds `l_target` units of a position's liquidity in pool `pid` (per-unit amounts
    /// `u`) from the wallet: buys what is missing (`acquire_basket`), takes the tokens
    /// out and returns the liquidity funded (at most `l_target`) and its amounts.
    pub(super) fn fund_liquidity(
        &mut self,
        pid: usize,
        u: Amounts,
        l_target: f64,
        i: usize,
    ) -> Result<(f64, Amounts), EngineError> {
        let pv = std::sync::Arc::clone(&self.cx.book.pool_list[pid]);
        let tokens = &pv.token_prices;
        self.acquire_basket(tokens, &u.map(|x| x * l_target), pid, i)?;
        let l = self.fundable(tokens, &u, &[0.0; MAX_COINS]).min(l_target);
        let amounts = u.map(|x| x * l);
        for (t, x) in tokens.iter().zip(amounts) {
            *self.pf.wallet.entry(*t).or_default() -= x;
        }
        Ok((l, amounts))
    }

    /// The liquidity the wallet's coins fund at unit amounts `u`: the scarcest coin's
    /// holding beyond `before` (what the wallet held before) over its unit amount; 0
    /// where no coin is needed.
    pub(super) fn fundable(&self, tokens: &[usize], u: &Amounts, before: &Amounts) -> f64 {
        let mut l = f64::INFINITY;
        for (j, t) in tokens.iter().enumerate() {
            if u[j] > 0.0 {
                l = l.min((self.pf.wallet.get(t).copied().unwrap_or(0.0) - before[j]) / u[j]);
            }
        }
        if l.is_finite() {
            l
        } else {
            0.0
        }
    }

    /// Takes `budget` USD (at most what the wallet can raise, selling other holdings
    /// through pool `pid`'s cost) out of the wallet for a yield-only principal.
    pub(super) fn fund_usd(
        &mut self,
        budget: f64,
        pid: usize,
        i: usize,
    ) -> Result<f64, EngineError> {
        self.acquire(0, budget, &[], Some(pid), i)?;
        let have = self
            .pf
            .wallet
            .get(&0)
            .copied()
            .unwrap_or(0.0)
            .min(budget)
            .max(0.0);
        *self.pf.wallet.entry(0).or_default() -= have;
        Ok(have)
    }
}
