//! Fee models end to end: the three failures that made fee income untrustworthy (a
//! snapshot 10,000× too low, a silent switch to TVL share when a liquidity column ends
//! early, a range earning fees in bars it never touched), each through the binary on a
//! small dataset written here.

mod common;

use std::path::Path;

const DAY: i64 = 86_400;
const START: i64 = 1_672_531_200; // 2023-01-01
const DAYS: i64 = 30;

/// A USDC/USDT concentrated pool (6/6 decimals) with daily rows; `liquidity(k)` gives
/// the raw active liquidity of row k (`None`: the cell is empty), `price(k)` the price.
fn write_dataset(
    dir: &Path,
    liquidity: Option<&dyn Fn(i64) -> Option<f64>>,
    price: &dyn Fn(i64) -> f64,
) {
    let mut pool = String::from("timestamp,price,volume_usd,tvl_usd,liquidity\n");
    for k in 0..DAYS {
        let l = liquidity
            .and_then(|f| f(k))
            .map(|x| format!("{x}"))
            .unwrap_or_default();
        pool.push_str(&format!(
            "{},{},1000000,10000000,{l}\n",
            START + k * DAY,
            price(k)
        ));
    }
    std::fs::write(dir.join("pool.csv"), pool).unwrap();
    let mut prices = String::from("timestamp,asset,price_usd\n");
    for k in 0..DAYS + 1 {
        for (a, p) in [("ETH", 2000.0), ("USDC", 1.0), ("USDT", 1.0)] {
            prices.push_str(&format!("{},{a},{p}\n", START + k * DAY));
        }
    }
    std::fs::write(dir.join("prices.csv"), prices).unwrap();
    let liq_col = if liquidity.is_some() {
        ", liquidity = { column = \"liquidity\", optional = true }"
    } else {
        ""
    };
    std::fs::write(
        dir.join("manifest.toml"),
        format!(
            r#"[dataset]
name = "fees"

[[chains]]
name = "ethereum"
native_asset = "ETH"

[[pools]]
id = "usdc_usdt"
kind = "concentrated"
chain = "ethereum"
tokens = ["USDC", "USDT"]
decimals = [6, 6]
fee = 0.0001
tick_spacing = 1

[[files]]
path = "pool.csv"
kind = "pool"
id = "usdc_usdt"
timestamp = "timestamp"
columns = {{ price = "price", volume_usd = "volume_usd", tvl_usd = "tvl_usd"{liq_col} }}

[[files]]
path = "prices.csv"
kind = "price"
id_column = "asset"
timestamp = "timestamp"
columns = {{ price_usd = "price_usd" }}
"#
        ),
    )
    .unwrap();
}

fn strategy(dir: &Path, width_pct: f64, end: &str, extra: &str) {
    std::fs::write(
        dir.join("s.toml"),
        format!(
            r#"data = "manifest.toml"
capital_usd = 100000
start = "2023-01-01"
end = "{end}"
grid = "1d"
{extra}

[strategy]
kind = "range_lp"
pool = "usdc_usdt"
width_pct = {width_pct}
rebalance = "out_of_range"
min_interval = "365d"
"#
        ),
    )
    .unwrap();
}

/// The summary's value of `col` (one run).
fn summary(dir: &Path, col: &str) -> String {
    let text = std::fs::read_to_string(dir.join("out/summary.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let k = header.iter().position(|h| *h == col).unwrap();
    row[k].to_string()
}

fn run(dir: &Path) -> common::Run {
    common::run_binary(&["run", "s.toml", "--out", "out", "--force"], dir, None)
}

fn flat(_: i64) -> f64 {
    1.0
}

#[test]
fn a_liquidity_snapshot_far_below_its_neighbours_is_refused_or_dropped_not_paid_out() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 1e13 raw (1e7 whole-token L) every day but day 10, a snapshot 10,000× too low.
    let liq = |k: i64| Some(if k == 10 { 1e9 } else { 1e13 });
    write_dataset(d, Some(&liq), &flat);
    strategy(d, 1.0, "2023-01-25", "");
    let r = run(d);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("'liquidity'")
            && r.stderr.contains("2023-01-11")
            && r.stderr.contains("outliers = \"drop\""),
        "{}",
        r.stderr
    );
    // Dropped, the bar carries the previous day's liquidity: fees stay those of a normal
    // day. A ±1 % range of $100k in a 1e7-L pool trading $1M a day at 0.01 % earns at
    // most $100 a day (the whole pool's fees), so under $2,500 over 24 days — where the
    // snapshot alone handed it 28.8 % of its capital in a day.
    strategy(d, 1.0, "2023-01-25", "outliers = \"drop\"");
    let r = run(d);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let fees: f64 = summary(d, "fees_usd").parse().unwrap();
    assert!(fees > 0.0 && fees < 2_400.0, "fees {fees}");
    assert_eq!(summary(d, "fee_model"), "volume_liquidity");
}

#[test]
fn a_liquidity_column_that_ends_early_fails_naming_it_unless_fallback_is_stated() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Liquidity known for the first 20 days only.
    let liq = |k: i64| (k < 20).then_some(1e13);
    write_dataset(d, Some(&liq), &flat);
    strategy(d, 1.0, "2023-01-28", "");
    let r = run(d);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("usdc_usdt")
            && r.stderr.contains("'liquidity'")
            && r.stderr.contains("2023-01-20")
            && r.stderr.contains("on_missing = \"fallback\""),
        "{}",
        r.stderr
    );
    // Ending before the column does: the same model, no complaint.
    strategy(d, 1.0, "2023-01-15", "");
    let r = run(d);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(summary(d, "fee_model"), "volume_liquidity");
    // Stated fallback: both models, and the steps each one accrued, are in the summary.
    strategy(
        d,
        1.0,
        "2023-01-28",
        "[pools.usdc_usdt]\non_missing = \"fallback\"",
    );
    let r = run(d);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let steps = summary(d, "fee_model_steps");
    assert!(
        steps.contains("usdc_usdt:volume_liquidity=") && steps.contains("usdc_usdt:tvl_share="),
        "{steps}"
    );
    assert_eq!(summary(d, "fee_model"), "volume_liquidity");
}

#[test]
fn a_range_earns_nothing_in_bars_it_never_touched() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // At 1.0 for two days, then 1.2 for good: a ±5 % range is left on day 2.
    let price = |k: i64| if k < 2 { 1.0 } else { 1.2 };
    write_dataset(d, None, &price);
    strategy(d, 5.0, "2023-01-29", "");
    // No liquidity series: sharing a range's fees by TVL is not done without saying so.
    let r = run(d);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("fee_model = \"tvl_share\""),
        "{}",
        r.stderr
    );
    strategy(
        d,
        5.0,
        "2023-01-29",
        "[pools.usdc_usdt]\nfee_model = \"tvl_share\"",
    );
    let r = run(d);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // One bar's share: $100 of pool fees × 100k / (10M + 100k) ≈ $0.99. In range for the
    // first bar and part of the second (the path 1.0 → 1.2 leaves a ±5 % range after a
    // quarter of its length); nothing for the 26 bars after.
    let fees: f64 = summary(d, "fees_usd").parse().unwrap();
    let bar = 100.0 * 100_000.0 / 10_100_000.0;
    assert!(
        fees > bar && fees < 1.5 * bar,
        "fees {fees} vs one bar {bar}"
    );
    let tir: f64 = summary(d, "time_in_range").parse().unwrap();
    assert!(tir < 0.1, "time_in_range {tir}");
    assert_eq!(summary(d, "fee_model"), "tvl_share");
}
