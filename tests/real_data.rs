//! The shared real datasets load through data/shared/manifest.toml with the values
//! their sources document, and align onto a run grid. Skipped, with a message, where
//! ../shared/data is absent.

mod common;

use yieldlab::data::{build_market, Dataset, GridSpec, Selection};
use yieldlab::market::{Field, SeriesKind};
use yieldlab::units::{parse_datetime, DAY, HOUR};

fn load() -> Option<Dataset> {
    let root = common::shared_data()?;
    let manifest = common::repo().join("data/shared/manifest.toml");
    Some(Dataset::load(&manifest, Some(&root)).expect("the shared datasets load"))
}

#[test]
fn every_real_file_loads() {
    let Some(ds) = load() else { return };
    assert_eq!(
        ds.files.len(),
        20,
        "every file in SOURCES.md is in the manifest"
    );
    let count = |k| ds.series.keys().filter(|(kind, _)| *kind == k).count();
    // 8 v3 daily + 1 Polygon hourly + 2 v2 daily + 1 v2 hourly + 31 DefiLlama + 3 stable pairs.
    assert_eq!(count(SeriesKind::Pool), 46);
    // ETH (CoinGecko), Binance ETH and BTC, 14 Bybit tokens.
    assert_eq!(count(SeriesKind::Price), 17);
    assert_eq!(count(SeriesKind::Gas), 1);
    assert_eq!(count(SeriesKind::Rate), 4);
    // Row counts from SOURCES.md.
    let rows = |k, id: &str| ds.get(k, id).unwrap().ts.len();
    assert_eq!(rows(SeriesKind::Pool, "univ3_usdc_weth_0p30"), 696);
    assert_eq!(rows(SeriesKind::Pool, "univ3_polygon_usdc_weth_0p05"), 840);
    assert_eq!(rows(SeriesKind::Price, "binance:ETH"), 52106);
    assert_eq!(rows(SeriesKind::Gas, "ethereum"), 3635);
    let llama_rows: usize = ds
        .series
        .iter()
        .filter(|((_, id), _)| id.starts_with("llama_"))
        .map(|(_, s)| s.ts.len())
        .sum();
    assert_eq!(llama_rows, 24149);
}

#[test]
fn units_and_conventions_are_applied() {
    let Some(ds) = load() else { return };
    let p = ds.get(SeriesKind::Pool, "univ3_usdc_weth_0p30").unwrap();
    // First row: token1Price = WETH per USDC.
    assert_eq!(p.ts[0], parse_datetime("2021-05-05").unwrap());
    assert!((p.fields[&Field::Price][0] - 0.000_283_993_134_514_543_8).abs() < 1e-18);
    // Daily closes are known at the day's end.
    assert_eq!(p.obs_offset, DAY);
    assert_eq!(p.bar, DAY);
    // Fee growth is divided by 2^128; it never decreases.
    let fg = &p.fields[&Field::FeeGrowthGlobal0];
    let known: Vec<f64> = fg.iter().copied().filter(|x| !x.is_nan()).collect();
    assert!(known.len() > 600);
    assert!(known.windows(2).all(|w| w[1] >= w[0]));
    assert!(known[0] < 1.0, "scaled by 2^-128: {}", known[0]);
    // The Polygon pool quotes USDC per WETH: inverted to WETH per USDC.
    let poly = ds
        .get(SeriesKind::Pool, "univ3_polygon_usdc_weth_0p05")
        .unwrap();
    assert!((1.0 / poly.fields[&Field::Price][0] - 1561.082849).abs() < 1e-6);
    // DefiLlama APYs are percent: 17.52759 % → 0.1752759.
    let llama = ds
        .get(
            SeriesKind::Pool,
            "llama_0x1d42064fc4beb5f8aaf85f4617ae8b3b5b8bd801",
        )
        .unwrap();
    assert!((llama.fields[&Field::ApyBase][0] - 0.175_275_9).abs() < 1e-12);
    let meta = &ds.pools["llama_0x1d42064fc4beb5f8aaf85f4617ae8b3b5b8bd801"];
    assert_eq!(meta.tokens, vec!["UNI".to_string(), "WETH".to_string()]);
    assert_eq!(meta.fee, Some(0.003));
    // Aave v2 rates start on 2020-12-02: the empty rows before are skipped and counted.
    let aave2 = ds.get(SeriesKind::Rate, "aave_v2_usdc").unwrap();
    assert!(aave2.skipped_rows > 4000);
    assert!(aave2.ts[0] >= parse_datetime("2020-12-02").unwrap());
    // The v2 pair metadata comes from the file's columns.
    let v2 = &ds.pools["univ2_0xb4e16d0168e52d35cacd2c6185b44281ec28c9dc"];
    assert_eq!(v2.tokens, vec!["USDC".to_string(), "WETH".to_string()]);
    assert_eq!(v2.fee, Some(0.003));
}

#[test]
fn real_series_align_onto_an_hourly_grid() {
    let Some(ds) = load() else { return };
    let sel = Selection {
        pools: Some(vec!["univ3_usdc_weth_0p30".into()]),
        prices: Some(vec!["ETH".into()]),
        gas: Some(vec!["ethereum".into()]),
        rates: Some(vec![]),
    };
    let start = parse_datetime("2022-01-01").unwrap();
    let end = parse_datetime("2022-12-31T23:00:00Z").unwrap();
    let spec = GridSpec {
        step: Some(HOUR),
        start: Some(start),
        end: Some(end),
    };
    let (m, report) = build_market(&ds, &sel, &spec).unwrap();
    assert_eq!(m.grid.len(), 365 * 24);
    let pool = m.pool("univ3_usdc_weth_0p30").unwrap();
    // Volume spreads over the hours and sums back to the daily totals.
    let raw = ds.get(SeriesKind::Pool, "univ3_usdc_weth_0p30").unwrap();
    let daily: f64 = raw
        .ts
        .iter()
        .zip(&raw.fields[&Field::VolumeUsd])
        .filter(|(t, _)| **t >= start && **t <= end)
        .map(|(_, v)| v)
        .sum();
    let hourly: f64 = pool.field(Field::VolumeUsd).unwrap().iter().sum();
    assert!((hourly / daily - 1.0).abs() < 1e-12, "{hourly} vs {daily}");
    // The price at 2022-01-01 00:00 is the close of 2021-12-31 (no look-ahead).
    let i_prev = raw.ts.iter().position(|t| *t == start - DAY).unwrap();
    assert_eq!(
        pool.field(Field::Price).unwrap()[0],
        raw.fields[&Field::Price][i_prev]
    );
    // Optional on-chain fields are present over this range (the ee590 rows cover 2022).
    assert!(pool.field(Field::Liquidity).is_some());
    assert!(report.dropped.is_empty(), "{:?}", report.dropped);
    assert!(m
        .gas("ethereum")
        .unwrap()
        .gas_price_gwei
        .iter()
        .all(|g| *g > 0.0));
    // Past 2023-03-31 the on-chain fields end, so over 2024 they are left out with a note.
    let spec24 = GridSpec {
        step: Some(DAY),
        start: parse_datetime("2024-01-01"),
        end: parse_datetime("2024-06-30"),
    };
    let sel24 = Selection {
        pools: Some(vec!["univ3_uni_weth_0p30".into()]),
        prices: Some(vec![]),
        gas: Some(vec![]),
        rates: Some(vec![]),
    };
    let (m24, report24) = build_market(&ds, &sel24, &spec24).unwrap();
    assert!(m24
        .pool("univ3_uni_weth_0p30")
        .unwrap()
        .field(Field::Liquidity)
        .is_none());
    assert!(report24.dropped.iter().any(|d| d.contains("liquidity")));
}

#[test]
fn gaps_longer_than_the_carry_limit_are_refused() {
    let Some(ds) = load() else { return };
    // Binance was down 2018-02-08 → 02-09: an hourly run across it must refuse.
    let sel = Selection {
        pools: Some(vec![]),
        prices: Some(vec!["binance:ETH".into()]),
        gas: Some(vec![]),
        rates: Some(vec![]),
    };
    let spec = GridSpec {
        step: Some(HOUR),
        start: parse_datetime("2018-02-01"),
        end: parse_datetime("2018-02-15"),
    };
    let err = build_market(&ds, &sel, &spec).unwrap_err().to_string();
    assert!(err.contains("price 'binance:ETH'"), "{err}");
    assert!(err.contains("carry limit 2h"), "{err}");
    assert!(err.contains("binance_ethusdt_1h.csv"), "{err}");
}

#[test]
fn data_check_succeeds_on_the_real_datasets() {
    let Some(root) = common::shared_data() else {
        return;
    };
    let run = common::yieldlab(
        &[
            "data",
            "check",
            "data/shared/manifest.toml",
            "--data-root",
            root.to_str().unwrap(),
        ],
        &common::repo(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("dataset 'shared': 20 files"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("binance:BTC"));
}
