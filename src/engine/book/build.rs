//! Resolving a run's book from the market, phase by phase: each pool's view (series,
//! metadata, fee model, a yield-only pool's priced twin), USD prices for every asset
//! (direct, alias, derived through the run's pools), yield-only pools' prices or stated
//! exposure, and stress events applied to copies of the series.

use super::*;

impl Book {
    /// Resolves `pools` and `assets` (and the native assets of `chains`) on `market`.
    pub fn build(
        market: &Market,
        pools: &[String],
        assets: &[String],
        events: &[StressEvent],
        settings: &BTreeMap<String, PoolSettings>,
    ) -> Result<Book, EngineError> {
        for id in settings.keys() {
            if !pools.contains(id) {
                return Err(EngineError::Spec(format!(
                    "[pools.{id}]: the run does not use pool '{id}'{}; its pools: {}",
                    crate::names::suggest(id, pools.iter().map(String::as_str)),
                    crate::names::list_names(pools.iter().map(String::as_str))
                )));
            }
        }
        let n = market.grid.len();
        let mut book = Book {
            assets: BTreeMap::new(),
            prices: Vec::new(),
            pools: BTreeMap::new(),
            pool_list: Vec::new(),
            pool_ids: BTreeMap::new(),
            exploits: Vec::new(),
            grid: market.grid,
        };
        let mut views: BTreeMap<String, PoolView> = BTreeMap::new();
        book.add(USD, vec![1.0; n]);
        for id in pools {
            let set = settings.get(id).cloned().unwrap_or_default();
            views.insert(id.clone(), pool_view(market, id, &set)?);
        }
        book.price_assets(market, &views, assets)?;
        book.price_yield_pools(market, &mut views, settings)?;
        book.apply_events(market, &mut views, events, pools)?;
        for pv in views.values_mut() {
            if pv.price.is_some() {
                pv.token_prices = pv.meta.tokens.iter().map(|t| book.assets[t]).collect();
            }
            pv.reward = pv.meta.reward_token.as_ref().map(|r| book.assets[r]);
        }
        book.pools = views.into_iter().map(|(k, v)| (k, Arc::new(v))).collect();
        book.pool_list = book.pools.values().cloned().collect();
        book.pool_ids = book
            .pools
            .keys()
            .enumerate()
            .map(|(i, k)| (k.clone(), i))
            .collect();
        Ok(book)
    }

    /// USD prices for `assets` and every token and reward token of the run's priced
    /// pools: direct, alias, then through the run's pools, until nothing changes.
    fn price_assets(
        &mut self,
        market: &Market,
        views: &BTreeMap<String, PoolView>,
        assets: &[String],
    ) -> Result<(), EngineError> {
        let book = self;
        let mut wanted: Vec<String> = assets.to_vec();
        for pv in views.values() {
            if pv.price.is_some() {
                wanted.extend(pv.meta.tokens.iter().cloned());
            }
            if let Some(r) = &pv.meta.reward_token {
                wanted.push(r.clone());
            }
        }
        wanted.sort();
        wanted.dedup();
        for a in &wanted {
            if let Some(s) = direct_price(market, a) {
                book.add(a, s.price_usd.clone());
            }
        }
        loop {
            let mut progress = false;
            for a in &wanted {
                if book.assets.contains_key(a) {
                    continue;
                }
                let derived = views.values().find_map(|pv| {
                    let price = pv.price.as_ref()?;
                    let t = &pv.meta.tokens;
                    if t.len() != 2 {
                        return None;
                    }
                    if &t[0] == a {
                        let other = book.assets.get(&t[1])?;
                        Some(
                            price
                                .iter()
                                .zip(&book.prices[*other])
                                .map(|(p, q)| p * q)
                                .collect(),
                        )
                    } else if &t[1] == a {
                        let other = book.assets.get(&t[0])?;
                        Some(
                            price
                                .iter()
                                .zip(&book.prices[*other])
                                .map(|(p, q)| q / p)
                                .collect(),
                        )
                    } else {
                        None
                    }
                });
                if let Some(v) = derived {
                    book.add(a, v);
                    progress = true;
                }
            }
            if !progress {
                break;
            }
        }
        for a in &wanted {
            if !book.assets.contains_key(a) {
                return Err(EngineError::Spec(format!(
                    "no USD price for '{a}': the market has no price series for it (or its unwrapped name), and no pool in the run pairs it with a priced token"
                )));
            }
        }
        Ok(())
    }

    /// Yield-only pools: a price from their tokens' USD prices where both have one (a
    /// position of the pool's kind), else the exposure the strategy file states.
    fn price_yield_pools(
        &mut self,
        market: &Market,
        views: &mut BTreeMap<String, PoolView>,
        settings: &BTreeMap<String, PoolSettings>,
    ) -> Result<(), EngineError> {
        let book = self;
        for (id, pv) in views.iter_mut() {
            let yields = pv.apy_base.is_some() || pv.apy_reward.is_some();
            if pv.price.is_none() && pv.meta.priced_by_coins() {
                book.price_multi_coin(market, id, pv, yields)?;
                continue;
            }
            if pv.price.is_some() || !yields || pv.meta.kind == PoolKind::Lending {
                continue;
            }
            let set = settings.get(id).cloned().unwrap_or_default();
            let direct = |a: &str| direct_price(market, a).map(|s| s.price_usd.clone());
            let tokens = pv.meta.tokens.clone();
            let priced: Option<Vec<Vec<f64>>> = (tokens.len() == 2 && set.exposure.is_none())
                .then(|| tokens.iter().map(|t| direct(t)).collect())
                .flatten();
            if let Some(series) = priced {
                for (t, s) in tokens.iter().zip(&series) {
                    book.add(t, s.clone());
                }
                let p0 = &book.prices[book.assets[&tokens[0]]];
                let p1 = &book.prices[book.assets[&tokens[1]]];
                pv.price = Some(p0.iter().zip(p1).map(|(a, b)| a / b).collect());
                pv.price_from_tokens = true;
                pv.fee = Ok(fees::Resolved {
                    model: fees::FeeModel::ApySeries,
                    fallback: Vec::new(),
                    forced: false,
                });
                continue;
            }
            match set.exposure.as_deref() {
                Some("usd") | Some("USD") => pv.exposure = Some(0),
                Some(asset) => {
                    let s = direct(asset).ok_or_else(|| {
                        EngineError::Spec(format!(
                            "[pools.{id}] exposure = '{asset}': the dataset has no price series for it; use \"usd\" or an asset with a price series"
                        ))
                    })?;
                    book.add(asset, s);
                    pv.exposure = Some(book.assets[asset]);
                }
                None => {
                    return Err(EngineError::Spec(format!(
                        "pool '{id}' is a yield-only pool (APY and TVL, no price) whose tokens [{}] have no USD price series: its price exposure is unknown. Add the tokens' prices to the dataset, or state what the position tracks in the strategy file: [pools.{id}] exposure = \"usd\" (or the asset it tracks)",
                        tokens.join(", ")
                    )));
                }
            }
        }
        Ok(())
    }

    /// A pool priced by its coins (`pool::Model::priced_by_coins`: a multi-coin
    /// StableSwap pool, a weighted pool): every coin needs a USD price (its state is the
    /// one those prices give); `price` is token0's over token1's. Its fees come from its
    /// fee model, or from its APY series where that is all it has.
    fn price_multi_coin(
        &mut self,
        market: &Market,
        id: &str,
        pv: &mut PoolView,
        yields: bool,
    ) -> Result<(), EngineError> {
        let tokens = pv.meta.tokens.clone();
        for t in &tokens {
            if self.assets.contains_key(t) {
                continue;
            }
            let s = direct_price(market, t).ok_or_else(|| {
                    EngineError::Spec(format!(
                        "pool '{id}' is a {}-coin {} pool: its state comes from its coins' USD prices, and '{t}' has none; add a price series for '{t}' to the dataset",
                        tokens.len(),
                        pv.meta.kind
                    ))
                })?;
            self.add(t, s.price_usd.clone());
        }
        let p0 = &self.prices[self.assets[&tokens[0]]];
        let p1 = &self.prices[self.assets[&tokens[1]]];
        pv.price = Some(p0.iter().zip(p1).map(|(a, b)| a / b).collect());
        pv.price_from_tokens = true;
        if pv.fee.is_err() && yields {
            pv.fee = Ok(fees::Resolved {
                model: fees::FeeModel::ApySeries,
                fallback: Vec::new(),
                forced: false,
            });
        }
        Ok(())
    }

    /// Stress events, on copies of the series they change.
    fn apply_events(
        &mut self,
        market: &Market,
        views: &mut BTreeMap<String, PoolView>,
        events: &[StressEvent],
        pools: &[String],
    ) -> Result<(), EngineError> {
        let book = self;
        let n = market.grid.len();
        for e in events {
            let at = e.at()?;
            let start = market.grid.timestamps().position(|t| t >= at).unwrap_or(n);
            match e {
                StressEvent::Exploit { pool, haircut, .. } => {
                    if !(0.0..=1.0).contains(haircut) {
                        return Err(EngineError::Spec(format!(
                            "exploit haircut {haircut} must be a fraction in [0, 1]"
                        )));
                    }
                    // The pools and lending markets the run can hold.
                    let known: Vec<&str> = pools
                        .iter()
                        .map(String::as_str)
                        .chain(market.rates.keys().map(String::as_str))
                        .collect();
                    if !known.contains(&pool.as_str()) {
                        return Err(EngineError::Spec(format!(
                            "[[events]] exploit on pool '{pool}': the run holds no such pool or lending market{}; it can hold: {}",
                            crate::names::suggest(pool, known.iter().copied()),
                            crate::names::list_names(known.iter().copied())
                        )));
                    }
                    if start < n {
                        book.exploits.push((start, pool.clone(), *haircut));
                    }
                }
                StressEvent::Collapse { asset, factor, .. } => {
                    if !(*factor > 0.0 && factor.is_finite()) {
                        return Err(EngineError::Spec(format!(
                            "collapse factor {factor} must be > 0"
                        )));
                    }
                    let f = vec![*factor; n - start];
                    book.scale_asset(views, asset, start, &f)?;
                }
                StressEvent::Depeg {
                    asset,
                    price_factor,
                    recovery,
                    ..
                } => {
                    if !(*price_factor > 0.0 && price_factor.is_finite()) {
                        return Err(EngineError::Spec(format!(
                            "depeg price_factor {price_factor} must be > 0"
                        )));
                    }
                    let rec = match recovery {
                        Some(r) => parse_duration(r).map_err(EngineError::Spec)? as f64,
                        None => f64::INFINITY,
                    };
                    let f: Vec<f64> = (start..n)
                        .map(|i| {
                            let dt = (market.grid.at(i) - market.grid.at(start)) as f64;
                            let frac = (dt / rec).min(1.0);
                            price_factor + (1.0 - price_factor) * frac
                        })
                        .collect();
                    book.scale_asset(views, asset, start, &f)?;
                }
            }
        }
        Ok(())
    }
}

/// An asset's USD price series in the market: its own, or its unwrapped name's
/// (WETH → ETH).
fn direct_price<'m>(market: &'m Market, a: &str) -> Option<&'m crate::market::PriceSeries> {
    market
        .price(a)
        .or_else(|| alias(a).and_then(|b| market.price(&b)))
}

/// One pool's view: its series (fee fields partial only where the file allows the
/// fallback), metadata, fee model, and a yield-only pool's priced on-chain twin.
fn pool_view(market: &Market, id: &str, set: &PoolSettings) -> Result<PoolView, EngineError> {
    let p = market.pool(id).ok_or_else(|| {
        let known: Vec<&str> = market.pools.keys().map(String::as_str).collect();
        EngineError::Spec(format!(
            "pool '{id}' is not in the market{}; pools: {}",
            crate::names::suggest(id, known.iter().copied()),
            crate::names::list_names(known.iter().copied())
        ))
    })?;
    // A yield-only pool that is a priced pool of the dataset (its on-chain twin:
    // same address and chain) takes that pool's price.
    let yields = p.field(Field::ApyBase).is_some() || p.field(Field::ApyReward).is_some();
    let twin = priced_twin(market, p, yields, set);
    let fee = pool_fee(id, p, twin.is_some(), set);
    // A run that allows fallback reads the fee fields where they exist (NaN
    // elsewhere); otherwise only fields that cover the whole run.
    let fallback = set.on_missing == fees::OnMissing::Fallback;
    let get = |f: Field| {
        p.field(f).map(<[f64]>::to_vec).or_else(|| {
            let fee_field = matches!(
                f,
                Field::VolumeUsd
                    | Field::FeesUsd
                    | Field::Liquidity
                    | Field::TvlUsd
                    | Field::FeeGrowthGlobal0
                    | Field::FeeGrowthGlobal1
            );
            (fallback && fee_field)
                .then(|| p.partial.get(&f).map(|(_, v)| v.clone()))
                .flatten()
        })
    };
    let pair = |a: Field, b: Field| match (get(a), get(b)) {
        (Some(x), Some(y)) => Some([x, y]),
        _ => None,
    };
    Ok(PoolView {
        meta: p.meta.clone(),
        price: get(Field::Price).or_else(|| {
            twin.and_then(|q| q.field(Field::Price))
                .map(<[f64]>::to_vec)
        }),
        tvl: get(Field::TvlUsd),
        volume: get(Field::VolumeUsd),
        fees_usd: get(Field::FeesUsd),
        liquidity: get(Field::Liquidity),
        apy_base: get(Field::ApyBase),
        apy_reward: get(Field::ApyReward),
        fee_rate: get(Field::FeeRate),
        fee_growth: pair(Field::FeeGrowthGlobal0, Field::FeeGrowthGlobal1),
        liquidity_mean: get(Field::LiquidityMean),
        tick_high_low: pair(Field::TickHigh, Field::TickLow),
        events: p.events.clone(),
        unit: match p.meta.decimals.as_slice() {
            [d0, d1] => [10f64.powi(-(*d0 as i32)), 10f64.powi(-(*d1 as i32))],
            _ => [1.0, 1.0],
        },
        scale: match p.meta.decimals.as_slice() {
            [d0, d1] => Some(10f64.powf((*d0 as f64 + *d1 as f64) / 2.0)),
            _ => None,
        },
        fee,
        token_prices: Vec::new(),
        reward: None,
        price_from_tokens: false,
        price_twin: twin.map(|q| q.meta.id.clone()),
        exposure: None,
    })
}

/// A yield-only pool's priced twin in the market: the pool with its address, chain and
/// tokens that has a price.
fn priced_twin<'m>(
    market: &'m Market,
    p: &crate::market::PoolSeries,
    yields: bool,
    set: &PoolSettings,
) -> Option<&'m crate::market::PoolSeries> {
    (p.field(Field::Price).is_none() && yields && set.exposure.is_none())
        .then(|| {
            market.pools.values().find(|q| {
                q.meta.id != p.meta.id
                    && p.meta.address.is_some()
                    && q.meta.address == p.meta.address
                    && q.meta.chain == p.meta.chain
                    && q.meta.tokens == p.meta.tokens
                    && q.field(Field::Price).is_some()
            })
        })
        .flatten()
}

/// How a pool's fees are computed: from its APY series (a yield-only pool with a priced
/// twin), from its fee model (a priced or multi-coin pool), or not at all (a
/// yield-only pool, whose fees come from its APY once it is priced).
fn pool_fee(
    id: &str,
    p: &crate::market::PoolSeries,
    has_twin: bool,
    set: &PoolSettings,
) -> Result<fees::Resolved, String> {
    if has_twin {
        Ok(fees::Resolved {
            model: fees::FeeModel::ApySeries,
            fallback: Vec::new(),
            forced: false,
        })
    } else if (p.field(Field::Price).is_some() || p.meta.priced_by_coins())
        && p.meta.kind != PoolKind::Lending
    {
        fees::resolve(
            id,
            p.meta.kind,
            set.fee_model,
            set.on_missing,
            p.events.is_some(),
            &|f| p.coverage(f),
        )
    } else {
        Err(format!(
            "pool '{id}' has no price series: it is a yield-only pool"
        ))
    }
}
