//! Checks of the exact event replay (`amm::replay`) against on-chain state.
//!
//! (b) The replay of a pool's events between two on-chain state reads reproduces the
//! growth of its `feeGrowthGlobal0/1X128`: per interval between consecutive checkpoints,
//! exact (to the last unit) or not, and why not where the data explains it.
//! (d) From an on-chain snapshot (ticks, positions), the replay of the events that follow
//! lands on the next snapshot: fee growth, price, tick, liquidity, every tick's
//! liquidityNet and feeGrowthOutside, the positions' feeGrowthInsideLast.

use ruint::aliases::U256;

use crate::amm::replay::{Event, Pool};
use crate::amm::v3_exact::to_f64;
use crate::data::events::{load_checkpoints, Checkpoint};
use crate::data::Dataset;

/// One interval between two consecutive checkpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    pub from_block: u64,
    pub to_block: u64,
    pub to_timestamp: i64,
    pub events: usize,
    /// On-chain and replayed growth of feeGrowthGlobal0/1X128 over the interval (Q128).
    pub onchain: [U256; 2],
    pub replayed: [U256; 2],
    /// Swaps in the interval that could not be solved without the tick map.
    pub unresolved: u64,
    /// The replayed √price and tick equal the checkpoint's at its block.
    pub state_matches: bool,
}

impl Interval {
    pub fn exact(&self) -> bool {
        self.onchain == self.replayed
    }

    /// Relative error of the replayed growth (token `j`), replayed / on-chain − 1.
    pub fn error(&self, j: usize) -> f64 {
        let on = to_f64(self.onchain[j]);
        if on == 0.0 {
            return if self.replayed[j].is_zero() {
                0.0
            } else {
                f64::INFINITY
            };
        }
        to_f64(self.replayed[j]) / on - 1.0
    }

    /// Why the replay differs, where it does.
    pub fn explanation(&self) -> &'static str {
        if self.exact() {
            ""
        } else if self.unresolved > 0 {
            "a swap crossed two or more ticks the data never revealed (no tick map at the window's start): its steps are approximate"
        } else if (0..2).all(|j| self.replayed[j] <= self.onchain[j]) {
            "on-chain growth above the replay with every swap exact: fees of flash loans (flash() adds its fee to feeGrowthGlobal; the export has no Flash events)"
        } else {
            "unexplained: the replay exceeds on-chain fee growth"
        }
    }
}

/// The replay of one pool against its checkpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointReplay {
    pub pool: String,
    pub intervals: Vec<Interval>,
    pub events: usize,
    pub swaps_exact: u64,
    pub swaps_learned: u64,
    pub swaps_unresolved: u64,
    /// The pool at the first checkpoint, before the replayed events.
    pub start_pool: Pool,
    /// The replayed pool at the end (segments kept, for range fees).
    pub final_pool: Pool,
    /// The events replayed (from the first checkpoint on).
    pub replayed_events: Vec<Event>,
}

/// Replays every pool of the dataset that has events and checkpoints, from the first
/// checkpoint at or after its first event. `Err` names what failed (file, block, log).
pub fn checkpoint_replays(ds: &Dataset) -> Vec<Result<CheckpointReplay, String>> {
    let mut out = Vec::new();
    for entry in &ds.events {
        let Some(cp_entry) = &entry.checkpoints else {
            continue;
        };
        let run = || -> Result<CheckpointReplay, String> {
            let events = ds.load_events(&entry.pool).map_err(|e| e.to_string())?;
            let cps = load_checkpoints(&ds.root, cp_entry).map_err(|e| e.to_string())?;
            replay_against(ds, &entry.pool, events, &cps)
        };
        out.push(run());
    }
    out
}

fn fee_pips(ds: &Dataset, pool: &str) -> Result<(u32, i32), String> {
    let meta = ds
        .pools
        .get(pool)
        .ok_or_else(|| format!("pool '{pool}' not in the dataset"))?;
    let fee = meta
        .fee
        .ok_or_else(|| format!("pool '{pool}' has no fee"))?;
    let spacing = meta
        .tick_spacing
        .ok_or_else(|| format!("pool '{pool}' has no tick_spacing"))?;
    Ok(((fee * 1e6).round() as u32, spacing))
}

/// Replays `events` from the first checkpoint at or after the first event, comparing
/// each following checkpoint.
pub fn replay_against(
    ds: &Dataset,
    pool_id: &str,
    events: Vec<Event>,
    cps: &[Checkpoint],
) -> Result<CheckpointReplay, String> {
    let (pips, spacing) = fee_pips(ds, pool_id)?;
    let first_block = events.first().map(|e| e.block).ok_or("no events")?;
    let start = cps
        .iter()
        .position(|c| c.block >= first_block)
        .ok_or("no checkpoint inside the events' window")?;
    let c0 = &cps[start];
    let mut pool = Pool::new(
        c0.sqrt_price_x96,
        c0.liquidity,
        c0.fee_growth_global,
        pips,
        spacing,
    )
    .map_err(|e| e.0)?;
    pool.tick = c0.tick;
    pool.keep_segments = true;
    let start_pool = pool.clone();
    let mut k = events.partition_point(|e| e.block <= c0.block);
    let replayed_events: Vec<Event> = events[k..].to_vec();
    let mut intervals = Vec::new();
    for w in cps[start..].windows(2) {
        let (a, b) = (&w[0], &w[1]);
        let before = pool.fee_growth_global;
        let unresolved_before = pool.swaps_unresolved;
        let mut n = 0;
        while k < events.len() && events[k].block <= b.block {
            pool.apply(&events[k])
                .map_err(|e| format!("{pool_id}: {e}"))?;
            k += 1;
            n += 1;
        }
        intervals.push(Interval {
            from_block: a.block,
            to_block: b.block,
            to_timestamp: b.timestamp,
            events: n,
            onchain: [0, 1].map(|j| b.fee_growth_global[j].wrapping_sub(a.fee_growth_global[j])),
            replayed: [0, 1].map(|j| pool.fee_growth_global[j].wrapping_sub(before[j])),
            unresolved: pool.swaps_unresolved - unresolved_before,
            state_matches: pool.sqrt_price_x96 == b.sqrt_price_x96 && pool.tick == b.tick,
        });
        if k >= events.len() {
            break;
        }
    }
    // Events after the last checkpoint: replayed (their fees count for ranges), with no
    // on-chain value to compare.
    while k < events.len() {
        pool.apply(&events[k])
            .map_err(|e| format!("{pool_id}: {e}"))?;
        k += 1;
    }
    Ok(CheckpointReplay {
        pool: pool_id.to_string(),
        events: replayed_events.len(),
        intervals,
        swaps_exact: pool.swaps_exact,
        swaps_learned: pool.swaps_learned,
        swaps_unresolved: pool.swaps_unresolved,
        start_pool,
        final_pool: pool,
        replayed_events,
    })
}

/// Check (d): one snapshot → events → snapshot set, field by field.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotReplay {
    pub pool: String,
    pub events: usize,
    /// (what, replayed equals on-chain) for the pool-level fields.
    pub fields: Vec<(String, bool)>,
    /// Initialised ticks of the end snapshot that the replay holds (inside the start
    /// snapshot's band), and how many match liquidityNet and feeGrowthOutside0/1.
    pub ticks_compared: usize,
    pub ticks_net_exact: usize,
    pub ticks_outside_exact: usize,
    /// Initialised ticks of the end snapshot outside the start snapshot's band.
    pub ticks_outside_band: usize,
    /// Positions the events touched that the end snapshot lists, and how many match
    /// feeGrowthInside0/1LastX128.
    pub positions_compared: usize,
    pub positions_exact: usize,
    /// Per compared tick: (tick, replayed − on-chain liquidityNet, relative difference of
    /// feeGrowthOutside0 and of feeGrowthOutside1, summed in absolute value).
    pub tick_diffs: Vec<(i32, f64, f64)>,
}

impl SnapshotReplay {
    pub fn all_exact(&self) -> bool {
        self.fields.iter().all(|(_, ok)| *ok)
            && self.ticks_net_exact == self.ticks_compared
            && self.ticks_outside_exact == self.ticks_compared
            && self.positions_exact == self.positions_compared
    }
}

/// Replays every `[[replays]]` set of the dataset.
pub fn snapshot_replays(ds: &Dataset) -> Vec<Result<SnapshotReplay, String>> {
    use crate::data::events::{load_snapshot, load_snapshot_events};
    ds.replays
        .iter()
        .map(|r| -> Result<SnapshotReplay, String> {
            let s0 = load_snapshot(&ds.root, &r.start).map_err(|e| e.to_string())?;
            let s1 = load_snapshot(&ds.root, &r.end).map_err(|e| e.to_string())?;
            let events = load_snapshot_events(&ds.root, &r.events).map_err(|e| e.to_string())?;
            let mut pool = pool_at(&s0)?;
            let band = (
                s0.ticks.keys().next().copied().unwrap_or(0),
                s0.ticks.keys().last().copied().unwrap_or(0),
            );
            for ev in &events {
                pool.apply(ev).map_err(|e| format!("{}: {e}", r.pool))?;
            }
            let fields = vec![
                (
                    "feeGrowthGlobal0X128".to_string(),
                    pool.fee_growth_global[0] == s1.fee_growth_global[0],
                ),
                (
                    "feeGrowthGlobal1X128".to_string(),
                    pool.fee_growth_global[1] == s1.fee_growth_global[1],
                ),
                (
                    "sqrtPriceX96".to_string(),
                    pool.sqrt_price_x96 == s1.sqrt_price_x96,
                ),
                ("tick".to_string(), pool.tick == s1.tick),
                ("liquidity".to_string(), pool.liquidity == s1.liquidity),
            ];
            let TickCompare {
                compared,
                net_ok,
                out_ok,
                outside,
                tick_diffs,
            } = compare_ticks(&pool, &s1, band);
            let (pc, pe) = compare_positions(&pool, &s1, &events);
            Ok(SnapshotReplay {
                pool: r.pool.clone(),
                events: events.len(),
                fields,
                ticks_compared: compared,
                ticks_net_exact: net_ok,
                ticks_outside_exact: out_ok,
                ticks_outside_band: outside,
                positions_compared: pc,
                positions_exact: pe,
                tick_diffs,
            })
        })
        .collect()
}

/// A pool in the state of an on-chain snapshot: its every initialised tick (the map is
/// complete) and its positions.
fn pool_at(s0: &crate::data::events::Snapshot) -> Result<Pool, String> {
    use crate::amm::replay::{PositionState, TickState};
    let mut pool = Pool::new(
        s0.sqrt_price_x96,
        s0.liquidity,
        s0.fee_growth_global,
        s0.fee_pips,
        s0.tick_spacing,
    )
    .map_err(|e| e.0)?;
    pool.tick = s0.tick;
    pool.complete_tick_map = true;
    for (t, st) in &s0.ticks {
        pool.ticks.insert(
            *t,
            TickState {
                liquidity_gross: st.liquidity_gross,
                liquidity_net: st.liquidity_net,
                fee_growth_outside: st.fee_growth_outside,
                net_known: true,
            },
        );
    }
    for p in &s0.positions {
        if let Some(k) = &p.owner_range {
            pool.positions.insert(
                k.clone(),
                PositionState {
                    liquidity: p.liquidity,
                    fee_growth_inside_last: p.fee_growth_inside_last,
                    tokens_owed: p.tokens_owed,
                },
            );
        }
    }
    Ok(pool)
}

/// The replayed ticks against the end snapshot's, inside the start state's band.
struct TickCompare {
    compared: usize,
    net_ok: usize,
    out_ok: usize,
    outside: usize,
    /// Per tick: liquidityNet difference, feeGrowthOutside relative differences summed.
    tick_diffs: Vec<(i32, f64, f64)>,
}

fn compare_ticks(pool: &Pool, s1: &crate::data::events::Snapshot, band: (i32, i32)) -> TickCompare {
    let (mut compared, mut net_ok, mut out_ok, mut outside) = (0, 0, 0, 0);
    let mut tick_diffs = Vec::new();
    for (t, st) in &s1.ticks {
        if *t < band.0 || *t > band.1 {
            outside += 1;
            continue;
        }
        compared += 1;
        if let Some(ours) = pool.ticks.get(t) {
            net_ok += usize::from(ours.liquidity_net == st.liquidity_net);
            out_ok += usize::from(ours.fee_growth_outside == st.fee_growth_outside);
            let rel = |a: U256, b: U256| {
                let d = to_f64(a.abs_diff(b));
                if d == 0.0 {
                    0.0
                } else {
                    d / to_f64(b).max(1.0)
                }
            };
            tick_diffs.push((
                *t,
                (ours.liquidity_net - st.liquidity_net) as f64,
                rel(ours.fee_growth_outside[0], st.fee_growth_outside[0])
                    + rel(ours.fee_growth_outside[1], st.fee_growth_outside[1]),
            ));
        }
    }
    TickCompare {
        compared,
        net_ok,
        out_ok,
        outside,
        tick_diffs,
    }
}

/// The positions the events touched that the end snapshot lists: (compared, exact)
/// feeGrowthInside0/1LastX128.
fn compare_positions(
    pool: &Pool,
    s1: &crate::data::events::Snapshot,
    events: &[crate::amm::replay::Event],
) -> (usize, usize) {
    use crate::data::events::position_key;
    let (mut pc, mut pe) = (0, 0);
    for ((owner, lo, hi), ours) in &pool.positions {
        let touched = events
            .iter()
            .any(|e| e.owner == *owner && e.tick_lower == Some(*lo) && e.tick_upper == Some(*hi));
        let Some(key) = position_key(owner, *lo, *hi) else {
            continue;
        };
        let Some(theirs) = s1.positions.iter().find(|p| p.key == key) else {
            continue;
        };
        if touched {
            pc += 1;
            pe += usize::from(ours.fee_growth_inside_last == theirs.fee_growth_inside_last);
        }
    }
    (pc, pe)
}

/// Runs checks (b), (c) and (d) on every pool the dataset has events or snapshots for,
/// writes `replay_checkpoints.csv`, `replay_ranges.csv`, `replay_snapshot.csv` and their
/// charts into `dir`, and returns their headline rows and notes.
pub fn write(
    ds: &Dataset,
    dir: &std::path::Path,
    charts: &mut Vec<crate::report::charts::Chart>,
) -> Result<(Vec<super::CheckSummary>, Vec<String>), Box<dyn std::error::Error>> {
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    let replays: Vec<CheckpointReplay> = checkpoint_replays(ds)
        .into_iter()
        .collect::<Result<_, String>>()?;
    if !replays.is_empty() {
        write_checkpoints(&replays, dir, charts, (&mut rows, &mut notes))?;
        write_ranges(ds, &replays, dir, charts, (&mut rows, &mut notes))?;
    }
    let snaps: Vec<SnapshotReplay> = snapshot_replays(ds)
        .into_iter()
        .collect::<Result<_, String>>()?;
    if !snaps.is_empty() {
        write_snapshots(&snaps, dir, charts, (&mut rows, &mut notes))?;
    }
    Ok((rows, notes))
}

/// The headline rows and notes a check adds to.
type Out<'a> = (&'a mut Vec<super::CheckSummary>, &'a mut Vec<String>);

/// `replay_checkpoints.csv`'s columns.
const CHECKPOINT_COLUMNS: [&str; 16] = [
    "pool",
    "from_block",
    "to_block",
    "to_timestamp",
    "events",
    "onchain_fee_growth0_x128",
    "replayed_fee_growth0_x128",
    "onchain_fee_growth1_x128",
    "replayed_fee_growth1_x128",
    "exact0",
    "exact1",
    "error0",
    "error1",
    "state_matches",
    "unresolved_swaps",
    "explanation",
];

/// Check 5: the event replay against each on-chain fee-growth checkpoint
/// (`replay_checkpoints.csv`, one chart per pool).
fn write_checkpoints(
    replays: &[CheckpointReplay],
    dir: &std::path::Path,
    charts: &mut Vec<crate::report::charts::Chart>,
    (rows, notes): Out<'_>,
) -> Result<(), Box<dyn std::error::Error>> {
    use super::{median_worst, CheckSummary};
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CHECKPOINT_COLUMNS)?;
    let mut errs = Vec::new();
    let (mut exact_tokens, mut tokens, mut unexplained) = (0usize, 0usize, 0usize);
    for r in replays {
        for i in &r.intervals {
            w.write_record([
                r.pool.clone(),
                i.from_block.to_string(),
                i.to_block.to_string(),
                crate::units::format_ts(i.to_timestamp),
                i.events.to_string(),
                i.onchain[0].to_string(),
                i.replayed[0].to_string(),
                i.onchain[1].to_string(),
                i.replayed[1].to_string(),
                (i.onchain[0] == i.replayed[0]).to_string(),
                (i.onchain[1] == i.replayed[1]).to_string(),
                format!("{:e}", i.error(0)),
                format!("{:e}", i.error(1)),
                i.state_matches.to_string(),
                i.unresolved.to_string(),
                i.explanation().to_string(),
            ])?;
            for j in 0..2 {
                tokens += 1;
                exact_tokens += usize::from(i.onchain[j] == i.replayed[j]);
                errs.push(100.0 * i.error(j));
            }
            unexplained += usize::from(i.explanation().starts_with("unexplained"));
        }
        charts.push(checkpoint_chart(dir, r)?);
    }
    crate::io::write_atomic(&dir.join("replay_checkpoints.csv"), &w.into_inner()?)?;
    let (m, wst) = median_worst(errs.iter().copied());
    let intervals: usize = replays.iter().map(|r| r.intervals.len()).sum();
    let swaps: u64 = replays
        .iter()
        .map(|r| r.swaps_exact + r.swaps_learned + r.swaps_unresolved)
        .sum();
    let learned: u64 = replays.iter().map(|r| r.swaps_learned).sum();
    let unresolved: u64 = replays.iter().map(|r| r.swaps_unresolved).sum();
    rows.push(CheckSummary {
        check: "5. event replay vs on-chain fee-growth checkpoints",
        compared: format!(
            "checkpoint intervals × 2 tokens: {exact_tokens} of {tokens} exact ({:.1} %), {intervals} intervals",
            100.0 * exact_tokens as f64 / tokens.max(1) as f64
        ),
        periods: tokens,
        median: m,
        worst: wst,
        unit: "%",
    });
    notes.push(format!(
        "Event replay: every swap, mint and burn of the pool replayed in exact integers (amm::replay: the contracts' swap steps, the fee taken per step, feeGrowthGlobal per step), started from the first on-chain checkpoint inside the events' window, compared with each following checkpoint's feeGrowthGlobal0/1X128. {swaps} swaps; {learned} of them crossed a tick whose liquidityNet the data had not shown (the export starts without a tick map), solved for exactly from the swap's own amounts; {unresolved} could not be solved. Intervals that differ: {} explained by flash-loan fees (on-chain above the replay with every swap exact; the export has no Flash events), {unexplained} unexplained. replay_checkpoints.csv lists every interval and why it differs.",
        replays.iter().flat_map(|r| &r.intervals).filter(|i| !i.exact() && i.explanation().starts_with("on-chain")).count()
    ));
    Ok(())
}

/// Check 6: hourly and daily bar models against the exact replay, by range width
/// (`replay_ranges.csv`, one chart per pool).
fn write_ranges(
    ds: &Dataset,
    replays: &[CheckpointReplay],
    dir: &std::path::Path,
    charts: &mut Vec<crate::report::charts::Chart>,
    (rows, notes): Out<'_>,
) -> Result<(), Box<dyn std::error::Error>> {
    use super::{median_worst, CheckSummary};
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "pool",
        "width",
        "bar",
        "model",
        "days",
        "median_abs_error_pct",
        "worst_abs_error_pct",
    ])?;
    let mut hourly_wide = Vec::new();
    for r in replays {
        let Some(meta) = ds.pools.get(&r.pool) else {
            continue;
        };
        let acc = super::ranges::range_check(r, meta);
        for a in &acc {
            w.write_record([
                r.pool.clone(),
                a.width_label(),
                crate::units::format_duration(a.bar),
                a.model.name().to_string(),
                a.days.to_string(),
                format!("{:.4}", 100.0 * a.median_abs_error),
                format!("{:.4}", 100.0 * a.worst_abs_error),
            ])?;
            if a.bar == 3_600
                && a.model == crate::fees::FeeModel::FeeGrowth
                && a.width.is_none_or(|x| x >= 0.02)
            {
                hourly_wide.extend(a.errors.iter().map(|e| 100.0 * e));
            }
        }
        charts.push(ranges_chart(dir, &r.pool, &acc)?);
    }
    crate::io::write_atomic(&dir.join("replay_ranges.csv"), &w.into_inner()?)?;
    let (m, wst) = median_worst(hourly_wide.iter().copied());
    rows.push(CheckSummary {
        check: "6. hourly fee_growth bars vs exact replay, ranges ±2 % and wider",
        compared: "range-days (±2, 5, 10 %, full range opened each UTC day)".into(),
        periods: hourly_wide.len(),
        median: m,
        worst: wst,
        unit: "%",
    });
    notes.push("Bars vs exact: hourly and daily bars built from the same events (open/close price, tick high/low, volume, start/end and time-mean active liquidity, the exact fee-growth increments) run through PoolView::fee_income under fee_growth and volume_liquidity, for ranges of ±0.5, 1, 2, 5, 10 % and full range opened at every UTC day's start and held for the day, against the exact fees of the same range from the replay's swap steps. The fee_growth model is exact for a range the price never leaves; what remains is the in-range fraction of bars that cross the range (a path-length estimate from the bar's ticks), larger for narrow ranges and for daily bars. replay_ranges.csv has every width, bar and model.".to_string());
    Ok(())
}

/// Check 7: snapshot → events → snapshot (`replay_snapshot.csv`, one chart per pool).
fn write_snapshots(
    snaps: &[SnapshotReplay],
    dir: &std::path::Path,
    charts: &mut Vec<crate::report::charts::Chart>,
    (rows, notes): Out<'_>,
) -> Result<(), Box<dyn std::error::Error>> {
    use super::CheckSummary;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["pool", "what", "compared", "exact"])?;
    let (mut compared, mut exact) = (0usize, 0usize);
    for s in snaps {
        for (f, ok) in &s.fields {
            w.write_record([
                s.pool.clone(),
                f.clone(),
                "1".into(),
                usize::from(*ok).to_string(),
            ])?;
            compared += 1;
            exact += usize::from(*ok);
        }
        for (what, n, ok) in [
            ("ticks: liquidityNet", s.ticks_compared, s.ticks_net_exact),
            (
                "ticks: feeGrowthOutside0/1X128",
                s.ticks_compared,
                s.ticks_outside_exact,
            ),
            (
                "positions: feeGrowthInside0/1LastX128",
                s.positions_compared,
                s.positions_exact,
            ),
        ] {
            w.write_record([
                s.pool.clone(),
                what.to_string(),
                n.to_string(),
                ok.to_string(),
            ])?;
            compared += n;
            exact += ok;
        }
    }
    crate::io::write_atomic(&dir.join("replay_snapshot.csv"), &w.into_inner()?)?;
    for s in snaps {
        charts.push(snapshot_chart(dir, s)?);
    }
    let miss = 100.0 * (compared - exact) as f64 / compared.max(1) as f64;
    rows.push(CheckSummary {
        check: "7. snapshot → events → snapshot replay",
        compared: format!("on-chain values: {exact} of {compared} exact"),
        periods: compared,
        median: miss,
        worst: miss,
        unit: "% of values differ",
    });
    notes.push(format!(
        "Snapshot replay: from an on-chain state (every initialised tick in a band around the price, the positions the window touches), the {} events that follow are replayed exactly and the result compared with the next on-chain state: feeGrowthGlobal0/1X128, sqrtPriceX96, tick, liquidity, every initialised tick's liquidityNet and feeGrowthOutside0/1X128 inside the start state's band ({} ticks of the end state lie outside it and cannot be compared), and feeGrowthInside0/1LastX128 of the positions the events touched that the end state lists. tokensOwed and balances need Collect events, which the set lacks.",
        snaps.iter().map(|s| s.events).sum::<usize>(),
        snaps.iter().map(|s| s.ticks_outside_band).sum::<usize>()
    ));
    Ok(())
}

/// Check 5's chart of a pool: replayed / on-chain fee growth − 1 per interval.
fn checkpoint_chart(
    dir: &std::path::Path,
    r: &CheckpointReplay,
) -> Result<crate::report::charts::Chart, Box<dyn std::error::Error>> {
    crate::report::charts::lines_chart(
        dir,
        &format!("replay_checkpoints_{}", r.pool),
        &format!(
            "{}: replayed / on-chain fee growth − 1 per checkpoint interval (ppm)",
            r.pool
        ),
        "ppm",
        &[
            (
                "token0".to_string(),
                r.intervals
                    .iter()
                    .map(|i| (i.to_timestamp as f64, 1e6 * i.error(0)))
                    .collect(),
                false,
                0,
            ),
            (
                "token1".to_string(),
                r.intervals
                    .iter()
                    .map(|i| (i.to_timestamp as f64, 1e6 * i.error(1)))
                    .collect(),
                false,
                1,
            ),
        ],
    )
}

/// Check 6's chart of a pool: the bar models' median error by range width.
fn ranges_chart(
    dir: &std::path::Path,
    pool: &str,
    acc: &[super::ranges::RangeAccuracy],
) -> Result<crate::report::charts::Chart, Box<dyn std::error::Error>> {
    let line = |bar: i64, model: crate::fees::FeeModel, k: usize| {
        (
            format!(
                "{} bars, {}",
                crate::units::format_duration(bar),
                model.name()
            ),
            acc.iter()
                .filter(|a| a.bar == bar && a.model == model)
                .enumerate()
                .map(|(x, a)| (x as f64, 100.0 * a.median_abs_error))
                .collect::<Vec<_>>(),
            false,
            k,
        )
    };
    use crate::fees::FeeModel::{FeeGrowth, VolumeLiquidity};
    crate::report::charts::lines_chart_x(
        dir,
        &format!("replay_ranges_{pool}"),
        &format!("{}: median |bar model / exact − 1| by range width, %", pool),
        "range: 0 = ±0.5 %, 1 = ±1 %, 2 = ±2 %, 3 = ±5 %, 4 = ±10 %, 5 = full range",
        "median abs error (%)",
        &[
            line(3_600, FeeGrowth, 0),
            line(3_600, VolumeLiquidity, 1),
            line(86_400, FeeGrowth, 2),
            line(86_400, VolumeLiquidity, 3),
        ],
    )
}

/// Check 7's chart of a pool: replayed − on-chain state per initialised tick.
fn snapshot_chart(
    dir: &std::path::Path,
    s: &SnapshotReplay,
) -> Result<crate::report::charts::Chart, Box<dyn std::error::Error>> {
    crate::report::charts::lines_chart_x(
        dir,
        &format!("replay_snapshot_{}", s.pool),
        &format!(
            "{}: replayed − on-chain state per initialised tick (0 = exact)",
            s.pool
        ),
        "tick",
        "difference",
        &[
            (
                "liquidityNet (units)".to_string(),
                s.tick_diffs
                    .iter()
                    .map(|(t, n, _)| (*t as f64, *n))
                    .collect(),
                false,
                0,
            ),
            (
                "feeGrowthOutside0/1 (relative, summed)".to_string(),
                s.tick_diffs
                    .iter()
                    .map(|(t, _, f)| (*t as f64, *f))
                    .collect(),
                false,
                1,
            ),
        ],
    )
}
