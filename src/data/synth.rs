//! The scenario generator (`yieldlab data synth`): a seeded, parametric market that
//! exercises everything a yield backtest meets — ETH with volatility regimes and jumps,
//! volume that rises with absolute returns, TVL drift, gas that mean-reverts with
//! spikes, a stablecoin depeg, a reward token that decays while its farm's APR is
//! diluted by incoming capital, a lending market whose rates follow utilisation, and
//! a universe of pools with yields for pool hopping.
//!
//! The same parameters give the same bytes: every random stream is a ChaCha8 generator
//! seeded from `seed` and its own stream number, numbers are written with a fixed
//! number of significant digits, and files are written in a fixed order. The defaults
//! and where they come from are in `docs/synth.md`.

use std::fmt::Write as _;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use crate::units::{parse_datetime, Timestamp, DAY, HOUR};

/// Every knob of the generator, with defaults drawn from the real datasets (see docs/synth.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SynthParams {
    pub seed: u64,
    /// First timestamp, `YYYY-MM-DD` (UTC midnight).
    pub start: String,
    /// Length in days; hourly series have `24 × days` rows, daily ones `days`.
    pub days: u32,
    pub eth: EthParams,
    pub reward: RewardParams,
    pub stable: StableParams,
    pub gas: GasParams,
    pub lending: LendingParams,
    pub pools: PoolParams,
    pub universe: UniverseParams,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EthParams {
    pub start_price: f64,
    /// Drift per year (log).
    pub drift: f64,
    /// Annualised volatility in the calm and the stressed regime.
    pub vol_calm: f64,
    pub vol_stress: f64,
    /// Mean length of each regime, days (regimes switch as a Markov chain).
    pub calm_days: f64,
    pub stress_days: f64,
    /// Jumps per year, and the mean and s.d. of a jump's log size.
    pub jumps_per_year: f64,
    pub jump_mean: f64,
    pub jump_sd: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RewardParams {
    pub symbol: String,
    pub start_price: f64,
    /// Log drift per year (negative: the token decays).
    pub drift: f64,
    pub vol: f64,
    /// Correlation of its returns with ETH's.
    pub corr_eth: f64,
    /// Tokens the farm emits per day.
    pub emission_per_day: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StableParams {
    /// S.d. of the hourly noise around the peg, and the pull back to it (hours).
    pub noise_sd: f64,
    pub reversion_hours: f64,
    /// The depeg of USDC: day it starts, depth (0.12 = to $0.88), hours to the
    /// bottom, and the recovery's time constant in days.
    pub depeg_day: u32,
    pub depeg_depth: f64,
    pub depeg_hours: f64,
    pub recovery_days: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GasParams {
    /// Ethereum: long-run median gas price (gwei), daily log volatility, mean-reversion
    /// half-life (hours), intraday swing (log amplitude, peak at 15:00 UTC).
    pub median_gwei: f64,
    pub daily_log_vol: f64,
    pub half_life_hours: f64,
    pub intraday_amplitude: f64,
    /// Spikes per year, the largest multiple a spike reaches, its half-life (hours).
    pub spikes_per_year: f64,
    pub spike_max_multiple: f64,
    pub spike_half_life_hours: f64,
    /// Arbitrum's median gas price (gwei).
    pub l2_median_gwei: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LendingParams {
    /// Utilisation: long-run mean, daily s.d. in logit space, reversion half-life (days).
    pub utilization_mean: f64,
    pub utilization_daily_sd: f64,
    pub half_life_days: f64,
    /// Kinked rate model (Aave/Compound style): base rate, slope below the kink,
    /// kink, slope above it, reserve factor.
    pub base_rate: f64,
    pub slope1: f64,
    pub optimal_utilization: f64,
    pub slope2: f64,
    pub reserve_factor: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoolParams {
    /// Starting TVL (USD) and daily volume / TVL of each hourly pool.
    pub v2_tvl: f64,
    pub v2_turnover: f64,
    pub v3_tvl: f64,
    pub v3_turnover: f64,
    /// Active liquidity of the v3 pool as a multiple of a full-range pool's of equal TVL.
    pub v3_concentration: f64,
    pub stable_tvl: f64,
    pub stable_turnover: f64,
    pub stable_amplification: f64,
    /// The 3-coin DAI/USDC/USDT StableSwap pool (3pool-like): TVL, turnover, A.
    pub three_pool_tvl: f64,
    pub three_pool_turnover: f64,
    pub three_pool_amplification: f64,
    pub farm_tvl: f64,
    pub farm_turnover: f64,
    /// The 80/20 reward-token/WETH weighted pool (Balancer-like): starting TVL and
    /// daily volume / TVL.
    pub weighted_tvl: f64,
    pub weighted_turnover: f64,
    /// How strongly volume rises with |return| (1 + k·|z|, normalised to mean 1).
    pub volume_return_elasticity: f64,
    /// Daily s.d. of the TVL random walk (log).
    pub tvl_daily_sd: f64,
    /// Farm capital flow: daily log TVL change per unit of log(APR / target APR).
    pub farm_flow_speed: f64,
    pub farm_target_apr: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UniverseParams {
    /// Number of pools, and the range of their long-run APYs (fractions).
    pub pools: u32,
    pub apy_low: f64,
    pub apy_high: f64,
    /// Daily s.d. of log APY and its reversion half-life (days).
    pub apy_daily_sd: f64,
    pub half_life_days: f64,
    /// Daily log TVL change per unit of log(APY / universe mean APY): capital chases yield.
    pub flow_speed: f64,
    pub tvl_low: f64,
    pub tvl_high: f64,
}

impl Default for SynthParams {
    fn default() -> Self {
        SynthParams {
            seed: 42,
            start: "2022-01-01".into(),
            days: 1095,
            eth: EthParams::default(),
            reward: RewardParams::default(),
            stable: StableParams::default(),
            gas: GasParams::default(),
            lending: LendingParams::default(),
            pools: PoolParams::default(),
            universe: UniverseParams::default(),
        }
    }
}

impl Default for EthParams {
    fn default() -> Self {
        EthParams {
            start_price: 3000.0,
            drift: 0.0,
            vol_calm: 0.55,
            vol_stress: 1.10,
            calm_days: 90.0,
            stress_days: 20.0,
            jumps_per_year: 4.0,
            jump_mean: -0.02,
            jump_sd: 0.06,
        }
    }
}

impl Default for RewardParams {
    fn default() -> Self {
        RewardParams {
            symbol: "FARM".into(),
            start_price: 1.0,
            drift: -0.6,
            vol: 1.1,
            corr_eth: 0.6,
            emission_per_day: 20_000.0,
        }
    }
}

impl Default for StableParams {
    fn default() -> Self {
        StableParams {
            noise_sd: 0.0002,
            reversion_hours: 6.0,
            depeg_day: 430,
            depeg_depth: 0.12,
            depeg_hours: 30.0,
            recovery_days: 1.5,
        }
    }
}

impl Default for GasParams {
    fn default() -> Self {
        GasParams {
            median_gwei: 25.0,
            daily_log_vol: 0.35,
            half_life_hours: 48.0,
            intraday_amplitude: 0.2,
            spikes_per_year: 24.0,
            spike_max_multiple: 6.0,
            spike_half_life_hours: 8.0,
            l2_median_gwei: 0.02,
        }
    }
}

impl Default for LendingParams {
    fn default() -> Self {
        LendingParams {
            utilization_mean: 0.75,
            utilization_daily_sd: 0.25,
            half_life_days: 5.0,
            base_rate: 0.0,
            slope1: 0.06,
            optimal_utilization: 0.9,
            slope2: 0.6,
            reserve_factor: 0.1,
        }
    }
}

impl Default for PoolParams {
    fn default() -> Self {
        PoolParams {
            v2_tvl: 60e6,
            v2_turnover: 0.2,
            v3_tvl: 250e6,
            v3_turnover: 2.0,
            v3_concentration: 8.0,
            stable_tvl: 400e6,
            stable_turnover: 0.05,
            stable_amplification: 2000.0,
            three_pool_tvl: 900e6,
            three_pool_turnover: 0.04,
            three_pool_amplification: 2000.0,
            farm_tvl: 5e6,
            farm_turnover: 0.1,
            weighted_tvl: 20e6,
            weighted_turnover: 0.08,
            volume_return_elasticity: 1.5,
            tvl_daily_sd: 0.02,
            farm_flow_speed: 0.03,
            farm_target_apr: 0.3,
        }
    }
}

impl Default for UniverseParams {
    fn default() -> Self {
        UniverseParams {
            pools: 8,
            apy_low: 0.03,
            apy_high: 0.25,
            apy_daily_sd: 0.12,
            half_life_days: 20.0,
            flow_speed: 0.01,
            tvl_low: 5e6,
            tvl_high: 200e6,
        }
    }
}

impl SynthParams {
    /// Checks the parameters, naming the one at fault.
    pub fn validate(&self) -> Result<Timestamp, String> {
        let start = parse_datetime(&self.start)
            .ok_or_else(|| format!("start '{}' is not a date like 2022-01-01", self.start))?;
        if self.days == 0 || self.days > 36_500 {
            return Err(format!("days = {} must be between 1 and 36500", self.days));
        }
        let positive = self.positive_params();
        for (name, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("{name} = {v} must be a positive number"));
            }
        }
        let fractions = [
            ("stable.depeg_depth", self.stable.depeg_depth),
            ("lending.utilization_mean", self.lending.utilization_mean),
            (
                "lending.optimal_utilization",
                self.lending.optimal_utilization,
            ),
            ("lending.reserve_factor", self.lending.reserve_factor),
        ];
        for (name, v) in fractions {
            if !(0.0..1.0).contains(&v) {
                return Err(format!("{name} = {v} must be a fraction in [0, 1)"));
            }
        }
        if !(-1.0..=1.0).contains(&self.reward.corr_eth) {
            return Err("reward.corr_eth must be within [-1, 1]".into());
        }
        if self.universe.pools == 0 || self.universe.pools > 100 {
            return Err("universe.pools must be between 1 and 100".into());
        }
        if self.reward.symbol.is_empty()
            || !self
                .reward
                .symbol
                .chars()
                .all(|c| c.is_ascii_alphanumeric())
        {
            return Err("reward.symbol must be letters and digits".into());
        }
        Ok(start)
    }

    /// The parameters that must be positive, by name.
    fn positive_params(&self) -> [(&'static str, f64); 33] {
        [
            ("eth.start_price", self.eth.start_price),
            ("eth.vol_calm", self.eth.vol_calm),
            ("eth.vol_stress", self.eth.vol_stress),
            ("eth.calm_days", self.eth.calm_days),
            ("eth.stress_days", self.eth.stress_days),
            ("reward.start_price", self.reward.start_price),
            ("reward.vol", self.reward.vol),
            ("stable.reversion_hours", self.stable.reversion_hours),
            ("stable.depeg_hours", self.stable.depeg_hours),
            ("stable.recovery_days", self.stable.recovery_days),
            ("gas.median_gwei", self.gas.median_gwei),
            ("gas.half_life_hours", self.gas.half_life_hours),
            ("gas.spike_max_multiple", self.gas.spike_max_multiple),
            ("gas.spike_half_life_hours", self.gas.spike_half_life_hours),
            ("gas.l2_median_gwei", self.gas.l2_median_gwei),
            ("lending.half_life_days", self.lending.half_life_days),
            (
                "lending.optimal_utilization",
                self.lending.optimal_utilization,
            ),
            ("pools.v2_tvl", self.pools.v2_tvl),
            ("pools.v3_tvl", self.pools.v3_tvl),
            ("pools.stable_tvl", self.pools.stable_tvl),
            ("pools.farm_tvl", self.pools.farm_tvl),
            ("pools.v3_concentration", self.pools.v3_concentration),
            (
                "pools.stable_amplification",
                self.pools.stable_amplification,
            ),
            ("pools.three_pool_tvl", self.pools.three_pool_tvl),
            (
                "pools.three_pool_amplification",
                self.pools.three_pool_amplification,
            ),
            ("pools.farm_target_apr", self.pools.farm_target_apr),
            ("pools.weighted_tvl", self.pools.weighted_tvl),
            ("pools.weighted_turnover", self.pools.weighted_turnover),
            ("universe.apy_low", self.universe.apy_low),
            ("universe.apy_high", self.universe.apy_high),
            ("universe.half_life_days", self.universe.half_life_days),
            ("universe.tvl_low", self.universe.tvl_low),
            ("universe.tvl_high", self.universe.tvl_high),
        ]
    }

    /// The command line that regenerates a dataset from these parameters.
    pub fn command(&self, out: &str) -> String {
        format!(
            "yieldlab data synth --out {out} --seed {} --start {} --days {}",
            self.seed, self.start, self.days
        )
    }
}

/// The generated dataset: file name → contents, in write order (manifest last).
#[derive(Debug)]
pub struct SynthOutput {
    pub files: Vec<(String, String)>,
}

fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream);
    r
}

fn normal(r: &mut ChaCha8Rng) -> f64 {
    r.sample(StandardNormal)
}

/// `x` with `sig` significant digits in fixed notation (no exponent), deterministic.
fn fmt_sig(x: f64, sig: i32) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let mag = x.abs().log10().floor() as i32;
    let decimals = (sig - 1 - mag).clamp(0, 20) as usize;
    format!("{x:.decimals$}")
}

/// Generates the dataset in memory.
pub fn generate(p: &SynthParams) -> Result<SynthOutput, String> {
    let start = p.validate()?;
    let hours = p.days as usize * 24;
    let ts = |i: usize| start + i as i64 * HOUR;
    let (eth, z_eth) = eth_path(p, hours);
    let reward = reward_path(p, &z_eth);
    let (usdc, usdt) = stable_paths(p, hours);
    let (gas_eth, gas_l2) = gas_paths(p, hours, &ts);
    let lending = lending_rates(p, hours);
    let pools = pool_files(p, &eth, &z_eth, &reward, &usdc, &usdt, &ts);
    let three = three_pool(p, &usdc, &usdt, &ts);
    let weighted = weighted_pool(p, &eth, &z_eth, &reward, &ts);
    let (v2, v3, st, farm) = (pools.v2, pools.v3, pools.stable, pools.farm);
    // Prices (long format, hourly).
    let mut prices = String::from("timestamp,asset,price_usd\n");
    for i in 0..hours {
        let t = ts(i);
        let _ = writeln!(prices, "{t},ETH,{}", fmt_sig(eth[i], 8));
        let _ = writeln!(prices, "{t},{},{}", p.reward.symbol, fmt_sig(reward[i], 8));
        let _ = writeln!(prices, "{t},USDC,{}", fmt_sig(usdc[i], 8));
        let _ = writeln!(prices, "{t},USDT,{}", fmt_sig(usdt[i], 8));
        let _ = writeln!(prices, "{t},DAI,{}", fmt_sig(three.dai[i], 8));
    }
    // Gas (long format, hourly).
    let mut gas = String::from("timestamp,chain,gas_price_gwei\n");
    for i in 0..hours {
        let t = ts(i);
        let _ = writeln!(gas, "{t},arbitrum,{}", fmt_sig(gas_l2[i], 6));
        let _ = writeln!(gas, "{t},ethereum,{}", fmt_sig(gas_eth[i], 6));
    }
    let mut lend = String::from("timestamp,supply_apr,borrow_apr,utilization\n");
    for (i, (s, b, u)) in lending.iter().enumerate() {
        let _ = writeln!(
            lend,
            "{},{},{},{}",
            ts(i),
            fmt_sig(*s, 6),
            fmt_sig(*b, 6),
            fmt_sig(*u, 6)
        );
    }
    let uni = universe_file(p, start);

    let manifest = manifest_text(p);
    Ok(SynthOutput {
        files: vec![
            ("pool_weth_usdc_v2.csv".into(), v2),
            ("pool_usdc_weth_v3.csv".into(), v3),
            ("pool_usdc_usdt_stable.csv".into(), st),
            ("pool_farm_weth_v2.csv".into(), farm),
            ("pool_3pool.csv".into(), three.csv),
            ("pool_farm_weth_8020.csv".into(), weighted),
            ("prices.csv".into(), prices),
            ("gas.csv".into(), gas),
            ("lending_usdc.csv".into(), lend),
            ("yield_universe.csv".into(), uni),
            ("manifest.toml".into(), manifest),
        ],
    })
}

/// The hour's fraction of a year.
const DT: f64 = 1.0 / 8760.0;

/// ETH's hourly price: regime-switching GBM with jumps; and each hour's return in
/// calm-regime standard deviations (volume follows it).
fn eth_path(p: &SynthParams, hours: usize) -> (Vec<f64>, Vec<f64>) {
    let dt = DT;
    // ETH: regime-switching GBM with jumps.
    let mut r_eth = rng(p.seed, 1);
    let mut eth = Vec::with_capacity(hours);
    let mut z_eth = Vec::with_capacity(hours);
    let mut regime_stress = false;
    let mut log_p = p.eth.start_price.ln();
    for _ in 0..hours {
        eth.push(log_p.exp());
        let switch = if regime_stress {
            1.0 / (p.eth.stress_days * 24.0)
        } else {
            1.0 / (p.eth.calm_days * 24.0)
        };
        if r_eth.random::<f64>() < switch {
            regime_stress = !regime_stress;
        }
        let vol = if regime_stress {
            p.eth.vol_stress
        } else {
            p.eth.vol_calm
        };
        let z = normal(&mut r_eth);
        let mut ret = (p.eth.drift - 0.5 * vol * vol) * dt + vol * dt.sqrt() * z;
        if r_eth.random::<f64>() < p.eth.jumps_per_year * dt {
            ret += p.eth.jump_mean + p.eth.jump_sd * normal(&mut r_eth);
        }
        z_eth.push(ret / (p.eth.vol_calm * dt.sqrt()));
        log_p += ret;
    }
    (eth, z_eth)
}

/// The reward token's hourly price: a decaying GBM correlated with ETH.
fn reward_path(p: &SynthParams, z_eth: &[f64]) -> Vec<f64> {
    let dt = DT;
    let hours = z_eth.len();
    // Reward token: decaying GBM correlated with ETH.
    let mut r_rw = rng(p.seed, 2);
    let mut reward = Vec::with_capacity(hours);
    let mut lr = p.reward.start_price.ln();
    let rho = p.reward.corr_eth;
    for &z_e in z_eth {
        reward.push(lr.exp());
        let z = rho * z_e.clamp(-10.0, 10.0) + (1.0 - rho * rho).sqrt() * normal(&mut r_rw);
        lr += (p.reward.drift - 0.5 * p.reward.vol.powi(2)) * dt + p.reward.vol * dt.sqrt() * z;
    }
    reward
}

/// USDC's and USDT's hourly prices: OU noise around the peg; USDC depegs once.
fn stable_paths(p: &SynthParams, hours: usize) -> (Vec<f64>, Vec<f64>) {
    // Stablecoins: OU noise around the peg; USDC depegs once.
    let mut r_st = rng(p.seed, 3);
    let mut usdc = Vec::with_capacity(hours);
    let mut usdt = Vec::with_capacity(hours);
    let (mut dc, mut dtt) = (0.0f64, 0.0f64);
    let k = 1.0 / p.stable.reversion_hours;
    let depeg_start = p.stable.depeg_day as f64 * 24.0;
    for i in 0..hours {
        let h = i as f64 - depeg_start;
        let depeg = if h < 0.0 {
            0.0
        } else if h < p.stable.depeg_hours {
            p.stable.depeg_depth * h / p.stable.depeg_hours
        } else {
            p.stable.depeg_depth
                * (-(h - p.stable.depeg_hours) / (p.stable.recovery_days * 24.0)).exp()
        };
        usdc.push(1.0 + dc - depeg);
        usdt.push(1.0 + dtt);
        dc += -k * dc + p.stable.noise_sd * normal(&mut r_st);
        dtt += -k * dtt + p.stable.noise_sd * normal(&mut r_st);
    }
    (usdc, usdt)
}

/// Ethereum's and Arbitrum's hourly gas prices (gwei).
fn gas_paths(p: &SynthParams, hours: usize, ts: &dyn Fn(usize) -> i64) -> (Vec<f64>, Vec<f64>) {
    let dt = DT;
    // Gas: log-OU with intraday swing and decaying spikes; L2 a scaled calmer copy.
    let mut r_gas = rng(p.seed, 4);
    let mut gas_eth = Vec::with_capacity(hours);
    let mut gas_l2 = Vec::with_capacity(hours);
    let theta = (2f64).ln() / p.gas.half_life_hours;
    let hourly_sd = p.gas.daily_log_vol / 24f64.sqrt();
    let spike_decay = (-(2f64).ln() / p.gas.spike_half_life_hours).exp();
    let (mut x, mut spike, mut x2) = (0.0f64, 0.0f64, 0.0f64);
    for i in 0..hours {
        let hour_of_day = ((ts(i).rem_euclid(DAY)) / HOUR) as f64;
        let season = p.gas.intraday_amplitude
            * (2.0 * std::f64::consts::PI * (hour_of_day - 15.0) / 24.0).cos();
        gas_eth.push(p.gas.median_gwei * (x + season + spike).exp());
        gas_l2.push(p.gas.l2_median_gwei * (0.5 * x2 + 0.3 * spike).exp());
        x += -theta * x + hourly_sd * normal(&mut r_gas);
        x2 += -theta * x2 + hourly_sd * normal(&mut r_gas);
        spike *= spike_decay;
        if r_gas.random::<f64>() < p.gas.spikes_per_year * dt {
            spike += r_gas.random_range(1.0..p.gas.spike_max_multiple).ln();
        }
    }
    (gas_eth, gas_l2)
}

/// The lending market's hourly (supply APR, borrow APR, utilisation).
fn lending_rates(p: &SynthParams, hours: usize) -> Vec<(f64, f64, f64)> {
    // Lending: logit-OU utilisation, kinked rates.
    let mut r_ln = rng(p.seed, 5);
    let lp = &p.lending;
    let mean_logit = (lp.utilization_mean / (1.0 - lp.utilization_mean)).ln();
    let th_u = (2f64).ln() / (lp.half_life_days * 24.0);
    let sd_u = lp.utilization_daily_sd / 24f64.sqrt();
    let mut lu = mean_logit;
    let mut lending = Vec::with_capacity(hours);
    for _ in 0..hours {
        let u = 1.0 / (1.0 + (-lu).exp());
        let borrow = if u <= lp.optimal_utilization {
            lp.base_rate + lp.slope1 * u / lp.optimal_utilization
        } else {
            lp.base_rate
                + lp.slope1
                + lp.slope2 * (u - lp.optimal_utilization) / (1.0 - lp.optimal_utilization)
        };
        let supply = borrow * u * (1.0 - lp.reserve_factor);
        lending.push((supply, borrow, u));
        lu += th_u * (mean_logit - lu) + sd_u * normal(&mut r_ln);
    }
    lending
}

/// The four hourly pool files.
struct PoolFiles {
    v2: String,
    v3: String,
    stable: String,
    farm: String,
}

/// The hourly pools' files from the price paths. Volume = TVL × turnover ×
/// (1 + k|z|)/(1 + k·E|z|) × lognormal noise.
fn pool_files(
    p: &SynthParams,
    eth: &[f64],
    z_eth: &[f64],
    reward: &[f64],
    usdc: &[f64],
    usdt: &[f64],
    ts: &dyn Fn(usize) -> i64,
) -> PoolFiles {
    let hours = eth.len();
    // Pools. Volume = TVL × turnover × (1 + k|z|)/(1 + k·E|z|) × lognormal noise.
    let pp = &p.pools;
    let mut r_pool = rng(p.seed, 6);
    let e_abs = (2.0 / std::f64::consts::PI).sqrt();
    let noise_sd = 0.5;
    let vol_factor = |z: f64, r: &mut ChaCha8Rng| {
        (1.0 + pp.volume_return_elasticity * z.abs()) / (1.0 + pp.volume_return_elasticity * e_abs)
            * (noise_sd * normal(r) - 0.5 * noise_sd * noise_sd).exp()
    };
    let tvl_sd = pp.tvl_daily_sd / 24f64.sqrt();
    let (mut w_v2, mut w_v3, mut w_st) = (0.0f64, 0.0f64, 0.0f64);
    let mut farm_log_tvl = pp.farm_tvl.ln();
    let mut v2 = String::from("timestamp,price,volume_usd,tvl_usd\n");
    let mut v3 = String::from("timestamp,price,volume_usd,tvl_usd,liquidity,tick\n");
    let mut st = String::from("timestamp,price,volume_usd,tvl_usd\n");
    let mut farm = String::from("timestamp,price,volume_usd,tvl_usd,apy_reward\n");
    for i in 0..hours {
        let t = ts(i);
        let growth = (eth[i] / p.eth.start_price).sqrt();
        // v2 WETH/USDC: token0 WETH, price = USDC per WETH.
        let tvl2 = pp.v2_tvl * growth * w_v2.exp();
        let vol2 = tvl2 * pp.v2_turnover / 24.0 * vol_factor(z_eth[i], &mut r_pool);
        let _ = writeln!(v2, "{t},{},{:.2},{:.2}", fmt_sig(eth[i], 8), vol2, tvl2);
        // v3 USDC/WETH: token0 USDC (6), token1 WETH (18), price = WETH per USDC.
        let price3 = 1.0 / eth[i];
        let tvl3 = pp.v3_tvl * growth * w_v3.exp();
        let vol3 = tvl3 * pp.v3_turnover / 24.0 * vol_factor(z_eth[i], &mut r_pool);
        let liq = pp.v3_concentration * tvl3 / 2.0 * price3.sqrt() * 1e12;
        let tick = ((price3 * 1e12).ln() / 1.0001f64.ln()).floor();
        let _ = writeln!(
            v3,
            "{t},{},{:.2},{:.2},{:.0},{:.0}",
            fmt_sig(price3, 8),
            vol3,
            tvl3,
            liq,
            tick
        );
        // Stable USDC/USDT: price = USDT per USDC; volume surges with the depeg.
        let pst = usdc[i] / usdt[i];
        let tvl_st = pp.stable_tvl * w_st.exp();
        let stress = 1.0 + 400.0 * (pst - 1.0).abs();
        let vol_st = tvl_st * pp.stable_turnover / 24.0 * stress * vol_factor(0.0, &mut r_pool);
        let _ = writeln!(st, "{t},{},{:.2},{:.2}", fmt_sig(pst, 8), vol_st, tvl_st);
        // Farm FARM/WETH: price = WETH per FARM; reward APR diluted as capital floods in.
        let tvl_f = farm_log_tvl.exp();
        let apr = p.reward.emission_per_day * 365.0 * reward[i] / tvl_f;
        let vol_f = tvl_f * pp.farm_turnover / 24.0 * vol_factor(z_eth[i], &mut r_pool);
        let _ = writeln!(
            farm,
            "{t},{},{:.2},{:.2},{}",
            fmt_sig(reward[i] / eth[i], 8),
            vol_f,
            tvl_f,
            fmt_sig(apr, 6)
        );
        w_v2 += tvl_sd * normal(&mut r_pool);
        w_v3 += tvl_sd * normal(&mut r_pool);
        w_st += tvl_sd * normal(&mut r_pool);
        farm_log_tvl += pp.farm_flow_speed / 24.0 * (apr / pp.farm_target_apr).ln()
            + tvl_sd * normal(&mut r_pool);
    }
    PoolFiles {
        v2,
        v3,
        stable: st,
        farm,
    }
}

/// The daily universe of yield pools (DefiLlama-shaped: APY in percent).
fn universe_file(p: &SynthParams, start: i64) -> String {
    let up = &p.universe;
    let mut r_u = rng(p.seed, 7);
    let n = up.pools as usize;
    let chains = ["ethereum", "arbitrum"];
    let levels: Vec<f64> = (0..n)
        .map(|k| {
            let f = if n == 1 {
                0.5
            } else {
                k as f64 / (n - 1) as f64
            };
            (up.apy_low.ln() + f * (up.apy_high / up.apy_low).ln()).exp()
        })
        .collect();
    let mut log_apy: Vec<f64> = levels.iter().map(|l| l.ln()).collect();
    let mut log_tvl: Vec<f64> = (0..n)
        .map(|_| r_u.random_range(up.tvl_low.ln()..up.tvl_high.ln()))
        .collect();
    let th_a = (2f64).ln() / up.half_life_days;
    let mut uni = String::from("date,timestamp,pool,chain,token0,token1,tvl_usd,apy_base\n");
    for d in 0..p.days as usize {
        let t = start + d as i64 * DAY;
        let date = crate::units::format_ts(t)[..10].to_string();
        // Each pool's APY is diluted by its own TVL relative to its start.
        let mean_apy = log_apy.iter().map(|a| a.exp()).sum::<f64>() / n as f64;
        for k in 0..n {
            let apy = log_apy[k].exp();
            let _ = writeln!(
                uni,
                "{date},{t},hop_{k:02},{},USDC,USDT,{:.2},{}",
                chains[k % chains.len()],
                log_tvl[k].exp(),
                fmt_sig(apy * 100.0, 6)
            );
            let shock = up.apy_daily_sd * normal(&mut r_u);
            let flow = up.flow_speed * (apy / mean_apy).ln();
            log_tvl[k] += flow + 0.5 * up.apy_daily_sd * 0.1 * normal(&mut r_u);
            // Capital that arrives dilutes the APY one for one in logs.
            log_apy[k] += th_a * (levels[k].ln() - log_apy[k]) + shock - flow;
        }
    }
    uni
}

/// The 3-coin pool's series: DAI's price (its own noise around the peg, stream 8, so
/// every other series is unchanged by it) and the pool's hourly volume and TVL. The
/// pool has no price column: its state at a step is the one its coins' prices give.
struct ThreePool {
    dai: Vec<f64>,
    csv: String,
}

fn three_pool(p: &SynthParams, usdc: &[f64], usdt: &[f64], ts: &dyn Fn(usize) -> i64) -> ThreePool {
    let mut r = rng(p.seed, 8);
    let k = 1.0 / p.stable.reversion_hours;
    let tvl_sd = p.pools.tvl_daily_sd / 24f64.sqrt();
    let e_abs = (2.0 / std::f64::consts::PI).sqrt();
    let noise_sd = 0.5;
    let (mut dd, mut w) = (0.0f64, 0.0f64);
    let mut dai = Vec::with_capacity(usdc.len());
    let mut csv = String::from("timestamp,volume_usd,tvl_usd\n");
    for i in 0..usdc.len() {
        let d = 1.0 + dd;
        dai.push(d);
        // Volume surges with the largest deviation among the coins.
        let dev = [d, usdc[i], usdt[i]]
            .iter()
            .map(|x| (x - 1.0).abs())
            .fold(0.0, f64::max);
        let tvl = p.pools.three_pool_tvl * w.exp();
        // As the two-coin stable pool: no return term, lognormal noise.
        let noise = (noise_sd * normal(&mut r) - 0.5 * noise_sd * noise_sd).exp()
            / (1.0 + p.pools.volume_return_elasticity * e_abs);
        let vol = tvl * p.pools.three_pool_turnover / 24.0 * (1.0 + 400.0 * dev) * noise;
        let _ = writeln!(csv, "{},{:.2},{:.2}", ts(i), vol, tvl);
        dd += -k * dd + p.stable.noise_sd * normal(&mut r);
        w += tvl_sd * normal(&mut r);
    }
    ThreePool { dai, csv }
}

/// The 80/20 reward-token/WETH weighted pool's hourly volume and TVL (stream 9, so
/// every other series is unchanged by it). Its TVL moves with its coins' prices as a
/// weighted pool's value does (Π pᵢ^wᵢ at a fixed invariant) and with a random walk of
/// deposits; its volume is the turnover with the same |return| and noise factors as the
/// other pools. It has no price column: its state comes from its coins' prices.
fn weighted_pool(
    p: &SynthParams,
    eth: &[f64],
    z_eth: &[f64],
    reward: &[f64],
    ts: &dyn Fn(usize) -> i64,
) -> String {
    let pp = &p.pools;
    let mut r = rng(p.seed, 9);
    let e_abs = (2.0 / std::f64::consts::PI).sqrt();
    let noise_sd = 0.5;
    let tvl_sd = pp.tvl_daily_sd / 24f64.sqrt();
    let (rw0, eth0) = (reward[0], eth[0]);
    let mut w = 0.0f64;
    let mut csv = String::from("timestamp,volume_usd,tvl_usd\n");
    for i in 0..eth.len() {
        let value = (reward[i] / rw0).powf(0.8) * (eth[i] / eth0).powf(0.2);
        let tvl = pp.weighted_tvl * value * w.exp();
        let factor = (1.0 + pp.volume_return_elasticity * z_eth[i].abs())
            / (1.0 + pp.volume_return_elasticity * e_abs)
            * (noise_sd * normal(&mut r) - 0.5 * noise_sd * noise_sd).exp();
        let vol = tvl * pp.weighted_turnover / 24.0 * factor;
        let _ = writeln!(csv, "{},{:.2},{:.2}", ts(i), vol, tvl);
        w += tvl_sd * normal(&mut r);
    }
    csv
}

/// The generated manifest: `synth_manifest.tmpl` with its placeholders filled.
const MANIFEST_TEMPLATE: &str = include_str!("synth_manifest.tmpl");

fn manifest_text(p: &SynthParams) -> String {
    let fill: [(&str, String); 7] = [
        ("{cmd}", p.command("data")),
        ("{days}", p.days.to_string()),
        ("{start}", p.start.clone()),
        ("{seed}", p.seed.to_string()),
        ("{amp3}", p.pools.three_pool_amplification.to_string()),
        ("{amp}", p.pools.stable_amplification.to_string()),
        ("{rw}", p.reward.symbol.clone()),
    ];
    // One pass, so that a value holding a placeholder's text stays as given.
    let mut out = String::with_capacity(MANIFEST_TEMPLATE.len() + 256);
    let mut rest = MANIFEST_TEMPLATE;
    while let Some(k) = rest.find('{') {
        out.push_str(&rest[..k]);
        rest = &rest[k..];
        match fill.iter().find(|(key, _)| rest.starts_with(key)) {
            Some((key, v)) => {
                out.push_str(v);
                rest = &rest[key.len()..];
            }
            None => {
                out.push('{');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The first line of every generated manifest: a folder whose manifest starts with it
/// holds a generated dataset (its files may be replaced by a new one).
pub const GENERATED_HEADER: &str = "# Generated by yieldlab's scenario generator";

/// Writes the generated files into `dir` (created if needed) as a whole: into a staging
/// folder first, then renamed into place, so a failed write (a full disk) leaves the
/// dataset that was there, never one mixing two seeds. Files yieldlab did not write are
/// never replaced; a dataset generated earlier (its manifest carries the generator's
/// header) is replaced file by file, and its files the new one lacks are removed.
pub fn write(out: &SynthOutput, dir: &Path) -> Result<(), crate::io::OutError> {
    let names: Vec<String> = out.files.iter().map(|(n, _)| n.clone()).collect();
    let generated = std::fs::read_to_string(dir.join("manifest.toml"))
        .map(|t| t.starts_with(GENERATED_HEADER))
        .unwrap_or(false);
    let claim = crate::io::Claim {
        produces: names.clone(),
        replace: true,
        // Other files in the folder (a README, a sub-dataset) are kept as they are.
        foreign_ok: true,
        force_flag: "--force",
        adopt: if generated { names.clone() } else { Vec::new() },
        ..Default::default()
    };
    let target = crate::io::OutDir::claim(dir, &claim)?;
    for (name, text) in &out.files {
        let p = target.staging().join(name);
        crate::io::write_atomic(&p, text.as_bytes()).map_err(|source| crate::io::OutError::Io {
            path: dir.join(name),
            source,
        })?;
    }
    target.commit(|n| n.ends_with(".csv") || n == "manifest.toml")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits() {
        assert_eq!(fmt_sig(3000.123456789, 8), "3000.1235");
        assert_eq!(fmt_sig(0.000333123456, 6), "0.000333123");
        assert_eq!(fmt_sig(0.0, 6), "0");
        assert_eq!(fmt_sig(-1.5, 3), "-1.50");
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let p = SynthParams {
            days: 20,
            ..SynthParams::default()
        };
        let a = generate(&p).unwrap();
        let b = generate(&p).unwrap();
        assert_eq!(a.files, b.files);
        let c = generate(&SynthParams { seed: 7, ..p }).unwrap();
        assert_ne!(a.files[0].1, c.files[0].1);
    }

    #[test]
    fn bad_parameters_are_named() {
        let p = SynthParams {
            days: 0,
            ..SynthParams::default()
        };
        assert!(generate(&p).unwrap_err().contains("days"));
        let mut p = SynthParams::default();
        p.eth.vol_calm = -1.0;
        assert!(generate(&p).unwrap_err().contains("eth.vol_calm"));
    }
}
