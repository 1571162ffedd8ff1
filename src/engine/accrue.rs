//! Accrual over a bar: what each position kind earns (fees and rewards of a pool
//! position, interest of a loan, a yield stream's APY). It reads the run's context and
//! books the state; the positions are borrowed apart from both.

use super::*;

impl State {
    /// An AMM position's fees and rewards over the bar ending at step `i` (`dt` seconds);
    /// fees compound into the position where its pool kind does so on-chain.
    #[inline]
    pub(super) fn accrue_amm(
        &mut self,
        cx: &Context<'_>,
        a: &mut AmmPos,
        i: usize,
        dt: f64,
    ) -> Result<(), EngineError> {
        let pv = &cx.book.pool_list[a.pid];
        let ours = cx.amm_value(a, i - 1);
        let (model, fee_income, in_range) = pv
            .fee_income(&cx.book, i, a.range, a.l, ours)
            .map_err(|message| EngineError::Numeric {
                step: i,
                at: format_ts(cx.market.grid.at(i)),
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
            let pr = cx.book.price(r, i);
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
            cx.add_liquidity_value(a, fees, i);
        }
        Ok(())
    }

    /// A loan's interest over the bar, at its market's supply rate (per-second
    /// compounding).
    #[inline]
    pub(super) fn accrue_lend(
        &mut self,
        cx: &Context<'_>,
        market: &str,
        asset: usize,
        amount: &mut f64,
        i: usize,
        dt: f64,
    ) -> Result<(), EngineError> {
        let rate = cx
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
        self.att.interest.add(earned * cx.book.price(asset, i));
        *amount += earned;
        Ok(())
    }

    /// A yield stream's fees and rewards over the bar: the published APYs are compounded
    /// (DefiLlama's apyBase/apyReward): per-step growth (1 + APY)^(dt/year) − 1, diluted
    /// by our capital.
    #[inline]
    pub(super) fn accrue_yield(
        &mut self,
        cx: &Context<'_>,
        pid: usize,
        principal: &mut f64,
        asset: usize,
        i: usize,
        dt: f64,
    ) {
        let pv = &cx.book.pool_list[pid];
        let price = cx.book.price(asset, i);
        let ours = *principal * cx.book.price(asset, i - 1);
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
}
