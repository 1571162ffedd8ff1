//! Fee models: what a liquidity position earns from its pool's trading fees over one
//! bar `[i − 1, i)`. The engine's accrual and `yieldlab validate` call these same
//! functions (`income`, `in_range_fraction`, `bar_inputs`), so what `validate` measures
//! is what a run computes.
//!
//! | model | income of a position over a bar | needs |
//! |---|---|---|
//! | `fee_growth` | ΔfeeGrowthGlobal (USD per unit of raw liquidity) × L_ours × in-range fraction × L_active / (L_active + L_ours) | `fee_growth_global0/1`, `liquidity` |
//! | `volume_liquidity` | volume × fee rate × in-range fraction × L_ours / (L_active + L_ours) | `volume_usd` (or `fees_usd`), `liquidity` |
//! | `tvl_share` | volume × fee rate × in-range fraction × V_ours / (TVL + V_ours) | `volume_usd` (or `fees_usd`), `tvl_usd` |
//! | `events` | Σ over the bar's swap steps: fee × share of the step's input inside the range × L_ours / (L_step + L_ours) | the pool's `[[events]]` (`amm::replay`) |
//!
//! `L_active` is the bar's mean active liquidity where the data has `liquidity_mean`,
//! otherwise the mean of the bar's start and end values. The in-range fraction is the
//! share of the bar's traversed price path (in log price, i.e. ticks) that lies inside
//! the position's range: open → high → low → close and open → low → high → close
//! averaged where the data has the bar's high and low ticks, otherwise the segment from
//! the previous to the current price. A position earns nothing in a bar whose path
//! never touched its range. Full-range, constant-product and StableSwap positions are
//! always in range. Known biases are in docs/accounting.md ("Fee models").
//!
//! Nothing here reads files or the clock; the functions are pure.

use serde::{Deserialize, Serialize};

pub use crate::market::Coverage;
use crate::market::{Field, PoolKind};
use crate::pool::FeeShape;

/// How a pool's fee income is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeModel {
    /// Exact, from the pool's events replayed in integer math: each swap step's fee ×
    /// the share of its input inside our range × L_ours / (L_step + L_ours).
    Events,
    /// The pool's on-chain fee-growth counters (exact for always-in-range liquidity).
    FeeGrowth,
    /// Volume × fee rate shared by active liquidity.
    VolumeLiquidity,
    /// Volume × fee rate shared by value (exact for constant-product and StableSwap
    /// pools, whose LP shares are proportional to value; biased for ranges).
    TvlShare,
    /// The pool's published base APY (DefiLlama's `apyBase`: compounded, read as a
    /// fraction) as per-step growth of the position's value, diluted by our capital:
    /// ((1 + APY)^(dt/year) − 1) × value × TVL / (TVL + ours). For pools the data knows
    /// only by their yield series (no volume), priced from their tokens.
    ApySeries,
}

impl FeeModel {
    pub const ALL: [FeeModel; 5] = [
        FeeModel::Events,
        FeeModel::FeeGrowth,
        FeeModel::VolumeLiquidity,
        FeeModel::TvlShare,
        FeeModel::ApySeries,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FeeModel::Events => "events",
            FeeModel::FeeGrowth => "fee_growth",
            FeeModel::VolumeLiquidity => "volume_liquidity",
            FeeModel::TvlShare => "tvl_share",
            FeeModel::ApySeries => "apy_series",
        }
    }

    /// The model's known bias, as stated in summaries and reports.
    pub fn bias(self, kind: PoolKind) -> &'static str {
        match (self, kind) {
            (FeeModel::Events, _) => {
                "exact swap by swap (the historical price path is kept: our liquidity dilutes fees but does not move the price)"
            }
            (FeeModel::FeeGrowth, _) => {
                "exact for liquidity in range the whole bar; the in-range fraction of a bar that crosses the range is a path-length estimate"
            }
            (FeeModel::VolumeLiquidity, _) => {
                "fees per unit of liquidity from the bar's volume and mean (or start/end) active liquidity: misses liquidity moves inside the bar"
            }
            (FeeModel::TvlShare, k) if k.fee_shape() == Some(FeeShape::ActiveLiquidity) => {
                "shares fees by value, as if the pool's TVL were all in range: understates a range's fees per dollar when it is narrower than the pool's liquidity, overstates them when wider"
            }
            (FeeModel::TvlShare, _) => "exact share for proportional LP positions, given the TVL series",
            (FeeModel::ApySeries, _) => {
                "the publisher's base APY (compounded) on our value, diluted by our capital: carries the publisher's averaging and its TVL-share assumption; no volume or range effects"
            }
        }
    }

    /// The canonical fields the model reads (each group: any one of them suffices).
    pub fn needs(self) -> &'static [&'static [Field]] {
        match self {
            FeeModel::Events => &[],
            FeeModel::FeeGrowth => &[
                &[Field::FeeGrowthGlobal0],
                &[Field::FeeGrowthGlobal1],
                &[Field::Liquidity],
            ],
            FeeModel::VolumeLiquidity => {
                &[&[Field::VolumeUsd, Field::FeesUsd], &[Field::Liquidity]]
            }
            FeeModel::TvlShare => &[&[Field::VolumeUsd, Field::FeesUsd], &[Field::TvlUsd]],
            FeeModel::ApySeries => &[&[Field::ApyBase, Field::ApyReward]],
        }
    }

    /// Models a pool kind can use, in the order they are chosen from the data: by how
    /// the kind pays its LPs (`pool::Model::FEES`).
    pub fn candidates(kind: PoolKind) -> &'static [FeeModel] {
        match kind.fee_shape() {
            Some(FeeShape::ActiveLiquidity) => &[
                FeeModel::Events,
                FeeModel::FeeGrowth,
                FeeModel::VolumeLiquidity,
            ],
            Some(FeeShape::ValueShare) => &[FeeModel::TvlShare],
            None => &[],
        }
    }

    /// Whether a pool kind may use the model at all (when a strategy forces it).
    pub fn allowed(self, kind: PoolKind) -> bool {
        match self {
            FeeModel::TvlShare | FeeModel::ApySeries => kind.fee_shape().is_some(),
            _ => kind.fee_shape() == Some(FeeShape::ActiveLiquidity),
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for FeeModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a run does where the chosen model's series has no value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnMissing {
    /// Fail, naming the pool, the field and the first missing time (the default).
    #[default]
    Error,
    /// Use the next model whose series has a value at that step; the summary counts the
    /// steps under each model.
    Fallback,
}

/// One pool's inputs over one bar, as the models read them. `NaN` marks a value the
/// data does not have at this bar (only where a run allows fallback).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BarInputs {
    /// USD earned by one unit of raw liquidity in range over the whole bar
    /// (Δfg0 · P0 / 10^d0 + Δfg1 · P1 / 10^d1).
    pub fee_growth_usd: f64,
    /// Fees paid by traders to the pool's LPs over the bar, USD (volume × fee rate).
    pub pool_fees_usd: f64,
    /// Active liquidity over the bar (raw on-chain units).
    pub l_active: f64,
    /// Pool TVL at the bar's start, USD.
    pub tvl_usd: f64,
    /// Whether the pool's replayed swap steps cover the bar (`events`).
    pub has_events: bool,
    /// The pool's base APY at the bar's start (fraction, compounded; 0 where the pool
    /// publishes only a reward APY), and the bar's length in years (`apy_series`).
    pub apy_base: f64,
    pub dt_years: f64,
}

impl BarInputs {
    /// Whether the model has every input it needs at this bar.
    pub fn has(&self, model: FeeModel) -> bool {
        match model {
            FeeModel::Events => self.has_events,
            FeeModel::FeeGrowth => self.fee_growth_usd.is_finite() && self.l_active.is_finite(),
            FeeModel::VolumeLiquidity => {
                self.pool_fees_usd.is_finite() && self.l_active.is_finite()
            }
            FeeModel::TvlShare => self.pool_fees_usd.is_finite() && self.tvl_usd.is_finite(),
            FeeModel::ApySeries => self.apy_base.is_finite(),
        }
    }
}

/// A position as the models see it over a bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PositionInputs {
    /// Its liquidity in raw on-chain units (`fee_growth`, `volume_liquidity`).
    pub l_raw: f64,
    /// Its value at the bar's start, USD (`tvl_share`).
    pub value_usd: f64,
    /// The share of the bar it was in range, in [0, 1] (`in_range_fraction`).
    pub in_range: f64,
}

/// The fee income (USD) of a position over a bar under `model`. Our own liquidity (or
/// value) joins the pool's: a position never earns more than the bar's fees.
#[inline]
pub fn income(model: FeeModel, bar: &BarInputs, pos: &PositionInputs) -> f64 {
    if pos.in_range <= 0.0 {
        return 0.0;
    }
    match model {
        // Computed from the swap steps by `PoolView::fee_income`, not from bar inputs.
        FeeModel::Events => 0.0,
        FeeModel::FeeGrowth => {
            let total = bar.l_active + pos.l_raw;
            if total <= 0.0 {
                return 0.0;
            }
            bar.fee_growth_usd * pos.l_raw * pos.in_range * (bar.l_active / total)
        }
        FeeModel::VolumeLiquidity => {
            let total = bar.l_active + pos.l_raw;
            if total <= 0.0 {
                return 0.0;
            }
            bar.pool_fees_usd * pos.in_range * (pos.l_raw / total)
        }
        FeeModel::TvlShare => {
            let total = bar.tvl_usd + pos.value_usd;
            if total <= 0.0 {
                return 0.0;
            }
            bar.pool_fees_usd * pos.in_range * (pos.value_usd / total)
        }
        FeeModel::ApySeries => {
            pos.value_usd
                * pos.in_range
                * apy_growth(bar.apy_base, bar.dt_years)
                * dilution(bar.tvl_usd, pos.value_usd)
        }
    }
}

/// Growth over `years` of a compounded APY (a fraction): (1 + APY)^years − 1. An APY
/// at or below −100 % (never published) is a total loss over the step.
#[inline]
pub fn apy_growth(apy: f64, years: f64) -> f64 {
    if apy <= -1.0 {
        return -1.0;
    }
    (apy.ln_1p() * years).exp_m1()
}

/// The share of a yield a position of `ours` gets in a pool whose TVL (without us) is
/// `tvl`: TVL / (TVL + ours) of the published APY. 1 where the TVL is unknown.
#[inline]
pub fn dilution(tvl: f64, ours: f64) -> f64 {
    if tvl.is_finite() && tvl + ours > 0.0 {
        tvl / (tvl + ours)
    } else {
        1.0
    }
}

/// ln √price of a raw tick, shifted to whole-token prices: ln √(1.0001^tick · 10^(d0−d1)).
#[inline]
pub fn ln_sqrt_price_of_tick(tick: f64, decimals_shift: f64) -> f64 {
    0.5 * (tick * LN_TICK_BASE + decimals_shift)
}

const LN_TICK_BASE: f64 = 0.000_099_995_000_333_308_33; // ln(1.0001)

/// The length of `[a, b]` (either order) that lies inside `[lo, hi]`.
#[inline]
fn overlap(a: f64, b: f64, lo: f64, hi: f64) -> f64 {
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    (y.min(hi) - x.max(lo)).max(0.0)
}

/// The share of a price path inside `[lo, hi)`, all in ln √price (any monotone
/// transform of price gives the same share of a path in tick space only for log
/// scales, so callers pass ln √price). A path that does not move counts as in range
/// when its point is inside `[lo, hi)`.
pub fn path_fraction(path: &[f64], lo: f64, hi: f64) -> f64 {
    let mut total = 0.0;
    let mut inside = 0.0;
    for w in path.windows(2) {
        total += (w[1] - w[0]).abs();
        inside += overlap(w[0], w[1], lo, hi);
    }
    if total > 0.0 {
        (inside / total).clamp(0.0, 1.0)
    } else {
        match path.first() {
            Some(x) if *x >= lo && *x < hi => 1.0,
            _ => 0.0,
        }
    }
}

/// The in-range fraction of a bar for a range `[ln √lower, ln √upper)`: from the bar's
/// open, close and (where known) high and low, all in ln √price.
pub fn in_range_fraction(
    open: f64,
    close: f64,
    high_low: Option<(f64, f64)>,
    lo: f64,
    hi: f64,
) -> f64 {
    match high_low {
        Some((h, l)) => {
            // The data's extremes bound the bar's path; the order of high and low inside
            // the bar is unknown, so both orders are averaged.
            let h = h.max(open).max(close);
            let l = l.min(open).min(close);
            0.5 * (path_fraction(&[open, h, l, close], lo, hi)
                + path_fraction(&[open, l, h, close], lo, hi))
        }
        None => path_fraction(&[open, close], lo, hi),
    }
}

/// How a pool's fee income is computed in a run: the model, and the models used in its
/// place where its series has no value (only when the strategy file allows fallback).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub model: FeeModel,
    /// Models tried in order where the first has no value at a step.
    pub fallback: Vec<FeeModel>,
    /// The model was stated in the strategy file (not picked from the data).
    pub forced: bool,
}

impl Resolved {
    /// The model to use at a bar: the first whose inputs are present. `None` when none
    /// is (the run then fails naming the bar).
    #[inline]
    pub fn pick(&self, bar: &BarInputs) -> Option<FeeModel> {
        if bar.has(self.model) {
            return Some(self.model);
        }
        self.fallback.iter().copied().find(|m| bar.has(*m))
    }
}

/// What the dataset has of a pool's fee fields (`resolve`'s view of it).
struct Availability<'a> {
    coverage: &'a dyn Fn(Field) -> Coverage,
    has_events: bool,
}

impl Availability<'_> {
    /// A group of alternative fields: covered if one of them covers the run.
    fn group_cov(&self, group: &[Field]) -> Coverage {
        let mut reason = None;
        for f in group {
            match (self.coverage)(*f) {
                Coverage::Full => return Coverage::Full,
                Coverage::Partial(r) => reason = reason.or(Some(r)),
                Coverage::Absent => {}
            }
        }
        reason.map(Coverage::Partial).unwrap_or(Coverage::Absent)
    }

    /// Each field group a model needs, named, with its coverage.
    fn model_cov(&self, m: FeeModel) -> Vec<(String, Coverage)> {
        m.needs()
            .iter()
            .map(|g| {
                let names: Vec<&str> = g.iter().map(|f| f.name()).collect();
                (names.join("' or '"), self.group_cov(g))
            })
            .collect()
    }

    /// The dataset has every group the model needs, over part of the run at least.
    fn declared(&self, m: FeeModel) -> bool {
        (m != FeeModel::Events || self.has_events)
            && self
                .model_cov(m)
                .iter()
                .all(|(_, c)| *c != Coverage::Absent)
    }

    /// The dataset has every group the model needs over the whole run.
    fn full(&self, m: FeeModel) -> bool {
        (m != FeeModel::Events || self.has_events)
            && self.model_cov(m).iter().all(|(_, c)| *c == Coverage::Full)
    }
}

/// The model a pool's fees are computed with: the one stated (if it applies to the
/// kind), else the kind's first candidate whose fields the dataset has.
fn pick_model(
    pool: &str,
    kind: PoolKind,
    requested: Option<FeeModel>,
    av: &Availability<'_>,
) -> Result<FeeModel, String> {
    Ok(match requested {
        Some(m) => {
            if !m.allowed(kind) {
                return Err(format!(
                    "pool '{pool}': fee_model = \"{m}\" does not apply to a {kind} pool (allowed: {})",
                    FeeModel::ALL
                        .iter()
                        .filter(|x| x.allowed(kind))
                        .map(|x| x.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            m
        }
        None => match FeeModel::candidates(kind)
            .iter()
            .copied()
            .find(|m| av.declared(*m))
        {
            Some(m) => m,
            None => {
                return Err(no_model(pool, kind));
            }
        },
    })
}

/// Why no fee model can run on a pool: each candidate with the fields it needs.
fn no_model(pool: &str, kind: PoolKind) -> String {
    let wanted: Vec<String> = FeeModel::candidates(kind)
        .iter()
        .map(|m| {
            let fields: Vec<String> = m
                .needs()
                .iter()
                .map(|g| g.iter().map(|f| f.name()).collect::<Vec<_>>().join(" or "))
                .collect();
            format!("{m} (needs {})", fields.join(", "))
        })
        .collect();
    let tvl = if kind.fee_shape() == Some(FeeShape::ActiveLiquidity) {
        format!(
            "; to share fees by value instead, state [pools.{pool}] fee_model = \"tvl_share\" (biased: {})",
            FeeModel::TvlShare.bias(kind)
        )
    } else {
        String::new()
    };
    format!(
        "pool '{pool}' ({kind}): the dataset has the series of no fee model: {}{tvl}",
        wanted.join("; ")
    )
}

/// Picks a pool's fee model: the one the strategy file states, else the first of the
/// kind's candidates whose fields the dataset has (fully or in part). A model whose
/// fields do not cover the run is an error naming the field and why — unless the
/// strategy allows fallback, which adds the other usable models behind it.
pub fn resolve(
    pool: &str,
    kind: PoolKind,
    requested: Option<FeeModel>,
    on_missing: OnMissing,
    has_events: bool,
    coverage: &dyn Fn(Field) -> Coverage,
) -> Result<Resolved, String> {
    let av = Availability {
        coverage,
        has_events,
    };
    let model_cov = |m: FeeModel| av.model_cov(m);
    let declared = |m: FeeModel| av.declared(m);
    let full = |m: FeeModel| av.full(m);
    let hint = format!(
        "state the model in the strategy file: [pools.{pool}] fee_model = \"{}\"",
        FeeModel::candidates(kind)
            .first()
            .copied()
            .unwrap_or(FeeModel::TvlShare)
    );
    let model = pick_model(pool, kind, requested, &av)?;
    let mut missing = Vec::new();
    if model == FeeModel::Events && !has_events {
        missing.push("the dataset has no [[events]] for it".to_string());
    }
    for (name, c) in model_cov(model) {
        match c {
            Coverage::Full => {}
            Coverage::Partial(r) => missing.push(format!("field '{name}' {r}")),
            Coverage::Absent => missing.push(format!("field '{name}' is not in the dataset")),
        }
    }
    if missing.is_empty() {
        return Ok(Resolved {
            model,
            fallback: Vec::new(),
            forced: requested.is_some(),
        });
    }
    let fallback: Vec<FeeModel> = FeeModel::candidates(kind)
        .iter()
        .copied()
        .chain([FeeModel::TvlShare])
        .filter(|m| *m != model && m.allowed(kind) && declared(*m))
        .collect::<Vec<_>>();
    let mut fallback_dedup: Vec<FeeModel> = Vec::new();
    for m in fallback {
        if !fallback_dedup.contains(&m) {
            fallback_dedup.push(m);
        }
    }
    match on_missing {
        OnMissing::Fallback if declared(model) || fallback_dedup.iter().any(|m| full(*m)) => {
            Ok(Resolved {
                model,
                fallback: fallback_dedup,
                forced: requested.is_some(),
            })
        }
        OnMissing::Fallback => Err(format!(
            "pool '{pool}': fee model '{model}' cannot run: {}; and no other model has its series",
            missing.join("; ")
        )),
        OnMissing::Error => Err(format!(
            "pool '{pool}': fee model '{model}' needs data the run does not have: {}; fix the data, shorten the run, or state [pools.{pool}] on_missing = \"fallback\" to use {} where it is missing{}",
            missing.join("; "),
            if fallback_dedup.is_empty() {
                "another model".to_string()
            } else {
                fallback_dedup.iter().map(|m| m.name()).collect::<Vec<_>>().join(", then ")
            },
            if requested.is_none() { format!(" (or {hint})") } else { String::new() }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar() -> BarInputs {
        BarInputs {
            fee_growth_usd: 2e-12,
            pool_fees_usd: 1_000.0,
            l_active: 1e15,
            tvl_usd: 5e6,
            has_events: false,
            apy_base: 0.05,
            dt_years: 1.0,
        }
    }

    #[test]
    fn a_published_apy_is_compounded_and_diluted_by_our_capital() {
        // 5 % APY over a year on $1000 in a $9000 pool: the pool's fees were 5 % of
        // $9000; we share them with it: 1000 · 0.05 · 9000 / 10 000 = 45.
        let mut b = bar();
        b.tvl_usd = 9_000.0;
        let pos = PositionInputs {
            l_raw: 0.0,
            value_usd: 1_000.0,
            in_range: 1.0,
        };
        let x = income(FeeModel::ApySeries, &b, &pos);
        assert!((x - 45.0).abs() < 1e-9, "{x}");
        // Half a year of a 5 % APY is √1.05 − 1, not 2.5 %: the APY is compounded.
        assert!((apy_growth(0.05, 0.5) - (1.05f64.sqrt() - 1.0)).abs() < 1e-15);
        assert_eq!(apy_growth(-1.0, 0.5), -1.0);
        assert_eq!(dilution(f64::NAN, 5.0), 1.0);
        assert!(!BarInputs {
            apy_base: f64::NAN,
            ..b
        }
        .has(FeeModel::ApySeries));
    }

    #[test]
    fn a_vanishing_in_range_position_earns_the_fee_growth() {
        let pos = PositionInputs {
            l_raw: 1.0,
            value_usd: 0.0,
            in_range: 1.0,
        };
        let got = income(FeeModel::FeeGrowth, &bar(), &pos);
        assert!((got / 2e-12 - 1.0).abs() < 1e-12);
        // Our own liquidity joins the pool: a position as large as the pool's earns half.
        let big = PositionInputs { l_raw: 1e15, ..pos };
        let got = income(FeeModel::VolumeLiquidity, &bar(), &big);
        assert!((got - 500.0).abs() < 1e-9);
    }

    #[test]
    fn income_never_exceeds_the_bars_fees_and_is_zero_out_of_range() {
        for l in [1.0, 1e10, 1e15, 1e20, 1e30] {
            let pos = PositionInputs {
                l_raw: l,
                value_usd: l,
                in_range: 1.0,
            };
            for m in [FeeModel::VolumeLiquidity, FeeModel::TvlShare] {
                assert!(income(m, &bar(), &pos) <= 1_000.0 + 1e-9);
            }
            let out = PositionInputs {
                in_range: 0.0,
                ..pos
            };
            for m in FeeModel::ALL {
                assert_eq!(income(m, &bar(), &out), 0.0);
            }
        }
    }

    #[test]
    fn path_fractions() {
        // A segment half inside the range.
        assert!((path_fraction(&[0.0, 2.0], 1.0, 3.0) - 0.5).abs() < 1e-15);
        // Never touched.
        assert_eq!(path_fraction(&[0.0, 0.5], 1.0, 3.0), 0.0);
        // Standing still inside, on the lower bound (inclusive) and on the upper (exclusive).
        assert_eq!(path_fraction(&[2.0, 2.0], 1.0, 3.0), 1.0);
        assert_eq!(path_fraction(&[1.0, 1.0], 1.0, 3.0), 1.0);
        assert_eq!(path_fraction(&[3.0, 3.0], 1.0, 3.0), 0.0);
        // A bar that opens and closes outside but whose low dips into the range.
        // 4 → 2 → 4: half of the path's length lies below 3.
        let f = in_range_fraction(4.0, 4.0, Some((4.0, 2.0)), 1.0, 3.0);
        assert!((f - 0.5).abs() < 1e-15, "{f}");
        // The order of high and low matters; both are averaged: 1 → 4 → 0 → 1 and
        // 1 → 0 → 4 → 1 over [2, 3).
        let f = in_range_fraction(1.0, 1.0, Some((4.0, 0.0)), 2.0, 3.0);
        assert!((f - 2.0 / 8.0).abs() < 1e-15, "{f}");
        // Same open and close, no extremes known: out of range.
        assert_eq!(in_range_fraction(4.0, 4.0, None, 1.0, 3.0), 0.0);
    }

    #[test]
    fn resolution_prefers_fee_growth_and_never_falls_back_silently() {
        let full = |_: Field| Coverage::Full;
        let r = resolve(
            "p",
            PoolKind::Concentrated,
            None,
            OnMissing::Error,
            false,
            &full,
        )
        .unwrap();
        assert_eq!(r.model, FeeModel::FeeGrowth);
        let no_fg = |f: Field| match f {
            Field::FeeGrowthGlobal0 | Field::FeeGrowthGlobal1 => Coverage::Absent,
            _ => Coverage::Full,
        };
        let r = resolve(
            "p",
            PoolKind::Concentrated,
            None,
            OnMissing::Error,
            false,
            &no_fg,
        )
        .unwrap();
        assert_eq!(r.model, FeeModel::VolumeLiquidity);
        let short = |f: Field| match f {
            Field::Liquidity => Coverage::Partial("has no value from 2023-03-31".into()),
            Field::FeeGrowthGlobal0 | Field::FeeGrowthGlobal1 => Coverage::Absent,
            _ => Coverage::Full,
        };
        let e = resolve(
            "p",
            PoolKind::Concentrated,
            None,
            OnMissing::Error,
            false,
            &short,
        )
        .unwrap_err();
        assert!(e.contains("'liquidity'") && e.contains("2023-03-31"), "{e}");
        let r = resolve(
            "p",
            PoolKind::Concentrated,
            None,
            OnMissing::Fallback,
            false,
            &short,
        )
        .unwrap();
        assert_eq!(r.fallback, vec![FeeModel::TvlShare]);
        let none = |f: Field| match f {
            Field::VolumeUsd | Field::TvlUsd | Field::Price => Coverage::Full,
            _ => Coverage::Absent,
        };
        let e = resolve(
            "p",
            PoolKind::Concentrated,
            None,
            OnMissing::Error,
            false,
            &none,
        )
        .unwrap_err();
        assert!(e.contains("tvl_share"), "{e}");
        let r = resolve(
            "p",
            PoolKind::Concentrated,
            Some(FeeModel::TvlShare),
            OnMissing::Error,
            false,
            &none,
        )
        .unwrap();
        assert!(r.forced);
        // With the pool's events, the exact model comes first.
        let r = resolve(
            "p",
            PoolKind::Concentrated,
            None,
            OnMissing::Error,
            true,
            &full,
        )
        .unwrap();
        assert_eq!(r.model, FeeModel::Events);
        assert!(resolve(
            "p",
            PoolKind::Concentrated,
            Some(FeeModel::Events),
            OnMissing::Error,
            false,
            &full
        )
        .is_err());
        assert!(resolve(
            "p",
            PoolKind::ConstantProduct,
            Some(FeeModel::FeeGrowth),
            OnMissing::Error,
            false,
            &full
        )
        .is_err());
    }
}
