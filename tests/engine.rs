//! The engine on small hand-checkable markets: fees, dilution, IL against the closed
//! forms, gas per action, harvest frequency, depegs, reward crashes, hop costs, and
//! the attribution identity.

mod common;

use std::collections::BTreeMap;
use yieldlab::engine::{Bucket, LedgerAction};

use common::markets::{meta, vault, Mk};
use yieldlab::amm::{v2, v3};
use yieldlab::costs::{default_gas_units, ActionKind, VaultFees};
use yieldlab::engine::{self, RunConfig, StressEvent};
use yieldlab::market::*;
use yieldlab::strategy::{lend, lp, pool_hop, range_lp, stable_lp, StrategyParams};

const N: usize = 200;

fn config(capital: f64) -> RunConfig {
    RunConfig {
        capital_usd: capital,
        ..RunConfig::default()
    }
}

fn run(m: &Market, params: StrategyParams, cfg: RunConfig) -> engine::RunResult {
    let mut s = params.build().unwrap();
    let r = engine::run(m, s.as_mut(), cfg.clone()).unwrap();
    assert!(
        r.max_identity_error <= 1e-9 * cfg.capital_usd,
        "attribution identity off by {} USD",
        r.max_identity_error
    );
    r
}

fn lp_params(pool: &str) -> StrategyParams {
    StrategyParams::Lp(lp::Params {
        pool: pool.into(),
        claim_every: None,
        claim_gas_multiple: None,
        sell_rewards: true,
    })
}

/// ETH at `eth(i)`, a WETH/USDC constant-product pool priced in USDC per WETH.
fn cp_market(eth: impl Fn(usize) -> f64 + Copy, tvl: f64, volume: f64) -> Market {
    let tvl_f = move |_| tvl;
    let vol_f = move |_| volume;
    Mk::new(N)
        .price("ETH", eth)
        .price("USDC", |_| 1.0)
        .gas(|_| 20.0)
        .pool(
            meta("pool", PoolKind::ConstantProduct, ["WETH", "USDC"], 0.003),
            &[
                (Field::Price, &eth),
                (Field::TvlUsd, &tvl_f),
                (Field::VolumeUsd, &vol_f),
            ],
        )
        .m
}

#[test]
fn fees_scale_with_our_share_and_dilute_as_capital_grows() {
    let m = cp_market(|_| 2000.0, 1e6, 1e5);
    let a = run(&m, lp_params("pool"), config(10_000.0));
    let b = run(&m, lp_params("pool"), config(1_000_000.0));
    let fees_a = a.attribution[Bucket::Fees as usize];
    let fees_b = b.attribution[Bucket::Fees as usize];
    // Each hour: fee = volume × 0.3 % × ours / (TVL + ours), compounded into ours; the
    // deposit is the capital less the deposit's gas (the only gas these runs pay).
    let expect = |r: &engine::RunResult| {
        let deposited = r.capital + r.attribution[Bucket::Gas as usize];
        let mut v = deposited;
        for _ in 1..N {
            v += 1e5 * 0.003 * v / (1e6 + v);
        }
        v - deposited
    };
    assert!(
        (fees_a / expect(&a) - 1.0).abs() < 1e-9,
        "{fees_a} vs {}",
        expect(&a)
    );
    assert!(
        (fees_b / expect(&b) - 1.0).abs() < 1e-9,
        "{fees_b} vs {}",
        expect(&b)
    );
    // Roughly: 10k earns 0.99 % of the fees, 1M earns 50 %.
    assert!((fees_a / ((N - 1) as f64 * 300.0 * 1e4 / 1.01e6) - 1.0).abs() < 0.05);
    // 100× the capital earns far less than 100× the fees: our own capital dilutes the pool.
    assert!(fees_b / 1e6 < 0.6 * fees_a / 1e4);
}

#[test]
fn constant_product_il_matches_the_closed_form() {
    // ETH goes from 1000 to 4000 linearly, no volume (no fees).
    let m = cp_market(|i| 1000.0 + 3000.0 * i as f64 / (N - 1) as f64, 1e6, 0.0);
    let r = run(&m, lp_params("pool"), config(10_000.0));
    // The deposit is the capital less its gas: k of the 5 WETH + 5000 USDC.
    let gas = -r.attribution[Bucket::Gas as usize];
    let k = (10_000.0 - gas) / 10_000.0;
    let tokens_end = k * (5.0 * 4000.0 + 5000.0);
    let expect = tokens_end * v2::impermanent_loss(4.0).unwrap();
    assert!(
        (r.attribution[Bucket::ImpermanentLoss as usize] - expect).abs() < 1e-6,
        "{} vs {expect}",
        r.attribution[Bucket::ImpermanentLoss as usize]
    );
    // Value = the tokens + IL, exactly; the HODL baseline also holds the entry gas as USD.
    assert!((r.final_value() - (tokens_end + expect)).abs() < 1e-6);
    assert!((r.hodl_final() - (tokens_end + gas)).abs() < 1e-9);
}

#[test]
fn range_il_matches_the_closed_form() {
    let eth = |i: usize| 2000.0 * (1.0 + 0.2 * i as f64 / (N - 1) as f64);
    // USDC/WETH pool priced in WETH per USDC (token0 USDC).
    let price = move |i: usize| 1.0 / eth(i);
    let tvl = |_| 1e7;
    let vol = |_| 0.0;
    let mut mt = meta("v3", PoolKind::Concentrated, ["USDC", "WETH"], 0.0005);
    mt.decimals = vec![6, 18];
    let m = Mk::new(N)
        .price("ETH", eth)
        .gas(|_| 20.0)
        .pool(
            mt,
            &[
                (Field::Price, &price),
                (Field::TvlUsd, &tvl),
                (Field::VolumeUsd, &vol),
            ],
        )
        .m;
    let params = StrategyParams::RangeLp(range_lp::Params {
        pool: "v3".into(),
        width_pct: 30.0,
        rebalance: range_lp::Rule::OutOfRange,
        drift_pct: None,
        min_interval: None,
        out_of_range_for: None,
    });
    // No volume and no liquidity series: the fee model is stated (it earns nothing).
    let mut cfg = config(50_000.0);
    cfg.pools.insert(
        "v3".into(),
        engine::PoolSettings {
            fee_model: Some(yieldlab::fees::FeeModel::TvlShare),
            ..Default::default()
        },
    );
    let r = run(&m, params, cfg);
    assert_eq!(
        r.counts.rebalances, 0,
        "ETH +20 % stays inside a ±30 % range"
    );
    let p0 = price(0);
    let closed = v3::range_il(p0 * 0.7, p0 * 1.3, p0, price(N - 1)).unwrap();
    // The position's IL relative to holding its deposit, valued in USD at the end (the
    // HODL baseline's entry gas, kept as USD, is not part of the deposit).
    let hodl_end = r.hodl_final() + r.attribution[Bucket::Gas as usize];
    assert!(
        (r.attribution[Bucket::ImpermanentLoss as usize] / hodl_end - closed.il).abs() < 1e-9,
        "{} vs {}",
        r.attribution[Bucket::ImpermanentLoss as usize] / hodl_end,
        closed.il
    );
}

#[test]
fn gas_is_charged_per_action_at_that_steps_prices() {
    let gwei = |i: usize| 10.0 + i as f64;
    let eth = |i: usize| 1000.0 + 5.0 * i as f64;
    let apr = |_| 0.05;
    let mut m = Mk::new(N)
        .price("ETH", eth)
        .price("USDC", |_| 1.0)
        .gas(gwei)
        .m;
    m.rates.insert(
        "mkt".into(),
        RateSeries {
            market: "mkt".into(),
            fields: [(Field::SupplyApr, (0..N).map(apr).collect())]
                .into_iter()
                .collect(),
        },
    );
    let params = StrategyParams::Lend(lend::Params {
        market: "mkt".into(),
        asset: "USDC".into(),
        chain: "ethereum".into(),
    });
    let r = run(&m, params, config(10_000.0));
    let expect = default_gas_units(ActionKind::Deposit) * gwei(0) * 1e-9 * eth(0);
    assert!(
        (r.attribution[Bucket::Gas as usize] + expect).abs() < 1e-9,
        "{} vs {expect}",
        r.attribution[Bucket::Gas as usize]
    );
    let entry = r
        .ledger
        .iter()
        .find(|e| e.action == LedgerAction::Deposit && !e.gas_usd.is_zero())
        .unwrap();
    assert_eq!(entry.step, 0);
    // Interest: 5 % APR per-second compounded over N − 1 hours.
    // The supplied amount is the capital less the deposit's gas.
    let growth = yieldlab::amm::lending::compounded_per_second(0.05, ((N - 1) * 3600) as f64);
    assert!(
        (r.attribution[Bucket::Interest as usize] - (10_000.0 - expect) * (growth - 1.0)).abs()
            < 1e-6
    );
}

/// A farm: FARM/USDC constant product with reward emissions in FARM.
fn farm(farm_price: impl Fn(usize) -> f64 + Copy, gwei: f64) -> Market {
    let apy = |_| 1.0;
    let tvl = |_| 1e6;
    let vol = |_| 1e4;
    let mut mt = meta("farm", PoolKind::ConstantProduct, ["FARM", "USDC"], 0.003);
    mt.reward_token = Some("FARM".into());
    Mk::new(N)
        .price("ETH", |_| 2000.0)
        .price("USDC", |_| 1.0)
        .price("FARM", farm_price)
        .gas(move |_| gwei)
        .pool(
            mt,
            &[
                (Field::Price, &farm_price),
                (Field::TvlUsd, &tvl),
                (Field::VolumeUsd, &vol),
                (Field::ApyReward, &apy),
            ],
        )
        .m
}

#[test]
fn harvesting_more_often_than_gas_allows_lowers_the_result() {
    let m = farm(|_| 1.0, 50.0);
    let cfg = RunConfig {
        vault_fees: VaultFees::beefy(),
        ..config(20_000.0)
    };
    let hourly = run(&m, vault("1h"), cfg.clone());
    let daily = run(&m, vault("1d"), cfg);
    // An hour's rewards ($2.3) do not pay a harvest's gas ($40): the hourly vault's
    // harvests are skipped until the pending rewards cover it, each skip in the ledger.
    assert!(hourly.counts.harvests + hourly.counts.skipped > 100);
    assert!(hourly.counts.skipped > 100 && hourly.counts.harvests < 20);
    assert_eq!(
        hourly
            .ledger
            .iter()
            .filter(|e| e.action == LedgerAction::Skipped)
            .count(),
        hourly.counts.skipped as usize
    );
    assert!(daily.counts.harvests + daily.counts.skipped < 10 && daily.counts.harvests > 0);
    assert!(hourly.attribution[Bucket::Gas as usize] < daily.attribution[Bucket::Gas as usize]);
    assert!(
        hourly.final_value() < daily.final_value(),
        "{} vs {}",
        hourly.final_value(),
        daily.final_value()
    );
}

#[test]
fn a_reward_token_crash_before_harvest_loses_money() {
    let m = farm(|_| 1.0, 20.0);
    let cfg = config(20_000.0);
    let calm = run(&m, vault("7d"), cfg.clone());
    let crash = RunConfig {
        events: vec![StressEvent::Collapse {
            at: "2022-01-05".into(),
            asset: "FARM".into(),
            factor: 0.1,
        }],
        ..cfg
    };
    let crashed = run(&m, vault("7d"), crash);
    assert!(
        crashed.attribution[Bucket::RewardPriceChange as usize] < 0.0,
        "unharvested rewards lost value: {}",
        crashed.attribution[Bucket::RewardPriceChange as usize]
    );
    assert!(crashed.final_value() < calm.final_value());
    // Rewards were valued when earned: the same before the crash.
    assert!(
        crashed.attribution[Bucket::Rewards as usize] < calm.attribution[Bucket::Rewards as usize]
    );
}

#[test]
fn a_depeg_in_a_stablecoin_pool_loses_money() {
    // USDT/USDC pool: USDT loses its peg to 0.9 for good halfway through.
    let usdt = |i: usize| if i < N / 2 { 1.0 } else { 0.9 };
    let tvl = |_| 1e7;
    let vol = |_| 0.0;
    let m = Mk::new(N)
        .price("ETH", |_| 2000.0)
        .price("USDC", |_| 1.0)
        .price("USDT", usdt)
        .gas(|_| 20.0)
        .pool(
            meta("st", PoolKind::Stableswap, ["USDT", "USDC"], 0.0004),
            &[
                (Field::Price, &usdt),
                (Field::TvlUsd, &tvl),
                (Field::VolumeUsd, &vol),
            ],
        )
        .m;
    let r = run(
        &m,
        StrategyParams::StableLp(stable_lp::Params { pool: "st".into() }),
        config(100_000.0),
    );
    assert!(
        r.attribution[Bucket::ImpermanentLoss as usize] < -100.0,
        "IL through the invariant: {}",
        r.attribution[Bucket::ImpermanentLoss as usize]
    );
    assert!(r.final_value() < r.hodl_final(), "worse than holding 50/50");
    assert!(r.final_value() < 100_000.0 * 0.951);
}

#[test]
fn pool_hopping_with_a_high_switching_cost_moves_less() {
    // Two yield pools whose APYs swap leadership every 20 hours.
    let a = |i: usize| {
        if (i / 20).is_multiple_of(2) {
            0.30
        } else {
            0.05
        }
    };
    let b = |i: usize| {
        if (i / 20).is_multiple_of(2) {
            0.05
        } else {
            0.30
        }
    };
    let tvl = |_| 1e8;
    let mut ma = meta("a", PoolKind::Stableswap, ["USDC", "USDT"], 0.0001);
    let mut mb = meta("b", PoolKind::Stableswap, ["USDC", "USDT"], 0.0001);
    ma.amplification = None;
    mb.amplification = None;
    let m = Mk::new(N)
        .price("ETH", |_| 2000.0)
        .gas(|_| 1.0)
        .pool(ma, &[(Field::ApyBase, &a), (Field::TvlUsd, &tvl)])
        .pool(mb, &[(Field::ApyBase, &b), (Field::TvlUsd, &tvl)])
        .m;
    let params = StrategyParams::PoolHop(pool_hop::Params {
        pools: vec![],
        window: "1h".parse().unwrap(),
        hysteresis: 0.01,
        min_hold: "2h".parse().unwrap(),
        check_every: "1h".parse().unwrap(),
        top_k: 1,
        min_tvl_usd: 0.0,
        payback: Some("2d".parse().unwrap()),
        bridge_fee: 0.0005,
    });
    // The test market prices neither token: the pools' exposure is stated.
    let mut cfg = config(1_000_000.0);
    for p in ["a", "b"] {
        cfg.pools.insert(
            p.into(),
            engine::PoolSettings {
                exposure: Some("usd".into()),
                ..Default::default()
            },
        );
    }
    let cheap = run(&m, params.clone(), cfg.clone());
    let mut dear = cfg;
    dear.gas.gas_price_gwei = Some(10_000.0);
    let costly = run(&m, params, dear);
    assert!(cheap.counts.moves >= 8, "{}", cheap.counts.moves);
    assert!(
        costly.counts.moves < cheap.counts.moves,
        "{} vs {}",
        costly.counts.moves,
        cheap.counts.moves
    );
}

#[test]
fn a_fixed_emission_rate_pays_rewards_diluted_by_our_capital() {
    let tvl = |_| 1e6;
    let vol = |_| 0.0;
    let one = |_| 1.0;
    let mut mt = meta("farm", PoolKind::ConstantProduct, ["FARM", "USDC"], 0.003);
    mt.reward_token = Some("FARM".into());
    mt.reward_per_day = Some(2400.0);
    let m = Mk::new(N)
        .price("ETH", |_| 2000.0)
        .price("USDC", |_| 1.0)
        .price("FARM", |_| 1.0)
        .gas(|_| 10.0)
        .pool(
            mt,
            &[
                (Field::Price, &one),
                (Field::TvlUsd, &tvl),
                (Field::VolumeUsd, &vol),
            ],
        )
        .m;
    let r = run(&m, lp_params("farm"), config(1_000_000.0));
    // 100 FARM ($1 each) an hour to the pool; we hold half of it ($1M of $2M).
    let tokens = r.attribution[Bucket::Rewards as usize];
    let expect = (N - 1) as f64 * 100.0 * 0.5;
    assert!((tokens / expect - 1.0).abs() < 0.05, "{tokens} vs {expect}");
}

#[test]
fn exploits_and_depeg_events_cost_what_they_say() {
    let m = cp_market(|_| 2000.0, 1e7, 0.0);
    let base = run(&m, lp_params("pool"), config(10_000.0));
    let hit = RunConfig {
        events: vec![StressEvent::Exploit {
            at: "2022-01-03".into(),
            pool: "pool".into(),
            haircut: 0.3,
        }],
        ..config(10_000.0)
    };
    let r = run(&m, lp_params("pool"), hit);
    // The haircut is 30 % of the position: the capital less the deposit's gas.
    let position = 10_000.0 + base.attribution[Bucket::Gas as usize];
    assert!(
        (r.attribution[Bucket::EventLosses as usize] + 0.3 * position).abs() < 1e-6,
        "{}",
        r.attribution[Bucket::EventLosses as usize]
    );
    assert!((r.final_value() - (base.final_value() - 0.3 * position)).abs() < 1e-6);
    // A depeg of USDC to 0.9 recovering over a day shows in the price effect, then heals.
    let depeg = RunConfig {
        events: vec![StressEvent::Depeg {
            at: "2022-01-03".into(),
            asset: "USDC".into(),
            price_factor: 0.9,
            recovery: Some("1d".into()),
        }],
        ..config(10_000.0)
    };
    let d = run(&m, lp_params("pool"), depeg);
    let low = d.series.value.iter().cloned().fold(f64::INFINITY, f64::min);
    assert!(
        low < base.series.value[48] - 400.0,
        "the depeg costs while it lasts: {low}"
    );
    assert!(
        (d.final_value() - base.final_value()).abs() < 50.0,
        "and heals with the peg"
    );
}

/// Forwards to a strategy and counts the calls; `honour_idle = false` hides its
/// `idle_until`, so the engine asks it every step.
struct Counting {
    inner: Box<dyn engine::Strategy>,
    honour_idle: bool,
    calls: usize,
}

impl engine::Strategy for Counting {
    fn pools(&self, m: &Market) -> Vec<String> {
        self.inner.pools(m)
    }
    fn assets(&self) -> Vec<String> {
        self.inner.assets()
    }
    fn chains(&self) -> Vec<String> {
        self.inner.chains()
    }
    fn on_step(&mut self, view: &engine::View) -> Result<Vec<engine::Action>, engine::EngineError> {
        self.calls += 1;
        self.inner.on_step(view)
    }
    fn skipped(&mut self, index: usize, action: &engine::Action, reason: &str) {
        self.inner.skipped(index, action, reason)
    }
    fn opened(&mut self, index: usize, id: u32) {
        self.inner.opened(index, id)
    }
    fn idle_until(&self) -> Option<i64> {
        if self.honour_idle {
            self.inner.idle_until()
        } else {
            None
        }
    }
}

#[test]
fn an_idle_strategy_is_not_asked_and_the_run_is_the_same() {
    let m = farm(|i| 1.0 + 0.001 * i as f64, 30.0);
    let cfg = RunConfig {
        vault_fees: VaultFees::beefy(),
        ..config(20_000.0)
    };
    let mut results = Vec::new();
    for honour_idle in [true, false] {
        let mut s = Counting {
            inner: vault("7h").build().unwrap(),
            honour_idle,
            calls: 0,
        };
        let r = engine::run(&m, &mut s, cfg.clone()).unwrap();
        results.push((r, s.calls));
    }
    let ((idle, idle_calls), (every, every_calls)) = (&results[0], &results[1]);
    assert_eq!(every_calls, &N);
    // Asked at the start and at each harvest (done or skipped) only.
    assert_eq!(
        *idle_calls,
        1 + (idle.counts.harvests + idle.counts.skipped) as usize
    );
    assert!(idle.counts.harvests + idle.counts.skipped >= 20 && idle.counts.harvests >= 5);
    assert_eq!(idle.series.value, every.series.value);
    assert_eq!(idle.attribution, every.attribution);
    assert_eq!(idle.ledger, every.ledger);
}

/// The engine's fee accrual is `PoolView::fee_income`, the function `yieldlab validate`
/// measures: a range position's fees over a run equal that function summed over the
/// run's bars for the same position (a test that fails if the two ever diverge).
#[test]
fn the_engines_fees_are_the_function_validate_checks() {
    let eth = |i: usize| 2000.0 * (1.0 + 0.04 * (i as f64 / 7.0).sin());
    let vol = |i: usize| 1e6 * (1.0 + 0.5 * (i as f64 / 3.0).cos());
    let liq = |i: usize| 3e18 * (1.0 + 0.2 * (i as f64 / 11.0).sin());
    let fg0 = |i: usize| 1e-14 * (1.0 + (i % 5) as f64);
    let fg1 = |i: usize| 2e-11 * (1.0 + (i % 3) as f64);
    let mt = meta("v3", PoolKind::Concentrated, ["WETH", "USDC"], 0.0005);
    let m = Mk::new(N)
        .price("ETH", eth)
        .gas(|_| 0.0)
        .pool(
            mt,
            &[
                (Field::Price, &eth),
                (Field::VolumeUsd, &vol),
                (Field::Liquidity, &liq),
                (Field::FeeGrowthGlobal0, &fg0),
                (Field::FeeGrowthGlobal1, &fg1),
            ],
        )
        .m;
    for model in [
        yieldlab::fees::FeeModel::FeeGrowth,
        yieldlab::fees::FeeModel::VolumeLiquidity,
    ] {
        let params = StrategyParams::RangeLp(range_lp::Params {
            pool: "v3".into(),
            width_pct: 3.0,
            rebalance: range_lp::Rule::OutOfRange,
            drift_pct: None,
            min_interval: Some("10000d".parse().unwrap()),
            out_of_range_for: None,
        });
        let mut cfg = config(10_000.0);
        let settings: BTreeMap<String, engine::PoolSettings> = [(
            "v3".to_string(),
            engine::PoolSettings {
                fee_model: Some(model),
                ..Default::default()
            },
        )]
        .into_iter()
        .collect();
        cfg.pools = settings.clone();
        let r = run(&m, params, cfg);
        assert_eq!(r.counts.rebalances, 0);
        // The same position, through the function validate calls.
        let book = engine::Book::build(&m, &["v3".to_string()], &[], &[], &settings).unwrap();
        let pv = book.pool("v3").unwrap();
        let p0 = eth(0);
        let (sa, sb) = ((p0 * 0.97).sqrt(), (p0 * 1.03).sqrt());
        let range = Some((sa, sb));
        let (x, y) = v3::amounts_unchecked(p0.sqrt(), sa, sb, 1.0);
        let l = 10_000.0 / (x * eth(0) + y);
        let expected: f64 = (1..N)
            .map(|i| pv.fee_income(&book, i, range, l, 0.0).unwrap().1)
            .sum();
        let fees = r.attribution[Bucket::Fees as usize];
        assert!(expected > 0.0);
        assert!(
            (fees / expected - 1.0).abs() < 1e-9,
            "{model}: engine {fees} vs fee_income {expected}"
        );
        // The price leaves the ±3 % range: some bars earn nothing, some in part.
        let tir = r.counts.steps_in_range / r.counts.steps_with_range as f64;
        assert!(tir > 0.05 && tir < 0.95, "time in range {tir}");
    }
}

#[test]
fn a_value_that_becomes_infinite_fails_the_run_naming_the_step_and_the_pool() {
    // ETH's price overflows at step 120: the LP position's value is infinite there.
    let eth = |i: usize| if i >= 120 { f64::MAX } else { 2000.0 };
    let m = cp_market(eth, 1e8, 1e6);
    let mut s = lp_params("pool").build().unwrap();
    let err = engine::run(&m, s.as_mut(), config(10_000.0)).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("step 120 ("), "{text}");
    assert!(
        text.contains("pool 'pool'") || text.contains("wallet's"),
        "names the pool or holding: {text}"
    );
}

/// A v3 USDC/WETH pool whose ETH price leaves a ±10 % range for `brief` hours from step 40,
/// comes back, and leaves for good at step 120.
fn excursion_market(brief: usize) -> Market {
    let eth = move |i: usize| {
        if (40..40 + brief).contains(&i) || i >= 120 {
            2500.0
        } else {
            2000.0
        }
    };
    let price = move |i: usize| 1.0 / eth(i);
    let tvl = |_| 1e7;
    let vol = |_| 0.0;
    let mut mt = meta("v3", PoolKind::Concentrated, ["USDC", "WETH"], 0.0005);
    mt.decimals = vec![6, 18];
    Mk::new(N)
        .price("ETH", eth)
        .gas(|_| 20.0)
        .pool(
            mt,
            &[
                (Field::Price, &price),
                (Field::TvlUsd, &tvl),
                (Field::VolumeUsd, &vol),
            ],
        )
        .m
}

#[test]
fn a_delayed_rebalance_waits_out_excursions_shorter_than_its_delay() {
    let range = |delay: Option<&str>| {
        StrategyParams::RangeLp(range_lp::Params {
            pool: "v3".into(),
            width_pct: 10.0,
            rebalance: range_lp::Rule::OutOfRange,
            drift_pct: None,
            min_interval: None,
            out_of_range_for: delay.map(|d| d.parse().unwrap()),
        })
    };
    let mut cfg = config(50_000.0);
    cfg.pools.insert(
        "v3".into(),
        engine::PoolSettings {
            fee_model: Some(yieldlab::fees::FeeModel::TvlShare),
            ..Default::default()
        },
    );
    // A 12 h excursion: at once, two rebalances (out and back) before the final exit's.
    let m = excursion_market(12);
    let now = run(&m, range(None), cfg.clone());
    assert_eq!(now.counts.rebalances, 3, "out, back in, out for good");
    // With a 24 h delay the excursion costs nothing; the final exit is acted on 24 h
    // after it began (step 144), not at step 120.
    let waited = run(&m, range(Some("24h")), cfg.clone());
    assert_eq!(waited.counts.rebalances, 1);
    let when: Vec<usize> = waited
        .ledger
        .iter()
        .filter(|e| e.action == LedgerAction::Rebalance)
        .map(|e| e.step)
        .collect();
    assert_eq!(when, [144]);
    assert!(waited.attribution[Bucket::Gas as usize] > now.attribution[Bucket::Gas as usize]);
    // An excursion as long as the delay is acted on.
    let m = excursion_market(30);
    let long = run(&m, range(Some("24h")), cfg.clone());
    assert_eq!(
        long.counts.rebalances, 3,
        "the 30 h excursion lasted past 24 h"
    );
    // The delay belongs to the out-of-range rule.
    let mut drift = range(Some("24h"));
    if let StrategyParams::RangeLp(p) = &mut drift {
        p.rebalance = range_lp::Rule::Drift;
        p.drift_pct = Some(5.0);
    }
    assert!(drift.build().is_err());
}

#[test]
fn a_threshold_claim_waits_until_the_rewards_pay_its_gas_that_many_times() {
    let m = farm(|_| 1.0, 50.0);
    let params = StrategyParams::Lp(lp::Params {
        pool: "farm".into(),
        claim_every: None,
        claim_gas_multiple: Some(5.0),
        sell_rewards: true,
    });
    let r = run(&m, params, config(50_000.0));
    let entries: Vec<&engine::LedgerEntry> = r
        .ledger
        .iter()
        .filter(|e| matches!(e.action, LedgerAction::Claim | LedgerAction::SellRewards))
        .collect();
    let claims: Vec<(usize, f64, f64)> = entries
        .windows(2)
        .filter(|w| w[0].action == LedgerAction::Claim && w[1].action == LedgerAction::SellRewards)
        .map(|w| {
            let f = |d: rust_decimal::Decimal| f64::try_from(d).unwrap();
            (
                w[0].step,
                f(w[0].amount_usd),
                f(w[0].gas_usd) + f(w[1].gas_usd),
            )
        })
        .collect();
    assert!(claims.len() >= 3, "{claims:?}");
    assert_eq!(claims.len() as u32, r.counts.claims);
    let mut last = 0;
    for (step, amount, gas) in &claims {
        assert!(
            *amount >= 5.0 * gas - 1e-6,
            "step {step}: {amount} < 5 × {gas}"
        );
        // One step's rewards fewer would not have reached the threshold.
        let per_step = amount / (step - last) as f64;
        assert!(amount - per_step < 5.0 * gas, "step {step}: claimed late");
        last = *step;
    }
    // Both rules at once are refused.
    let both = StrategyParams::Lp(lp::Params {
        pool: "farm".into(),
        claim_every: Some("7d".parse().unwrap()),
        claim_gas_multiple: Some(5.0),
        sell_rewards: true,
    });
    assert!(both.build().is_err());
}

/// All of the wallet into the "farm" pool (as a vault position where `vault`).
fn open_farm(vault: bool) -> engine::Action {
    engine::Action::Open {
        target: engine::Target::Pool {
            pool: "farm".into(),
            range: None,
            vault,
        },
        usd: None,
    }
}

/// Opens the farm as a vault position at step 0 and closes it at step `at` (never, for
/// `None`).
struct InAndOut {
    at: Option<usize>,
}

impl engine::Strategy for InAndOut {
    fn pools(&self, _m: &Market) -> Vec<String> {
        vec!["farm".into()]
    }
    fn on_step(&mut self, view: &engine::View) -> Result<Vec<engine::Action>, engine::EngineError> {
        Ok(match view.i {
            0 => vec![open_farm(true)],
            i if Some(i) == self.at => vec![engine::Action::Close { position: 0 }],
            _ => vec![],
        })
    }
}

/// Leaving a vault mid-run pays its withdrawal fee, as the run's final exit does: the
/// fee is the stated fraction of the position's value at the close, booked as vault
/// fees, on the withdrawal's ledger row, and the value identity holds.
#[test]
fn closing_a_vault_mid_run_pays_its_withdrawal_fee() {
    let m = farm(|_| 1.0, 0.0);
    let fees = VaultFees {
        withdrawal_fee: 0.01,
        ..VaultFees::none()
    };
    let cfg = RunConfig {
        vault_fees: fees,
        ..config(20_000.0)
    };
    let at = N / 2;
    let r = engine::run(&m, &mut InAndOut { at: Some(at) }, cfg.clone()).unwrap();
    let row = r
        .ledger
        .iter()
        .find(|e| e.action == LedgerAction::Withdraw)
        .expect("the close's row");
    let value: f64 = row.amount_usd.to_string().parse().unwrap();
    let fee: f64 = row.vault_fee_usd.to_string().parse().unwrap();
    assert!(value > 19_000.0, "{value}");
    assert!((fee - 0.01 * value).abs() < 1e-5, "fee {fee} of {value}");
    assert!(
        (r.attribution[Bucket::VaultFees as usize] + 0.01 * value).abs() < 1e-5,
        "{:?}",
        r.attribution
    );
    assert!(r.max_identity_error < 1e-6, "{}", r.max_identity_error);
    // Without the fee the same close leaves 1 % more.
    let free = RunConfig {
        vault_fees: VaultFees::none(),
        ..cfg.clone()
    };
    let f = engine::run(&m, &mut InAndOut { at: Some(at) }, free).unwrap();
    assert!((f.final_value() - r.final_value() - 0.01 * value).abs() < 1e-5);
    // Held to the end, the final exit charges the fee once (not again after a close).
    let held = engine::run(&m, &mut InAndOut { at: None }, cfg).unwrap();
    assert!(held.attribution[Bucket::VaultFees as usize] < -0.009 * value);
}

/// Records, at every step, what the view lets it read of the farm pool.
struct Peek {
    seen: Vec<(usize, usize, usize, f64)>,
}

impl engine::Strategy for Peek {
    fn pools(&self, _m: &Market) -> Vec<String> {
        vec!["farm".into()]
    }
    fn on_step(&mut self, view: &engine::View) -> Result<Vec<engine::Action>, engine::EngineError> {
        let pool = view.pool("farm")?;
        let price = pool.price().expect("a priced pool");
        let volume = pool.volume().expect("a volume series");
        let usdc = view.asset_prices("USDC").expect("USDC is priced");
        assert_eq!(usdc.len(), price.len());
        self.seen
            .push((view.i, price.len(), volume.len(), *price.last().unwrap()));
        Ok(Vec::new())
    }
}

/// A strategy reads the data only up to its step: levels (a price) to the step itself,
/// flows (volume over a bar) to the bar that closed at it; whatever it indexes, the
/// future is not in what it is given.
#[test]
fn a_strategy_cannot_read_past_its_step() {
    let price = |i: usize| 1.0 + 0.01 * i as f64;
    let m = farm(price, 0.0);
    let mut s = Peek { seen: Vec::new() };
    engine::run(&m, &mut s, config(1_000.0)).unwrap();
    assert_eq!(s.seen.len(), N);
    for (i, prices, volumes, last) in s.seen {
        assert_eq!(prices, i + 1, "step {i}");
        assert_eq!(volumes, i, "step {i}: the bar [i, i + 1) has not closed");
        assert!((last - price(i)).abs() < 1e-12, "step {i}: {last}");
    }
}

/// Opens the arbitrum farm at step 0; claims and sells its rewards at step 10.
struct FarmOnArbitrum;

impl engine::Strategy for FarmOnArbitrum {
    fn pools(&self, _m: &Market) -> Vec<String> {
        vec!["aaa".into(), "farm".into()]
    }
    fn on_step(&mut self, view: &engine::View) -> Result<Vec<engine::Action>, engine::EngineError> {
        Ok(match view.i {
            0 => vec![open_farm(false)],
            10 => vec![
                engine::Action::Claim { position: 0 },
                engine::Action::SellRewards,
            ],
            _ => vec![],
        })
    }
}

/// A reward token is sold on the chain of the pool that emits it, not on whichever
/// pool's chain comes first: the farm is on Arbitrum (preset gas, cents), another pool
/// of the run on Ethereum at 100 gwei (a swap: $30).
#[test]
fn rewards_are_sold_on_the_chain_of_their_pool() {
    let farm_price = |_| 1.0;
    let apy = |_| 1.0;
    let tvl = |_| 1e6;
    let vol = |_| 1e4;
    let mut farm = meta("farm", PoolKind::ConstantProduct, ["FARM", "USDC"], 0.003);
    farm.reward_token = Some("FARM".into());
    farm.chain = "arbitrum".into();
    let other = meta("aaa", PoolKind::ConstantProduct, ["WETH", "USDC"], 0.003);
    let eth = |_| 2000.0;
    let m = Mk::new(N)
        .price("ETH", eth)
        .price("USDC", |_| 1.0)
        .price("FARM", farm_price)
        .gas(|_| 100.0)
        .pool(
            farm,
            &[
                (Field::Price, &farm_price),
                (Field::TvlUsd, &tvl),
                (Field::VolumeUsd, &vol),
                (Field::ApyReward, &apy),
            ],
        )
        .pool(other, &[(Field::Price, &eth), (Field::TvlUsd, &tvl)])
        .m;
    let r = engine::run(&m, &mut FarmOnArbitrum, config(10_000.0)).unwrap();
    let sale = r
        .ledger
        .iter()
        .find(|e| e.action == LedgerAction::SellRewards)
        .expect("a reward sale");
    let gas: f64 = sale.gas_usd.to_string().parse().unwrap();
    // Arbitrum's preset: 150,000 × 0.02 gwei × $2,000 + $0.02 L1 fee = $0.026.
    assert!((gas - 0.026).abs() < 1e-6, "the sale paid ${gas} of gas");
}
