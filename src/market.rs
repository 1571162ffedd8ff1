//! The canonical market the engine sees: one shared time grid and plain columnar
//! `f64` vectors per pool, asset, chain and lending market, plus static metadata.
//!
//! This module knows nothing of files or polars (that is `data`). A `Market` never
//! holds a missing value: every vector has exactly `grid.len()` finite entries, and an
//! optional field is `None` unless the data covers the whole grid.
//!
//! Units: prices of pools are token1 per token0 in whole tokens (Uniswap's
//! convention); USD amounts are dollars; rates and APYs are fractions per year
//! (0.05 = 5 %); gas prices are gwei; liquidity and fee growth are as on-chain
//! (fee growth already divided by 2^128, i.e. fees per unit of liquidity).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::units::Timestamp;

pub use crate::pool::{PoolKind, PoolMeta};

/// A chain: its name and the asset its gas is paid in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainMeta {
    pub name: String,
    /// Asset id of the native gas token (must have a price series).
    pub native_asset: String,
}

/// Which value a canonical field holds. Every loaded series is a set of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Pool price: token1 per token0, whole tokens.
    Price,
    /// Traded volume in USD over the bar (a flow).
    VolumeUsd,
    /// Fees paid to LPs in USD over the bar (a flow).
    FeesUsd,
    /// Pool total value locked, USD.
    TvlUsd,
    /// Pool swap fee as a fraction, where it varies over time.
    FeeRate,
    /// Active (in-range) liquidity L, raw on-chain units.
    Liquidity,
    /// The bar's mean active liquidity, raw on-chain units (known at the bar's close).
    LiquidityMean,
    /// The highest and lowest tick the pool's price reached during the bar.
    TickHigh,
    TickLow,
    /// Current tick.
    Tick,
    /// Base (fee) APY as a fraction per year.
    ApyBase,
    /// Reward APY as a fraction per year.
    ApyReward,
    /// Cumulative fee growth per unit of liquidity, token0 (already / 2^128). Loaded as
    /// the on-chain counter; aligned as its increment over each grid step.
    FeeGrowthGlobal0,
    /// Cumulative fee growth per unit of liquidity, token1 (already / 2^128), as token0.
    FeeGrowthGlobal1,
    /// A constant-product pool's token0 reserve, whole tokens.
    Reserve0,
    /// A constant-product pool's token1 reserve, whole tokens.
    Reserve1,
    /// An asset's price in USD.
    PriceUsd,
    /// Gas price in gwei.
    GasPriceGwei,
    /// Lending supply APR as a fraction per year.
    SupplyApr,
    /// Lending borrow APR as a fraction per year.
    BorrowApr,
    /// Lending utilisation, a fraction in [0, 1].
    Utilization,
}

/// How a field moves onto a coarser or finer grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// A level observed at a moment: carried forward, up to a limit.
    Level,
    /// An amount over a bar: spread pro rata in time over the grid steps it covers,
    /// summed where several bars fall into one step, never carried.
    Flow,
    /// A cumulative counter observed at moments (fee growth): aligned as its increment
    /// over each grid step, each increment between two observations spread pro rata in
    /// time over the steps between them.
    Counter,
}

/// The kinds of series a dataset holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriesKind {
    Pool,
    Price,
    Gas,
    Rate,
}

impl fmt::Display for SeriesKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SeriesKind::Pool => "pool",
            SeriesKind::Price => "price",
            SeriesKind::Gas => "gas",
            SeriesKind::Rate => "rate",
        })
    }
}

/// What values a field accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// Finite and > 0 (prices).
    Positive,
    /// Finite and >= 0 (volumes, TVL, gas, liquidity, fee growth).
    NonNegative,
    /// Finite and > -1 (rates and APYs: a fraction per year can't lose more than all).
    Rate,
    /// Finite and within [0, 1].
    Fraction,
    /// A finite whole number (ticks).
    Integer,
}

impl Field {
    pub const ALL: [Field; 21] = [
        Field::Price,
        Field::VolumeUsd,
        Field::FeesUsd,
        Field::TvlUsd,
        Field::FeeRate,
        Field::Liquidity,
        Field::LiquidityMean,
        Field::TickHigh,
        Field::TickLow,
        Field::Tick,
        Field::ApyBase,
        Field::ApyReward,
        Field::FeeGrowthGlobal0,
        Field::FeeGrowthGlobal1,
        Field::Reserve0,
        Field::Reserve1,
        Field::PriceUsd,
        Field::GasPriceGwei,
        Field::SupplyApr,
        Field::BorrowApr,
        Field::Utilization,
    ];

    /// The canonical name used in manifests and reports.
    pub fn name(self) -> &'static str {
        match self {
            Field::Price => "price",
            Field::VolumeUsd => "volume_usd",
            Field::FeesUsd => "fees_usd",
            Field::TvlUsd => "tvl_usd",
            Field::FeeRate => "fee_rate",
            Field::Liquidity => "liquidity",
            Field::LiquidityMean => "liquidity_mean",
            Field::TickHigh => "tick_high",
            Field::TickLow => "tick_low",
            Field::Tick => "tick",
            Field::ApyBase => "apy_base",
            Field::ApyReward => "apy_reward",
            Field::FeeGrowthGlobal0 => "fee_growth_global0",
            Field::FeeGrowthGlobal1 => "fee_growth_global1",
            Field::Reserve0 => "reserve0",
            Field::Reserve1 => "reserve1",
            Field::PriceUsd => "price_usd",
            Field::GasPriceGwei => "gas_price_gwei",
            Field::SupplyApr => "supply_apr",
            Field::BorrowApr => "borrow_apr",
            Field::Utilization => "utilization",
        }
    }

    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The series kind this field belongs to.
    pub fn series_kind(self) -> SeriesKind {
        match self {
            Field::PriceUsd => SeriesKind::Price,
            Field::GasPriceGwei => SeriesKind::Gas,
            Field::SupplyApr | Field::BorrowApr | Field::Utilization => SeriesKind::Rate,
            _ => SeriesKind::Pool,
        }
    }

    pub fn aggregation(self) -> Aggregation {
        match self {
            Field::VolumeUsd | Field::FeesUsd => Aggregation::Flow,
            Field::FeeGrowthGlobal0 | Field::FeeGrowthGlobal1 => Aggregation::Counter,
            _ => Aggregation::Level,
        }
    }

    pub fn domain(self) -> Domain {
        match self {
            Field::Price | Field::PriceUsd => Domain::Positive,
            Field::ApyBase | Field::ApyReward | Field::SupplyApr | Field::BorrowApr => Domain::Rate,
            Field::FeeRate | Field::Utilization => Domain::Fraction,
            Field::Tick | Field::TickHigh | Field::TickLow => Domain::Integer,
            _ => Domain::NonNegative,
        }
    }

    /// The magnitudes a value of the field may take (inclusive), after unit conversion:
    /// far outside anything real, tight enough that no sum, product or power of values
    /// inside them overflows an f64 in a run. `check_domain` refuses anything else.
    pub fn range(self) -> (f64, f64) {
        const TICK: f64 = 887_272.0;
        match self {
            // Token1 per token0, in whole tokens or raw units.
            Field::Price => (1e-24, 1e24),
            Field::PriceUsd => (1e-18, 1e12),
            // Ten trillion dollars per bar or in a pool.
            Field::VolumeUsd | Field::FeesUsd | Field::TvlUsd => (0.0, 1e13),
            // uint128 liquidity and raw reserves.
            Field::Liquidity | Field::LiquidityMean | Field::Reserve0 | Field::Reserve1 => {
                (0.0, 3.5e38)
            }
            Field::Tick | Field::TickHigh | Field::TickLow => (-TICK, TICK),
            // uint256 Q128 counters.
            Field::FeeGrowthGlobal0 | Field::FeeGrowthGlobal1 => (0.0, 1.2e77),
            // A fraction per year: up to 100,000,000 %.
            Field::ApyBase | Field::ApyReward | Field::SupplyApr | Field::BorrowApr => (-1.0, 1e6),
            Field::FeeRate | Field::Utilization => (0.0, 1.0),
            Field::GasPriceGwei => (0.0, 1e7),
        }
    }

    /// Whether the field is a rate or APY (so percent, bps and ray units apply).
    pub fn is_rate(self) -> bool {
        matches!(
            self,
            Field::ApyBase
                | Field::ApyReward
                | Field::SupplyApr
                | Field::BorrowApr
                | Field::FeeRate
                | Field::Utilization
        )
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The run's time grid: `len` points `start, start + step, ...`. Point `i` stands for
/// the step `[start + i·step, start + (i+1)·step)`: levels are those known at the
/// point's time, flows are those that happened during the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeGrid {
    pub start: Timestamp,
    /// Seconds between points, > 0.
    pub step: i64,
    pub len: usize,
}

impl TimeGrid {
    /// A grid covering `[start, end]` inclusive of `end` when it falls on a point.
    pub fn new(start: Timestamp, end: Timestamp, step: i64) -> TimeGrid {
        assert!(step > 0, "grid step must be positive");
        let len = if end < start {
            0
        } else {
            ((end - start) / step) as usize + 1
        };
        TimeGrid { start, step, len }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn at(&self, i: usize) -> Timestamp {
        self.start + i as i64 * self.step
    }

    /// The last point's time.
    pub fn end(&self) -> Timestamp {
        self.at(self.len.saturating_sub(1))
    }

    pub fn timestamps(&self) -> impl Iterator<Item = Timestamp> + '_ {
        (0..self.len).map(|i| self.at(i))
    }
}

/// A pool aligned to the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolSeries {
    pub meta: PoolMeta,
    pub fields: BTreeMap<Field, Vec<f64>>,
    /// Optional fields the dataset has but that do not cover the whole grid: why (the
    /// first missing time), and the values where they exist (`NaN` elsewhere). Never
    /// read in place of `fields` unless a run states a fallback.
    pub partial: BTreeMap<Field, (String, Vec<f64>)>,
    /// The pool's swap steps per grid step, where the series was replayed from its
    /// events (the `events` fee model).
    pub events: Option<std::sync::Arc<EventFees>>,
}

/// An asset's USD price aligned to the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceSeries {
    pub asset: String,
    pub price_usd: Vec<f64>,
}

/// A chain's gas price aligned to the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct GasSeries {
    pub chain: ChainMeta,
    pub gas_price_gwei: Vec<f64>,
}

/// A lending market's rates aligned to the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct RateSeries {
    pub market: String,
    pub fields: BTreeMap<Field, Vec<f64>>,
}

impl PoolSeries {
    /// The field's values over the grid, if the data covers the whole grid.
    pub fn field(&self, f: Field) -> Option<&[f64]> {
        self.fields.get(&f).map(Vec::as_slice)
    }

    /// Whether the data covers a field over the run, over part of it, or not at all.
    pub fn coverage(&self, f: Field) -> Coverage {
        if self.fields.contains_key(&f) {
            Coverage::Full
        } else if let Some((why, _)) = self.partial.get(&f) {
            Coverage::Partial(why.clone())
        } else {
            Coverage::Absent
        }
    }
}

impl RateSeries {
    pub fn field(&self, f: Field) -> Option<&[f64]> {
        self.fields.get(&f).map(Vec::as_slice)
    }
}

/// Everything one run reads: a grid and aligned series, shared read-only between runs.
/// Maps are keyed by id so that iteration order (and so output) is deterministic.
#[derive(Debug, Clone, PartialEq)]
pub struct Market {
    pub grid: TimeGrid,
    pub pools: BTreeMap<String, PoolSeries>,
    pub prices: BTreeMap<String, PriceSeries>,
    pub gas: BTreeMap<String, GasSeries>,
    pub rates: BTreeMap<String, RateSeries>,
}

impl Market {
    pub fn pool(&self, id: &str) -> Option<&PoolSeries> {
        self.pools.get(id)
    }

    pub fn price(&self, asset: &str) -> Option<&PriceSeries> {
        self.prices.get(asset)
    }

    pub fn gas(&self, chain: &str) -> Option<&GasSeries> {
        self.gas.get(chain)
    }

    pub fn rate(&self, market: &str) -> Option<&RateSeries> {
        self.rates.get(market)
    }
}

/// What the data says about one field of a pool: covers the run, covers part of it
/// (with the reason it does not cover the rest), or is not in the dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    Full,
    Partial(String),
    Absent,
}

/// A pool's swap steps bucketed by grid step, for the `events` fee model: the steps of
/// bar `[t_i, t_{i+1})` are `segments[step_start[i]..step_start[i + 1]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventFees {
    pub segments: Vec<crate::amm::replay::Segment>,
    pub step_start: Vec<usize>,
}

impl EventFees {
    /// The swap steps of the bar starting at grid point `i`.
    pub fn bar(&self, i: usize) -> &[crate::amm::replay::Segment] {
        match (self.step_start.get(i), self.step_start.get(i + 1)) {
            (Some(a), Some(b)) => &self.segments[*a..*b],
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_covers_inclusive_end() {
        let g = TimeGrid::new(0, 10 * 3600, 3600);
        assert_eq!(g.len(), 11);
        assert_eq!(g.end(), 36_000);
        assert_eq!(TimeGrid::new(0, 3599, 3600).len(), 1);
        assert!(TimeGrid::new(10, 0, 3600).is_empty());
    }

    #[test]
    fn field_names_round_trip() {
        for f in Field::ALL {
            assert_eq!(Field::from_name(f.name()), Some(f));
        }
        assert_eq!(Field::VolumeUsd.aggregation(), Aggregation::Flow);
        assert_eq!(Field::Price.aggregation(), Aggregation::Level);
    }
}
