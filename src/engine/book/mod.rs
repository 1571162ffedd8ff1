//! What one run reads from the market, resolved once before the first step: USD price
//! vectors for every asset it touches (from a price series, an alias such as WETH →
//! ETH, or derived through a pool from a priced token), each pool's series and
//! metadata, and stress events applied to copies of the affected series.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

mod build;
mod vecmap;

pub use vecmap::{VecMap, VecMapEntry, Wallet};

use super::EngineError;
use crate::fees;
use crate::market::{Field, Market, PoolKind, PoolMeta};
use crate::units::{parse_datetime, parse_duration, Timestamp};

/// The asset id of US dollars (cash): price 1 at every step.
pub const USD: &str = "USD";

/// A stress event declared by a strategy file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StressEvent {
    /// A protocol exploit: the pool's LPs lose `haircut` (a fraction) of their position.
    Exploit {
        at: String,
        pool: String,
        haircut: f64,
    },
    /// An asset's price is multiplied by `factor` from `at` on (a reward token collapse).
    Collapse {
        at: String,
        asset: String,
        factor: f64,
    },
    /// An asset trades at `price_factor` of its price at `at`, recovering linearly to 1
    /// over `recovery` (e.g. "3d"); pools holding it move with it.
    Depeg {
        at: String,
        asset: String,
        price_factor: f64,
        #[serde(default)]
        recovery: Option<String>,
    },
}

impl StressEvent {
    pub fn at(&self) -> Result<Timestamp, EngineError> {
        let s = match self {
            StressEvent::Exploit { at, .. }
            | StressEvent::Collapse { at, .. }
            | StressEvent::Depeg { at, .. } => at,
        };
        parse_datetime(s).ok_or_else(|| {
            EngineError::Spec(format!("event date '{s}' is not a date like 2023-03-10"))
        })
    }
}

/// A pool as the run sees it.
#[derive(Debug, Clone)]
pub struct PoolView {
    pub meta: PoolMeta,
    /// token1 per token0 (absent for yield-only pools).
    pub price: Option<Vec<f64>>,
    pub tvl: Option<Vec<f64>>,
    pub volume: Option<Vec<f64>>,
    pub fees_usd: Option<Vec<f64>>,
    pub liquidity: Option<Vec<f64>>,
    pub apy_base: Option<Vec<f64>>,
    pub apy_reward: Option<Vec<f64>>,
    pub fee_rate: Option<Vec<f64>>,
    /// Per-step increments of feeGrowthGlobal0/1 (fees per unit of raw liquidity, raw
    /// token units).
    pub fee_growth: Option<[Vec<f64>; 2]>,
    /// The bar's mean active liquidity (raw), known at the bar's close.
    pub liquidity_mean: Option<Vec<f64>>,
    /// The bar's highest and lowest tick, known at the bar's close.
    pub tick_high_low: Option<[Vec<f64>; 2]>,
    /// The pool's replayed swap steps per grid step (`events` fee model).
    pub events: Option<Arc<crate::market::EventFees>>,
    /// 10^((d0 + d1)/2), where the decimals are known (`raw_liquidity_scale`).
    pub scale: Option<f64>,
    /// 10^−d0 and 10^−d1: raw token units to whole tokens (1 where unknown).
    pub unit: [f64; 2],
    /// How fee income is computed: resolved once per run, an error kept for the first
    /// position that opens in the pool (a pool read only for its prices needs none).
    pub fee: Result<fees::Resolved, String>,
    /// Indexes into the price book of token0 and token1.
    pub token_prices: Vec<usize>,
    pub reward: Option<usize>,
    /// The data has no price for the pool itself (a yield-only pool: APY and TVL
    /// series; or a multi-coin StableSwap pool): `price` is token0's USD price over
    /// token1's, so a position in it has the exposure of its kind (price effect, IL
    /// through its invariant, depegs). A yield-only pool's fees come from the APY series
    /// (`fees::FeeModel::ApySeries`); a multi-coin pool's from its fee model.
    pub price_from_tokens: bool,
    /// The dataset's priced pool a yield-only pool took its price from (same address).
    pub price_twin: Option<String>,
    /// For a yield-only pool held as a yield stream: the asset its principal tracks
    /// (book index; 0 = USD), as the strategy file stated it (`[pools.<id>] exposure`).
    pub exposure: Option<usize>,
}

impl PoolView {
    /// A pool the data knows by its yields (APY, TVL), held as a position of its kind
    /// with a price from its tokens or its priced twin.
    pub fn known_by_yields(&self) -> bool {
        self.price_from_tokens || self.price_twin.is_some()
    }

    /// The pool's inputs to the fee models over the bar `[i − 1, i)` (`i` ≥ 1): the fee
    /// growth valued at step `i`'s prices, the traders' fees of the bar, the bar's active
    /// liquidity (its mean where the data has one, else the mean of its start and end),
    /// the TVL at its start. `NaN` where a series has no value (fallback runs only).
    #[inline]
    pub fn bar_inputs(&self, book: &Book, i: usize) -> fees::BarInputs {
        let nan = f64::NAN;
        let fee_growth_usd = match &self.fee_growth {
            Some([g0, g1]) if self.token_prices.len() == 2 && self.meta.decimals.len() == 2 => {
                g0[i - 1] * self.unit[0] * book.price(self.token_prices[0], i)
                    + g1[i - 1] * self.unit[1] * book.price(self.token_prices[1], i)
            }
            _ => nan,
        };
        let pool_fees_usd = match (&self.volume, self.fee_at(i - 1), &self.fees_usd) {
            (Some(v), Some(f), _) => v[i - 1] * f,
            (_, _, Some(fu)) => fu[i - 1],
            _ => nan,
        };
        let l_active = match (&self.liquidity_mean, &self.liquidity) {
            (Some(m), _) if m[i].is_finite() => m[i],
            (_, Some(l)) => 0.5 * (l[i - 1] + l[i]),
            _ => nan,
        };
        let tvl_usd = self.tvl.as_ref().map(|t| t[i - 1]).unwrap_or(nan);
        let apy_base = match (&self.apy_base, &self.apy_reward) {
            (Some(a), _) => a[i - 1],
            (None, Some(_)) => 0.0,
            (None, None) => nan,
        };
        fees::BarInputs {
            fee_growth_usd,
            pool_fees_usd,
            l_active,
            tvl_usd,
            has_events: self.events.is_some(),
            apy_base,
            dt_years: (book.grid.at(i) - book.grid.at(i - 1)) as f64 / crate::units::YEAR as f64,
        }
    }

    /// The share of the bar `[i − 1, i)` a range `(√lower, √upper)` (whole-token
    /// prices) was in range (`fees::in_range_fraction`); 1 for positions without a range.
    #[inline]
    pub fn in_range_fraction(&self, range: Option<(f64, f64)>, i: usize) -> f64 {
        let (Some((sa, sb)), Some(price)) = (range, &self.price) else {
            return 1.0;
        };
        let open = 0.5 * price[i - 1].ln();
        let close = 0.5 * price[i].ln();
        let hl = match (&self.tick_high_low, self.meta.decimals.as_slice()) {
            (Some([h, l]), [d0, d1]) if h[i].is_finite() && l[i].is_finite() => {
                let shift = (*d0 as f64 - *d1 as f64) * std::f64::consts::LN_10;
                Some((
                    fees::ln_sqrt_price_of_tick(h[i], shift),
                    fees::ln_sqrt_price_of_tick(l[i], shift),
                ))
            }
            _ => None,
        };
        fees::in_range_fraction(open, close, hl, sa.ln(), sb.ln())
    }

    /// The fee income (USD) over the bar `[i − 1, i)` of a position of `l` whole-token
    /// liquidity in `range` worth `value_usd` at the bar's start, and the model that
    /// computed it. The one function both the engine's accrual and `validate` call.
    #[inline]
    pub fn fee_income(
        &self,
        book: &Book,
        i: usize,
        range: Option<(f64, f64)>,
        l: f64,
        value_usd: f64,
    ) -> Result<(fees::FeeModel, f64, f64), String> {
        let resolved = self.fee.as_ref().map_err(Clone::clone)?;
        let bar = self.bar_inputs(book, i);
        let model = resolved.pick(&bar).ok_or_else(|| {
            format!(
                "pool '{}': no fee model has data for this bar (fee model '{}', fallback {:?})",
                self.meta.id, resolved.model, resolved.fallback
            )
        })?;
        let in_range = self.in_range_fraction(range, i);
        let l_raw = l * self.raw_liquidity_scale().unwrap_or(1.0);
        if model == fees::FeeModel::Events {
            return Ok((model, self.event_income(book, i, range, l_raw), in_range));
        }
        let pos = fees::PositionInputs {
            l_raw,
            value_usd,
            in_range,
        };
        Ok((model, fees::income(model, &bar, &pos), in_range))
    }

    /// The `events` model: the exact fees of the bar's swap steps for `l_raw` of
    /// liquidity in `range` (whole-token √prices), valued at step `i`'s prices.
    fn event_income(&self, book: &Book, i: usize, range: Option<(f64, f64)>, l_raw: f64) -> f64 {
        let (Some(ev), [d0, d1]) = (&self.events, self.meta.decimals.as_slice()) else {
            return 0.0;
        };
        if self.token_prices.len() != 2 {
            return 0.0;
        }
        // Whole-token √price → raw √price · 2^96.
        let k = 10f64.powf((*d1 as f64 - *d0 as f64) / 2.0) * 2f64.powi(96);
        let (lo, hi) = range.map_or((0.0, f64::INFINITY), |(a, b)| (a * k, b * k));
        let f = crate::amm::replay::range_fees_of(ev.bar(i - 1), lo, hi, Some(l_raw));
        f[0] / 10f64.powi(*d0 as i32) * book.price(self.token_prices[0], i)
            + f[1] / 10f64.powi(*d1 as i32) * book.price(self.token_prices[1], i)
    }

    pub fn fee_at(&self, i: usize) -> Option<f64> {
        self.fee_rate.as_ref().map(|f| f[i]).or(self.meta.fee)
    }

    /// 10^((d0 + d1)/2): whole-token liquidity to raw on-chain liquidity (computed once).
    #[inline]
    pub fn raw_liquidity_scale(&self) -> Option<f64> {
        self.scale
    }
}

/// A strategy file's settings for one pool (`[pools.<id>]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolSettings {
    /// The fee model to use instead of the one picked from the data.
    #[serde(default)]
    pub fee_model: Option<fees::FeeModel>,
    /// What to do where the model's series has no value.
    #[serde(default)]
    pub on_missing: fees::OnMissing,
    /// For a yield-only pool whose tokens have no price series: what its principal
    /// tracks, `"usd"` or an asset with a price series. A yield-only pool whose tokens
    /// are priced is held as a position of its kind instead, and needs none.
    #[serde(default)]
    pub exposure: Option<String>,
    /// A lock period from each deposit ("30d"): withdrawals and moves requested before
    /// it ends wait for it.
    #[serde(default)]
    pub lock: Option<String>,
    /// A withdrawal delay ("7d", an unbonding period): a withdrawal or move completes
    /// this long after it is requested; the position stays held (and exposed) meanwhile.
    #[serde(default)]
    pub unbonding: Option<String>,
    /// Whether a position earns its yield while it unbonds (default: it does not).
    #[serde(default)]
    pub unbonding_yield: bool,
    /// Deposit windows: deposits are accepted only in the first `deposit_window`
    /// (default "1d") of every `deposit_every` ("7d"), counted from 1970-01-01 UTC.
    #[serde(default)]
    pub deposit_every: Option<String>,
    #[serde(default)]
    pub deposit_window: Option<String>,
}

impl PoolSettings {
    /// The lock period in seconds (0 without one).
    pub fn lock_secs(&self) -> Result<i64, String> {
        duration_or_zero("lock", &self.lock)
    }

    /// The unbonding delay in seconds (0 without one).
    pub fn unbonding_secs(&self) -> Result<i64, String> {
        duration_or_zero("unbonding", &self.unbonding)
    }
}

impl PoolSettings {
    /// When a deposit asked for at `ts` can go in: `None` now (no windows, or one is
    /// open), else the start of the next window.
    pub fn next_deposit_window(&self, ts: Timestamp) -> Result<Option<Timestamp>, String> {
        let every = duration_or_zero("deposit_every", &self.deposit_every)?;
        if every <= 0 {
            return Ok(None);
        }
        let window = match &self.deposit_window {
            Some(_) => duration_or_zero("deposit_window", &self.deposit_window)?,
            None => 86_400,
        };
        if window <= 0 || window > every {
            return Err(format!(
                "[pools.<id>] deposit_window must be above 0 and at most deposit_every ({every} s)"
            ));
        }
        let into = ts.rem_euclid(every);
        if into < window {
            return Ok(None);
        }
        Ok(Some(ts - into + every))
    }
}

fn duration_or_zero(key: &str, v: &Option<String>) -> Result<i64, String> {
    match v {
        Some(d) => parse_duration(d).map_err(|m| format!("[pools.<id>] {key}: {m}")),
        None => Ok(0),
    }
}

/// Prices and pools resolved for a run.
#[derive(Debug, Clone)]
pub struct Book {
    pub assets: BTreeMap<String, usize>,
    pub prices: Vec<Vec<f64>>,
    /// Shared, read-only once built: cloning one is cheap.
    pub pools: BTreeMap<String, Arc<PoolView>>,
    /// The same pools by index (positions hold the index: no string lookups per step).
    pub pool_list: Vec<Arc<PoolView>>,
    pub pool_ids: BTreeMap<String, usize>,
    /// Exploits: (step, pool, haircut).
    pub exploits: Vec<(usize, String, f64)>,
    /// The run's grid.
    pub grid: crate::market::TimeGrid,
}

fn alias(asset: &str) -> Option<String> {
    let a = asset.strip_prefix('W')?;
    (a.len() >= 3).then(|| a.to_string())
}

impl Book {
    pub fn price(&self, asset: usize, i: usize) -> f64 {
        self.prices[asset][i]
    }

    pub fn asset(&self, name: &str) -> Result<usize, EngineError> {
        self.assets.get(name).copied().ok_or_else(|| {
            let known = self.assets.keys().map(String::as_str);
            EngineError::Spec(format!(
                "asset '{name}' has no USD price in this run{}; its assets: {}",
                crate::names::suggest(name, known.clone()),
                crate::names::list_names(known)
            ))
        })
    }

    pub fn pool(&self, id: &str) -> Result<&PoolView, EngineError> {
        self.pools
            .get(id)
            .map(|p| p.as_ref())
            .ok_or_else(|| unknown_pool(id))
    }

    /// A shared handle on a pool (no copy of its series).
    pub fn pool_arc(&self, id: &str) -> Result<Arc<PoolView>, EngineError> {
        self.pools.get(id).cloned().ok_or_else(|| unknown_pool(id))
    }

    fn add(&mut self, name: &str, series: Vec<f64>) {
        if !self.assets.contains_key(name) {
            self.assets.insert(name.to_string(), self.prices.len());
            self.prices.push(series);
        }
    }

    /// Multiplies an asset's USD price (and pool prices quoted in it) from `start` on.
    fn scale_asset(
        &mut self,
        views: &mut BTreeMap<String, PoolView>,
        asset: &str,
        start: usize,
        factor: &[f64],
    ) -> Result<(), EngineError> {
        let k = self.asset(asset)?;
        for (p, f) in self.prices[k][start..].iter_mut().zip(factor) {
            *p *= f;
        }
        for pv in views.values_mut() {
            let Some(price) = pv.price.as_mut() else {
                continue;
            };
            // The pool's price is token0's in token1 (for a multi-coin pool too).
            let t = &pv.meta.tokens;
            if t.len() >= 2 && t[0] == asset {
                for (p, f) in price[start..].iter_mut().zip(factor) {
                    *p *= f;
                }
            } else if t.len() >= 2 && t[1] == asset {
                for (p, f) in price[start..].iter_mut().zip(factor) {
                    *p /= f;
                }
            }
        }
        Ok(())
    }
}

/// Whether a position can hold the pool: it is priced (its own series, or its coins'
/// prices) and its kind holds liquidity of this many coins (`pool::Model::COINS`).
pub fn is_amm(pv: &PoolView) -> bool {
    pv.price.is_some() && pv.meta.holds_positions()
}

/// A pool the run did not resolve.
fn unknown_pool(id: &str) -> EngineError {
    EngineError::Spec(format!("pool '{id}' is not in this run"))
}
