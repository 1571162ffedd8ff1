//! Opening a position: deposit windows, gas, buying the tokens, the position's entry.

use super::*;

impl<'a> Engine<'a> {
    /// Opens a position with up to `budget` USD of the wallet, keeping what its gas
    /// costs; returns its id, or the reason it was skipped (the wallet cannot pay the gas).
    pub(super) fn open(
        &mut self,
        target: Target,
        budget: f64,
        i: usize,
        gas_kind: ActionKind,
    ) -> Result<(Outcome, Option<u32>), EngineError> {
        let target_name = match &target {
            Target::Pool { pool, .. } | Target::Yield { pool } => pool.clone(),
            Target::Lend { market, .. } => market.clone(),
        };
        let Some(target) = self.wait_for_window(target, &target_name, budget, i, gas_kind)? else {
            return Ok((Outcome::Done, None));
        };
        let gas_chain = self.target_chain(&target)?;
        let gas = self.cx.gas_usd(&gas_chain, gas_kind, i)?;
        let have = self.wallet_value(i);
        if let Some(r) = self.cx.unaffordable(gas_kind.name(), gas, have) {
            return Ok((self.skip(i, gas_kind.name(), &target_name, r), None));
        }
        let budget = budget.min(have - self.cx.reserve(gas)).max(0.0);
        let (kind, chain, name, vault) = match target {
            Target::Pool { pool, range, vault } => {
                self.enter_pool(pool, range, vault, budget, i)?
            }
            Target::Lend {
                market,
                asset,
                chain,
                vault,
            } => self.enter_lend(market, asset, chain, vault, budget, i)?,
            Target::Yield { pool } => self.enter_yield(pool, budget, i)?,
        };
        let (id, v) = self.insert_position(kind, vault, &name, i)?;
        // A rebalance is one action, one row and one count (not a withdrawal and a deposit).
        if gas_kind == ActionKind::Deposit {
            self.st.counts.deposits += 1;
        }
        self.log(i, gas_kind.into(), &name, v, 0.0, 0.0, 0.0);
        debug_assert_eq!(chain, gas_chain);
        self.charge_gas(gas, gas_kind, i, &name);
        Ok((Outcome::Done, Some(id)))
    }

    /// A deposit into a venue with deposit windows waits in the wallet for the next
    /// window while step `i` is outside one (`None`: it was queued and logged); any
    /// other action, or a deposit inside a window, goes on (the target back).
    fn wait_for_window(
        &mut self,
        target: Target,
        target_name: &str,
        budget: f64,
        i: usize,
        gas_kind: ActionKind,
    ) -> Result<Option<Target>, EngineError> {
        // Rebalances are not deposits.
        if gas_kind != ActionKind::Deposit {
            return Ok(Some(target));
        }
        let Some(next) = self.next_window(target_name, i)? else {
            return Ok(Some(target));
        };
        let v = budget.min(self.wallet_value(i)).max(0.0);
        self.st.pending_deposits.push((next, target, budget));
        self.log_note(
            i,
            LedgerAction::DepositWait,
            target_name,
            v,
            format!(
                "deposits open only in the venue's windows; the next opens at {}",
                format_ts(next)
            ),
        );
        Ok(None)
    }

    /// Adds an entered position under the next id, with its venue's lock and (for a
    /// pool) its IL at entry booked; its id and value.
    fn insert_position(
        &mut self,
        mut kind: PosKind,
        vault: bool,
        name: &str,
        i: usize,
    ) -> Result<(u32, f64), EngineError> {
        let id = self.pf.next_id;
        self.pf.next_id += 1;
        self.pf.version += 1;
        let lock = self
            .cx
            .config
            .pools
            .get(name)
            .map(|s| s.lock_secs())
            .transpose()
            .map_err(EngineError::Spec)?
            .unwrap_or(0);
        if let PosKind::Amm(a) = &mut kind {
            let il = self.cx.amm_value(a, i) - self.cx.basket_value(a, i);
            a.last_il = il;
            self.st.att.impermanent_loss.add(il);
        }
        let pos = Position {
            kind,
            opened: i,
            vault,
            locked_until: (lock > 0).then(|| self.cx.market.grid.at(i).saturating_add(lock)),
            exit: None,
        };
        let v = self.cx.position_value(&pos, i);
        self.pf.positions.insert(id, pos);
        Ok((id, v))
    }

    /// The next deposit window of a venue that takes deposits only in windows, when
    /// step `i` is outside one.
    fn next_window(&self, venue: &str, i: usize) -> Result<Option<Timestamp>, EngineError> {
        let set = self.cx.config.pools.get(venue).cloned().unwrap_or_default();
        set.next_deposit_window(self.cx.market.grid.at(i))
            .map_err(EngineError::Spec)
    }

    /// The entry into a pool position of `budget` USD: checks the pool, funds its
    /// liquidity; (kind, chain, venue name, vault).
    fn enter_pool(
        &mut self,
        pool: String,
        range: Option<(f64, f64)>,
        vault: bool,
        budget: f64,
        i: usize,
    ) -> Result<(PosKind, String, String, bool), EngineError> {
        let pv = self.cx.book.pool_arc(&pool)?;
        if !book::is_amm(&pv) {
            return Err(EngineError::Spec(match pv.meta.coins_error() {
                Some(m) => m,
                None => format!("pool '{pool}' has no price series"),
            }));
        }
        if pv.volume.is_some() && pv.fees_usd.is_none() && pv.fee_at(i).is_none() {
            return Err(EngineError::Spec(format!("pool '{pool}' has volume but no fee rate: give `fee` in its [[pools]] entry or a fee_rate series")));
        }
        if let Err(m) = &pv.fee {
            return Err(EngineError::Spec(m.clone()));
        }
        let p = pv.price.as_ref().map_or(f64::NAN, |s| s[i]);
        let kind = pv.meta.kind;
        let range = match range {
            Some((lo, hi)) => {
                if !kind.ranges() {
                    return Err(EngineError::Spec(format!(
                        "a price range needs a concentrated pool; '{pool}' is {kind}"
                    )));
                }
                if !(lo > 0.0 && hi > lo && lo.is_finite() && hi.is_finite()) {
                    return Err(EngineError::Spec(format!(
                        "range [{lo}, {hi}] must have 0 < lower < upper"
                    )));
                }
                Some((lo.sqrt(), hi.sqrt()))
            }
            None => None,
        };
        self.st.fee_pools.insert(self.cx.book.pool_ids[&pool]);
        let mut a = AmmPos {
            pool: pool.clone(),
            pid: self.cx.book.pool_ids[&pool],
            kind,
            l: 1.0,
            range,
            basket: [0.0; MAX_COINS],
            last_il: 0.0,
            fees_usd: 0.0,
            pending: 0.0,
            unit: [UnitCache::empty(), UnitCache::empty()],
        };
        let u = self.cx.amounts(&a, i);
        let per_l = self.cx.amounts_value(&pv, &u, i);
        let l_target = budget / per_l;
        let _ = p;
        let (l, amounts) = self.fund_liquidity(a.pid, u, l_target, i)?;
        a.l = l;
        a.basket = amounts;
        let chain = pv.meta.chain.clone();
        Ok((PosKind::Amm(a), chain, pool, vault))
    }

    /// The entry into a lending supply of `budget` USD; (kind, chain, venue name, vault).
    fn enter_lend(
        &mut self,
        market: String,
        asset: String,
        chain: String,
        vault: bool,
        budget: f64,
        i: usize,
    ) -> Result<(PosKind, String, String, bool), EngineError> {
        let rate = self.cx.market.rate(&market).ok_or_else(|| {
            let known: Vec<&str> = self.cx.market.rates.keys().map(String::as_str).collect();
            EngineError::Spec(format!(
                "lending market '{market}' is not in the market{}; markets: {}",
                crate::names::suggest(&market, known.iter().copied()),
                crate::names::list_names(known.iter().copied())
            ))
        })?;
        if rate.field(Field::SupplyApr).is_none() {
            return Err(EngineError::Spec(format!(
                "lending market '{market}' has no supply_apr over the run"
            )));
        }
        let k = self.cx.book.asset(&asset)?;
        let amount = budget / self.cx.book.price(k, i);
        self.acquire(k, amount, &[], None, i)?;
        let have = self.pf.wallet.get(&k).copied().unwrap_or(0.0).min(amount);
        *self.pf.wallet.entry(k).or_default() -= have;
        Ok((
            PosKind::Lend {
                market: market.clone(),
                asset: k,
                amount: have,
                chain: chain.clone(),
            },
            chain,
            market,
            vault,
        ))
    }

    /// The entry into a yield-only pool's principal of `budget` USD; (kind, chain, venue
    /// name, vault).
    fn enter_yield(
        &mut self,
        pool: String,
        budget: f64,
        i: usize,
    ) -> Result<(PosKind, String, String, bool), EngineError> {
        let pv = self.cx.book.pool_arc(&pool)?;
        if pv.apy_base.is_none() && pv.apy_reward.is_none() {
            return Err(EngineError::Spec(format!(
                "pool '{pool}' has no apy_base or apy_reward over the run"
            )));
        }
        let asset = pv.exposure.ok_or_else(|| {
            EngineError::Spec(format!(
                "pool '{pool}' has a price (from the data or its tokens): it is held as a pool position, not a yield stream"
            ))
        })?;
        let pid = self.cx.book.pool_ids[&pool];
        self.st.yield_pools.insert(pid);
        let have = self.fund_usd(budget, pid, i)?;
        Ok((
            PosKind::Yield {
                pool: pool.clone(),
                pid,
                principal: have / self.cx.book.price(asset, i),
                asset,
            },
            pv.meta.chain.clone(),
            pool,
            false,
        ))
    }
}
