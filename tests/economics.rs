//! Economic invariants: results a DeFi researcher would reject must be impossible.
//! Property tests over random markets and parameters where it fits; each names the
//! invariant it holds.
//!
//! | invariant | test |
//! |---|---|
//! | value never negative without an external gas budget | `value_never_goes_below_zero_and_skips_are_logged` |
//! | every skipped action is in the ledger with its reason | same |
//! | an external budget is the only way below zero, and it is reported | `an_external_gas_budget_is_its_own_figure` |
//! | no fees while out of range for a whole bar | `a_range_out_of_range_for_whole_bars_earns_nothing` |
//! | fees at most scale linearly with capital | `fees_scale_at_most_linearly_with_capital` |
//! | a hop across pools whose prices move shows their price effect | `a_hop_between_priced_pools_has_their_exposure` |
//! | swaps cost more in shallower pools | `swaps_cost_more_in_shallower_pools` |
//! | metrics are undefined, not 0, on constant series | `ratios_are_undefined_on_a_constant_series` |
//! | the liquidation value is the mark value less the exit costs | `the_liquidation_value_is_the_mark_value_less_exit_costs` |
//! | negative costs are refused at load, naming the field | `negative_costs_are_refused_naming_the_field` |
//! | a stress event on an unknown pool is refused with a suggestion | `a_stress_event_on_a_misspelled_pool_is_refused` |

mod common;

use common::markets::{meta, vault, Mk};
use proptest::prelude::*;
use yieldlab::costs::{self, VaultFees};
use yieldlab::engine::{self, RunConfig, StressEvent};
use yieldlab::engine::{Bucket, LedgerAction};
use yieldlab::market::*;
use yieldlab::metrics;
use yieldlab::strategy::{hodl, lp, pool_hop, range_lp, StrategyParams};

fn config(capital: f64) -> RunConfig {
    RunConfig {
        capital_usd: capital,
        ..RunConfig::default()
    }
}

fn run(m: &Market, params: &StrategyParams, cfg: RunConfig) -> engine::RunResult {
    let mut s = params.build().unwrap();
    let r = engine::run(m, s.as_mut(), cfg.clone()).unwrap();
    assert!(
        r.max_identity_error <= 1e-9 * cfg.capital_usd.max(1.0),
        "attribution identity off by {}",
        r.max_identity_error
    );
    r
}

/// A FARM/USDC farm with a reward APY, FARM following `farm`.
fn farm(farm: Vec<f64>, gwei: Vec<f64>, apy_reward: f64) -> Market {
    let n = farm.len();
    let mut mt = meta("farm", PoolKind::ConstantProduct, ["FARM", "USDC"], 0.003);
    mt.reward_token = Some("FARM".into());
    Mk::new(n)
        .price("ETH", |_| 2000.0)
        .price("USDC", |_| 1.0)
        .price("FARM", |i| farm[i])
        .gas(|i| gwei[i])
        .pool(
            mt,
            &[
                (Field::Price, &|i| farm[i]),
                (Field::TvlUsd, &|_| 1e6),
                (Field::VolumeUsd, &|_| 1e4),
                (Field::ApyReward, &|_| apy_reward),
            ],
        )
        .m
}

/// A random walk of `n` log steps of size up to `vol`, from `p0`.
fn walk(p0: f64, steps: &[f64], vol: f64) -> Vec<f64> {
    let mut p = p0;
    let mut v = vec![p];
    for s in steps {
        p *= (s * vol).exp();
        v.push(p);
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Gas can be far larger than the capital (up to 50 000 gwei on $10): the value
    /// never goes below zero, and every action not executed is a `skipped` ledger row
    /// with its reason.
    #[test]
    fn value_never_goes_below_zero_and_skips_are_logged(
        steps in prop::collection::vec(-1.0f64..1.0, 119),
        gwei in 1.0f64..50_000.0,
        capital in 10.0f64..100_000.0,
        interval in prop::sample::select(vec!["1h", "3h", "1d"]),
    ) {
        let m = farm(walk(1.0, &steps, 0.05), vec![gwei; 120], 2.0);
        let cfg = RunConfig { vault_fees: VaultFees::beefy(), ..config(capital) };
        let r = run(&m, &vault(interval), cfg);
        let low = r.series.value.iter().cloned().fold(f64::INFINITY, f64::min);
        prop_assert!(low >= -1e-9 * capital, "value went to {low}");
        let skipped: Vec<_> = r.ledger.iter().filter(|e| e.action == LedgerAction::Skipped).collect();
        prop_assert_eq!(skipped.len(), r.counts.skipped as usize);
        for e in skipped {
            prop_assert!(e.note.contains("not executed") && e.note.contains("gas"), "{}", e.note);
        }
        let mm = metrics::run_metrics(&r, 0.0);
        prop_assert!((-1.0..=0.0).contains(&mm.max_drawdown));
        if let Some(il) = mm.measures.il_fraction {
            prop_assert!((-1.0..=0.0).contains(&il), "il_fraction {il}");
        }
    }

    /// Fees of the same pool over the same bars: doubling the capital at most doubles
    /// them (our own capital dilutes the pool's share).
    #[test]
    fn fees_scale_at_most_linearly_with_capital(
        capital in 1_000.0f64..5_000_000.0,
        tvl in 1e5f64..1e8,
        volume in 1e3f64..1e7,
    ) {
        let n = 48;
        let m = Mk::new(n)
            .price("ETH", |_| 2000.0)
            .price("USDC", |_| 1.0)
            .gas(|_| 0.0)
            .pool(
                meta("pool", PoolKind::ConstantProduct, ["WETH", "USDC"], 0.003),
                &[
                    (Field::Price, &|_| 2000.0),
                    (Field::TvlUsd, &|_| tvl),
                    (Field::VolumeUsd, &|_| volume),
                ],
            )
            .m;
        let p = StrategyParams::Lp(lp::Params { pool: "pool".into(), claim_every: None, claim_gas_multiple: None, sell_rewards: false });
        let one = run(&m, &p, config(capital)).attribution[Bucket::Fees as usize];
        let two = run(&m, &p, config(2.0 * capital)).attribution[Bucket::Fees as usize];
        prop_assert!(one > 0.0 && two <= 2.0 * one * (1.0 + 1e-12), "{one} then {two}");
        // Never more than the pool's fees.
        prop_assert!(two <= volume * 0.003 * (n - 1) as f64 * (1.0 + 1e-12));
    }

    /// Selling more into a pool costs at least as much, and the same swap costs more in
    /// a shallower pool, for each kind's cost model.
    #[test]
    fn swaps_cost_more_in_shallower_pools(
        usd in 1.0f64..1e6,
        depth in 1e4f64..1e9,
        shallower in 0.05f64..0.95,
    ) {
        let deep = costs::swap_cost_constant_product(usd, depth, 0.003);
        let thin = costs::swap_cost_constant_product(usd, depth * shallower, 0.003);
        prop_assert!(thin >= deep && deep >= 0.003 * usd * (1.0 - 1e-9) && thin <= usd);
        let deep_s = costs::swap_cost_stableswap(usd, depth, 200.0, 0.0004, 2);
        let thin_s = costs::swap_cost_stableswap(usd, depth * shallower, 200.0, 0.0004, 2);
        prop_assert!(thin_s >= deep_s * (1.0 - 1e-9) && thin_s <= usd, "{thin_s} vs {deep_s}");
    }
}

#[test]
fn an_external_gas_budget_is_its_own_figure() {
    // $50 of capital, harvest gas of ~$800: the portfolio skips every harvest; an
    // external budget pays them all and the value series goes below zero, reported.
    let m = farm(vec![1.0; 120], vec![1_000.0; 120], 2.0);
    let own = run(&m, &vault("1h"), config(50.0));
    assert!(own.counts.skipped > 0 && own.counts.harvests == 0);
    assert!(own.series.value.iter().all(|v| *v >= 0.0));
    let mut cfg = config(50.0);
    cfg.gas.paid_by = costs::GasPayer::External;
    let ext = run(&m, &vault("1h"), cfg);
    assert_eq!(ext.counts.skipped, 0);
    assert!(ext.counts.harvests > 100);
    assert!(ext.external_gas > 50_000.0);
    assert!((ext.attribution[Bucket::Gas as usize] + ext.external_gas).abs() < 1e-6);
    assert!(ext.final_value() < 0.0);
    assert_eq!(metrics::run_metrics(&ext, 0.0).max_drawdown, -1.0);
}

#[test]
fn a_range_out_of_range_for_whole_bars_earns_nothing() {
    // ETH at 2000 for 10 bars, then 3000 for the rest: a ±10 % range (never rebalanced)
    // is out of range for every bar after the jump.
    let n = 60;
    let eth: Vec<f64> = (0..n)
        .map(|i| if i < 10 { 2000.0 } else { 3000.0 })
        .collect();
    let price: Vec<f64> = eth.iter().map(|e| 1.0 / e).collect();
    let mut mt = meta("v3", PoolKind::Concentrated, ["USDC", "WETH"], 0.0005);
    mt.decimals = vec![6, 18];
    let m = Mk::new(n)
        .price("ETH", |i| eth[i])
        .gas(|_| 10.0)
        .pool(
            mt,
            &[
                (Field::Price, &|i| price[i]),
                (Field::TvlUsd, &|_| 1e7),
                (Field::VolumeUsd, &|_| 1e6),
                (Field::Liquidity, &|_| 1e18),
            ],
        )
        .m;
    let p = StrategyParams::RangeLp(range_lp::Params {
        pool: "v3".into(),
        width_pct: 10.0,
        rebalance: range_lp::Rule::OutOfRange,
        drift_pct: None,
        min_interval: Some("1000d".parse().unwrap()),
        out_of_range_for: None,
    });
    let r = run(&m, &p, config(10_000.0));
    assert_eq!(r.counts.rebalances, 0);
    let fees = |i: usize| r.series.buckets[i][Bucket::Fees as usize];
    assert!(fees(9) > 0.0, "in range it earns");
    // The bar of the jump earns its in-range share of the path; every later bar nothing.
    for i in 11..n {
        assert_eq!(fees(i), fees(10), "bar {i} earned while out of range");
    }
    let tir = metrics::run_metrics(&r, 0.0).time_in_range.unwrap();
    assert!(tir < 0.2, "time_in_range {tir}");
}

#[test]
fn a_hop_between_priced_pools_has_their_exposure() {
    // Two USDC/USDT StableSwap pools known only by their yields; USDC depegs to 0.85
    // for a day. The hop holds them as StableSwap positions: the depeg shows.
    let n = 24 * 10;
    let usdc: Vec<f64> = (0..n)
        .map(|i| if (100..124).contains(&i) { 0.85 } else { 1.0 })
        .collect();
    let a: Vec<f64> = (0..n)
        .map(|i| if (i / 48) % 2 == 0 { 0.3 } else { 0.05 })
        .collect();
    let b: Vec<f64> = (0..n)
        .map(|i| if (i / 48) % 2 == 0 { 0.05 } else { 0.3 })
        .collect();
    let mut ma = meta("a", PoolKind::Stableswap, ["USDC", "USDT"], 0.0001);
    let mut mb = meta("b", PoolKind::Stableswap, ["USDC", "USDT"], 0.0001);
    ma.fee = Some(0.0001);
    mb.fee = Some(0.0001);
    let m = Mk::new(n)
        .price("ETH", |_| 2000.0)
        .price("USDC", |i| usdc[i])
        .price("USDT", |_| 1.0)
        .gas(|_| 5.0)
        .pool(
            ma,
            &[(Field::ApyBase, &|i| a[i]), (Field::TvlUsd, &|_| 1e8)],
        )
        .pool(
            mb,
            &[(Field::ApyBase, &|i| b[i]), (Field::TvlUsd, &|_| 1e8)],
        )
        .m;
    let p = StrategyParams::PoolHop(pool_hop::Params {
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
    let r = run(&m, &p, config(100_000.0));
    assert!(r.counts.moves >= 2, "it hops: {}", r.counts.moves);
    let mm = metrics::run_metrics(&r, 0.0);
    assert!(
        mm.max_drawdown < -0.02,
        "the depeg shows: {}",
        mm.max_drawdown
    );
    let low = r.series.value[110];
    assert!(low < 95_000.0, "during the depeg: {low}");
    assert!(r
        .fee_models
        .iter()
        .all(|f| f.model == "apy_series" && !f.price_source.is_empty()));
    // A pool with unpriced tokens is refused unless its exposure is stated.
    let m2 = Mk::new(n)
        .price("ETH", |_| 2000.0)
        .gas(|_| 5.0)
        .pool(
            meta("c", PoolKind::Stableswap, ["XUSD", "YUSD"], 0.0001),
            &[(Field::ApyBase, &|_| 0.1), (Field::TvlUsd, &|_| 1e8)],
        )
        .m;
    let mut s = p.build().unwrap();
    let e = engine::run(&m2, s.as_mut(), config(1000.0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("exposure = \"usd\""), "{e}");
}

#[test]
fn ratios_are_undefined_on_a_constant_series() {
    let n = 24 * 5;
    let m = Mk::new(n)
        .price("ETH", |_| 2000.0)
        .price("USDC", |_| 1.0)
        .gas(|_| 10.0)
        .m;
    let p = StrategyParams::Hodl(hodl::Params {
        weights: [("USDC".to_string(), 1.0)].into_iter().collect(),
        pool: None,
    });
    let r = run(&m, &p, config(1000.0));
    let mm = metrics::run_metrics(&r, 0.0);
    assert_eq!(
        (mm.measures.sharpe, mm.measures.sortino, mm.measures.calmar),
        (None, None, None)
    );
    assert_eq!(mm.measures.volatility, 0.0);
    assert_eq!(mm.max_drawdown, 0.0);
}

#[test]
fn the_liquidation_value_is_the_mark_value_less_exit_costs() {
    let n = 48;
    let m = Mk::new(n)
        .price("ETH", |_| 2000.0)
        .price("USDC", |_| 1.0)
        .gas(|_| 20.0)
        .pool(
            meta("pool", PoolKind::ConstantProduct, ["WETH", "USDC"], 0.003),
            &[
                (Field::Price, &|_| 2000.0),
                (Field::TvlUsd, &|_| 1e6),
                (Field::VolumeUsd, &|_| 0.0),
            ],
        )
        .m;
    let p = StrategyParams::Lp(lp::Params {
        pool: "pool".into(),
        claim_every: None,
        claim_gas_multiple: None,
        sell_rewards: false,
    });
    let r = run(&m, &p, config(100_000.0));
    let exit = r.exit.clone().unwrap();
    // Withdraw gas (150k units at 20 gwei, ETH $2000) and one swap's gas (WETH → USD).
    assert!((exit.gas - (150_000.0 + 150_000.0) * 20e-9 * 2000.0).abs() < 1e-9);
    // Half the position is WETH: $50k through a $1M pool pays 0.3 % plus impact.
    let half = r.final_value() / 2.0;
    assert!((exit.swaps - costs::swap_cost_constant_product(half, 1e6, 0.003)).abs() < 1e-6);
    let mm = metrics::run_metrics(&r, 0.0);
    let liq = mm.liquidation_value.unwrap();
    assert!((liq - (r.final_value() - exit.gas - exit.swaps)).abs() < 1e-9);
    assert!(mm.liquidation_apy.unwrap() < mm.apy);
}

#[test]
fn negative_costs_are_refused_naming_the_field() {
    type Edit = Box<dyn Fn(&mut RunConfig)>;
    let bad: Vec<(&str, Edit)> = vec![
        (
            "gas.gas_price_gwei",
            Box::new(|c| c.gas.gas_price_gwei = Some(-5.0)),
        ),
        (
            "gas.units.harvest",
            Box::new(|c| {
                c.gas.units.insert(costs::ActionKind::Harvest, -400_000.0);
            }),
        ),
        ("capital_usd", Box::new(|c| c.capital_usd = -1.0)),
        (
            "costs.reward_swap.fee",
            Box::new(|c| c.reward_swap.fee = -0.01),
        ),
        ("costs.bridge_fee", Box::new(|c| c.bridge_fee = -0.1)),
        (
            "vault.performance_fee",
            Box::new(|c| c.vault_fees.performance_fee = -0.2),
        ),
        ("vault.others_usd", Box::new(|c| c.vault_others_usd = -1.0)),
    ];
    let m = farm(vec![1.0; 24], vec![10.0; 24], 1.0);
    for (field, f) in bad {
        let mut cfg = config(1000.0);
        f(&mut cfg);
        let e = cfg.validate().unwrap_err();
        assert!(e.contains(field), "{field}: {e}");
        // The engine runs the same check.
        let mut s = vault("1d").build().unwrap();
        let err = engine::run(&m, s.as_mut(), cfg).unwrap_err().to_string();
        assert!(err.contains(field), "{field}: {err}");
    }
}

#[test]
fn a_stress_event_on_a_misspelled_pool_is_refused() {
    let m = farm(vec![1.0; 24], vec![10.0; 24], 1.0);
    let cfg = RunConfig {
        events: vec![StressEvent::Exploit {
            at: "2022-01-01".into(),
            pool: "farn".into(),
            haircut: 0.5,
        }],
        ..config(1000.0)
    };
    let mut s = vault("1d").build().unwrap();
    let e = engine::run(&m, s.as_mut(), cfg).unwrap_err().to_string();
    assert!(e.contains("'farn'") && e.contains("farm"), "{e}");
    let cfg = RunConfig {
        events: vec![StressEvent::Depeg {
            at: "2022-01-01".into(),
            asset: "USDX".into(),
            price_factor: 0.5,
            recovery: None,
        }],
        ..config(1000.0)
    };
    let e = engine::run(&m, s.as_mut(), cfg).unwrap_err().to_string();
    assert!(e.contains("'USDX'") && e.contains("USDC"), "{e}");
}

#[test]
fn a_locked_position_cannot_be_withdrawn_or_moved_before_its_unlock() {
    // Pool a leads for the first 2 days, then b. Pool a locks deposits for 3 days and
    // unbonds over 1 day without yield; USDC depegs while the move waits.
    let n = 24 * 8;
    let a: Vec<f64> = (0..n).map(|i| if i < 48 { 0.3 } else { 0.02 }).collect();
    let b: Vec<f64> = (0..n).map(|i| if i < 48 { 0.02 } else { 0.3 }).collect();
    let usdc: Vec<f64> = (0..n)
        .map(|i| if (55..65).contains(&i) { 0.9 } else { 1.0 })
        .collect();
    let m = Mk::new(n)
        .price("ETH", |_| 2000.0)
        .price("USDC", |i| usdc[i])
        .price("USDT", |_| 1.0)
        .gas(|_| 5.0)
        .pool(
            meta("a", PoolKind::Stableswap, ["USDC", "USDT"], 0.0001),
            &[(Field::ApyBase, &|i| a[i]), (Field::TvlUsd, &|_| 1e8)],
        )
        .pool(
            meta("b", PoolKind::Stableswap, ["USDC", "USDT"], 0.0001),
            &[(Field::ApyBase, &|i| b[i]), (Field::TvlUsd, &|_| 1e8)],
        )
        .m;
    let p = StrategyParams::PoolHop(pool_hop::Params {
        pools: vec![],
        window: "1h".parse().unwrap(),
        hysteresis: 0.01,
        min_hold: "1h".parse().unwrap(),
        check_every: "1h".parse().unwrap(),
        top_k: 1,
        min_tvl_usd: 0.0,
        payback: Some("30d".parse().unwrap()),
        bridge_fee: 0.0005,
    });
    let mut cfg = config(100_000.0);
    cfg.pools.insert(
        "a".into(),
        engine::PoolSettings {
            lock: Some("3d".into()),
            unbonding: Some("1d".into()),
            ..Default::default()
        },
    );
    let r = run(&m, &p, cfg);
    // Asked to move at hour 48: it completes when the lock (to hour 72) and the 1 d
    // unbonding from the request (also hour 72) have both passed.
    let unbond = r
        .ledger
        .iter()
        .find(|e| e.action == LedgerAction::Unbond)
        .expect("an unbond row");
    assert_eq!(unbond.step, 48);
    assert!(
        unbond.note.contains("locked until") && unbond.note.contains("unbonding 1d"),
        "{}",
        unbond.note
    );
    let withdraw = r
        .ledger
        .iter()
        .find(|e| e.action == LedgerAction::Withdraw)
        .expect("a withdrawal");
    assert_eq!(withdraw.step, 72, "waits for the lock ({} )", withdraw.step);
    assert_eq!(r.counts.moves, 1);
    assert_eq!(r.series.allocation_at(60), "a (unbonding)");
    assert_eq!(r.series.allocation_at(100), "b");
    // The waiting position earns nothing, and the depeg (hours 55–64) hits it.
    let fees = |i: usize| r.series.buckets[i][Bucket::Fees as usize];
    assert_eq!(fees(49), fees(71), "no yield while waiting");
    assert!(fees(100) > fees(73), "earns again in b");
    assert!(
        r.series.value[60] < r.series.value[50] - 1_000.0,
        "the locked position is exposed to the depeg"
    );
}

#[test]
fn a_deposit_waits_for_its_pools_deposit_window() {
    // Windows of one day every 7 days from 1970-01-01 (a Thursday): the run starts on
    // Saturday 2022-01-01, so the deposit waits until Thursday 2022-01-06, hour 120.
    let n = 150;
    let eth = |i: usize| 2000.0 + 5.0 * i as f64;
    let m = Mk::new(n)
        .price("ETH", eth)
        .price("USDC", |_| 1.0)
        .gas(|_| 10.0)
        .pool(
            meta("pool", PoolKind::ConstantProduct, ["WETH", "USDC"], 0.003),
            &[
                (Field::Price, &eth),
                (Field::TvlUsd, &|_| 1e6),
                (Field::VolumeUsd, &|_| 1e4),
            ],
        )
        .m;
    let p = StrategyParams::Lp(lp::Params {
        pool: "pool".into(),
        claim_every: None,
        claim_gas_multiple: None,
        sell_rewards: false,
    });
    let mut cfg = config(10_000.0);
    cfg.pools.insert(
        "pool".into(),
        engine::PoolSettings {
            deposit_every: Some("7d".into()),
            ..Default::default()
        },
    );
    let r = run(&m, &p, cfg);
    let wait = r
        .ledger
        .iter()
        .find(|e| e.action == LedgerAction::DepositWait)
        .unwrap();
    assert_eq!(wait.step, 0);
    assert!(wait.note.contains("2022-01-06T00:00:00Z"), "{}", wait.note);
    let dep = r
        .ledger
        .iter()
        .find(|e| e.action == LedgerAction::Deposit)
        .unwrap();
    assert_eq!(dep.step, 120);
    // Until then the capital is idle USD: no fees, no price effect.
    assert_eq!(r.series.value[119], 10_000.0);
    assert!(r.attribution[Bucket::Fees as usize] > 0.0);
}
