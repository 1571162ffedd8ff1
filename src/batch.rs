//! Running strategy files: load each file's dataset once, build the market it needs,
//! run every file (rayon across runs; each run single-threaded), keep results in the
//! order the files were given so output is the same on any number of threads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::data::{align::AlignReport, build_market, DataError, Dataset, GridSpec, Selection};
use crate::engine::{self, EngineError, RunResult};
use crate::market::{Field, Market, SeriesKind};
use crate::strategy::{RunSpec, SpecError, StrategyParams};

/// Why a run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error("{file}: {source}")]
    Data {
        file: PathBuf,
        source: Box<DataError>,
    },
    #[error("{file}: {source}")]
    Engine { file: PathBuf, source: EngineError },
}

/// A finished run with what it ran on.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub spec: RunSpec,
    pub dataset: String,
    /// The dataset's files (as its manifest names them) and the series the run used.
    pub data_files: Vec<String>,
    pub series: Vec<String>,
    pub align: AlignReport,
    pub result: RunResult,
}

/// The ids of the series a run needs: its pools, the assets that price them, the
/// gas of their chains, its lending market.
pub fn selection(spec: &RunSpec, ds: &Dataset) -> Selection {
    let mut pools: Vec<String> = match &spec.params {
        StrategyParams::Hodl(p) => p.pool.iter().cloned().collect(),
        StrategyParams::Lp(p) => vec![p.pool.clone()],
        StrategyParams::StableLp(p) => vec![p.pool.clone()],
        StrategyParams::RangeLp(p) => vec![p.pool.clone()],
        StrategyParams::Autocompound(p) => p.pool.iter().cloned().collect(),
        StrategyParams::PoolHop(p) if !p.pools.is_empty() => p.pools.clone(),
        StrategyParams::PoolHop(_) => ds
            .series
            .values()
            .filter(|s| s.kind == SeriesKind::Pool && !s.fields.contains_key(&Field::Price))
            .filter(|s| {
                s.fields.contains_key(&Field::ApyBase) || s.fields.contains_key(&Field::ApyReward)
            })
            .map(|s| s.id.clone())
            .collect(),
        StrategyParams::Lend(_) => Vec::new(),
    };
    pools.sort();
    pools.dedup();
    let mut assets: Vec<String> = Vec::new();
    let mut chains: Vec<String> = Vec::new();
    for id in &pools {
        if let Some(m) = ds.pools.get(id) {
            if ds
                .series
                .get(&(SeriesKind::Pool, id.clone()))
                .is_some_and(|s| s.fields.contains_key(&Field::Price))
            {
                assets.extend(m.tokens.iter().cloned());
            }
            assets.extend(m.reward_token.iter().cloned());
            chains.push(m.chain.clone());
        }
    }
    let mut rates = Vec::new();
    match &spec.params {
        StrategyParams::Hodl(p) => assets.extend(p.weights.keys().cloned()),
        StrategyParams::Lend(p) => {
            assets.push(p.asset.clone());
            chains.push(p.chain.clone());
            rates.push(p.market.clone());
        }
        StrategyParams::Autocompound(p) => {
            assets.extend(p.asset.iter().cloned());
            rates.extend(p.market.iter().cloned());
            chains.push(p.chain.clone().unwrap_or_else(|| "ethereum".into()));
        }
        _ => {}
    }
    chains.sort();
    chains.dedup();
    for c in &chains {
        if let Some(meta) = ds.chains.get(c) {
            assets.push(meta.native_asset.clone());
        }
    }
    // Keep the assets the dataset prices directly (or by unwrapped name); others are
    // derived through the pools.
    let has = |a: &str| ds.series.contains_key(&(SeriesKind::Price, a.to_string()));
    let mut prices: Vec<String> = assets
        .iter()
        .filter_map(|a| {
            if has(a) {
                Some(a.clone())
            } else {
                a.strip_prefix('W')
                    .filter(|b| b.len() >= 3 && has(b))
                    .map(str::to_string)
            }
        })
        .collect();
    prices.sort();
    prices.dedup();
    let gas: Vec<String> = chains
        .into_iter()
        .filter(|c| ds.series.contains_key(&(SeriesKind::Gas, c.clone())))
        .collect();
    Selection {
        pools: Some(pools),
        prices: Some(prices),
        gas: Some(gas),
        rates: Some(rates),
    }
}

/// Builds the market one spec runs on.
pub fn market_for(spec: &RunSpec, ds: &Dataset) -> Result<(Market, AlignReport), RunError> {
    let sel = selection(spec, ds);
    let grid = GridSpec {
        step: spec.grid_step,
        start: spec.start,
        end: spec.end,
    };
    let (mut market, align) = build_market(ds, &sel, &grid).map_err(|source| RunError::Data {
        file: spec.path.clone(),
        source: Box::new(source),
    })?;
    let unknown = |pool: &str| {
        RunError::Spec(SpecError {
            path: spec.path.clone(),
            message: format!("assume: pool '{pool}' is not used by this run"),
        })
    };
    let n = market.grid.len();
    for (pool, tvl) in &spec.assume.pool_tvl_usd {
        let p = market.pools.get_mut(pool).ok_or_else(|| unknown(pool))?;
        p.fields
            .entry(Field::TvlUsd)
            .or_insert_with(|| vec![*tvl; n]);
    }
    for (pool, amp) in &spec.assume.amplification {
        let p = market.pools.get_mut(pool).ok_or_else(|| unknown(pool))?;
        p.meta.amplification.get_or_insert(*amp);
    }
    for (pool, fee) in &spec.assume.fee {
        let p = market.pools.get_mut(pool).ok_or_else(|| unknown(pool))?;
        p.meta.fee.get_or_insert(*fee);
    }
    for (asset, usd) in &spec.assume.price_usd {
        market
            .prices
            .entry(asset.clone())
            .or_insert_with(|| crate::market::PriceSeries {
                asset: asset.clone(),
                price_usd: vec![*usd; n],
            });
    }
    Ok((market, align))
}

/// Runs strategy files. `data_root` overrides each file's data folder. Datasets are
/// loaded once each; runs go in parallel; results come back in the files' order.
pub fn run_files(paths: &[PathBuf], data_root: Option<&Path>) -> Result<Vec<RunOutput>, RunError> {
    let specs: Vec<RunSpec> = paths
        .iter()
        .map(|p| RunSpec::read(p))
        .collect::<Result<_, _>>()?;
    let mut datasets: BTreeMap<(PathBuf, Option<PathBuf>), Dataset> = BTreeMap::new();
    for s in &specs {
        let root = data_root
            .map(Path::to_path_buf)
            .or_else(|| s.data_root.clone());
        let key = (s.manifest.clone(), root.clone());
        if let std::collections::btree_map::Entry::Vacant(slot) = datasets.entry(key) {
            let ds =
                Dataset::load(&s.manifest, root.as_deref()).map_err(|source| RunError::Data {
                    file: s.path.clone(),
                    source: Box::new(source),
                })?;
            slot.insert(ds);
        }
    }
    specs
        .par_iter()
        .map(|spec| {
            let root = data_root
                .map(Path::to_path_buf)
                .or_else(|| spec.data_root.clone());
            let ds = &datasets[&(spec.manifest.clone(), root)];
            let (market, align) = market_for(spec, ds)?;
            let mut strategy = spec.params.build().map_err(|message| SpecError {
                path: spec.path.clone(),
                message,
            })?;
            let result =
                engine::run(&market, strategy.as_mut(), spec.config.clone()).map_err(|source| {
                    RunError::Engine {
                        file: spec.path.clone(),
                        source,
                    }
                })?;
            let mut series: Vec<String> =
                market.pools.keys().map(|k| format!("pool {k}")).collect();
            series.extend(market.prices.keys().map(|k| format!("price {k}")));
            series.extend(market.gas.keys().map(|k| format!("gas {k}")));
            series.extend(market.rates.keys().map(|k| format!("rate {k}")));
            Ok(RunOutput {
                spec: spec.clone(),
                dataset: ds.name.clone(),
                data_files: {
                    let mut files: Vec<String> = market
                        .pools
                        .keys()
                        .map(|k| (SeriesKind::Pool, k))
                        .chain(market.prices.keys().map(|k| (SeriesKind::Price, k)))
                        .chain(market.gas.keys().map(|k| (SeriesKind::Gas, k)))
                        .chain(market.rates.keys().map(|k| (SeriesKind::Rate, k)))
                        .filter_map(|(kind, id)| {
                            ds.series.get(&(kind, id.clone())).map(|s| s.file.clone())
                        })
                        .collect();
                    files.sort();
                    files.dedup();
                    files
                },
                series,
                align,
                result,
            })
        })
        .collect()
}
