//! Running strategy files: expand each file into its runs (sweeps, windows, bootstrap
//! samples), load each dataset once, build each distinct market once and share it
//! read-only (`Arc`), run in parallel across runs (rayon; each run single-threaded) and
//! hand results back in run order, so output is the same on any number of threads.
//! A sweep splits into deterministic shards with `--shard K/N` (the runs whose index is
//! K modulo N).

pub mod bootstrap;
pub mod cache;
pub mod progress;
pub mod sweep;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::data::quality::OutlierPolicy;
use crate::data::{align::AlignReport, build_market, DataError, Dataset, GridSpec, Selection};
use crate::engine::{self, EngineError};
use crate::market::{Field, Market, SeriesKind};
use crate::run::{
    FailedRun, LendBaseline, ParamColumn, Records, RunOutput, RunRecord, SeriesPolicy,
};
use crate::strategy::{RunSpec, SpecError, StrategyFile};

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
    /// The run cache could not be read or written.
    #[error("{path}: run cache: {message}; remove the folder or pass --no-cache")]
    Cache { path: PathBuf, message: String },
    /// A broken invariant of ours (a bug), reported instead of a panic.
    #[error("internal error: {0}; please report it")]
    Internal(String),
}

/// A lending market is a stablecoin's when its id names one.
const STABLE_MARKET_NAMES: [&str; 4] = ["usdc", "usdt", "dai", "usd"];

/// The lending baseline over `grid` for `capital`: the first rate series of the
/// dataset (in id order) whose id names a USD stablecoin (`STABLE_MARKET_NAMES`) and
/// whose `supply_apr` covers the grid (carried as levels within its carry limit).
pub fn lend_baseline(
    ds: &Dataset,
    grid: &crate::market::TimeGrid,
    capital: f64,
) -> Result<LendBaseline, String> {
    let mut why: Vec<String> = Vec::new();
    for ((kind, id), s) in &ds.series {
        let lower = id.to_lowercase();
        if *kind != SeriesKind::Rate || !STABLE_MARKET_NAMES.iter().any(|n| lower.contains(n)) {
            continue;
        }
        let Some(apr) = s.fields.get(&Field::SupplyApr) else {
            continue;
        };
        match crate::data::align::align_level(&s.ts, apr, s.obs_offset, s.carry_limit, grid) {
            Ok((rates, _)) => {
                let mut v = capital;
                for k in 1..grid.len() {
                    let dt = (grid.at(k) - grid.at(k - 1)) as f64;
                    v *= crate::amm::lending::compounded_per_second(rates[k - 1], dt);
                }
                return Ok(LendBaseline {
                    market: id.clone(),
                    final_value: v,
                });
            }
            Err(crate::data::align::AlignIssue::NotCovered { first, .. }) => why.push(format!(
                "'{id}' starts at {}",
                crate::units::format_ts(first)
            )),
            Err(crate::data::align::AlignIssue::Gap { last, at }) => why.push(format!(
                "'{id}' has no value from {} to {}",
                crate::units::format_ts(last),
                crate::units::format_ts(at)
            )),
        }
    }
    if why.is_empty() {
        Err("the dataset has no stablecoin lending series".into())
    } else {
        Err(format!(
            "no stablecoin lending series covers the run: {}",
            why.join("; ")
        ))
    }
}

/// The ids of the series a run needs: its pools, the assets that price them, the
/// gas of their chains, its lending market.
pub fn selection(spec: &RunSpec, ds: &Dataset) -> Selection {
    let needs = spec.params.needs();
    let pools = selected_pools(&needs, ds);
    let mut assets: Vec<String> = Vec::new();
    let mut chains: Vec<String> = Vec::new();
    for id in &pools {
        if let Some(m) = ds.pools.get(id) {
            // The tokens of priced pools, of yield-only pools (priced from them: their
            // exposure) and of multi-coin pools (their state comes from their coins'
            // prices); a pool known only by its events prices itself from the replay.
            let fields = ds
                .series
                .get(&(SeriesKind::Pool, id.clone()))
                .map(|s| &s.fields);
            if m.priced_by_coins()
                || fields.is_some_and(|f| {
                    f.contains_key(&Field::Price)
                        || f.contains_key(&Field::ApyBase)
                        || f.contains_key(&Field::ApyReward)
                })
            {
                assets.extend(m.tokens.iter().cloned());
            }
            assets.extend(m.reward_token.iter().cloned());
            chains.push(m.chain.clone());
        }
    }
    // Assets a yield-only pool's stated exposure tracks.
    assets.extend(
        spec.config
            .pools
            .values()
            .filter_map(|p| p.exposure.clone())
            .filter(|e| !e.eq_ignore_ascii_case("usd")),
    );
    assets.extend(needs.assets);
    chains.extend(needs.chains);
    let mut rates = needs.rates;
    rates.sort();
    rates.dedup();
    chains.sort();
    chains.dedup();
    for c in &chains {
        if let Some(meta) = ds.chains.get(c) {
            assets.push(meta.native_asset.clone());
        }
    }
    let prices = priced_assets(ds, &assets);
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

/// The pools a run reads: its kind's, the dataset's yield-only pools for a kind that
/// hops among them, and the priced twin of each yield-only pool (same address and
/// chain), whose price it takes.
fn selected_pools(needs: &crate::strategy::Needs, ds: &Dataset) -> Vec<String> {
    let mut pools = needs.pools.clone();
    if needs.yield_pools {
        pools.extend(
            ds.series
                .values()
                .filter(|s| s.kind == SeriesKind::Pool && !s.fields.contains_key(&Field::Price))
                .filter(|s| {
                    s.fields.contains_key(&Field::ApyBase)
                        || s.fields.contains_key(&Field::ApyReward)
                })
                .map(|s| s.id.clone()),
        );
    }
    // A yield-only pool that is a priced pool of the dataset (same address and chain)
    // takes that pool's price: read it too.
    let priced = |id: &String| {
        ds.series
            .get(&(SeriesKind::Pool, id.clone()))
            .is_some_and(|s| s.fields.contains_key(&Field::Price))
    };
    let twins: Vec<String> = pools
        .iter()
        .filter(|id| !priced(id))
        .filter_map(|id| ds.pools.get(id))
        .flat_map(|m| {
            ds.pools
                .iter()
                .filter(move |(q, o)| {
                    *q != &m.id
                        && m.address.is_some()
                        && o.address == m.address
                        && o.chain == m.chain
                })
                .map(|(q, _)| q.clone())
        })
        .filter(|q| priced(q))
        .collect();
    pools.extend(twins);
    pools.sort();
    pools.dedup();
    pools
}

/// The assets the dataset prices directly (or by unwrapped name, WETH → ETH); others
/// are derived through the pools.
fn priced_assets(ds: &Dataset, assets: &[String]) -> Vec<String> {
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
    prices
}

/// Whether a row stamped `ts` of series `s` can reach the run's period: its value is
/// known at `ts + obs_offset` and carried at most the carry limit.
fn in_run(spec: &RunSpec, s: &crate::data::RawSeries, ts: crate::units::Timestamp) -> bool {
    let known = ts.saturating_add(s.obs_offset);
    spec.start
        .is_none_or(|start| known.saturating_add(s.carry_limit.max(s.bar)) >= start)
        && spec
            .end
            .is_none_or(|end| known.saturating_sub(s.bar) <= end)
}

/// Builds the market one spec runs on.
pub fn market_for(spec: &RunSpec, ds: &Dataset) -> Result<(Market, AlignReport), RunError> {
    let mut sel = selection(spec, ds);
    // Pools known only by their events are built from the replay, on the run's grid.
    let event_only: Vec<String> = sel
        .pools
        .iter()
        .flatten()
        .filter(|id| {
            !ds.series.contains_key(&(SeriesKind::Pool, (*id).clone()))
                && ds.events_of(id).is_some()
        })
        .cloned()
        .collect();
    if let Some(p) = sel.pools.as_mut() {
        p.retain(|id| !event_only.contains(id));
    }
    let grid = GridSpec {
        step: spec.grid_step,
        start: spec.start,
        end: spec.end,
    };
    let data_err = |source: DataError| RunError::Data {
        file: spec.path.clone(),
        source: Box::new(source),
    };
    // Values that would distort fees or marks, in the series this run reads.
    let policy = spec.outliers.or(ds.outliers).unwrap_or_default();
    let flagged = outliers_in_run(spec, ds, &sel);
    let describe = |(k, id, o): &Flagged| o.describe(&ds.series[&(*k, id.clone())]);
    let ds = with_outlier_policy(ds, policy, &flagged).map_err(data_err)?;
    let no_series = [&sel.pools, &sel.prices, &sel.gas, &sel.rates]
        .iter()
        .all(|x| x.as_ref().is_none_or(|v| v.is_empty()));
    let (mut market, mut align) = if no_series && !event_only.is_empty() {
        let (Some(start), Some(end)) = (spec.start, spec.end) else {
            return Err(RunError::Spec(SpecError {
                path: spec.path.clone(),
                message: format!(
                    "pool '{}' has only events: the run needs `start` and `end` inside their window",
                    event_only[0]
                ),
            }));
        };
        let step = spec.grid_step.unwrap_or(crate::units::HOUR);
        (
            Market {
                grid: crate::market::TimeGrid::new(start, end, step),
                pools: Default::default(),
                prices: Default::default(),
                gas: Default::default(),
                rates: Default::default(),
            },
            AlignReport::default(),
        )
    } else {
        build_market(&ds, &sel, &grid).map_err(data_err)?
    };
    attach_events(&ds, &mut market, &event_only).map_err(data_err)?;
    align.outliers = flagged.iter().map(describe).collect();
    match policy {
        OutlierPolicy::Drop => align.outliers_dropped = flagged.len(),
        OutlierPolicy::Keep => align.outliers_kept = flagged.len(),
        OutlierPolicy::Error => {}
    }
    apply_assumptions(spec, &mut market)?;
    Ok((market, align))
}

/// An outlier the quality scan flagged in a series (its kind and id).
type Flagged = (SeriesKind, String, crate::data::quality::Outlier);

/// The outliers in the pool and price series the run reads, inside its period.
fn outliers_in_run(spec: &RunSpec, ds: &Dataset, sel: &Selection) -> Vec<Flagged> {
    let mut flagged: Vec<(SeriesKind, String, crate::data::quality::Outlier)> = Vec::new();
    let kinds = [
        (SeriesKind::Pool, &sel.pools),
        (SeriesKind::Price, &sel.prices),
    ];
    for (kind, ids) in kinds {
        for id in ids.iter().flatten() {
            if let Some(s) = ds.series.get(&(kind, id.clone())) {
                flagged.extend(
                    crate::data::quality::outliers(s)
                        .into_iter()
                        .filter(|o| in_run(spec, s, o.ts))
                        .map(|o| (kind, id.clone(), o)),
                );
            }
        }
    }
    flagged
}

/// The dataset the run reads under the outlier policy: as it is (`keep`, or nothing
/// flagged), with the flagged values blanked (`drop`), or an error listing them.
fn with_outlier_policy<'d>(
    ds: &'d Dataset,
    policy: OutlierPolicy,
    flagged: &[Flagged],
) -> Result<std::borrow::Cow<'d, Dataset>, DataError> {
    let describe = |(k, id, o): &Flagged| o.describe(&ds.series[&(*k, id.clone())]);
    Ok(match policy {
        _ if flagged.is_empty() => std::borrow::Cow::Borrowed(ds),
        OutlierPolicy::Error => {
            let list: Vec<String> = flagged.iter().take(5).map(describe).collect();
            let more = flagged.len().saturating_sub(5);
            return Err(DataError::Outliers {
                count: flagged.len(),
                list: if more > 0 {
                    format!(
                        "{} (and {more} more: see `yieldlab data check`)",
                        list.join("; ")
                    )
                } else {
                    list.join("; ")
                },
            });
        }
        OutlierPolicy::Keep => std::borrow::Cow::Borrowed(ds),
        OutlierPolicy::Drop => {
            let mut copy = ds.clone();
            for (k, id, o) in flagged {
                if let Some(v) = copy
                    .series
                    .get_mut(&(*k, id.clone()))
                    .and_then(|s| s.fields.get_mut(&o.field))
                {
                    v[o.row] = f64::NAN;
                }
            }
            std::borrow::Cow::Owned(copy)
        }
    })
}

/// The swap steps of every run pool with events, bucketed on the run's grid; an
/// events-only pool (`event_only`) also takes its bar fields from the replay.
fn attach_events(
    ds: &Dataset,
    market: &mut Market,
    event_only: &[String],
) -> Result<(), DataError> {
    let with_events: Vec<String> = event_only
        .iter()
        .cloned()
        .chain(
            market
                .pools
                .keys()
                .filter(|id| ds.events_of(id).is_some())
                .cloned(),
        )
        .collect();
    for id in with_events {
        let (Some(entry), Some(meta)) = (ds.events_of(&id), ds.pools.get(&id)) else {
            continue;
        };
        let (fields, evs) =
            crate::data::events::pool_from_events(&ds.root, entry, meta, &market.grid)?;
        let evs = Some(Arc::new(evs));
        match market.pools.get_mut(&id) {
            Some(p) => p.events = evs,
            None => {
                market.pools.insert(
                    id.clone(),
                    crate::market::PoolSeries {
                        meta: meta.clone(),
                        fields,
                        partial: Default::default(),
                        events: evs,
                    },
                );
            }
        }
    }
    Ok(())
}

/// The strategy file's `[assume]` values, where the data has none.
fn apply_assumptions(spec: &RunSpec, market: &mut Market) -> Result<(), RunError> {
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
    Ok(())
}

/// Runs handed to the thread pool at a time: big enough that waiting for a chunk's slowest
/// run costs little, small enough to bound memory (a light 3-year hourly run holds
/// about 0.4 MB until its row is written).
const CHUNK: usize = 512;

/// How to run an invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOptions {
    pub data_root: Option<PathBuf>,
    pub max_runs: usize,
    /// (K, N): run only the runs whose index is K modulo N.
    pub shard: Option<(usize, usize)>,
    pub series: SeriesPolicy,
    pub progress: progress::Progress,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            data_root: None,
            max_runs: sweep::DEFAULT_MAX_RUNS,
            shard: None,
            series: SeriesPolicy::All,
            progress: progress::Progress::Off,
        }
    }
}

/// One run to make.
#[derive(Debug, Clone)]
pub struct Job {
    pub index: usize,
    pub spec: RunSpec,
    pub params: Vec<(String, String)>,
    pub sample: Option<(u32, sweep::Bootstrap)>,
    pub spec_hash: String,
    /// The resolved strategy document (part of the run's cache key).
    pub doc: String,
    dataset: usize,
    market: usize,
}

/// Expanded runs with the datasets and markets they need.
pub struct Plan {
    pub jobs: Vec<Job>,
    /// Total runs before sharding.
    pub total: usize,
    /// The swept parameters of all runs before sharding, with their kinds, so every
    /// shard writes the same columns with the same types.
    pub params: Vec<ParamColumn>,
    datasets: Vec<Dataset>,
    markets: Vec<(Arc<Market>, AlignReport)>,
    cache: Option<PlanCache>,
}

/// A plan's run cache with what its keys need.
struct PlanCache {
    cache: cache::RunCache,
    build: String,
    /// Per market of the plan, its fingerprint.
    markets: Vec<String>,
    path: PathBuf,
}

fn hash_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(text.as_bytes());
    d.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn at(params: &[(String, String)]) -> String {
    let v: Vec<String> = params.iter().map(|(p, x)| format!("{p} = {x}")).collect();
    if v.is_empty() {
        String::new()
    } else {
        format!(" (at {})", v.join(", "))
    }
}

/// One run of a strategy file, resolved and checked, before any data is read.
#[derive(Debug, Clone)]
pub struct ParsedRun {
    pub spec: RunSpec,
    pub params: Vec<(String, String)>,
    pub sample: Option<(u32, sweep::Bootstrap)>,
    /// A hash of the run's resolved strategy document.
    pub spec_hash: String,
    /// The resolved strategy document as TOML (what the hash covers).
    pub doc: String,
}

/// Parses a strategy file's text into its runs (sweeps, windows and bootstrap samples
/// expanded; at most `max_runs`), checking every run's parameters. No data is read.
pub fn parse_runs(text: &str, path: &Path, max_runs: usize) -> Result<Vec<ParsedRun>, RunError> {
    let err = |message: String| {
        RunError::Spec(SpecError {
            path: path.to_path_buf(),
            message,
        })
    };
    let variants = sweep::expand(text, path, max_runs).map_err(err)?;
    let many = variants.len() > 1;
    let mut out = Vec::with_capacity(variants.len());
    for (k, v) in variants.into_iter().enumerate() {
        let file: StrategyFile = v.doc.clone().try_into().map_err(|e: toml::de::Error| {
            err(format!(
                "invalid strategy file{}: {}",
                at(&v.params),
                e.to_string().trim_end()
            ))
        })?;
        let mut spec = RunSpec::from_file(file, path)
            .map_err(|e| err(format!("{}{}", e.message, at(&v.params))))?;
        if many {
            spec.name = format!("{}#{k}", spec.name);
        }
        let doc = toml::to_string(&v.doc).unwrap_or_default();
        out.push(ParsedRun {
            spec,
            params: v.params,
            sample: v.sample,
            spec_hash: hash_hex(&doc),
            doc,
        });
    }
    Ok(out)
}

/// Gives runs of different files that share a name (two `s.toml` in different folders)
/// names that tell them apart: the file's folder before the name, then `~2`, `~3`, … —
/// before sharding, so every shard names a run alike. Names are the keys of every
/// table, chart and cache entry.
fn unique_names(jobs: &mut [Job]) {
    let mut clash = std::collections::BTreeSet::new();
    for (i, a) in jobs.iter().enumerate() {
        if jobs[..i]
            .iter()
            .any(|b| b.spec.name == a.spec.name && b.spec.path != a.spec.path)
        {
            clash.insert(a.spec.name.clone());
        }
    }
    for j in jobs.iter_mut() {
        if clash.contains(&j.spec.name) {
            let folder = j
                .spec
                .path
                .parent()
                .and_then(|p| p.file_name())
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_else(|| ".".into());
            j.spec.name = format!("{folder}/{}", j.spec.name);
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for j in jobs.iter_mut() {
        if !seen.insert(j.spec.name.clone()) {
            let mut k = 2usize;
            while seen.contains(&format!("{}~{k}", j.spec.name)) {
                k = k.saturating_add(1);
            }
            j.spec.name = format!("{}~{k}", j.spec.name);
            seen.insert(j.spec.name.clone());
        }
    }
}

/// Expands the files, loads their datasets and builds their markets.
pub fn plan(paths: &[PathBuf], opts: &BatchOptions) -> Result<Plan, RunError> {
    let mut jobs = expand_files(paths, opts)?;
    unique_names(&mut jobs);
    let total = jobs.len();
    let params = ParamColumn::of_runs(jobs.iter().map(|j| j.params.as_slice()));
    if let Some((k, n)) = opts.shard {
        jobs.retain(|j| j.index % n == k);
    }
    let datasets = load_datasets(&mut jobs, opts)?;
    let markets = build_markets(&mut jobs, &datasets)?;
    Ok(Plan {
        params,
        jobs,
        total,
        datasets,
        markets,
        cache: None,
    })
}

/// Every file's runs, indexed over all files, within `--max-runs` in total.
fn expand_files(paths: &[PathBuf], opts: &BatchOptions) -> Result<Vec<Job>, RunError> {
    let mut jobs = Vec::new();
    let mut index = 0usize;
    for path in paths {
        let text = crate::io::read_input_text(path, crate::io::MAX_TEXT_BYTES).map_err(|e| {
            RunError::Spec(SpecError {
                path: path.clone(),
                message: format!("cannot read: {e}"),
            })
        })?;
        let left = opts.max_runs.saturating_sub(index);
        if left == 0 {
            return Err(RunError::Spec(SpecError {
                path: path.clone(),
                message: format!(
                    "the files before it already expand to {index} runs, the limit of --max-runs {}; raise --max-runs or run fewer files",
                    opts.max_runs
                ),
            }));
        }
        let parsed = match parse_runs(&text, path, left) {
            // The limit is over all files: say so when earlier files used part of it.
            Err(RunError::Spec(mut e)) if index > 0 && e.message.contains("over the limit of") => {
                e.message = format!(
                    "{} ({index} runs of the files before it count against --max-runs {})",
                    e.message, opts.max_runs
                );
                return Err(RunError::Spec(e));
            }
            other => other?,
        };
        for r in parsed {
            jobs.push(Job {
                index,
                spec: r.spec,
                params: r.params,
                sample: r.sample,
                spec_hash: r.spec_hash,
                doc: r.doc,
                dataset: 0,
                market: 0,
            });
            index += 1;
        }
    }
    Ok(jobs)
}

/// Each distinct (manifest, data root) of the jobs loaded once; each job's index into
/// them.
fn load_datasets(jobs: &mut [Job], opts: &BatchOptions) -> Result<Vec<Dataset>, RunError> {
    let mut ds_keys: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
    let mut datasets = Vec::new();
    for j in jobs.iter_mut() {
        let root = opts.data_root.clone().or_else(|| j.spec.data_root.clone());
        let key = (j.spec.manifest.clone(), root.clone());
        j.dataset = match ds_keys.iter().position(|k| *k == key) {
            Some(p) => p,
            None => {
                let ds = Dataset::load(&j.spec.manifest, root.as_deref()).map_err(|source| {
                    RunError::Data {
                        file: j.spec.path.clone(),
                        source: Box::new(source),
                    }
                })?;
                ds_keys.push(key);
                datasets.push(ds);
                datasets.len() - 1
            }
        };
    }
    Ok(datasets)
}

/// Each distinct market (dataset, selection, period, step, assumptions, outlier policy)
/// of the jobs built once; each job's index into them, its schedules checked against
/// its market's step.
fn build_markets(
    jobs: &mut [Job],
    datasets: &[Dataset],
) -> Result<Vec<(Arc<Market>, AlignReport)>, RunError> {
    let mut m_keys: Vec<String> = Vec::new();
    let mut markets = Vec::new();
    for j in jobs.iter_mut() {
        let ds = &datasets[j.dataset];
        let key = format!(
            "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            j.dataset,
            selection(&j.spec, ds),
            j.spec.start,
            j.spec.end,
            j.spec.grid_step,
            j.spec.assume,
            j.spec.outliers
        );
        j.market = match m_keys.iter().position(|k| *k == key) {
            Some(p) => p,
            None => {
                let (m, a) = market_for(&j.spec, ds)?;
                m_keys.push(key);
                markets.push((Arc::new(m), a));
                markets.len() - 1
            }
        };
        check_schedules(j, markets[j.market].0.grid.step)?;
    }
    Ok(markets)
}

/// A schedule shorter than the run's step would act every step instead: refused.
fn check_schedules(j: &Job, step: i64) -> Result<(), RunError> {
    for (name, d) in j.spec.params.schedules() {
        let secs = d.secs_of(name).map_err(|message| {
            RunError::Spec(SpecError {
                path: j.spec.path.clone(),
                message,
            })
        })?;
        if secs < step {
            return Err(RunError::Spec(SpecError {
                path: j.spec.path.clone(),
                message: format!(
                    "[strategy] {name} = '{d}' is shorter than the run's step ({}): the engine acts at most once a step, so it would act every {} instead; use at least {}, or a finer `grid` if the data has one",
                    crate::units::format_duration(step),
                    crate::units::format_duration(step),
                    crate::units::format_duration(step)
                ),
            }));
        }
    }
    Ok(())
}

impl Plan {
    /// Reads and writes run records through `cache` (see `batch::cache`); `build` is the
    /// build identity in the keys (`cache::build_id()`, or another for tests).
    pub fn use_cache(&mut self, cache: cache::RunCache, build: String, path: PathBuf) {
        let markets = self
            .markets
            .par_iter()
            .map(|(m, _)| cache::market_fingerprint(m))
            .collect();
        self.cache = Some(PlanCache {
            cache,
            build,
            markets,
            path,
        });
    }

    /// Runs found in the cache so far.
    pub fn cache_hits(&self) -> usize {
        self.cache
            .as_ref()
            .map(|c| c.cache.hits.load(std::sync::atomic::Ordering::Relaxed))
            .unwrap_or(0)
    }

    /// Removes cache journals this plan does not use (call after a finished report).
    pub fn prune_cache(&self) {
        if let Some(c) = &self.cache {
            c.cache.remove_unused();
        }
    }

    fn key(&self, c: &PlanCache, job: &Job, records: &str) -> String {
        let sample = format!("{:?}", job.sample);
        let index = job.index.to_string();
        let light = job.spec.config.light.to_string();
        cache::run_key(
            &c.build,
            &c.markets[job.market],
            &[&job.doc, &index, &job.spec.name, &sample, &light, records],
        )
    }

    /// Runs every job in parallel (or reads its record from the cache) and hands each
    /// run's record, made by `records`, to `sink` in job order, a chunk at a time; with
    /// `keep_outputs` also the output of each run that was made (not read from the
    /// cache). The record is formatted in the worker. A run that fails numerically gives a failed record and
    /// the others go on; bad input still stops everything.
    pub fn run_records(
        &self,
        progress: impl Into<progress::Progress>,
        keep_outputs: bool,
        records: &dyn Records,
        mut sink: impl FnMut(RunRecord, Option<RunOutput>) -> Result<(), RunError>,
    ) -> Result<(), RunError> {
        let bar = progress::Reporter::new(self.jobs.len(), progress.into());
        for (ordinal, chunk) in self.jobs.chunks(CHUNK).enumerate() {
            let keys: Vec<String> = match &self.cache {
                Some(c) => chunk.iter().map(|j| self.key(c, j, records.id())).collect(),
                None => Vec::new(),
            };
            let journal = match &self.cache {
                Some(c) => Some(c.cache.chunk(ordinal, &keys).map_err(|e| RunError::Cache {
                    path: c.path.clone(),
                    message: e.to_string(),
                })?),
                None => None,
            };
            type Made = Result<(RunRecord, Option<RunOutput>), RunError>;
            let results: Vec<Made> = chunk
                .par_iter()
                .enumerate()
                .map(|(k, j)| {
                    if let Some(r) = journal.as_ref().and_then(|jn| jn.get(&keys[k])) {
                        if let Some(c) = &self.cache {
                            c.cache
                                .hits
                                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        bar.inc(1);
                        return Ok((r.clone(), None));
                    }
                    let made = match self.run(j) {
                        Ok(o) => {
                            let r = records.of(&o);
                            (r, keep_outputs.then_some(o))
                        }
                        Err(RunError::Engine {
                            source: source @ EngineError::Numeric { .. },
                            ..
                        }) => {
                            let f = FailedRun {
                                index: j.index,
                                name: j.spec.name.clone(),
                                kind: j.spec.params.kind(),
                                params: j.params.clone(),
                                spec_hash: j.spec_hash.clone(),
                                message: source.to_string(),
                            };
                            (records.failed(&f), None)
                        }
                        Err(e) => return Err(e),
                    };
                    if let (Some(jn), Some(c)) = (&journal, &self.cache) {
                        jn.append(&keys[k], &made.0).map_err(|e| RunError::Cache {
                            path: c.path.clone(),
                            message: e.to_string(),
                        })?;
                    }
                    bar.inc(1);
                    Ok(made)
                })
                .collect();
            for r in results {
                let (record, output) = r?;
                sink(record, output)?;
            }
        }
        bar.finish();
        Ok(())
    }

    /// Records only value series in every run (for sweeps that keep few series).
    pub fn set_light(&mut self, light: bool) {
        for j in &mut self.jobs {
            j.spec.config.light = light;
        }
    }

    /// Runs the job of run `index` again with full per-step series.
    pub fn rerun_full(&self, index: usize) -> Result<RunOutput, RunError> {
        let mut job = self
            .jobs
            .iter()
            .find(|j| j.index == index)
            .cloned()
            .ok_or_else(|| RunError::Internal(format!("run {index} is not a run of this plan")))?;
        job.spec.config.light = false;
        self.run(&job)
    }

    /// Runs one job with the strategy its file names.
    pub fn run(&self, job: &Job) -> Result<RunOutput, RunError> {
        let mut strategy = job.spec.params.build().map_err(|message| SpecError {
            path: job.spec.path.clone(),
            message,
        })?;
        self.run_with(job, strategy.as_mut())
    }

    /// Runs one job with `strategy`, built by the caller: a strategy written outside this
    /// crate (its file's `kind = "custom"`, whose `[strategy]` states what it reads), or
    /// any other. The output is what `run` gives, for `report::write` and the rest.
    pub fn run_with(
        &self,
        job: &Job,
        strategy: &mut dyn engine::Strategy,
    ) -> Result<RunOutput, RunError> {
        let ds = &self.datasets[job.dataset];
        let (base, align) = &self.markets[job.market];
        let resampled;
        let market: &Market = match job.sample {
            Some((s, b)) => {
                let steps = (b.block_secs / base.grid.step).max(1) as usize;
                resampled = bootstrap::resample(base, steps, b.seed, s);
                &resampled
            }
            None => base,
        };
        let result = engine::run(market, strategy, job.spec.config.clone()).map_err(|source| {
            RunError::Engine {
                file: job.spec.path.clone(),
                source,
            }
        })?;
        let ids = || {
            market
                .pools
                .keys()
                .map(|k| (SeriesKind::Pool, k))
                .chain(market.prices.keys().map(|k| (SeriesKind::Price, k)))
                .chain(market.gas.keys().map(|k| (SeriesKind::Gas, k)))
                .chain(market.rates.keys().map(|k| (SeriesKind::Rate, k)))
        };
        let series = ids().map(|(kind, id)| format!("{kind} {id}")).collect();
        let mut data_files: Vec<String> = ids()
            .filter_map(|(kind, id)| ds.series.get(&(kind, id.clone())).map(|s| s.file.clone()))
            .collect();
        data_files.sort();
        data_files.dedup();
        let mut chains: Vec<String> = market
            .pools
            .values()
            .map(|p| p.meta.chain.clone())
            .collect();
        chains.extend(market.gas.keys().cloned());
        chains.sort();
        chains.dedup();
        Ok(RunOutput {
            index: job.index,
            params: job.params.clone(),
            spec_hash: job.spec_hash.clone(),
            spec: job.spec.clone(),
            dataset: ds.name.clone(),
            data_files,
            chains,
            series,
            align: align.clone(),
            lend_baseline: lend_baseline(ds, &result.grid, job.spec.config.capital_usd),
            result,
        })
    }

    /// Runs every job in parallel and hands the outputs to `sink` in job order, a chunk
    /// at a time, so memory stays bounded however many runs there are. Any failed run
    /// is an error here (`run_records` reports it and goes on).
    pub fn run_all(
        &self,
        progress: bool,
        mut sink: impl FnMut(RunOutput) -> Result<(), RunError>,
    ) -> Result<(), RunError> {
        self.run_records(progress, true, &Bare, |record, output| match output {
            Some(o) => sink(o),
            None => Err(RunError::Engine {
                file: self
                    .jobs
                    .iter()
                    .find(|j| j.index == record.index)
                    .map(|j| j.spec.path.clone())
                    .unwrap_or_default(),
                source: EngineError::Spec(record.error().unwrap_or_default().to_string()),
            }),
        })
    }
}

/// The records `run_all` needs: a run's index and, for a failed run, its error.
struct Bare;

impl Records for Bare {
    fn id(&self) -> &'static str {
        "bare"
    }

    fn of(&self, o: &RunOutput) -> RunRecord {
        RunRecord::new(
            o.index,
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            [f64::NAN; 3],
            false,
        )
    }

    fn failed(&self, f: &FailedRun) -> RunRecord {
        RunRecord::new(
            f.index,
            vec![f.name.clone(), f.message.clone()],
            f.params.clone(),
            Vec::new(),
            Vec::new(),
            [f64::NAN; 3],
            true,
        )
    }
}

/// Runs strategy files and keeps every result (small invocations: `compare`, tests).
pub fn run_files(paths: &[PathBuf], data_root: Option<&Path>) -> Result<Vec<RunOutput>, RunError> {
    let opts = BatchOptions {
        data_root: data_root.map(Path::to_path_buf),
        ..BatchOptions::default()
    };
    let plan = plan(paths, &opts)?;
    let mut out = Vec::with_capacity(plan.jobs.len());
    plan.run_all(false, |o| {
        out.push(o);
        Ok(())
    })?;
    Ok(out)
}
