//! The embedded dataset in data/ is exactly what the generator writes (byte for byte),
//! loads cleanly, and builds a 3-year hourly market of every series.

mod common;

use yieldlab::data::synth::{generate, SynthParams};
use yieldlab::data::{build_market, Dataset, GridSpec, Selection};
use yieldlab::market::Field;
use yieldlab::units::HOUR;

#[test]
fn embedded_dataset_is_the_generators_output() {
    let out = generate(&SynthParams::default()).unwrap();
    for (name, text) in &out.files {
        let path = common::repo().join("data").join(name);
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == text.as_bytes(),
            "data/{name} differs from the generator's output; regenerate with `cargo run -- data synth --out data` and review the diff"
        );
    }
}

#[test]
fn synth_command_writes_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d");
    let run = common::yieldlab(
        &[
            "data",
            "synth",
            "--out",
            out.to_str().unwrap(),
            "--days",
            "30",
            "--seed",
            "9",
        ],
        &common::repo(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let expected = generate(&SynthParams {
        days: 30,
        seed: 9,
        ..SynthParams::default()
    })
    .unwrap();
    for (name, text) in &expected.files {
        assert_eq!(
            std::fs::read_to_string(out.join(name)).unwrap(),
            *text,
            "{name}"
        );
    }
    // And what it wrote is a valid dataset.
    let check = common::yieldlab(
        &["data", "check", out.join("manifest.toml").to_str().unwrap()],
        &common::repo(),
    );
    assert_eq!(check.code, 0, "{}", check.stderr);
    let bad = common::yieldlab(
        &[
            "data",
            "synth",
            "--out",
            out.to_str().unwrap(),
            "--days",
            "0",
        ],
        &common::repo(),
    );
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("days = 0"), "{}", bad.stderr);
}

#[test]
fn embedded_market_builds_on_one_hourly_grid() {
    let ds = Dataset::load(&common::repo().join("data/manifest.toml"), None).unwrap();
    let (m, report) = build_market(&ds, &Selection::default(), &GridSpec::default()).unwrap();
    assert_eq!(m.grid.step, HOUR);
    // The daily universe ends a day before the hourly series: the grid stops there.
    assert!(m.grid.len() >= 1094 * 24, "{}", m.grid.len());
    // Six hourly pools (the 3-coin DAI/USDC/USDT pool and the 80/20 weighted pool among
    // them) and eight daily.
    assert_eq!(m.pools.len(), 14);
    // ETH, FARM, USDC, USDT, DAI.
    assert_eq!(m.prices.len(), 5);
    assert_eq!(m.gas.len(), 2);
    assert_eq!(m.rates.len(), 1);
    assert!(report.dropped.is_empty());
    let usdc = &m.price("USDC").unwrap().price_usd;
    let min = usdc.iter().cloned().fold(f64::INFINITY, f64::min);
    assert!(
        min < 0.9,
        "the generated depeg reaches below $0.90, min {min}"
    );
    let farm = m.pool("farm_weth_v2").unwrap();
    let apr = farm.field(Field::ApyReward).unwrap();
    assert!(
        apr[0] > 3.0 * apr[apr.len() - 1],
        "the farm's reward APR decays"
    );
    for s in m.pools.values() {
        for v in s.fields.values() {
            assert_eq!(v.len(), m.grid.len());
            assert!(v.iter().all(|x| x.is_finite()));
        }
    }
}

#[test]
fn selecting_an_unknown_series_suggests_the_closest() {
    let ds = Dataset::load(&common::repo().join("data/manifest.toml"), None).unwrap();
    let sel = Selection {
        pools: Some(vec!["weth_usdc_v3".into()]),
        ..Selection::default()
    };
    let err = build_market(&ds, &sel, &GridSpec::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown pool 'weth_usdc_v3'"), "{err}");
    assert!(err.contains("did you mean"), "{err}");
    assert!(err.contains("usdc_weth_v3"), "{err}");
}
