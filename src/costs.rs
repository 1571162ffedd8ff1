//! Cost models: gas per action and chain, swap costs (pool fee plus price impact from
//! the AMM math against the pool's depth), and vault fee schedules. Each has documented
//! defaults that a strategy file can override.
//!
//! Gas cost of an action = gas units × gas price at that step (gwei) × 1e-9 × the
//! chain's native token price at that step (USD), plus a fixed L1 data fee (USD) on
//! rollups. Where the market has no gas series for the chain, the chain preset's
//! constant gas price is used; where it has no price series for the native token, the
//! preset's constant native price is used. The defaults are listed in docs/accounting.md
//! ("Rules"); they are round typical figures, not measurements of one protocol, and a
//! report lists the ones its run used under "Assumptions".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::amm::{stableswap, v2};

/// The on-chain actions a strategy pays gas for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Add liquidity / supply to a lending market / deposit into a vault.
    Deposit,
    /// Remove liquidity / withdraw.
    Withdraw,
    /// Claim reward tokens.
    Claim,
    /// One swap through a DEX.
    Swap,
    /// A vault's harvest: claim, sell and re-deposit in one transaction.
    Harvest,
    /// A concentrated range's rebalance: burn, collect, swap and mint.
    Rebalance,
    /// Bridging between chains (the source-chain transaction).
    Bridge,
}

impl ActionKind {
    pub const ALL: [ActionKind; 7] = [
        ActionKind::Deposit,
        ActionKind::Withdraw,
        ActionKind::Claim,
        ActionKind::Swap,
        ActionKind::Harvest,
        ActionKind::Rebalance,
        ActionKind::Bridge,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ActionKind::Deposit => "deposit",
            ActionKind::Withdraw => "withdraw",
            ActionKind::Claim => "claim",
            ActionKind::Swap => "swap",
            ActionKind::Harvest => "harvest",
            ActionKind::Rebalance => "rebalance",
            ActionKind::Bridge => "bridge",
        }
    }
}

/// Gas units per action (typical mainnet `gasUsed` of the protocols' transactions).
pub fn default_gas_units(kind: ActionKind) -> f64 {
    match kind {
        ActionKind::Deposit => 180_000.0,
        ActionKind::Withdraw => 150_000.0,
        ActionKind::Claim => 120_000.0,
        ActionKind::Swap => 150_000.0,
        ActionKind::Harvest => 400_000.0,
        ActionKind::Rebalance => 500_000.0,
        ActionKind::Bridge => 150_000.0,
    }
}

/// A chain's cost facts where the data has no series for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainPreset {
    pub native_asset: String,
    /// Gas price used when the market has no gas series for this chain (gwei).
    pub gas_price_gwei: f64,
    /// Native token price used when the market has no price series for it (USD).
    pub native_price_usd: f64,
    /// Fixed L1 data fee per transaction on rollups (USD).
    pub l1_data_fee_usd: f64,
}

/// Presets: Ethereum, Arbitrum, Optimism, Base, Polygon.
pub fn chain_preset(chain: &str) -> Option<ChainPreset> {
    let p = |asset: &str, gwei: f64, usd: f64, l1: f64| ChainPreset {
        native_asset: asset.to_string(),
        gas_price_gwei: gwei,
        native_price_usd: usd,
        l1_data_fee_usd: l1,
    };
    Some(match chain {
        "ethereum" => p("ETH", 30.0, 2500.0, 0.0),
        "arbitrum" => p("ETH", 0.02, 2500.0, 0.02),
        "optimism" => p("ETH", 0.005, 2500.0, 0.02),
        "base" => p("ETH", 0.005, 2500.0, 0.02),
        "polygon" => p("POL", 50.0, 0.5, 0.0),
        _ => return None,
    })
}

/// Where a chain's gas price at a step comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GasPriceSource {
    /// A constant (the strategy file's `gas_price_gwei`, or the chain's preset), gwei.
    Constant(f64),
    /// The data's gas price series for the chain.
    Series,
}

/// Where a chain's native token's USD price at a step comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NativePriceSource {
    /// A price series: its index in the caller's price table.
    Asset(usize),
    /// The chain preset's constant price, USD.
    Constant(f64),
}

/// The gas model of one chain in a run, resolved once: an action of `units` gas costs
/// units × gwei × 1e-9 × the native token's USD price + the chain's L1 data fee.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChainGas {
    pub gwei: GasPriceSource,
    pub native: NativePriceSource,
    /// Fixed L1 data fee per transaction (rollups), USD.
    pub l1_fee: f64,
}

impl ChainGas {
    /// The USD cost of `units` of gas at step `i`: the gas price from `series()` (the
    /// chain's gas price series, looked up only where the model reads it) or the
    /// constant, the native token's price from `price(asset, i)` or the constant.
    #[inline]
    pub fn usd<'s>(
        &self,
        units: f64,
        i: usize,
        series: impl FnOnce() -> Option<&'s [f64]>,
        price: impl Fn(usize, usize) -> f64,
    ) -> Result<f64, String> {
        let gwei = match self.gwei {
            GasPriceSource::Constant(g) => g,
            GasPriceSource::Series => match series() {
                Some(s) => s[i],
                None => return Err("no gas price series".into()),
            },
        };
        let native_usd = match self.native {
            NativePriceSource::Asset(k) => price(k, i),
            NativePriceSource::Constant(p) => p,
        };
        Ok(units * gwei * 1e-9 * native_usd + self.l1_fee)
    }
}

impl GasConfig {
    /// A chain's gas model: the gas price stated in the strategy file, else the data's
    /// series (`series_native`: the native asset the data names for it, where it has a
    /// series), else the chain's preset; the native token priced by its price series
    /// (`native_index`: its index, where the run prices it), else the preset's price. An
    /// error names what is missing and the fix.
    pub fn chain_gas(
        &self,
        chain: &str,
        series_native: Option<&str>,
        native_index: &dyn Fn(&str) -> Option<usize>,
    ) -> Result<ChainGas, String> {
        let preset = self.preset(chain);
        let gwei = match (self.gas_price_gwei, series_native, &preset) {
            (Some(g), _, _) => GasPriceSource::Constant(g),
            (None, Some(_), _) => GasPriceSource::Series,
            (None, None, Some(p)) => GasPriceSource::Constant(p.gas_price_gwei),
            _ => return Err(format!(
                "chain '{chain}' has no gas series in the data and no preset; add [gas.chains.{chain}] to the strategy file"
            )),
        };
        let native = series_native
            .map(str::to_string)
            .or_else(|| preset.as_ref().map(|p| p.native_asset.clone()))
            .unwrap_or_default();
        let native = match (native_index(&native), &preset) {
            (Some(k), _) => NativePriceSource::Asset(k),
            (None, Some(p)) => NativePriceSource::Constant(p.native_price_usd),
            (None, None) => {
                return Err(format!(
                    "no USD price for chain '{chain}''s native asset '{native}'"
                ))
            }
        };
        Ok(ChainGas {
            gwei,
            native,
            l1_fee: preset.map(|p| p.l1_data_fee_usd).unwrap_or(0.0),
        })
    }
}

/// Who pays a run's gas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum GasPayer {
    /// The portfolio: gas comes out of the wallet (or the action's own proceeds), an
    /// action it cannot pay is skipped, and the value never goes below zero.
    #[default]
    Portfolio,
    /// An external gas budget: gas is never refused, it is counted as its own figure
    /// (`external_gas_usd`), and the value series is the portfolio less that budget's
    /// spending, which may go below zero.
    External,
}

impl GasPayer {
    pub fn name(self) -> &'static str {
        match self {
            GasPayer::Portfolio => "portfolio",
            GasPayer::External => "external",
        }
    }
}

/// Gas settings of a run: units per action (overridable) and per-chain overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct GasConfig {
    /// Units per action, overriding the defaults.
    pub units: BTreeMap<ActionKind, f64>,
    /// A constant gas price (gwei) instead of the data's series, for every chain.
    pub gas_price_gwei: Option<f64>,
    /// Chain presets overriding (or adding to) the built-in ones.
    pub chains: BTreeMap<String, ChainPreset>,
    /// Who pays the gas (`portfolio`, the default, or an explicit `external` budget).
    pub paid_by: GasPayer,
}

/// A check that `v` is finite and at least `lo` (`lo_open`: strictly above it).
fn check_number(field: &str, v: f64, lo: f64, lo_open: bool, fix: &str) -> Result<(), String> {
    let ok = v.is_finite() && if lo_open { v > lo } else { v >= lo };
    if ok {
        Ok(())
    } else {
        let bound = if lo_open { ">" } else { ">=" };
        Err(format!(
            "{field} = {v} must be a finite number {bound} {lo}; {fix}"
        ))
    }
}

impl GasConfig {
    /// Every gas figure's domain: no negative units, prices or fees (a negative cost
    /// would earn money), native prices above zero.
    pub fn validate(&self) -> Result<(), String> {
        for (kind, u) in &self.units {
            check_number(
                &format!("gas.units.{}", kind.name()),
                *u,
                0.0,
                false,
                "gas units per action are what the transaction uses (e.g. 150000)",
            )?;
        }
        if let Some(g) = self.gas_price_gwei {
            check_number(
                "gas.gas_price_gwei",
                g,
                0.0,
                false,
                "give the gas price in gwei",
            )?;
        }
        for (chain, p) in &self.chains {
            check_number(
                &format!("gas.chains.{chain}.gas_price_gwei"),
                p.gas_price_gwei,
                0.0,
                false,
                "give the gas price in gwei",
            )?;
            check_number(
                &format!("gas.chains.{chain}.native_price_usd"),
                p.native_price_usd,
                0.0,
                true,
                "give the native token's USD price",
            )?;
            check_number(
                &format!("gas.chains.{chain}.l1_data_fee_usd"),
                p.l1_data_fee_usd,
                0.0,
                false,
                "give the rollup's L1 data fee per transaction in USD (0 on L1s)",
            )?;
        }
        Ok(())
    }

    pub fn units(&self, kind: ActionKind) -> f64 {
        self.units
            .get(&kind)
            .copied()
            .unwrap_or_else(|| default_gas_units(kind))
    }

    pub fn preset(&self, chain: &str) -> Option<ChainPreset> {
        self.chains
            .get(chain)
            .cloned()
            .or_else(|| chain_preset(chain))
    }
}

/// Swap cost through a constant-product pool of `depth_usd` total value (both sides),
/// for selling `usd` of value: pool fee plus price impact, in USD.
pub fn swap_cost_constant_product(usd: f64, depth_usd: f64, fee: f64) -> f64 {
    if usd <= 0.0 {
        return 0.0;
    }
    let half = (depth_usd / 2.0).max(1e-9);
    let out = v2::amount_out(half, half, usd, fee).unwrap_or(0.0);
    (usd - out).max(0.0)
}

/// Swap cost of one coin into another through a balanced StableSwap pool of `coins`
/// coins at the peg with `depth_usd` total.
pub fn swap_cost_stableswap(usd: f64, depth_usd: f64, amp: f64, fee: f64, coins: usize) -> f64 {
    if usd <= 0.0 {
        return 0.0;
    }
    let coins = coins.max(2);
    let each = (depth_usd / coins as f64).max(1e-9);
    match stableswap::Pool::new(vec![each; coins], amp, fee, 0.0, 0.0)
        .and_then(|p| p.quote_exchange(0, 1, usd))
    {
        Ok(e) => (usd - e.dy).max(0.0),
        Err(_) => usd,
    }
}

/// How to price a swap where no pool's depth is known (e.g. selling reward tokens):
/// a reference constant-product pool.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlippageModel {
    /// Fee of the reference pool (fraction).
    pub fee: f64,
    /// Total value of the reference pool (USD).
    pub depth_usd: f64,
}

impl Default for SlippageModel {
    /// A $2M, 0.30 % pool: typical of a mid-cap reward token's main DEX pair.
    fn default() -> Self {
        SlippageModel {
            fee: 0.003,
            depth_usd: 2_000_000.0,
        }
    }
}

impl SlippageModel {
    /// Its domain: a fee in [0, 1) and a depth above zero.
    pub fn validate(&self, key: &str) -> Result<(), String> {
        if !(self.fee.is_finite() && (0.0..1.0).contains(&self.fee)) {
            return Err(format!(
                "{key}.fee = {} must be a fraction in [0, 1) (0.003 = 0.3 %)",
                self.fee
            ));
        }
        check_number(
            &format!("{key}.depth_usd"),
            self.depth_usd,
            0.0,
            true,
            "give the reference pool's total value in USD",
        )
    }

    pub fn cost(&self, usd: f64) -> f64 {
        swap_cost_constant_product(usd, self.depth_usd, self.fee)
    }
}

/// A vault's fee schedule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultFees {
    /// Share of each harvest's proceeds taken as performance fee.
    pub performance_fee: f64,
    /// Share of each harvest's proceeds paid to whoever calls harvest.
    pub call_fee: f64,
    /// Fraction of assets per year, accrued every step.
    pub management_fee: f64,
    /// Fraction of the withdrawn value, charged on exit.
    pub withdrawal_fee: f64,
    /// Harvested profit is released to depositors linearly over this many seconds.
    pub profit_unlock_secs: i64,
}

impl VaultFees {
    /// Beefy-like: 9.5 % of harvested rewards (9 % performance to treasury, strategist
    /// and stakers; 0.5 % to the harvest caller), no management or withdrawal fee,
    /// profit credited at once. (Beefy documentation, "Fees": standard 9.5 % harvest fee.)
    pub fn beefy() -> VaultFees {
        VaultFees {
            performance_fee: 0.09,
            call_fee: 0.005,
            management_fee: 0.0,
            withdrawal_fee: 0.0,
            profit_unlock_secs: 0,
        }
    }

    /// Yearn-v2-like: 2 % management fee per year and 20 % performance fee on gains,
    /// charged at harvest, profit unlocked linearly over 6 hours (Yearn v2 vaults'
    /// "2 and 20" and locked-profit degradation).
    pub fn yearn() -> VaultFees {
        VaultFees {
            performance_fee: 0.2,
            call_fee: 0.0,
            management_fee: 0.02,
            withdrawal_fee: 0.0,
            profit_unlock_secs: 6 * 3600,
        }
    }

    pub fn none() -> VaultFees {
        VaultFees {
            performance_fee: 0.0,
            call_fee: 0.0,
            management_fee: 0.0,
            withdrawal_fee: 0.0,
            profit_unlock_secs: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chains_gas_model_resolves_in_order_and_prices_an_action() {
        let g = GasConfig::default();
        let eth = |a: &str| (a == "ETH").then_some(7);
        // The data's series and the native token's price series.
        let c = g.chain_gas("ethereum", Some("ETH"), &eth).unwrap();
        assert_eq!(c.gwei, GasPriceSource::Series);
        assert_eq!(c.native, NativePriceSource::Asset(7));
        let price = |k: usize, i: usize| if k == 7 { 2000.0 + i as f64 } else { f64::NAN };
        // 150,000 units × 20 gwei × 1e-9 × $2,001 = $6.003.
        let usd = c
            .usd(150_000.0, 1, || Some(&[10.0, 20.0][..]), price)
            .unwrap();
        assert!((usd - 6.003).abs() < 1e-12, "{usd}");
        // No series: the preset (Arbitrum: 0.02 gwei, $0.02 L1 fee), native priced.
        let c = g.chain_gas("arbitrum", None, &eth).unwrap();
        assert_eq!(c.gwei, GasPriceSource::Constant(0.02));
        assert_eq!(c.l1_fee, 0.02);
        // A stated gas price wins over the series; an unpriced native token takes the
        // preset's price.
        let stated = GasConfig {
            gas_price_gwei: Some(5.0),
            ..GasConfig::default()
        };
        let c = stated
            .chain_gas("ethereum", Some("ETH"), &|_| None)
            .unwrap();
        assert_eq!(c.gwei, GasPriceSource::Constant(5.0));
        assert_eq!(c.native, NativePriceSource::Constant(2500.0));
        // An unknown chain without a series is an error naming the fix.
        let e = g.chain_gas("zksync", None, &eth).unwrap_err();
        assert!(e.contains("[gas.chains.zksync]"), "{e}");
        assert!(c.usd(1.0, 0, || None, price).is_ok());
        let series_only = ChainGas {
            gwei: GasPriceSource::Series,
            native: NativePriceSource::Constant(1.0),
            l1_fee: 0.0,
        };
        assert!(series_only.usd(1.0, 0, || None, price).is_err());
    }

    #[test]
    fn swap_costs_grow_with_size_and_include_the_fee() {
        let small = swap_cost_constant_product(100.0, 10e6, 0.003);
        assert!((small - 0.3).abs() < 0.01, "{small}");
        let big = swap_cost_constant_product(1e6, 10e6, 0.003);
        // 1M into a 5M/5M pool: out = 0.997·1e6·5e6/(5e6 + 0.997e6) = 831_249 → cost ≈ 168.7k.
        assert!((big - (1e6 - 0.997e6 * 5e6 / (5e6 + 0.997e6))).abs() < 1e-3);
        let st = swap_cost_stableswap(1e6, 10e6, 2000.0, 0.0001, 2);
        assert!(st < big / 100.0 && st > 100.0, "{st}");
        assert_eq!(swap_cost_constant_product(0.0, 1e6, 0.003), 0.0);
    }

    #[test]
    fn presets_exist_for_the_main_chains() {
        for c in ["ethereum", "arbitrum", "optimism", "base", "polygon"] {
            assert!(chain_preset(c).is_some());
        }
        assert!(chain_preset("nowhere").is_none());
        let g = GasConfig::default();
        assert_eq!(g.units(ActionKind::Swap), 150_000.0);
    }
}
