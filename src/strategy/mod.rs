//! Strategy files (`strategies/*.toml`) and the strategies they name. One kind per
//! source file; each is a `engine::Strategy`: it reads the view and returns actions.
//!
//! A file:
//!
//! ```toml
//! name = "lp_weth_usdc"            # default: the file's stem
//! data = "../data/manifest.toml"   # the dataset, relative to this file
//! capital_usd = 10000
//! start = "2022-01-01"             # optional: default, where the data starts
//! end = "2024-12-30"               # optional
//! grid = "1h"                      # optional: default, the finest bar of the series used
//!
//! [strategy]
//! kind = "lp"                      # hodl | lp | stable_lp | range_lp | autocompound | pool_hop | lend | portfolio
//!                                  #   (| custom: a Rust strategy run through the library, docs/extending.md)
//! pool = "weth_usdc_v2"            # ... the kind's parameters
//!
//! [gas]                            # optional overrides (costs::GasConfig); paid_by = "portfolio" | "external"
//! [costs]                          # optional: reward_swap (also prices depth-less pools), bridge_fee
//! [vault]                          # optional: preset = "beefy" | "yearn" | "none", overrides, others_usd
//! [[events]]                       # optional stress events
//! [pools.<id>]                     # optional: fee_model = "fee_growth" | "volume_liquidity" | "tvl_share",
//!                                  #   on_missing = "error" | "fallback" (src/fees.rs),
//!                                  #   exposure = "usd" | "<asset>" for a yield-only pool with unpriced tokens,
//!                                  #   lock = "14d", unbonding = "7d", unbonding_yield = false,
//!                                  #   deposit_every = "7d", deposit_window = "1d"
//! ```
//!
//! Unknown keys anywhere are errors that name the key.

pub mod autocompound;
pub mod custom;
pub mod hodl;
pub mod lend;
pub mod lp;
pub mod pool_hop;
pub mod portfolio;
pub mod range_lp;
pub mod stable_lp;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::costs::{GasConfig, SlippageModel, VaultFees};
use crate::engine::{RunConfig, Strategy, StressEvent};
use crate::units::{parse_datetime, parse_duration, Duration, Timestamp};

/// A strategy file as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategyFile {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: String,
    pub data: String,
    #[serde(default)]
    pub data_root: Option<String>,
    pub capital_usd: f64,
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
    #[serde(default)]
    pub grid: Option<String>,
    pub strategy: StrategyParams,
    #[serde(default)]
    pub gas: GasConfig,
    #[serde(default)]
    pub costs: CostSettings,
    #[serde(default)]
    pub vault: VaultSettings,
    #[serde(default)]
    pub events: Vec<StressEvent>,
    /// Stated assumptions for data a dataset lacks.
    #[serde(default)]
    pub assume: Assumptions,
    /// Per-pool settings: `[pools.<id>] fee_model = "fee_growth" | "volume_liquidity" |
    /// "tvl_share"`, `on_missing = "error" | "fallback"`.
    #[serde(default)]
    pub pools: std::collections::BTreeMap<String, crate::engine::PoolSettings>,
    /// What to do with values the data check flags (data::quality): "error" (default),
    /// "drop" or "keep"; overrides the manifest's `[dataset] outliers`.
    #[serde(default)]
    pub outliers: Option<crate::data::quality::OutlierPolicy>,
}

/// Values a strategy file assumes where its dataset has no data, stated in the file
/// and in the run's report: a constant TVL (USD) for a pool without a TVL series, a
/// StableSwap amplification for a pool whose metadata lacks it, and a constant USD
/// price for an asset without a price series. Data, where present, always wins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Assumptions {
    #[serde(default)]
    pub pool_tvl_usd: std::collections::BTreeMap<String, f64>,
    #[serde(default)]
    pub amplification: std::collections::BTreeMap<String, f64>,
    /// A constant USD price for an asset without a price series.
    #[serde(default)]
    pub price_usd: std::collections::BTreeMap<String, f64>,
    /// A swap fee (fraction) for a pool whose metadata lacks it.
    #[serde(default)]
    pub fee: std::collections::BTreeMap<String, f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostSettings {
    /// The reference pool for swaps no pool of the data prices (selling reward tokens;
    /// default `SlippageModel::default()`, printed in the report). Stated here, it also
    /// prices swaps through pools that have no depth data.
    #[serde(default)]
    pub reward_swap: Option<SlippageModel>,
    #[serde(default = "default_bridge_fee")]
    pub bridge_fee: f64,
}

fn default_bridge_fee() -> f64 {
    0.0005
}

impl Default for CostSettings {
    fn default() -> Self {
        CostSettings {
            reward_swap: None,
            bridge_fee: default_bridge_fee(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum VaultPreset {
    #[default]
    None,
    Beefy,
    Yearn,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct VaultSettings {
    #[serde(default)]
    pub preset: VaultPreset,
    #[serde(default)]
    pub performance_fee: Option<f64>,
    #[serde(default)]
    pub call_fee: Option<f64>,
    #[serde(default)]
    pub management_fee: Option<f64>,
    #[serde(default)]
    pub withdrawal_fee: Option<f64>,
    #[serde(default)]
    pub profit_unlock: Option<String>,
    /// Other depositors' capital in the vault (USD), sharing harvest gas.
    #[serde(default)]
    pub others_usd: f64,
}

impl VaultSettings {
    pub fn fees(&self) -> Result<VaultFees, String> {
        let mut f = match self.preset {
            VaultPreset::None => VaultFees::none(),
            VaultPreset::Beefy => VaultFees::beefy(),
            VaultPreset::Yearn => VaultFees::yearn(),
        };
        let frac = |name: &str, v: Option<f64>, into: &mut f64| -> Result<(), String> {
            if let Some(x) = v {
                if !(0.0..1.0).contains(&x) {
                    return Err(format!("vault.{name} = {x} must be a fraction in [0, 1)"));
                }
                *into = x;
            }
            Ok(())
        };
        frac(
            "performance_fee",
            self.performance_fee,
            &mut f.performance_fee,
        )?;
        frac("call_fee", self.call_fee, &mut f.call_fee)?;
        frac("management_fee", self.management_fee, &mut f.management_fee)?;
        frac("withdrawal_fee", self.withdrawal_fee, &mut f.withdrawal_fee)?;
        if let Some(u) = &self.profit_unlock {
            f.profit_unlock_secs =
                parse_duration(u).map_err(|m| format!("vault.profit_unlock: {m}"))?;
        }
        if !(self.others_usd.is_finite() && self.others_usd >= 0.0) {
            return Err(format!(
                "vault.others_usd = {} must be >= 0",
                self.others_usd
            ));
        }
        Ok(f)
    }
}

/// What each kind's file implements for its `Params`: its name in strategy files, what
/// it reads from the market, the durations that schedule its actions, and how the
/// strategy is built from its parameters (checking them).
pub trait Kind {
    const NAME: &'static str;
    fn needs(&self) -> Needs;
    /// Durations that must be at least the grid step (the engine acts at most once a
    /// step), each with its parameter's name.
    fn schedules(&self) -> Vec<(&'static str, &Duration)> {
        Vec::new()
    }
    fn build(&self) -> Result<Box<dyn Strategy>, String>;
}

/// The registry: one line per kind (its variant and its module, whose `Params`
/// implements `Kind`). The enum, the list of kinds and the dispatch to each kind's
/// file are generated from it.
macro_rules! registry {
    ($($variant:ident => $module:ident),* $(,)?) => {
        /// The strategy kinds and their parameters.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum StrategyParams {
            $($variant($module::Params),)*
        }

        impl StrategyParams {
            /// Every kind's name, as `kind = "…"` in a strategy file.
            pub const KINDS: &'static [&'static str] = &[$(<$module::Params as Kind>::NAME,)*];

            pub fn kind(&self) -> &'static str {
                match self {
                    $(StrategyParams::$variant(_) => <$module::Params as Kind>::NAME,)*
                }
            }

            /// What the strategy reads from the market (each kind's file says).
            pub fn needs(&self) -> Needs {
                match self {
                    $(StrategyParams::$variant(p) => p.needs(),)*
                }
            }

            /// The durations that schedule actions: each must be at least the grid
            /// step, since the engine acts at most once a step.
            pub fn schedules(&self) -> Vec<(&'static str, &Duration)> {
                match self {
                    $(StrategyParams::$variant(p) => p.schedules(),)*
                }
            }

            /// Builds the strategy, checking its parameters.
            pub fn build(&self) -> Result<Box<dyn Strategy>, String> {
                match self {
                    $(StrategyParams::$variant(p) => p.build(),)*
                }
            }
        }
    };
}

registry! {
    Hodl => hodl,
    Lp => lp,
    StableLp => stable_lp,
    RangeLp => range_lp,
    Autocompound => autocompound,
    PoolHop => pool_hop,
    Lend => lend,
    Portfolio => portfolio,
    Custom => custom,
}

/// What a strategy reads from the market: pools, assets priced, chains, lending
/// markets; `yield_pools`: every yield-only pool of the dataset (a hop's universe).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Needs {
    pub pools: Vec<String>,
    pub assets: Vec<String>,
    pub chains: Vec<String>,
    pub rates: Vec<String>,
    pub yield_pools: bool,
}

impl Needs {
    pub fn extend(&mut self, other: Needs) {
        self.pools.extend(other.pools);
        self.assets.extend(other.assets);
        self.chains.extend(other.chains);
        self.rates.extend(other.rates);
        self.yield_pools |= other.yield_pools;
    }

    /// Needs of a kind that reads one pool and nothing else.
    pub fn pool(pool: &str) -> Needs {
        Needs {
            pools: vec![pool.to_string()],
            ..Needs::default()
        }
    }
}

/// A strategy file read and checked: everything a run needs but the market.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSpec {
    pub name: String,
    pub path: PathBuf,
    pub manifest: PathBuf,
    pub data_root: Option<PathBuf>,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    pub grid_step: Option<i64>,
    pub params: StrategyParams,
    pub config: RunConfig,
    pub assume: Assumptions,
    pub outliers: Option<crate::data::quality::OutlierPolicy>,
}

/// Why a strategy file cannot run, naming the file and the key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SpecError {
    pub path: PathBuf,
    pub message: String,
}

impl RunSpec {
    pub fn read(path: &Path) -> Result<RunSpec, SpecError> {
        let err = |message: String| SpecError {
            path: path.to_path_buf(),
            message,
        };
        let text = crate::io::read_input_text(path, crate::io::MAX_TEXT_BYTES)
            .map_err(|e| err(format!("cannot read: {e}")))?;
        let file: StrategyFile = toml::from_str(&text).map_err(|e| {
            err(format!(
                "invalid strategy file: {}",
                e.to_string().trim_end()
            ))
        })?;
        RunSpec::from_file(file, path)
    }

    pub fn from_file(file: StrategyFile, path: &Path) -> Result<RunSpec, SpecError> {
        let err = |message: String| SpecError {
            path: path.to_path_buf(),
            message,
        };
        let date = |key: &str, v: &Option<String>| -> Result<Option<Timestamp>, SpecError> {
            v.as_deref()
                .map(|s| {
                    parse_datetime(s)
                        .ok_or_else(|| err(format!("{key} = '{s}' is not a date like 2022-01-01")))
                })
                .transpose()
        };
        let start = date("start", &file.start)?;
        let end = date("end", &file.end)?;
        if let (Some(s), Some(e)) = (start, end) {
            if e <= s {
                return Err(err("end must be after start".into()));
            }
        }
        let grid_step = file
            .grid
            .as_deref()
            .map(parse_duration)
            .transpose()
            .map_err(|m| err(format!("grid: {m}")))?;
        // A custom strategy is built by the program that runs it (batch::Plan::run_with).
        if !matches!(file.strategy, StrategyParams::Custom(_)) {
            file.strategy
                .build()
                .map_err(|m| err(format!("[strategy] ({}): {m}", file.strategy.kind())))?;
        }
        let vault_fees = file.vault.fees().map_err(err)?;
        check_assumptions(&file.assume).map_err(err)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let name = file.name.clone().unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "run".into())
        });
        let spec = RunSpec {
            name,
            path: path.to_path_buf(),
            manifest: dir.join(&file.data),
            data_root: file.data_root.as_ref().map(|r| dir.join(r)),
            start,
            end,
            grid_step,
            params: file.strategy,
            assume: file.assume,
            outliers: file.outliers,
            config: RunConfig {
                capital_usd: file.capital_usd,
                gas: file.gas,
                reward_swap: file.costs.reward_swap.unwrap_or_default(),
                reward_swap_stated: file.costs.reward_swap.is_some(),
                bridge_fee: file.costs.bridge_fee,
                vault_fees,
                vault_others_usd: file.vault.others_usd,
                events: file.events,
                pools: file.pools,
                light: false,
            },
        };
        // The domain of every cost and of the capital: the check the engine runs.
        spec.config.validate().map_err(err)?;
        Ok(spec)
    }
}

/// Checks `[assume]`'s values: depths, amplifications and prices positive, fees in
/// [0, 0.5].
fn check_assumptions(a: &Assumptions) -> Result<(), String> {
    for (pool, v) in a
        .pool_tvl_usd
        .iter()
        .chain(&a.amplification)
        .chain(&a.price_usd)
    {
        if !(v.is_finite() && *v > 0.0) {
            return Err(format!(
                "assume: the value for '{pool}' must be a positive number, got {v}"
            ));
        }
    }
    for (pool, f) in &a.fee {
        in_range(&format!("assume.fee for '{pool}'"), *f, 0.0, 0.5)?;
    }
    Ok(())
}

/// Checks a fraction parameter in [lo, hi].
pub(crate) fn in_range(name: &str, v: f64, lo: f64, hi: f64) -> Result<f64, String> {
    if v.is_finite() && v >= lo && v <= hi {
        Ok(v)
    } else {
        Err(format!("{name} = {v} must be between {lo} and {hi}"))
    }
}
