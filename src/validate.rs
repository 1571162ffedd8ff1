//! `yieldlab validate`: how far the engine's fee model is from what happened on-chain.
//!
//! Check 1 — fee income against on-chain fee growth. A Uniswap v3 pool's
//! `feeGrowthGlobal{0,1}` grows by the fees one unit of always-in-range liquidity earned;
//! over a day, Δfg0·P0/10^d0 + Δfg1·P1/10^d1 is that unit's income in USD. The engine's
//! model gives the same unit volume × fee rate / active liquidity (our share of the fees
//! with our own liquidity counted, for a vanishing position). Both are summed per pool
//! and month and compared; the error is simulated / on-chain − 1.
//!
//! Sources of error: the data are daily bars, while fees accrue swap by swap against the
//! liquidity active at each swap; the active liquidity is a snapshot at the end of the
//! day; prices inside the day move. Using the mean of the start- and end-of-day
//! liquidity instead of the end-of-day snapshot removes part of the snapshot error
//! (both are reported). USD prices: a USD stablecoin side (USDC, USDT, DAI) at $1 and
//! the other through the pool price, else WETH at the dataset's ETH price.

use std::collections::BTreeMap;
use std::path::Path;

use crate::data::{Dataset, RawSeries};
use crate::market::{Field, SeriesKind};
use crate::units::{format_ts, Timestamp};

/// One pool-month of the fee check.
#[derive(Debug, Clone, PartialEq)]
pub struct FeeMonth {
    pub pool: String,
    /// `YYYY-MM`.
    pub month: String,
    pub days: usize,
    /// USD earned by one unit of raw liquidity, on-chain and simulated.
    pub onchain: f64,
    pub sim_mean_liquidity: f64,
    pub sim_end_liquidity: f64,
}

impl FeeMonth {
    pub fn error(&self) -> f64 {
        self.sim_mean_liquidity / self.onchain - 1.0
    }

    pub fn error_end(&self) -> f64 {
        self.sim_end_liquidity / self.onchain - 1.0
    }
}

const STABLES: [&str; 3] = ["USDC", "USDT", "DAI"];

/// USD prices of token0 and token1 at row `k`, if the pool's tokens allow it.
fn usd_prices(
    s: &RawSeries,
    tokens: &[String],
    eth: Option<&RawSeries>,
    k: usize,
) -> Option<(f64, f64)> {
    let p = s.fields.get(&Field::Price)?[k];
    if STABLES.contains(&tokens[0].as_str()) {
        return Some((1.0, 1.0 / p));
    }
    if STABLES.contains(&tokens[1].as_str()) {
        return Some((p, 1.0));
    }
    if tokens[1] == "WETH" {
        let eth = eth?;
        // The ETH price known at the row's close (the last one at or before it).
        let t = s.ts[k] + s.obs_offset;
        let j = eth.ts.partition_point(|x| *x + eth.obs_offset <= t);
        let e = *eth.fields.get(&Field::PriceUsd)?.get(j.checked_sub(1)?)?;
        return Some((p * e, e));
    }
    None
}

/// The fee check for every pool with fee growth, liquidity and fees in the dataset.
pub fn fee_growth(ds: &Dataset) -> Vec<FeeMonth> {
    let eth = ds.series.get(&(SeriesKind::Price, "ETH".to_string()));
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
        let fees: Vec<f64> = match (
            s.fields.get(&Field::FeesUsd),
            s.fields.get(&Field::VolumeUsd),
            meta.fee,
        ) {
            (Some(f), _, _) => f.clone(),
            (None, Some(v), Some(fee)) => v.iter().map(|x| x * fee).collect(),
            _ => continue,
        };
        let (d0, d1) = match meta.decimals.as_slice() {
            [a, b] => (*a as i32, *b as i32),
            _ => continue,
        };
        let mut months: BTreeMap<String, FeeMonth> = BTreeMap::new();
        for k in 1..s.ts.len() {
            let vals = [
                fg0[k],
                fg0[k - 1],
                fg1[k],
                fg1[k - 1],
                liq[k],
                liq[k - 1],
                fees[k],
            ];
            if vals.iter().any(|v| !v.is_finite())
                || liq[k] <= 0.0
                || liq[k - 1] <= 0.0
                || s.ts[k] - s.ts[k - 1] != s.bar
            {
                continue;
            }
            let Some((p0, p1)) = usd_prices(s, &meta.tokens, eth, k) else {
                continue;
            };
            let onchain = (fg0[k] - fg0[k - 1]) / 10f64.powi(d0) * p0
                + (fg1[k] - fg1[k - 1]) / 10f64.powi(d1) * p1;
            if onchain <= 0.0 {
                continue;
            }
            let month = format_ts(s.ts[k])[..7].to_string();
            let m = months.entry(month.clone()).or_insert_with(|| FeeMonth {
                pool: id.clone(),
                month,
                days: 0,
                onchain: 0.0,
                sim_mean_liquidity: 0.0,
                sim_end_liquidity: 0.0,
            });
            m.days += 1;
            m.onchain += onchain;
            m.sim_mean_liquidity += fees[k] / ((liq[k] + liq[k - 1]) / 2.0);
            m.sim_end_liquidity += fees[k] / liq[k];
        }
        // Months with at least 20 days compared.
        out.extend(months.into_values().filter(|m| m.days >= 20));
    }
    out
}

/// Per pool: months compared, median and worst absolute error (mean liquidity), and the
/// median with the end-of-day snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolAccuracy {
    pub pool: String,
    pub months: usize,
    pub median_abs_error: f64,
    pub worst_abs_error: f64,
    pub median_abs_error_end: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    crate::report::percentile(&v, 0.5)
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
                median_abs_error: median(ms.iter().map(|m| m.error().abs()).collect()),
                worst_abs_error: ms.iter().map(|m| m.error().abs()).fold(0.0, f64::max),
                median_abs_error_end: median(ms.iter().map(|m| m.error_end().abs()).collect()),
            }
        })
        .collect()
}

/// The median absolute monthly error over every pool-month (mean liquidity).
pub fn overall_median(months: &[FeeMonth]) -> f64 {
    median(months.iter().map(|m| m.error().abs()).collect())
}

/// Writes fee_growth_monthly.csv, fee_growth_summary.csv and a chart per pool.
pub fn write(
    ds: &Dataset,
    dir: &Path,
) -> Result<(Vec<FeeMonth>, Vec<PoolAccuracy>), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let months = fee_growth(ds);
    let acc = accuracy(&months);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "pool",
        "month",
        "days",
        "onchain_usd_per_l",
        "sim_usd_per_l",
        "error_pct",
        "sim_end_snapshot_usd_per_l",
        "error_end_snapshot_pct",
    ])?;
    for m in &months {
        w.write_record([
            m.pool.clone(),
            m.month.clone(),
            m.days.to_string(),
            format!("{:e}", m.onchain),
            format!("{:e}", m.sim_mean_liquidity),
            format!("{:.3}", 100.0 * m.error()),
            format!("{:e}", m.sim_end_liquidity),
            format!("{:.3}", 100.0 * m.error_end()),
        ])?;
    }
    crate::io::write_atomic(&dir.join("fee_growth_monthly.csv"), &w.into_inner()?)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "pool",
        "months",
        "median_abs_error_pct",
        "worst_abs_error_pct",
        "median_abs_error_end_snapshot_pct",
    ])?;
    for a in &acc {
        w.write_record([
            a.pool.clone(),
            a.months.to_string(),
            format!("{:.3}", 100.0 * a.median_abs_error),
            format!("{:.3}", 100.0 * a.worst_abs_error),
            format!("{:.3}", 100.0 * a.median_abs_error_end),
        ])?;
    }
    crate::io::write_atomic(&dir.join("fee_growth_summary.csv"), &w.into_inner()?)?;
    for a in &acc {
        let ms: Vec<&FeeMonth> = months.iter().filter(|m| m.pool == a.pool).collect();
        let t = |m: &FeeMonth| -> f64 {
            let ts: Timestamp =
                crate::units::parse_datetime(&format!("{}-01", m.month)).unwrap_or(0);
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
                "simulated (volume × fee / mean active liquidity)".to_string(),
                ms.iter()
                    .map(|m| (t(m), m.sim_mean_liquidity * 1e12))
                    .collect(),
                false,
                1,
            ),
        ];
        crate::report::charts::lines_chart(
            dir,
            &format!("fee_growth_{}", a.pool),
            &format!(
                "{}: monthly fees per 10^12 units of liquidity (USD)",
                a.pool
            ),
            "USD per 10^12 L",
            &lines,
        )?;
    }
    Ok((months, acc))
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
                crate::report::percentile(&diffs, 0.5),
                crate::report::percentile(&diffs, 0.9),
                published,
            )
        })
        .collect()
}

/// Writes apr_vs_defillama.csv, apr_vs_defillama_summary.csv and a chart per pool.
pub fn write_apr(ds: &Dataset, dir: &Path) -> Result<Vec<AprDay>, Box<dyn std::error::Error>> {
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
        crate::report::charts::lines_chart(
            dir,
            &format!("apr_vs_defillama_{p}"),
            &format!("{p}: fee APR, engine vs DefiLlama (%)"),
            "APR (%)",
            &lines,
        )?;
    }
    crate::io::write_atomic(&dir.join("apr_vs_defillama_summary.csv"), &w.into_inner()?)?;
    Ok(days)
}
