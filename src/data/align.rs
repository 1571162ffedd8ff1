//! Alignment of raw series onto a run's time grid, with explicit rules:
//!
//! * **Levels** (prices, TVL, liquidity, rates, gas prices) take the last value known
//!   at each grid point — a row's values are known at its timestamp, or at its bar's
//!   close when the manifest says `values_at = "bar_close"` — and are carried forward
//!   at most the series' carry limit; a longer gap is an error naming the gap.
//! * **Flows** (volume, fees) are amounts over a bar `[t, t + bar)`: each is spread
//!   pro rata in time over the grid steps it overlaps, so a coarser grid sums them and
//!   a finer one divides them; totals are preserved, nothing is ever carried. A step
//!   that no bar covers gets zero, and such a stretch longer than the carry limit is
//!   an error.
//!
//! A required field that the data does not cover over the grid is an error; an
//! optional field (`optional = true` in the manifest) is left out of the market and the
//! report says why.

use std::collections::BTreeMap;

use super::error::DataError;
use super::load::{Dataset, RawSeries};
use crate::market::{
    Aggregation, Field, GasSeries, Market, PoolSeries, PriceSeries, RateSeries, SeriesKind,
    TimeGrid,
};
use crate::units::{format_duration, format_ts, Timestamp};

/// Which grid to build. `None` fields are chosen from the data: the step is the
/// finest bar among the selected series, the range is where all of them have data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GridSpec {
    pub step: Option<i64>,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
}

/// Which series go into a market; `None` takes every series of that kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub pools: Option<Vec<String>>,
    pub prices: Option<Vec<String>>,
    pub gas: Option<Vec<String>>,
    pub rates: Option<Vec<String>>,
}

/// Why a field could not be aligned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlignIssue {
    /// The first value is known only at `first`, after the grid point `at`.
    NotCovered { first: Timestamp, at: Timestamp },
    /// No value between `last` and `at`, longer than the limit.
    Gap { last: Timestamp, at: Timestamp },
}

/// What alignment did: values carried, fields left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlignReport {
    /// Per series label: grid points whose level was carried from an earlier observation.
    pub carried: BTreeMap<String, usize>,
    /// Per series label: grid steps that no flow bar covered (counted as zero).
    pub flow_gaps: BTreeMap<String, usize>,
    /// Optional fields left out, with the reason.
    pub dropped: Vec<String>,
    /// Values flagged by `data::quality` in the series the run read, and what the run's
    /// policy did with them.
    pub outliers: Vec<String>,
    pub outliers_dropped: usize,
    pub outliers_kept: usize,
}

/// Aligns a level onto the grid. `NaN` observations (missing optional values) are
/// skipped. Returns the values and how many grid points were carried.
pub fn align_level(
    ts: &[Timestamp],
    values: &[f64],
    obs_offset: i64,
    carry_limit: i64,
    grid: &TimeGrid,
) -> Result<(Vec<f64>, usize), AlignIssue> {
    let mut out = Vec::with_capacity(grid.len());
    let mut carried = 0usize;
    let mut j = 0usize;
    let mut last: Option<(Timestamp, f64)> = None;
    for g in grid.timestamps() {
        while j < ts.len() && ts[j] + obs_offset <= g {
            if !values[j].is_nan() {
                last = Some((ts[j] + obs_offset, values[j]));
            }
            j += 1;
        }
        match last {
            None => {
                let first = ts
                    .iter()
                    .zip(values)
                    .find(|(_, v)| !v.is_nan())
                    .map(|(t, _)| t + obs_offset)
                    .unwrap_or(Timestamp::MAX);
                return Err(AlignIssue::NotCovered { first, at: g });
            }
            Some((t, v)) => {
                if g - t > carry_limit {
                    return Err(AlignIssue::Gap { last: t, at: g });
                }
                if t != g {
                    carried += 1;
                }
                out.push(v);
            }
        }
    }
    Ok((out, carried))
}

/// Aligns a flow onto the grid (pro rata in time). `NaN` rows count as not covered.
/// Returns the values and how many grid steps no bar covered.
pub fn align_flow(
    ts: &[Timestamp],
    values: &[f64],
    bar: i64,
    carry_limit: i64,
    grid: &TimeGrid,
) -> Result<(Vec<f64>, usize), AlignIssue> {
    let n = grid.len();
    let mut out = vec![0.0; n];
    let mut covered = vec![0i64; n];
    if n == 0 {
        return Ok((out, 0));
    }
    let (g0, step) = (grid.start, grid.step);
    let g_end = grid.end() + step;
    for (k, (&a, &v)) in ts.iter().zip(values).enumerate() {
        let b = a + bar;
        if v.is_nan() || b <= g0 || a >= g_end {
            continue;
        }
        let _ = k;
        let mut i = ((a.max(g0) - g0) / step) as usize;
        while i < n {
            let cs = grid.at(i);
            if cs >= b {
                break;
            }
            let overlap = b.min(cs + step) - a.max(cs);
            if overlap > 0 {
                out[i] += if overlap == bar {
                    v
                } else {
                    v * (overlap as f64 / bar as f64)
                };
                covered[i] += overlap;
            }
            i += 1;
        }
    }
    // Coverage: the first step must start inside the data, and uncovered stretches
    // must stay within the carry limit.
    let first = ts
        .iter()
        .zip(values)
        .find(|(_, v)| !v.is_nan())
        .map(|(t, _)| *t);
    match first {
        Some(f) if f <= g0 => {}
        other => {
            return Err(AlignIssue::NotCovered {
                first: other.unwrap_or(Timestamp::MAX),
                at: g0,
            })
        }
    }
    let mut gaps = 0usize;
    let mut run_start: Option<usize> = None;
    for (i, c) in covered.iter().chain(std::iter::once(&1)).enumerate() {
        let empty = i < n && *c == 0;
        match (empty, run_start) {
            (true, None) => run_start = Some(i),
            (false, Some(s)) => {
                gaps += i - s;
                let (from, to) = (grid.at(s), grid.at(i));
                if to - from > carry_limit || i == n {
                    return Err(AlignIssue::Gap { last: from, at: to });
                }
                run_start = None;
            }
            _ => {}
        }
    }
    Ok((out, gaps))
}

/// Aligns a cumulative counter (fee growth): value `i` is the counter's increment over
/// the grid step `[t_i, t_i + step)`. The increment between two observations (each known
/// at its timestamp plus `obs_offset`) is spread pro rata in time over the steps between
/// them, as a flow's bar is. Steps outside the observed span, or inside a stretch between
/// two observations longer than the carry limit, have no value (`NaN`); the grid's last
/// step, which reaches past the run's end and is never accrued, keeps the part that is
/// observed. Returns the values and the first problem, if any step before the last has
/// no value.
pub fn align_counter(
    ts: &[Timestamp],
    values: &[f64],
    obs_offset: i64,
    carry_limit: i64,
    grid: &TimeGrid,
) -> (Vec<f64>, Option<AlignIssue>) {
    let n = grid.len();
    let mut out = vec![0.0; n];
    let mut covered = vec![0i64; n];
    let (g0, step) = (grid.start, grid.step);
    let obs: Vec<(Timestamp, f64)> = ts
        .iter()
        .zip(values)
        .filter(|(_, v)| !v.is_nan())
        .map(|(t, v)| (t + obs_offset, *v))
        .collect();
    let mut issue = None;
    for w in obs.windows(2) {
        let ((a, va), (b, vb)) = (w[0], w[1]);
        if b <= a {
            continue;
        }
        let len = b - a;
        let d = vb - va;
        let too_long = len > carry_limit;
        let mut i = if a <= g0 {
            0
        } else {
            ((a - g0) / step) as usize
        };
        while i < n {
            let cs = grid.at(i);
            if cs >= b {
                break;
            }
            let overlap = b.min(cs + step) - a.max(cs);
            if overlap > 0 {
                if too_long {
                    if issue.is_none() && i + 1 < n {
                        issue = Some(AlignIssue::Gap { last: a, at: b });
                    }
                    covered[i] = -1;
                } else if covered[i] >= 0 {
                    out[i] += if overlap == len {
                        d
                    } else {
                        d * (overlap as f64 / len as f64)
                    };
                    covered[i] += overlap;
                }
            }
            i += 1;
        }
    }
    for i in 0..n {
        let full = covered[i] >= step;
        let last_step_partly = i + 1 == n && covered[i] > 0;
        if !(full || last_step_partly) {
            out[i] = f64::NAN;
            if issue.is_none() && i + 1 < n {
                issue = Some(uncovered_issue(&obs, grid.at(i)));
            }
        }
    }
    (out, issue)
}

/// Why a counter has no value at `at`: the observations start after it, or the last
/// one before it is too far back.
fn uncovered_issue(obs: &[(Timestamp, f64)], at: Timestamp) -> AlignIssue {
    match obs.first() {
        Some((f, _)) if *f > at => AlignIssue::NotCovered { first: *f, at },
        Some(_) => AlignIssue::Gap {
            last: obs
                .iter()
                .rev()
                .find(|(t, _)| *t <= at)
                .map(|(t, _)| *t)
                .unwrap_or(at),
            at,
        },
        None => AlignIssue::NotCovered {
            first: Timestamp::MAX,
            at,
        },
    }
}

/// A field's values where the data has them (`NaN` elsewhere), for an optional field
/// that does not cover the whole grid: levels carried within the limit, flows where a
/// bar covers the step.
fn partial(s: &RawSeries, field: Field, values: &[f64], grid: &TimeGrid) -> Vec<f64> {
    match field.aggregation() {
        Aggregation::Level => {
            let mut out = Vec::with_capacity(grid.len());
            let mut j = 0usize;
            let mut last: Option<(Timestamp, f64)> = None;
            for g in grid.timestamps() {
                while j < s.ts.len() && s.ts[j] + s.obs_offset <= g {
                    if !values[j].is_nan() {
                        last = Some((s.ts[j] + s.obs_offset, values[j]));
                    }
                    j += 1;
                }
                out.push(match last {
                    Some((t, v)) if g - t <= s.carry_limit => v,
                    _ => f64::NAN,
                });
            }
            out
        }
        Aggregation::Flow => {
            let mut out = vec![f64::NAN; grid.len()];
            for (k, (&a, &v)) in s.ts.iter().zip(values).enumerate() {
                let _ = k;
                if v.is_nan() {
                    continue;
                }
                let b = a + s.bar;
                for (i, o) in out.iter_mut().enumerate() {
                    let cs = grid.at(i);
                    let overlap = b.min(cs + grid.step) - a.max(cs);
                    if overlap > 0 {
                        let add = v * (overlap as f64 / s.bar as f64);
                        *o = if o.is_nan() { add } else { *o + add };
                    }
                }
            }
            out
        }
        Aggregation::Counter => align_counter(&s.ts, values, s.obs_offset, s.carry_limit, grid).0,
    }
}

/// The earliest grid point at which a series has every required field, and the latest
/// grid point it can serve, for a grid of `step`.
fn coverage(s: &RawSeries, step: i64) -> (Timestamp, Timestamp) {
    // Series are never empty (the loader refuses a file without rows).
    let (Some(&first), Some(&last)) = (s.ts.first(), s.ts.last()) else {
        return (Timestamp::MAX, Timestamp::MIN);
    };
    let has_level = s
        .fields
        .keys()
        .any(|f| f.aggregation() == Aggregation::Level && !s.optional.contains(f));
    let has_flow = s
        .fields
        .keys()
        .any(|f| f.aggregation() == Aggregation::Flow && !s.optional.contains(f));
    let mut start = first;
    let mut end = Timestamp::MAX;
    if has_level {
        start = start.max(first + s.obs_offset);
        end = end.min(last + s.obs_offset);
    }
    if has_flow {
        end = end.min(last + s.bar - step);
    }
    if end == Timestamp::MAX {
        end = last + s.obs_offset;
    }
    (start, end)
}

/// Aligns one series' fields onto the grid. Required fields that fail are errors;
/// optional ones are dropped with a note.
pub fn align_series(
    s: &RawSeries,
    grid: &TimeGrid,
    report: &mut AlignReport,
) -> Result<BTreeMap<Field, Vec<f64>>, DataError> {
    align_series_partial(s, grid, report).map(|(full, _)| full)
}

/// Optional fields that do not cover the grid: why, and their values where they exist.
pub type PartialFields = BTreeMap<Field, (String, Vec<f64>)>;

/// As `align_series`, also returning the optional fields that were left out, with the
/// reason and their values where the data has them.
pub fn align_series_partial(
    s: &RawSeries,
    grid: &TimeGrid,
    report: &mut AlignReport,
) -> Result<(BTreeMap<Field, Vec<f64>>, PartialFields), DataError> {
    let mut out = BTreeMap::new();
    let mut partial_fields = BTreeMap::new();
    for (field, values) in &s.fields {
        // Statistics of a bar (its mean liquidity, its tick extremes) describe that bar
        // only: on a grid of another step they would describe the wrong span.
        if matches!(
            field,
            Field::LiquidityMean | Field::TickHigh | Field::TickLow
        ) && grid.step != s.bar
        {
            report.dropped.push(format!(
                "{} field '{}' left out: a statistic of the data's {} bars, and the run's step is {}",
                s.label(),
                field,
                format_duration(s.bar),
                format_duration(grid.step)
            ));
            continue;
        }
        let result = match field.aggregation() {
            Aggregation::Level => align_level(&s.ts, values, s.obs_offset, s.carry_limit, grid)
                .map(|(v, c)| {
                    *report.carried.entry(s.label()).or_default() += c;
                    v
                }),
            Aggregation::Flow => {
                align_flow(&s.ts, values, s.bar, s.carry_limit, grid).map(|(v, g)| {
                    *report.flow_gaps.entry(s.label()).or_default() += g;
                    v
                })
            }
            Aggregation::Counter => {
                match align_counter(&s.ts, values, s.obs_offset, s.carry_limit, grid) {
                    (v, None) => Ok(v),
                    (_, Some(issue)) => Err(issue),
                }
            }
        };
        match result {
            Ok(v) => {
                out.insert(*field, v);
            }
            Err(issue) if s.optional.contains(field) => {
                let why = describe(&issue);
                report
                    .dropped
                    .push(format!("{} field '{}' left out: {}", s.label(), field, why));
                partial_fields.insert(*field, (why, partial(s, *field, values, grid)));
            }
            Err(AlignIssue::NotCovered { first, at }) => {
                return Err(DataError::NotCovered {
                    series: s.label(),
                    field: field.to_string(),
                    first: if first == Timestamp::MAX {
                        "never".into()
                    } else {
                        format_ts(first)
                    },
                    start: format_ts(at),
                })
            }
            Err(AlignIssue::Gap { last, at }) => {
                return Err(DataError::carry_limit(
                    &s.label(),
                    field.name(),
                    &s.file,
                    last,
                    at,
                    s.carry_limit,
                ))
            }
        }
    }
    Ok((out, partial_fields))
}

fn describe(issue: &AlignIssue) -> String {
    match issue {
        AlignIssue::NotCovered { first, at } if *first == Timestamp::MAX => {
            format!("no value at all (needed from {})", format_ts(*at))
        }
        AlignIssue::NotCovered { first, at } => format!(
            "first value at {}, after the grid start {}",
            format_ts(*first),
            format_ts(*at)
        ),
        AlignIssue::Gap { last, at } => format!(
            "no value from {} to {} ({})",
            format_ts(*last),
            format_ts(*at),
            format_duration(at - last)
        ),
    }
}

fn select<'a>(
    ds: &'a Dataset,
    kind: SeriesKind,
    ids: &Option<Vec<String>>,
) -> Result<Vec<&'a RawSeries>, DataError> {
    match ids {
        None => Ok(ds
            .series
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|(_, s)| s)
            .collect()),
        Some(ids) => ids
            .iter()
            .map(|id| {
                ds.series
                    .get(&(kind, id.clone()))
                    .ok_or_else(|| ds.unknown(kind, id, "the selection"))
            })
            .collect(),
    }
}

/// The most steps one run's grid may have: 20 million (38 years of minutes, 2,283 years
/// of hours), about 160 MB per aligned series. Beyond it a run is almost surely a
/// mistake (a one-second grid over years), and its memory would not be bounded.
pub const MAX_STEPS: u64 = 20_000_000;

/// Builds the market for a selection of series on a grid.
pub fn build_market(
    ds: &Dataset,
    sel: &Selection,
    spec: &GridSpec,
) -> Result<(Market, AlignReport), DataError> {
    let pools = select(ds, SeriesKind::Pool, &sel.pools)?;
    let prices = select(ds, SeriesKind::Price, &sel.prices)?;
    let gas = select(ds, SeriesKind::Gas, &sel.gas)?;
    let rates = select(ds, SeriesKind::Rate, &sel.rates)?;
    let all: Vec<&RawSeries> = pools
        .iter()
        .chain(&prices)
        .chain(&gas)
        .chain(&rates)
        .copied()
        .collect();
    if all.is_empty() {
        return Err(DataError::NoOverlap {
            detail: "no series selected".into(),
        });
    }
    let grid = run_grid(&all, spec)?;
    let mut report = AlignReport::default();
    let mut market = Market {
        grid,
        pools: align_pools(ds, &pools, &grid, &mut report)?,
        prices: BTreeMap::new(),
        gas: BTreeMap::new(),
        rates: BTreeMap::new(),
    };
    for s in prices {
        let price_usd = align_one(s, &grid, &mut report, Field::PriceUsd)?;
        market.prices.insert(
            s.id.clone(),
            PriceSeries {
                asset: s.id.clone(),
                price_usd,
            },
        );
    }
    for s in gas {
        let gas_price_gwei = align_one(s, &grid, &mut report, Field::GasPriceGwei)?;
        let chain = ds
            .chains
            .get(&s.id)
            .cloned()
            .ok_or_else(|| ds.unknown(SeriesKind::Gas, &s.id, "the [[chains]] list"))?;
        market.gas.insert(
            s.id.clone(),
            GasSeries {
                chain,
                gas_price_gwei,
            },
        );
    }
    for s in rates {
        let fields = align_series(s, &grid, &mut report)?;
        market.rates.insert(
            s.id.clone(),
            RateSeries {
                market: s.id.clone(),
                fields,
            },
        );
    }
    Ok((market, report))
}

/// The selected pools' series aligned onto the grid, each with its metadata.
fn align_pools(
    ds: &Dataset,
    pools: &[&RawSeries],
    grid: &TimeGrid,
    report: &mut AlignReport,
) -> Result<BTreeMap<String, PoolSeries>, DataError> {
    let mut out = BTreeMap::new();
    for s in pools {
        let (fields, partial) = align_series_partial(s, grid, report)?;
        let meta = ds
            .pools
            .get(&s.id)
            .cloned()
            .ok_or_else(|| ds.unknown(SeriesKind::Pool, &s.id, "the pool metadata"))?;
        out.insert(
            s.id.clone(),
            PoolSeries {
                meta,
                fields,
                partial,
                events: None,
            },
        );
    }
    Ok(out)
}

/// A one-field series (a price, a gas price) aligned onto the grid.
fn align_one(
    s: &RawSeries,
    grid: &TimeGrid,
    report: &mut AlignReport,
    field: Field,
) -> Result<Vec<f64>, DataError> {
    let mut fields = align_series(s, grid, report)?;
    fields.remove(&field).ok_or_else(|| DataError::NotCovered {
        series: s.label(),
        field: field.to_string(),
        first: "never".into(),
        start: format_ts(grid.start),
    })
}

/// The run's grid over `all` the selected series: the stated step, start and end, or
/// the finest bar and the span every series covers.
fn run_grid(all: &[&RawSeries], spec: &GridSpec) -> Result<TimeGrid, DataError> {
    let step = spec
        .step
        .or_else(|| all.iter().map(|s| s.bar).min())
        .unwrap_or(3600);
    let covers: Vec<(Timestamp, Timestamp)> = all.iter().map(|s| coverage(s, step)).collect();
    let start = spec.start.unwrap_or_else(|| {
        let latest = covers.iter().map(|c| c.0).max().unwrap_or_default();
        latest.div_euclid(step) * step
            + if latest.rem_euclid(step) == 0 {
                0
            } else {
                step
            }
    });
    let end = spec
        .end
        .or_else(|| covers.iter().map(|c| c.1).min())
        .unwrap_or_default();
    if end < start {
        let detail = no_overlap(all, step);
        return Err(DataError::NoOverlap { detail });
    }
    if let Some(e) = spec.end {
        for (s, c) in all.iter().zip(&covers) {
            if e > c.1.saturating_add(s.carry_limit) {
                return Err(DataError::EndsEarly {
                    series: s.label(),
                    file: s.file.clone(),
                    last: format_ts(c.1),
                    end: format_ts(e),
                });
            }
        }
    }
    let steps = ((end - start) / step.max(1)) as u64 + 1;
    if steps > MAX_STEPS {
        return Err(DataError::TooManySteps {
            start: format_ts(start),
            end: format_ts(end),
            step: format_duration(step),
            steps,
            max: MAX_STEPS,
        });
    }
    Ok(TimeGrid::new(start, end, step))
}

/// Why `all` the series do not overlap on a grid of `step`: each series' own first and
/// last rows (not the grid-adjusted coverage, which can end before it starts when the
/// step is longer than the data), and a step longer than a series' span.
fn no_overlap(all: &[&RawSeries], step: i64) -> String {
    let mut detail = all
        .iter()
        .map(|s| {
            format!(
                "{} has rows from {} to {}",
                s.label(),
                format_ts(s.ts.first().copied().unwrap_or_default()),
                format_ts(s.ts.last().copied().unwrap_or_default())
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    if all.iter().any(|s| {
        let span =
            s.ts.last().copied().unwrap_or_default() - s.ts.first().copied().unwrap_or_default();
        step > span
    }) {
        detail.push_str(&format!(
            "; the grid step {} is longer than the data: choose a shorter `grid` in the strategy file",
            format_duration(step)
        ));
    }
    detail
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::{DAY, HOUR};

    #[test]
    fn levels_carry_within_limit_and_fail_beyond() {
        let ts = [0, DAY, 2 * DAY];
        let v = [1.0, 2.0, 3.0];
        let grid = TimeGrid::new(0, 2 * DAY, HOUR);
        let (out, carried) = align_level(&ts, &v, 0, 2 * DAY, &grid).unwrap();
        assert_eq!(out.len(), 49);
        assert_eq!(out[0], 1.0);
        assert_eq!(out[23], 1.0);
        assert_eq!(out[24], 2.0);
        assert_eq!(out[48], 3.0);
        assert_eq!(carried, 46);
        // A limit shorter than the bar fails at the first carried point past it.
        let err = align_level(&ts, &v, 0, 6 * HOUR, &grid).unwrap_err();
        assert_eq!(
            err,
            AlignIssue::Gap {
                last: 0,
                at: 7 * HOUR
            }
        );
    }

    #[test]
    fn bar_close_values_are_not_seen_before_the_close() {
        // A daily close stamped at the day's start is known only at the next midnight.
        let ts = [0, DAY];
        let v = [10.0, 20.0];
        let grid = TimeGrid::new(DAY, 2 * DAY, HOUR);
        let (out, _) = align_level(&ts, &v, DAY, 2 * DAY, &grid).unwrap();
        assert_eq!(out[0], 10.0);
        assert_eq!(out[23], 10.0);
        assert_eq!(out[24], 20.0);
        let early = TimeGrid::new(0, DAY, HOUR);
        assert!(matches!(
            align_level(&ts, &v, DAY, 2 * DAY, &early),
            Err(AlignIssue::NotCovered { first, at: 0 }) if first == DAY
        ));
    }

    #[test]
    fn missing_levels_are_skipped() {
        let ts = [0, HOUR, 2 * HOUR];
        let v = [1.0, f64::NAN, 3.0];
        let grid = TimeGrid::new(0, 2 * HOUR, HOUR);
        let (out, carried) = align_level(&ts, &v, 0, 2 * HOUR, &grid).unwrap();
        assert_eq!(out, vec![1.0, 1.0, 3.0]);
        assert_eq!(carried, 1);
    }

    #[test]
    fn flows_spread_and_sum_preserving_totals() {
        // Daily volume onto hours: 24 equal parts.
        let ts = [0, DAY];
        let v = [2400.0, 4800.0];
        let hourly = TimeGrid::new(0, 2 * DAY - HOUR, HOUR);
        let (out, gaps) = align_flow(&ts, &v, DAY, 2 * DAY, &hourly).unwrap();
        assert_eq!(gaps, 0);
        assert_eq!(out[0], 100.0);
        assert_eq!(out[47], 200.0);
        assert!((out.iter().sum::<f64>() - 7200.0).abs() < 1e-9);
        // Hourly volume onto days: sums.
        let hts: Vec<i64> = (0..48).map(|h| h * HOUR).collect();
        let hv: Vec<f64> = (0..48).map(|h| h as f64).collect();
        let daily = TimeGrid::new(0, DAY, DAY);
        let (out, _) = align_flow(&hts, &hv, HOUR, 2 * HOUR, &daily).unwrap();
        assert_eq!(
            out,
            vec![(0..24).sum::<i32>() as f64, (24..48).sum::<i32>() as f64]
        );
    }

    #[test]
    fn flow_gaps_are_zero_within_limit_and_errors_beyond() {
        let ts = [0, HOUR, 3 * HOUR];
        let v = [1.0, 1.0, 1.0];
        let grid = TimeGrid::new(0, 3 * HOUR, HOUR);
        let (out, gaps) = align_flow(&ts, &v, HOUR, 2 * HOUR, &grid).unwrap();
        assert_eq!(out, vec![1.0, 1.0, 0.0, 1.0]);
        assert_eq!(gaps, 1);
        let ts = [0, 5 * HOUR];
        let grid = TimeGrid::new(0, 5 * HOUR, HOUR);
        assert!(matches!(
            align_flow(&ts, &[1.0, 1.0], HOUR, 2 * HOUR, &grid),
            Err(AlignIssue::Gap { .. })
        ));
        // A grid reaching past the last bar is not covered.
        let grid = TimeGrid::new(0, 6 * HOUR, HOUR);
        assert!(align_flow(&ts, &[1.0, 1.0], HOUR, 10 * HOUR, &grid).is_err());
    }
}
