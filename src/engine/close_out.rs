//! What a run reports at its end besides its series: the cost of closing everything
//! (its liquidation value's difference) and the fee model each pool was accrued under.

use super::*;

impl<'a> Engine<'a> {
    /// The cost of closing everything at step `i`: each position's withdraw gas, and
    /// every token held (in the wallet or the positions) that is not a USD stablecoin
    /// (`STABLE_BAND`) swapped to USD — through the pool it sits in, priced from that
    /// pool's depth, or, for wallet holdings and reward tokens, through the reward-swap
    /// model — with a swap's gas each. Nothing is changed: the mark value stays the
    /// run's value; this is its liquidation value's difference.
    pub(super) fn exit_costs(&self, i: usize) -> Result<ExitCosts, String> {
        let mut exit = ExitCosts::default();
        let mut chains: BTreeSet<String> = BTreeSet::new();
        // (asset, value USD, pool it is swapped through)
        let mut holdings: Vec<(usize, f64, Option<usize>)> = Vec::new();
        for (a, x) in self.pf.wallet.iter() {
            holdings.push((*a, x * self.cx.book.price(*a, i), None));
        }
        for (id, p) in self.pf.positions.iter() {
            let chain = self.chain_of(*id).map_err(|e| e.to_string())?;
            exit.gas += self
                .cx
                .gas_usd(chain, ActionKind::Withdraw, i)
                .map_err(|e| e.to_string())?;
            chains.insert(chain.to_string());
            match &p.kind {
                PosKind::Amm(a) => {
                    let pv = &self.cx.book.pool_list[a.pid];
                    for (amt, t) in self.cx.amounts(a, i).iter().zip(&pv.token_prices) {
                        holdings.push((*t, amt * self.cx.book.price(*t, i), Some(a.pid)));
                    }
                    if let Some(r) = pv.reward {
                        holdings.push((r, a.pending * self.cx.book.price(r, i), None));
                    }
                }
                PosKind::Lend { asset, amount, .. } => {
                    holdings.push((*asset, amount * self.cx.book.price(*asset, i), None));
                }
                PosKind::Yield {
                    asset, principal, ..
                } => {
                    holdings.push((*asset, principal * self.cx.book.price(*asset, i), None));
                }
            }
        }
        let swap_chain = chains
            .iter()
            .next()
            .cloned()
            .map_or_else(|| self.home_chain(None).map_err(|e| e.to_string()), Ok)?;
        let mut swapped: BTreeSet<usize> = BTreeSet::new();
        for (a, value, pool) in holdings {
            let price = self.cx.book.price(a, i);
            let stable = (price - 1.0).abs() <= STABLE_BAND && !self.cx.reward_assets.contains(&a);
            if a == 0 || stable || value.is_nan() || value <= 0.0 {
                continue;
            }
            exit.swaps += match pool {
                Some(pid) => self
                    .cx
                    .pool_swap_cost(&self.cx.book.pool_list[pid], value, i)
                    .map_err(|e| e.to_string())?,
                None => self.cx.config.reward_swap.cost(value),
            };
            if swapped.insert(a) {
                exit.gas += self
                    .cx
                    .gas_usd(&swap_chain, ActionKind::Swap, i)
                    .map_err(|e| e.to_string())?;
            }
        }
        exit.swapped = swapped.len();
        Ok(exit)
    }

    pub(super) fn fee_uses(&self) -> Vec<FeeUse> {
        let amm = self.st.fee_pools.iter().map(|pid| (pid, true));
        let yields = self.st.yield_pools.iter().map(|pid| (pid, false));
        let mut uses: Vec<FeeUse> =
            amm.chain(yields)
                .map(|(pid, is_amm)| {
                    let pv = &self.cx.book.pool_list[*pid];
                    let price_source = match (&pv.price_twin, pv.price_from_tokens, pv.exposure) {
                        (Some(twin), _, _) => format!(
                            "the price of the dataset's pool '{twin}' (same address and chain)"
                        ),
                        (None, true, _) if pv.meta.priced_by_coins() => format!(
                            "its coins' USD prices ({}; no pool price in the data): the pool's balances are the {} invariant's state at those prices",
                            pv.meta.tokens.join("/"),
                            pv.meta.kind
                        ),
                        (None, true, _) => format!(
                            "token0's USD price over token1's ({}), no pool price in the data",
                            pv.meta.tokens.join("/")
                        ),
                        (None, false, Some(k)) => format!(
                        "a yield stream on a principal tracking {} (stated in the strategy file)",
                        if k == 0 { "USD".to_string() } else { self.cx.asset_name(k) }
                    ),
                        _ => String::new(),
                    };
                    let mut u = match (&pv.fee, is_amm) {
                        (Ok(r), true) => FeeUse {
                            pool: pv.meta.id.clone(),
                            kind: pv.meta.kind,
                            model: r.model.name().to_string(),
                            forced: r.forced,
                            steps: crate::fees::FeeModel::ALL
                                .iter()
                                .map(|m| (m.name().to_string(), self.st.fee_steps[*pid][m.index()]))
                                .filter(|(_, n)| *n > 0)
                                .collect(),
                            price_source: String::new(),
                        },
                        _ => FeeUse {
                            pool: pv.meta.id.clone(),
                            kind: pv.meta.kind,
                            model: "apy_series".into(),
                            forced: false,
                            steps: Vec::new(),
                            price_source: String::new(),
                        },
                    };
                    u.price_source = price_source;
                    u
                })
                .collect();
        uses.sort_by(|a, b| a.pool.cmp(&b.pool).then(a.model.cmp(&b.model)));
        uses
    }
}
