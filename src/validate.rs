//! `yieldlab validate`: how far the engine's fee model is from what happened on-chain.
//!
//! Check 1 — fee income against on-chain fee growth. A Uniswap v3 pool's
//! `feeGrowthGlobal{0,1}` grows by the fees one unit of always-in-range liquidity earned;
//! over a day, Δfg0·P0/10^d0 + Δfg1·P1/10^d1 is that unit's income in USD. A vanishing
//! always-in-range position is run through `PoolView::fee_income` — the function the
//! engine's accrual calls — under the `volume_liquidity` and the `fee_growth` models
//! (src/fees.rs). Both are summed per pool and month and compared; the error is
//! simulated / on-chain − 1.
//!
//! Sources of error of `volume_liquidity`: the data are daily bars, while fees accrue
//! swap by swap against the liquidity active at each swap; the active liquidity is the
//! mean of the day's start and end snapshots; prices inside the day move. USD prices: a
//! USD stablecoin side (USDC, USDT, DAI) at $1 and the other through the pool price,
//! else WETH at the dataset's ETH price, as a run prices them.

pub mod ranges;
pub mod replay;

use std::collections::BTreeMap;
use std::path::Path;

use crate::data::{Dataset, RawSeries};
use crate::market::{Field, SeriesKind};
use crate::report::charts::Chart;
use crate::units::{format_ts, Timestamp};

/// One pool-month of the fee check.
#[derive(Debug, Clone, PartialEq)]
pub struct FeeMonth {
    pub pool: String,
    /// `YYYY-MM`.
    pub month: String,
    pub days: usize,
    /// USD earned by one unit of raw liquidity in range all month, on-chain (Δ of the
    /// pool's feeGrowthGlobal0/1 rows, valued at the run's token prices) and through the
    /// engine's two bar models.
    pub onchain: f64,
    pub sim_volume_liquidity: f64,
    pub sim_fee_growth: f64,
}

impl FeeMonth {
    /// The `volume_liquidity` model's error (simulated / on-chain − 1).
    pub fn error(&self) -> f64 {
        self.sim_volume_liquidity / self.onchain - 1.0
    }

    /// The `fee_growth` model's error.
    pub fn error_fee_growth(&self) -> f64 {
        self.sim_fee_growth / self.onchain - 1.0
    }
}

const STABLES: [&str; 3] = ["USDC", "USDT", "DAI"];

/// The first contiguous stretch of rows where every field in `fields` has a value.
fn known_span(s: &RawSeries, fields: &[&[f64]]) -> Option<(usize, usize)> {
    let ok = |k: usize| fields.iter().all(|f| f[k].is_finite());
    let first = (0..s.ts.len()).find(|k| ok(*k))?;
    let last = (first..s.ts.len()).take_while(|k| ok(*k)).last()?;
    (last > first).then_some((first, last))
}

/// Builds the market of one pool over rows `first..=last` on the data's own bar, with a
/// stablecoin side at $1 (or the dataset's ETH price for WETH when the pool has none),
/// and the book of that market with the pool's fee model forced to `model`.
fn pool_run(
    ds: &Dataset,
    s: &RawSeries,
    first: usize,
    last: usize,
) -> Option<crate::market::Market> {
    let meta = ds.pools.get(&s.id)?;
    let stable = meta.tokens.iter().any(|t| STABLES.contains(&t.as_str()));
    let prices = if stable || !ds.series.contains_key(&(SeriesKind::Price, "ETH".into())) {
        Vec::new()
    } else {
        vec!["ETH".to_string()]
    };
    let sel = crate::data::Selection {
        pools: Some(vec![s.id.clone()]),
        prices: Some(prices),
        gas: Some(Vec::new()),
        rates: Some(Vec::new()),
    };
    let grid = crate::data::GridSpec {
        step: Some(s.bar),
        start: Some(s.ts[first] + s.obs_offset),
        // The grid's last point needs the flows of the step after it: end one bar early.
        end: Some(s.ts[last] + s.obs_offset - s.bar),
    };
    let (mut market, _) = crate::data::build_market(ds, &sel, &grid).ok()?;
    let n = market.grid.len();
    for t in &meta.tokens {
        if STABLES.contains(&t.as_str()) {
            market
                .prices
                .entry(t.clone())
                .or_insert_with(|| crate::market::PriceSeries {
                    asset: t.clone(),
                    price_usd: vec![1.0; n],
                });
        }
    }
    Some(market)
}

/// The fee check for every concentrated pool with fee growth and liquidity in the
/// dataset. For each pool, the stretch of rows with both is run as a market on the
/// data's own bar; a vanishing always-in-range position (one unit of raw liquidity)
/// earns, bar by bar, what `PoolView::fee_income` — the function the engine's accrual
/// calls — gives under `fee_growth` and under `volume_liquidity`. The reference is the
/// pool's own feeGrowthGlobal rows, differenced and valued at the run's token prices.
pub fn fee_growth(ds: &Dataset) -> Vec<FeeMonth> {
    let mut out = Vec::new();
    for ((kind, id), s) in &ds.series {
        if *kind != SeriesKind::Pool {
            continue;
        }
        let (Some(fg0), Some(fg1), Some(liq), Some(meta)) = (
            s.fields.get(&Field::FeeGrowthGlobal0),
            s.fields.get(&Field::FeeGrowthGlobal1),
            s.fields.get(&Field::Liquidity),
            ds.pools.get(id),
        ) else {
            continue;
        };
        let (d0, d1) = match meta.decimals.as_slice() {
            [a, b] => (*a as i32, *b as i32),
            _ => continue,
        };
        let Some((first, last)) = known_span(s, &[fg0, fg1, liq]) else {
            continue;
        };
        let Some(market) = pool_run(ds, s, first, last) else {
            continue;
        };
        let Some((fg_book, vl_book)) = model_books(&market, id) else {
            continue;
        };
        let (fg_book, vl_book) = (&fg_book, &vl_book);
        let (Ok(fg_pool), Ok(vl_pool)) = (fg_book.pool(id), vl_book.pool(id)) else {
            continue;
        };
        // One unit of raw liquidity, in the whole-token units positions hold.
        let unit = 1.0 / fg_pool.raw_liquidity_scale().unwrap_or(1.0);
        let grid = market.grid;
        let mut months: BTreeMap<String, FeeMonth> = BTreeMap::new();
        for i in 1..grid.len() {
            // The rows whose values are known at the bar's start and end.
            let (a, b) = (first + i - 1, first + i);
            if b > last
                || s.ts[a] + s.obs_offset != grid.at(i - 1)
                || s.ts[b] + s.obs_offset != grid.at(i)
            {
                continue;
            }
            let (t0, t1) = (fg_pool.token_prices[0], fg_pool.token_prices[1]);
            let onchain = (fg0[b] - fg0[a]) / 10f64.powi(d0) * fg_book.price(t0, i)
                + (fg1[b] - fg1[a]) / 10f64.powi(d1) * fg_book.price(t1, i);
            if onchain.is_nan() || onchain <= 0.0 {
                continue;
            }
            let (Ok((_, sim_fg, _)), Ok((_, sim_vl, _))) = (
                fg_pool.fee_income(fg_book, i, None, unit, 0.0),
                vl_pool.fee_income(vl_book, i, None, unit, 0.0),
            ) else {
                continue;
            };
            let month = format_ts(grid.at(i - 1))[..7].to_string();
            let m = months.entry(month.clone()).or_insert_with(|| FeeMonth {
                pool: id.clone(),
                month,
                days: 0,
                onchain: 0.0,
                sim_volume_liquidity: 0.0,
                sim_fee_growth: 0.0,
            });
            m.days += 1;
            m.onchain += onchain;
            m.sim_volume_liquidity += sim_vl;
            m.sim_fee_growth += sim_fg;
        }
        // Months with at least 20 days compared.
        out.extend(months.into_values().filter(|m| m.days >= 20));
    }
    out
}

/// The pool's book under each of the two models compared: `fee_growth` and
/// `volume_liquidity`.
fn model_books(
    market: &crate::market::Market,
    id: &String,
) -> Option<(crate::engine::Book, crate::engine::Book)> {
    use crate::engine::{Book, PoolSettings};
    use crate::fees::FeeModel;
    let books: Vec<Book> = [FeeModel::FeeGrowth, FeeModel::VolumeLiquidity]
        .iter()
        .filter_map(|m| {
            let settings = [(
                id.clone(),
                PoolSettings {
                    fee_model: Some(*m),
                    ..Default::default()
                },
            )]
            .into_iter()
            .collect();
            Book::build(market, std::slice::from_ref(id), &[], &[], &settings).ok()
        })
        .collect();
    let mut books = books.into_iter();
    Some((books.next()?, books.next()?))
}

/// Per pool: months compared, median and worst absolute error of the
/// `volume_liquidity` model, and of the `fee_growth` model.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolAccuracy {
    pub pool: String,
    pub months: usize,
    pub median_abs_error: f64,
    pub worst_abs_error: f64,
    pub median_abs_error_fee_growth: f64,
    pub worst_abs_error_fee_growth: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    crate::metrics::percentile(&v, 0.5)
}

pub fn accuracy(months: &[FeeMonth]) -> Vec<PoolAccuracy> {
    let mut pools: Vec<&str> = months.iter().map(|m| m.pool.as_str()).collect();
    pools.dedup();
    pools
        .into_iter()
        .map(|p| {
            let ms: Vec<&FeeMonth> = months.iter().filter(|m| m.pool == p).collect();
            PoolAccuracy {
                pool: p.to_string(),
                months: ms.len(),
                median_abs_error: median_worst(ms.iter().map(|m| m.error())).0,
                worst_abs_error: median_worst(ms.iter().map(|m| m.error())).1,
                median_abs_error_fee_growth: median_worst(ms.iter().map(|m| m.error_fee_growth()))
                    .0,
                worst_abs_error_fee_growth: median_worst(ms.iter().map(|m| m.error_fee_growth())).1,
            }
        })
        .collect()
}

/// The median absolute monthly error over every pool-month (`volume_liquidity`).
pub fn overall_median(months: &[FeeMonth]) -> f64 {
    median_worst(months.iter().map(|m| m.error())).0
}

/// The median and worst absolute monthly error over every pool-month (`fee_growth`).
pub fn overall_fee_growth(months: &[FeeMonth]) -> (f64, f64) {
    median_worst(months.iter().map(|m| m.error_fee_growth()))
}

/// Check 1's results, its per-pool accuracy and its charts.
type FeeCheck = (Vec<FeeMonth>, Vec<PoolAccuracy>, Vec<Chart>);

/// Writes fee_growth_monthly.csv, fee_growth_summary.csv and a chart per pool.
pub fn write(ds: &Dataset, dir: &Path) -> Result<FeeCheck, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let months = fee_growth(ds);
    let acc = accuracy(&months);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "pool",
        "month",
        "days",
        "onchain_usd_per_l",
        "volume_liquidity_usd_per_l",
        "volume_liquidity_error_pct",
        "fee_growth_usd_per_l",
        "fee_growth_error_pct",
    ])?;
    for m in &months {
        w.write_record([
            m.pool.clone(),
            m.month.clone(),
            m.days.to_string(),
            format!("{:e}", m.onchain),
            format!("{:e}", m.sim_volume_liquidity),
            format!("{:.3}", 100.0 * m.error()),
            format!("{:e}", m.sim_fee_growth),
            format!("{:.3}", 100.0 * m.error_fee_growth()),
        ])?;
    }
    crate::io::write_atomic(&dir.join("fee_growth_monthly.csv"), &w.into_inner()?)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "pool",
        "months",
        "volume_liquidity_median_abs_error_pct",
        "volume_liquidity_worst_abs_error_pct",
        "fee_growth_median_abs_error_pct",
        "fee_growth_worst_abs_error_pct",
    ])?;
    for a in &acc {
        w.write_record([
            a.pool.clone(),
            a.months.to_string(),
            format!("{:.3}", 100.0 * a.median_abs_error),
            format!("{:.3}", 100.0 * a.worst_abs_error),
            format!("{:.3e}", 100.0 * a.median_abs_error_fee_growth),
            format!("{:.3e}", 100.0 * a.worst_abs_error_fee_growth),
        ])?;
    }
    crate::io::write_atomic(&dir.join("fee_growth_summary.csv"), &w.into_inner()?)?;
    let charts = acc
        .iter()
        .map(|a| fee_growth_chart(dir, &a.pool, &months))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((months, acc, charts))
}

/// Check 1's chart of a pool: monthly fees per unit of liquidity, on-chain and by both
/// models.
fn fee_growth_chart(
    dir: &Path,
    pool: &str,
    months: &[FeeMonth],
) -> Result<Chart, Box<dyn std::error::Error>> {
    let ms: Vec<&FeeMonth> = months.iter().filter(|m| m.pool == pool).collect();
    let t = |m: &FeeMonth| -> f64 {
        let ts: Timestamp = crate::units::parse_datetime(&format!("{}-01", m.month)).unwrap_or(0);
        ts as f64
    };
    let lines = vec![
        (
            "on-chain (fee growth)".to_string(),
            ms.iter().map(|m| (t(m), m.onchain * 1e12)).collect(),
            false,
            0,
        ),
        (
            "engine, volume_liquidity (volume × fee / mean active liquidity)".to_string(),
            ms.iter()
                .map(|m| (t(m), m.sim_volume_liquidity * 1e12))
                .collect(),
            false,
            1,
        ),
        (
            "engine, fee_growth".to_string(),
            ms.iter().map(|m| (t(m), m.sim_fee_growth * 1e12)).collect(),
            false,
            2,
        ),
    ];
    crate::report::charts::lines_chart(
        dir,
        &format!("fee_growth_{pool}"),
        &format!("{pool}: monthly fees per 10^12 units of liquidity (USD)"),
        "USD per 10^12 L",
        &lines,
    )
}

/// Check 2 — the engine's whole-pool fee APR against the APY DefiLlama published for the
/// same pool (matched by address). DefiLlama's `apy_base` for Uniswap v3 is a day's fees
/// over TVL, annualised; its value is compared with the engine's fee APR of the pool day
/// with the same date (fees × 365 / TVL at the day's close). That alignment is the
/// closest in the data: on UNI/WETH the median difference is 3.4 APR points with it and
/// 4.7 against the previous day.
#[derive(Debug, Clone, PartialEq)]
pub struct AprDay {
    pub pool: String,
    pub date: String,
    pub engine_apr: f64,
    pub published_apr: f64,
}

impl AprDay {
    /// Difference in APR points (fraction per year).
    pub fn diff(&self) -> f64 {
        self.engine_apr - self.published_apr
    }
}

pub fn apr_vs_published(ds: &Dataset) -> Vec<AprDay> {
    let mut out = Vec::new();
    for ((kind, id), s) in &ds.series {
        if *kind != SeriesKind::Pool {
            continue;
        }
        let Some(addr) = ds.pools.get(id).and_then(|m| m.address.clone()) else {
            continue;
        };
        let Some(llama) = ds.series.get(&(SeriesKind::Pool, format!("llama_{addr}"))) else {
            continue;
        };
        let (Some(fees), Some(tvl), Some(apy)) = (
            s.fields.get(&Field::FeesUsd),
            s.fields.get(&Field::TvlUsd),
            llama.fields.get(&Field::ApyBase),
        ) else {
            continue;
        };
        for (j, t) in llama.ts.iter().enumerate() {
            // The pool day with the same date.
            let Ok(k) = s.ts.binary_search(t) else {
                continue;
            };
            if !(fees[k].is_finite() && tvl[k] > 0.0 && apy[j].is_finite()) {
                continue;
            }
            out.push(AprDay {
                pool: id.clone(),
                date: format_ts(*t)[..10].to_string(),
                engine_apr: fees[k] * 365.0 / tvl[k],
                published_apr: apy[j],
            });
        }
    }
    out
}

/// Per pool: days compared, the median and 90th percentile of the absolute difference in
/// APR points, and the median published APR for scale.
pub fn apr_summary(days: &[AprDay]) -> Vec<(String, usize, f64, f64, f64)> {
    let mut pools: Vec<&str> = days.iter().map(|d| d.pool.as_str()).collect();
    pools.dedup();
    pools
        .into_iter()
        .map(|p| {
            let mut diffs: Vec<f64> = days
                .iter()
                .filter(|d| d.pool == p)
                .map(|d| d.diff().abs())
                .collect();
            diffs.sort_by(f64::total_cmp);
            let published = median(
                days.iter()
                    .filter(|d| d.pool == p)
                    .map(|d| d.published_apr)
                    .collect(),
            );
            (
                p.to_string(),
                diffs.len(),
                crate::metrics::percentile(&diffs, 0.5),
                crate::metrics::percentile(&diffs, 0.9),
                published,
            )
        })
        .collect()
}

/// Writes apr_vs_defillama.csv, apr_vs_defillama_summary.csv and a chart per pool.
pub fn write_apr(
    ds: &Dataset,
    dir: &Path,
) -> Result<(Vec<AprDay>, Vec<Chart>), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let days = apr_vs_published(ds);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "pool",
        "date",
        "engine_fee_apr",
        "defillama_apy_base",
        "difference_points",
    ])?;
    for d in &days {
        w.write_record([
            d.pool.clone(),
            d.date.clone(),
            format!("{:.6}", d.engine_apr),
            format!("{:.6}", d.published_apr),
            format!("{:.6}", d.diff()),
        ])?;
    }
    crate::io::write_atomic(&dir.join("apr_vs_defillama.csv"), &w.into_inner()?)?;
    let mut charts = Vec::new();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "pool",
        "days",
        "median_abs_difference_pct_points",
        "p90_abs_difference_pct_points",
        "median_published_apy_pct",
    ])?;
    for (p, n, med, p90, publ) in apr_summary(&days) {
        w.write_record([
            p.clone(),
            n.to_string(),
            format!("{:.3}", 100.0 * med),
            format!("{:.3}", 100.0 * p90),
            format!("{:.3}", 100.0 * publ),
        ])?;
        let pts = |f: &dyn Fn(&AprDay) -> f64| -> Vec<(f64, f64)> {
            days.iter()
                .filter(|d| d.pool == p)
                .map(|d| {
                    (
                        crate::units::parse_datetime(&d.date).unwrap_or(0) as f64,
                        100.0 * f(d),
                    )
                })
                .collect()
        };
        let lines = vec![
            (
                "DefiLlama apy_base".to_string(),
                pts(&|d| d.published_apr),
                false,
                0,
            ),
            (
                "engine fee APR (fees × 365 / TVL)".to_string(),
                pts(&|d| d.engine_apr),
                false,
                1,
            ),
        ];
        charts.push(crate::report::charts::lines_chart(
            dir,
            &format!("apr_vs_defillama_{p}"),
            &format!("{p}: fee APR, engine vs DefiLlama (%)"),
            "APR (%)",
            &lines,
        )?);
    }
    crate::io::write_atomic(&dir.join("apr_vs_defillama_summary.csv"), &w.into_inner()?)?;
    Ok((days, charts))
}

/// Check 3 — a constant-product LP's value against the pool's own reserves. From the
/// reserves at the end of hour t−1 the engine's valuation of v2 liquidity
/// (`amm::v2::amounts_at_price`, what the engine marks LP positions with: L = √(x·y)
/// held, x = L/√P, y = L·√P) gives the pool's value at hour t's closing price; the
/// reserves at the end of hour t give its actual value. Both in token0 (USDC).
///
/// The difference is what the engine's mark-to-market of a position does not contain:
/// fees (which the engine adds separately from volume, absent in this source) and
/// liquidity added or removed during the hour (which changes the pool, not a position).
/// The dataset has no LP token supply, so the two cannot be told apart; hours where the
/// error is below the pool's fee rate are hours without large mints or burns, and there
/// the valuation agrees to within the fees earned.
#[derive(Debug, Clone, PartialEq)]
pub struct ReserveHour {
    pub pool: String,
    pub ts: Timestamp,
    /// Pool value at the hour's close price from the previous reserves (token0 units).
    pub simulated: f64,
    /// Pool value from the hour's closing reserves (token0 units).
    pub onchain: f64,
}

impl ReserveHour {
    pub fn error(&self) -> f64 {
        self.simulated / self.onchain - 1.0
    }
}

/// Check 3 for every pool with reserves and a price.
pub fn reserves_check(ds: &Dataset) -> Vec<ReserveHour> {
    let mut out = Vec::new();
    for ((kind, id), s) in &ds.series {
        if *kind != SeriesKind::Pool {
            continue;
        }
        let (Some(r0), Some(r1), Some(price)) = (
            s.fields.get(&Field::Reserve0),
            s.fields.get(&Field::Reserve1),
            s.fields.get(&Field::Price),
        ) else {
            continue;
        };
        for t in 1..s.ts.len() {
            if s.ts[t] - s.ts[t - 1] != s.bar || r0[t - 1] <= 0.0 || r1[t - 1] <= 0.0 {
                continue;
            }
            let l = (r0[t - 1] * r1[t - 1]).sqrt();
            let p = price[t];
            let (x, y) = crate::amm::v2::amounts_at_price(l, p);
            out.push(ReserveHour {
                pool: id.clone(),
                ts: s.ts[t] + s.obs_offset,
                simulated: x + y / p,
                onchain: r0[t] + r1[t] / p,
            });
        }
    }
    out
}

/// Check 4 — the StableSwap implementation against curvesim 0.5.0 (an integer port of
/// the Curve contracts): a 3pool-sized pool (A = 2000, 0.01 % fee) through 300 exchanges,
/// deposits and one-coin and imbalanced withdrawals of real sizes, the virtual price
/// compared after each (tests/vectors/stableswap_sequence.jsonl, made by
/// tools/reference/gen_vectors.py).
#[derive(Debug, Clone, PartialEq)]
pub struct CurveStep {
    pub step: usize,
    pub op: String,
    pub ours: f64,
    pub reference: f64,
}

impl CurveStep {
    pub fn error(&self) -> f64 {
        self.ours / self.reference - 1.0
    }
}

const CURVE_SEQUENCE: &str = include_str!("../tests/vectors/stableswap_sequence.jsonl");

/// Replays the reference sequence; an error names the step that could not be replayed.
pub fn curve_check() -> Result<Vec<CurveStep>, String> {
    use crate::amm::stableswap::Pool;
    use serde_json::Value;
    let wei = 1e-18;
    let num = |v: &Value, k: &str| -> Result<f64, String> {
        match &v[k] {
            Value::String(s) => s.parse::<f64>().map_err(|e| format!("{k}: {e}")),
            Value::Number(n) => n.as_f64().ok_or_else(|| format!("{k}: not a number")),
            _ => Err(format!("{k}: missing")),
        }
    };
    let nums = |v: &Value, k: &str| -> Result<Vec<f64>, String> {
        v[k].as_array()
            .ok_or_else(|| format!("{k}: missing"))?
            .iter()
            .map(|x| match x {
                Value::String(s) => s.parse::<f64>().map(|f| f * wei).map_err(|e| e.to_string()),
                _ => Err(format!("{k}: not a string")),
            })
            .collect()
    };
    let steps: Vec<Value> = CURVE_SEQUENCE
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let head = steps.first().ok_or("empty sequence")?;
    let mut pool = Pool::new(
        nums(head, "balances")?,
        num(head, "amp")?,
        num(head, "fee")? / 1e10,
        num(head, "admin_fee")? / 1e10,
        num(head, "supply")? * wei,
    )
    .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for (k, s) in steps[1..].iter().enumerate() {
        let op = s["op"].as_str().unwrap_or("").to_string();
        let idx = |key: &str| {
            s[key]
                .as_u64()
                .map(|x| x as usize)
                .ok_or(format!("step {k}: {key}"))
        };
        let r = match op.as_str() {
            "exchange" => pool
                .exchange(idx("i")?, idx("j")?, num(s, "dx")? * wei)
                .map(|_| ()),
            "add" => pool.add_liquidity(&nums(s, "amounts")?).map(|_| ()),
            "remove_one" => pool
                .remove_liquidity_one_coin(num(s, "token_amount")? * wei, idx("i")?)
                .map(|_| ()),
            "remove_imbalance" => pool
                .remove_liquidity_imbalance(&nums(s, "amounts")?)
                .map(|_| ()),
            other => return Err(format!("step {k}: unknown op {other}")),
        };
        r.map_err(|e| format!("step {k} ({op}): {e}"))?;
        out.push(CurveStep {
            step: k + 1,
            op,
            ours: pool.virtual_price().map_err(|e| e.to_string())?,
            reference: num(s, "virtual_price")? * wei,
        });
    }
    Ok(out)
}

/// Median and worst of |x|.
pub fn median_worst(xs: impl Iterator<Item = f64>) -> (f64, f64) {
    let v: Vec<f64> = xs.map(f64::abs).collect();
    let worst = v.iter().cloned().fold(0.0, f64::max);
    (median(v), worst)
}

/// One check's headline: what was compared, how many periods, median and worst error.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckSummary {
    pub check: &'static str,
    pub compared: String,
    pub periods: usize,
    /// Median and worst absolute error in percent (check 2: in APR points).
    pub median: f64,
    pub worst: f64,
    pub unit: &'static str,
}

/// Runs every check, writes their CSV files and charts into `dir`, and a report
/// (`report.html`, `report.md`, `checks.csv` with one headline row per check); returns
/// the headlines and check 1's per-pool accuracy.
pub fn write_all(
    ds: &Dataset,
    dir: &Path,
) -> Result<(Vec<CheckSummary>, Vec<PoolAccuracy>), Box<dyn std::error::Error>> {
    let (months, acc, mut charts) = write(ds, dir)?;
    let (apr_days, apr_charts) = write_apr(ds, dir)?;
    charts.extend(apr_charts);
    let hours = reserves_check(ds);
    let curve = curve_check()?;
    write_reserves(dir, &hours, &mut charts)?;
    write_curve(dir, &curve, &mut charts)?;
    let mut summaries = headlines(&months, &apr_days, &hours, &curve);
    let mut notes: Vec<String> = NOTES.iter().map(|s| s.to_string()).collect();
    let (replay_rows, replay_notes) = replay::write(ds, dir, &mut charts)?;
    summaries.extend(replay_rows);
    notes.extend(replay_notes);
    write_checks(dir, &summaries)?;
    let (html, md) = report_text(&summaries, &notes, &charts);
    crate::io::write_atomic(&dir.join("report.html"), html.as_bytes())?;
    crate::io::write_atomic(&dir.join("report.md"), md.as_bytes())?;
    Ok((summaries, acc))
}

type Charts = Vec<Chart>;

/// Check 3's table and charts: the engine's v2 valuation against the pool's reserves.
fn write_reserves(
    dir: &Path,
    hours: &[ReserveHour],
    charts: &mut Charts,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "pool",
        "timestamp",
        "simulated_value_token0",
        "onchain_value_token0",
        "error_pct",
    ])?;
    for h in hours {
        w.write_record([
            h.pool.clone(),
            format_ts(h.ts),
            format!("{:.6}", h.simulated),
            format!("{:.6}", h.onchain),
            format!("{:.6}", 100.0 * h.error()),
        ])?;
    }
    crate::io::write_atomic(&dir.join("lp_value_vs_reserves.csv"), &w.into_inner()?)?;
    let mut pools: Vec<&str> = hours.iter().map(|h| h.pool.as_str()).collect();
    pools.dedup();
    for p in pools {
        let pts = |f: &dyn Fn(&ReserveHour) -> f64| -> Vec<(f64, f64)> {
            hours
                .iter()
                .filter(|h| h.pool == p)
                .map(|h| (h.ts as f64, f(h) / 1e6))
                .collect()
        };
        charts.push(crate::report::charts::lines_chart(
            dir,
            &format!("lp_value_vs_reserves_{p}"),
            &format!("{p}: pool value, engine's v2 valuation vs reserves (M token0)"),
            "value (millions of token0)",
            &[
                (
                    "on-chain reserves".to_string(),
                    pts(&|h| h.onchain),
                    false,
                    0,
                ),
                (
                    "engine: previous L at this price".to_string(),
                    pts(&|h| h.simulated),
                    false,
                    1,
                ),
            ],
        )?);
    }

    Ok(())
}

/// Check 4's table and chart: StableSwap's virtual price against curvesim's.
fn write_curve(
    dir: &Path,
    curve: &[CurveStep],
    charts: &mut Charts,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "step",
        "op",
        "virtual_price_ours",
        "virtual_price_curvesim",
        "error",
    ])?;
    for c in curve {
        w.write_record([
            c.step.to_string(),
            c.op.clone(),
            format!("{:.18}", c.ours),
            format!("{:.18}", c.reference),
            format!("{:e}", c.error()),
        ])?;
    }
    crate::io::write_atomic(&dir.join("stableswap_vs_curvesim.csv"), &w.into_inner()?)?;
    charts.push(crate::report::charts::lines_chart_x(
        dir,
        "stableswap_vs_curvesim",
        "StableSwap virtual price after each operation: yieldlab vs curvesim",
        "operation",
        "virtual price",
        &[
            (
                "curvesim 0.5.0".to_string(),
                curve.iter().map(|c| (c.step as f64, c.reference)).collect(),
                false,
                0,
            ),
            (
                "yieldlab".to_string(),
                curve.iter().map(|c| (c.step as f64, c.ours)).collect(),
                false,
                1,
            ),
        ],
    )?);

    Ok(())
}

/// The headline rows of checks 1 to 4.
fn headlines(
    months: &[FeeMonth],
    apr_days: &[AprDay],
    hours: &[ReserveHour],
    curve: &[CurveStep],
) -> Vec<CheckSummary> {
    let (m1, w1) = median_worst(months.iter().map(|m| 100.0 * m.error()));
    let (m1b, w1b) = median_worst(months.iter().map(|m| 100.0 * m.error_fee_growth()));
    let (m2, w2) = median_worst(apr_days.iter().map(|d| 100.0 * d.diff()));
    let (m3, w3) = median_worst(hours.iter().map(|h| 100.0 * h.error()));
    let (m4, w4) = median_worst(curve.iter().map(|c| 100.0 * c.error()));
    vec![
        CheckSummary {
            check: "1. fee income vs on-chain fee growth",
            compared: "pool-months (Uniswap v3, daily bars), engine's volume_liquidity model"
                .into(),
            periods: months.len(),
            median: m1,
            worst: w1,
            unit: "%",
        },
        CheckSummary {
            check: "1b. fee_growth model vs on-chain fee growth",
            compared: "pool-months (Uniswap v3, daily bars), engine's fee_growth model".into(),
            periods: months.len(),
            median: m1b,
            worst: w1b,
            unit: "%",
        },
        CheckSummary {
            check: "2. fee APR vs DefiLlama apy_base",
            compared: "pool-days".into(),
            periods: apr_days.len(),
            median: m2,
            worst: w2,
            unit: "APR points",
        },
        CheckSummary {
            check: "3. v2 LP value vs the pool's reserves",
            compared: "pool-hours (Uniswap v2 USDC/WETH)".into(),
            periods: hours.len(),
            median: m3,
            worst: w3,
            unit: "%",
        },
        CheckSummary {
            check: "4. StableSwap virtual price vs curvesim",
            compared: "operations".into(),
            periods: curve.len(),
            median: m4,
            worst: w4,
            unit: "%",
        },
    ]
}

/// `checks.csv`: every check's headline row.
fn write_checks(dir: &Path, summaries: &[CheckSummary]) -> Result<(), Box<dyn std::error::Error>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "check",
        "compared",
        "periods",
        "median_abs_error",
        "worst_abs_error",
        "unit",
    ])?;
    for s in summaries {
        w.write_record([
            s.check.to_string(),
            s.compared.clone(),
            s.periods.to_string(),
            format!("{:e}", s.median),
            format!("{:e}", s.worst),
            s.unit.to_string(),
        ])?;
    }
    crate::io::write_atomic(&dir.join("checks.csv"), &w.into_inner()?)?;
    Ok(())
}

const NOTES: [&str; 5] = [
    "Fee income, volume_liquidity model: what one unit of always-in-range liquidity earned on-chain (growth of feeGrowthGlobal, valued at the run's token prices) against what PoolView::fee_income — the function the engine's accrual calls — gives under the volume_liquidity model (volume × fee rate × L_ours / (L_active + L_ours), L_active the mean of the day's start and end snapshots), per pool and month. Errors come from daily bars (fees accrue swap by swap against the liquidity active at each swap), the snapshots missing how liquidity moved inside the day, and the subgraph's USD volume.",
    "Fee income, fee_growth model: the same, through the fee_growth model, which reads the counters themselves. It is right by construction for always-in-range liquidity; what remains is the float rounding of the per-step increments the loader aligns. Its error for a range is the in-range fraction of bars that cross the range (a path-length estimate), which this check does not exercise.",
    "Fee APR: the engine's whole-pool fee APR (fees × 365 ÷ TVL) against DefiLlama's published apy_base for the same pool and date. DefiLlama's figure is computed by its own pipeline from a different TVL snapshot; differences are largest on small pools.",
    "LP value: the pool's value at each hour's closing price from the previous hour's reserves, by the valuation the engine marks v2 positions with, against the hour's actual reserves. The difference is fees plus liquidity added or removed in the hour; without LP token supply in the data the two cannot be separated.",
    "StableSwap: the virtual price after each of 300 operations on a 3pool-sized pool, yieldlab's f64 implementation against curvesim 0.5.0's integer port of the Curve contracts.",
];

fn fmt_err(x: f64) -> String {
    if x != 0.0 && x.abs() < 1e-3 {
        format!("{x:.1e}")
    } else {
        format!("{x:.2}")
    }
}

/// The validation section: headline table, what each check means, its charts.
fn report_text(summaries: &[CheckSummary], notes: &[String], charts: &[Chart]) -> (String, String) {
    use crate::report::html::esc as escape;
    let mut rows = String::new();
    let mut md = String::from("# How accurate is it? — yieldlab validate\n\n| check | compared | periods | median abs error | worst abs error |\n|---|---|---|---|---|\n");
    for s in summaries {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td>{} {}</td></tr>",
            escape(s.check),
            escape(&s.compared),
            s.periods,
            fmt_err(s.median),
            s.unit,
            fmt_err(s.worst),
            s.unit
        ));
        md.push_str(&format!(
            "| {} | {} | {} | {} {} | {} {} |\n",
            s.check,
            s.compared,
            s.periods,
            fmt_err(s.median),
            s.unit,
            fmt_err(s.worst),
            s.unit
        ));
    }
    let mut body = format!(
        "<h1>How accurate is it?</h1><p>Every figure below is recomputed by <code>yieldlab validate</code> from the data in this folder's CSV files.</p><table><thead><tr><th>check</th><th>compared</th><th>periods</th><th>median |error|</th><th>worst |error|</th></tr></thead><tbody>{rows}</tbody></table>"
    );
    for (s, note) in summaries.iter().zip(notes) {
        body.push_str(&format!(
            "<h2>{}</h2><p>{}</p>",
            escape(s.check),
            escape(note)
        ));
        md.push_str(&format!("\n## {}\n\n{}\n", s.check, note));
    }
    body.push_str("<h2>Charts</h2>");
    // Every check's charts (per pool for checks 1–3), by name.
    let mut shown: Vec<&Chart> = charts.iter().collect();
    shown.sort_by(|a, b| a.name.cmp(&b.name));
    for c in shown {
        body.push_str(&crate::report::html::figure(c));
        md.push_str(&format!("\n![{}]({}.png)\n", c.title, c.name));
    }
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>yieldlab validate</title><style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px}}figure{{margin:1em 0}}svg{{max-width:100%;height:auto}}{}</style></head><body>{body}<script>{}</script></body></html>\n",
        crate::report::html::CHART_CSS,
        crate::report::html::CHART_JS
    );
    (html, md)
}
