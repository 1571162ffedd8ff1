//! Minute bars in the peer backtester's layout (one CSV per day, raw token amounts,
//! ticks written as floats) load through a manifest and run.

mod common;

use yieldlab::data::Dataset;
use yieldlab::market::{Field, SeriesKind};

const MANIFEST: &str = r#"
[dataset]
name = "peer"

[[chains]]
name = "polygon"
native_asset = "MATIC"

[[pools]]
id = "usdc_weth"
kind = "concentrated"
chain = "polygon"
tokens = ["USDC", "WETH"]
decimals = [6, 18]
fee = 0.0005
tick_spacing = 10

[[files]]
path = "minute"
kind = "pool"
id = "usdc_weth"
format = "peer_minute"
usd_token = 0

[[files]]
path = "matic.csv"
kind = "price"
id = "MATIC"
timestamp = "timestamp"
columns = { price_usd = "price_usd" }
"#;

const HEADER: &str = "timestamp,netAmount0,netAmount1,closeTick,openTick,lowestTick,highestTick,inAmount0,inAmount1,currentLiquidity\n";

fn write_dataset(dir: &std::path::Path, day2: &str) {
    std::fs::write(dir.join("manifest.toml"), MANIFEST).unwrap();
    std::fs::create_dir_all(dir.join("minute")).unwrap();
    std::fs::write(
        dir.join("minute/pool-2022-07-19.csv"),
        format!("{HEADER}2022-07-19 00:00:00,-100,1,200311.0,200310,200300,200320,2000000000,0,446382924064782744\n2022-07-19 00:01:00,5,0,200312.0,200311,200311,200312,0,1000000000000000000,446382924064782744\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("minute/pool-2022-07-20.csv"),
        format!("{HEADER}{day2}"),
    )
    .unwrap();
    std::fs::write(
        dir.join("matic.csv"),
        "timestamp,price_usd\n1658188800,0.9\n1658275200,0.95\n",
    )
    .unwrap();
}

#[test]
fn peer_minute_bars_load_with_prices_from_ticks() {
    let dir = tempfile::tempdir().unwrap();
    write_dataset(
        dir.path(),
        "2022-07-20 00:00:00,0,0,200400.0,200400,200400,200400,0,0,500000000000000000\n",
    );
    let ds = Dataset::load(&dir.path().join("manifest.toml"), None).unwrap();
    let s = ds.get(SeriesKind::Pool, "usdc_weth").unwrap();
    assert_eq!(s.ts.len(), 3);
    assert_eq!(s.bar, 60);
    // tick 200311 → 1.0001^200311 · 10^(6−18) WETH per USDC ≈ 1/2000.
    let p = s.fields[&Field::Price][0];
    assert!((1.0 / p - 2000.0).abs() < 2.0, "{}", 1.0 / p);
    // 2000 USDC swapped in: $2000; then 1 WETH swapped in: 1/p USDC.
    assert!((s.fields[&Field::VolumeUsd][0] - 2000.0).abs() < 1e-9);
    let p1 = s.fields[&Field::Price][1];
    assert!((s.fields[&Field::VolumeUsd][1] - 1.0 / p1).abs() < 1e-6);
    assert_eq!(s.fields[&Field::Tick][2], 200_400.0);
    assert_eq!(
        ds.files
            .iter()
            .filter(|f| f.path.starts_with("pool-"))
            .count(),
        2
    );
}

#[test]
fn peer_minute_errors_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write_dataset(
        dir.path(),
        "2022-07-19 00:01:00,0,0,200400.0,200400,200400,200400,0,0,5\n",
    );
    let run = common::yieldlab(&["data", "check", "manifest.toml"], dir.path());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("pool-2022-07-20.csv, line 2, column 'timestamp'"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("not after"), "{}", run.stderr);
    write_dataset(
        dir.path(),
        "2022-07-20 00:00:00,0,0,abc,200400,200400,200400,0,0,5\n",
    );
    let run = common::yieldlab(&["data", "check", "manifest.toml"], dir.path());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("column 'closeTick': 'abc' is not a number"),
        "{}",
        run.stderr
    );
}
