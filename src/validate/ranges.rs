//! Check (c): what the bar models miss for a range. From one pool's exact event replay,
//! hourly and daily bars are built (open/close price, tick high/low, volume, start/end
//! and time-mean active liquidity, the exact feeGrowthGlobal increments), run as a
//! market through `PoolView::fee_income` — the engine's function — under `fee_growth`
//! and `volume_liquidity`, for ranges of ±0.5, 1, 2, 5, 10 % and full range opened at
//! every UTC day's start and held for the day; the reference is the exact fee of the
//! same range from the replay's swap steps (`amm::replay::range_fees`), valued at the
//! same bar prices. A vanishing position (one unit of raw liquidity): the comparison is
//! of the models, not of dilution.

use std::collections::BTreeMap;

use crate::amm::replay::{range_fees, Segment};
use crate::engine::{Book, PoolSettings};
use crate::fees::FeeModel;
use crate::market::{Field, Market, PoolMeta, PoolSeries, PriceSeries, TimeGrid};

use super::replay::CheckpointReplay;

/// The range widths checked (half-width as a fraction; `None` = full range).
pub const WIDTHS: [Option<f64>; 6] = [
    Some(0.005),
    Some(0.01),
    Some(0.02),
    Some(0.05),
    Some(0.10),
    None,
];

/// One (width, bar, model) cell: days compared, median and worst |model / exact − 1|.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeAccuracy {
    pub width: Option<f64>,
    pub bar: i64,
    pub model: FeeModel,
    pub days: usize,
    pub median_abs_error: f64,
    pub worst_abs_error: f64,
    /// Each day's error (model / exact − 1).
    pub errors: Vec<f64>,
}

impl RangeAccuracy {
    pub fn width_label(&self) -> String {
        match self.width {
            Some(w) => format!("±{} %", 100.0 * w),
            None => "full range".into(),
        }
    }
}

/// Bars of `step` seconds from `start` built from the replay's events (from its start
/// state), as the market of one pool (`data::events::replay_onto_grid`).
fn bars(
    cp: &CheckpointReplay,
    meta: &PoolMeta,
    start: i64,
    step: i64,
    n_bars: usize,
) -> Option<Market> {
    let [d0, d1] = match meta.decimals.as_slice() {
        [a, b] => [*a as i32, *b as i32],
        _ => return None,
    };
    let n = n_bars + 1;
    let grid = TimeGrid {
        start,
        step,
        len: n,
    };
    let usd_token = if ["USDC", "USDT", "DAI"].contains(&meta.tokens.first()?.as_str()) {
        0
    } else {
        1
    };
    let (fields, _) = crate::data::events::replay_onto_grid(
        cp.start_pool.clone(),
        &cp.replayed_events,
        &grid,
        (d0, d1),
        usd_token,
    )
    .ok()?;
    let mut market = Market {
        grid,
        pools: BTreeMap::new(),
        prices: BTreeMap::new(),
        gas: BTreeMap::new(),
        rates: BTreeMap::new(),
    };
    market.pools.insert(
        meta.id.clone(),
        PoolSeries {
            meta: meta.clone(),
            fields,
            partial: BTreeMap::new(),
            events: None,
        },
    );
    for t in &meta.tokens {
        if ["USDC", "USDT", "DAI"].contains(&t.as_str()) {
            market.prices.insert(
                t.clone(),
                PriceSeries {
                    asset: t.clone(),
                    price_usd: vec![1.0; n],
                },
            );
        }
    }
    Some(market)
}

/// Bars of `k` steps each from a market of one pool's bars: flows and fee growth summed,
/// levels at the bar boundaries, tick extremes over the bar, mean liquidity averaged.
fn aggregate(m: &Market, k: usize) -> Market {
    let n = (m.grid.len() - 1) / k + 1;
    let mut out = m.clone();
    out.grid = TimeGrid {
        start: m.grid.start,
        step: m.grid.step * k as i64,
        len: n,
    };
    for p in out.pools.values_mut() {
        for (f, v) in p.fields.iter_mut() {
            let src = v.clone();
            *v = (0..n)
                .map(|j| match f {
                    Field::VolumeUsd | Field::FeeGrowthGlobal0 | Field::FeeGrowthGlobal1 => {
                        src[j * k..((j + 1) * k).min(src.len())].iter().sum()
                    }
                    Field::TickHigh | Field::TickLow | Field::LiquidityMean if j > 0 => {
                        let part = &src[(j - 1) * k + 1..=j * k];
                        match f {
                            Field::TickHigh => part.iter().copied().fold(f64::MIN, f64::max),
                            Field::TickLow => part.iter().copied().fold(f64::MAX, f64::min),
                            _ => part.iter().sum::<f64>() / k as f64,
                        }
                    }
                    _ => src[(j * k).min(src.len() - 1)],
                })
                .collect();
        }
    }
    for p in out.prices.values_mut() {
        let src = p.price_usd.clone();
        p.price_usd = (0..n).map(|j| src[(j * k).min(src.len() - 1)]).collect();
    }
    out
}

/// One pool's model, bars and exact fee segments, over whole days.
struct Days<'a> {
    book: &'a Book,
    pv: &'a crate::engine::PoolView,
    market: &'a crate::market::Market,
    segs: &'a [Segment],
    /// Bar length, seconds.
    bar: i64,
    days: usize,
    decimals: [i32; 2],
}

impl Days<'_> {
    /// The model's error against the exact fees of a range of `width` set at each day's
    /// first price (full range for `None`), one per day with exact fees.
    fn errors(&self, width: Option<f64>) -> Vec<f64> {
        const DAY: i64 = 86_400;
        let [d0, d1] = self.decimals;
        // √(whole-token price) → √(raw price) · 2^96.
        let to_x96 =
            |sqrt_whole: f64| sqrt_whole * 10f64.powf((d1 - d0) as f64 / 2.0) * 2f64.powi(96);
        let (pv, book, market) = (self.pv, self.book, self.market);
        let unit = 1.0 / pv.raw_liquidity_scale().unwrap_or(1.0);
        let price = &market.pools[&pv.meta.id].fields[&Field::Price];
        let (t0, t1) = (pv.token_prices[0], pv.token_prices[1]);
        let per_day = (DAY / self.bar) as usize;
        let mut errs = Vec::new();
        for d in 0..self.days {
            let i0 = d * per_day;
            let p = price[i0];
            let range = width.map(|w| ((p * (1.0 - w)).sqrt(), (p * (1.0 + w)).sqrt()));
            let (sa, sb) = match range {
                Some((a, b)) => (to_x96(a), to_x96(b)),
                None => (0.0, f64::INFINITY),
            };
            let mut model_usd = 0.0;
            let mut exact_usd = 0.0;
            for i in i0 + 1..=i0 + per_day {
                let Ok((_, usd, _)) = pv.fee_income(book, i, range, unit, 0.0) else {
                    continue;
                };
                model_usd += usd;
                let (from, to) = (market.grid.at(i - 1), market.grid.at(i));
                let a = self.segs.partition_point(|s| s.timestamp < from);
                let b = self.segs.partition_point(|s| s.timestamp < to);
                let f = range_fees(&self.segs[a..b], sa, sb);
                exact_usd += f[0] / 10f64.powi(d0) * book.price(t0, i)
                    + f[1] / 10f64.powi(d1) * book.price(t1, i);
            }
            if exact_usd > 0.0 {
                errs.push(model_usd / exact_usd - 1.0);
            }
        }
        errs
    }
}

/// Runs check (c) on one replayed pool.
pub fn range_check(cp: &CheckpointReplay, meta: &PoolMeta) -> Vec<RangeAccuracy> {
    let mut out = Vec::new();
    let Some(first) = cp.replayed_events.first() else {
        return out;
    };
    let Some(last) = cp.replayed_events.last() else {
        return out;
    };
    const DAY: i64 = 86_400;
    let day0 = first.timestamp.div_euclid(DAY) * DAY + DAY;
    // Whole UTC days up to the last event (the window ends a few seconds before midnight).
    let days = ((last.timestamp - day0 + DAY - 1) / DAY) as usize;
    if days == 0 {
        return out;
    }
    let [d0, d1] = match meta.decimals.as_slice() {
        [a, b] => [*a as i32, *b as i32],
        _ => return out,
    };
    let segs: &[Segment] = &cp.final_pool.segments;
    // One replay builds the hourly bars; daily bars are their aggregates.
    let Some(hourly) = bars(cp, meta, day0, 3_600, days * 24) else {
        return out;
    };
    let daily = aggregate(&hourly, 24);
    for (bar, market) in [(3_600i64, hourly), (DAY, daily)] {
        for model in [FeeModel::FeeGrowth, FeeModel::VolumeLiquidity] {
            let settings = [(
                meta.id.clone(),
                PoolSettings {
                    fee_model: Some(model),
                    ..Default::default()
                },
            )]
            .into_iter()
            .collect();
            let Ok(book) =
                Book::build(&market, std::slice::from_ref(&meta.id), &[], &[], &settings)
            else {
                continue;
            };
            let Ok(pv) = book.pool(&meta.id) else {
                continue;
            };
            let ctx = Days {
                book: &book,
                pv,
                market: &market,
                segs,
                bar,
                days,
                decimals: [d0, d1],
            };
            for width in WIDTHS {
                let errs = ctx.errors(width);
                let (median, worst) = super::median_worst(errs.iter().copied());
                out.push(RangeAccuracy {
                    width,
                    bar,
                    model,
                    days: errs.len(),
                    median_abs_error: median,
                    worst_abs_error: worst,
                    errors: errs,
                });
            }
        }
    }
    out
}
