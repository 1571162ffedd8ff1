//! Data in the shapes researchers get it: JSON responses (DefiLlama's
//! `{"status": …, "data": [...]}`) and stated timestamp formats (Dune's default
//! `2021-01-01 00:00:00.000 UTC`), read through the same manifest mapping as CSV.

mod common;

use yieldlab::data::Dataset;
use yieldlab::market::{Field, SeriesKind};

/// DefiLlama's /chart/{pool} response: APYs in percent, ISO times with milliseconds,
/// nulls where a figure is unknown.
const CHART: &str = r#"{"status":"success","data":[
{"timestamp":"2022-03-27T23:01:15.025Z","tvlUsd":31515100,"apy":17.52759,"apyBase":17.52759,"apyReward":null,"il7d":null,"apyBase7d":null},
{"timestamp":"2022-03-28T23:01:09.741Z","tvlUsd":31002544,"apy":15.1,"apyBase":14.6,"apyReward":0.5,"il7d":null,"apyBase7d":16.2},
{"timestamp":"2022-03-29T23:00:58.110Z","tvlUsd":30950000.5,"apy":16.0,"apyBase":16.0,"apyReward":null,"il7d":null,"apyBase7d":15.9}
]}"#;

const JSON_MANIFEST: &str = r#"
[dataset]
name = "llama"

[[pools]]
id = "llama_uni_weth"
kind = "concentrated"
chain = "ethereum"
tokens = ["UNI", "WETH"]

[[files]]
path = "chart.json"
kind = "pool"
id = "llama_uni_weth"
records = "data"
timestamp = "timestamp"
[files.columns]
tvl_usd = "tvlUsd"
apy_base = { column = "apyBase", unit = "percent" }
apy_reward = { column = "apyReward", unit = "percent", optional = true }
"#;

#[test]
fn a_defillama_chart_response_loads_as_a_pool_series() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("manifest.toml"), JSON_MANIFEST).unwrap();
    std::fs::write(dir.path().join("chart.json"), CHART).unwrap();
    let ds = Dataset::load(&dir.path().join("manifest.toml"), None).unwrap();
    let s = ds.get(SeriesKind::Pool, "llama_uni_weth").unwrap();
    assert_eq!(s.ts, vec![1_648_422_075, 1_648_508_469, 1_648_594_858]);
    assert_eq!(
        s.fields[&Field::TvlUsd],
        vec![31_515_100.0, 31_002_544.0, 30_950_000.5]
    );
    let base = &s.fields[&Field::ApyBase];
    assert!((base[0] - 0.1752759).abs() < 1e-12 && (base[1] - 0.146).abs() < 1e-12);
    let reward = &s.fields[&Field::ApyReward];
    assert!(
        reward[0].is_nan() && (reward[1] - 0.005).abs() < 1e-12,
        "{reward:?}"
    );
    assert_eq!(ds.files[0].rows, 3);
    let run = common::yieldlab(&["data", "check", "manifest.toml"], dir.path());
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn json_errors_name_the_file_the_record_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let check = |manifest: &str, json: &str| {
        std::fs::write(dir.path().join("manifest.toml"), manifest).unwrap();
        std::fs::write(dir.path().join("chart.json"), json).unwrap();
        let run = common::yieldlab(&["data", "check", "manifest.toml"], dir.path());
        assert_eq!(run.code, 2, "{}", run.stderr);
        run.stderr
    };
    let without_records = JSON_MANIFEST.replace("records = \"data\"\n", "");
    let e = check(&without_records, CHART);
    assert!(
        e.contains("chart.json") && e.contains("top level is an object") && e.contains("\"data\""),
        "{e}"
    );
    let e = check(
        &JSON_MANIFEST.replace("records = \"data\"", "records = \"rows\""),
        CHART,
    );
    assert!(
        e.contains("no key \"rows\"") && e.contains("\"data\""),
        "{e}"
    );
    let e = check(JSON_MANIFEST, "{\"data\": [1, 2");
    assert!(e.contains("not valid JSON at line 1"), "{e}");
    let e = check(
        JSON_MANIFEST,
        "{\"data\": [{\"timestamp\": \"2022-01-01\", \"tvlUsd\": 1, \"apyBase\": 2}, 3]}",
    );
    assert!(e.contains("record 2 is not an object"), "{e}");
    let bad = CHART.replace("\"tvlUsd\":31002544", "\"tvlUsd\":\"lots\"");
    let e = check(JSON_MANIFEST, &bad);
    assert!(e.contains("chart.json, record 2, column 'tvlUsd'"), "{e}");
    let csv_records = JSON_MANIFEST.replace("chart.json", "chart.csv");
    let e = check(&csv_records, CHART);
    assert!(
        e.contains("`records` names the array of a JSON file"),
        "{e}"
    );
}

/// A Dune export: its default timestamp text, one row per day and pool.
const DUNE_CSV: &str = "block_date,pool,tvl,fees\n\
2021-01-01 00:00:00.000 UTC,uni_weth,1000000,1200.5\n\
2021-01-02 00:00:00.000 UTC,uni_weth,1010000,990.25\n\
2021-01-03 00:00:00.000 UTC,uni_weth,1020000,1001\n";

const DUNE_MANIFEST: &str = r#"
[dataset]
name = "dune"

[[pools]]
id = "uni_weth"
kind = "constant_product"
chain = "ethereum"
tokens = ["UNI", "WETH"]

[[files]]
path = "dune.csv"
kind = "pool"
id_column = "pool"
timestamp = "block_date"
timestamp_format = "%Y-%m-%d %H:%M:%S%.f UTC"
[files.columns]
tvl_usd = "tvl"
fees_usd = "fees"
"#;

#[test]
fn a_stated_timestamp_format_reads_dunes_default() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("manifest.toml"), DUNE_MANIFEST).unwrap();
    std::fs::write(dir.path().join("dune.csv"), DUNE_CSV).unwrap();
    let ds = Dataset::load(&dir.path().join("manifest.toml"), None).unwrap();
    let s = ds.get(SeriesKind::Pool, "uni_weth").unwrap();
    assert_eq!(s.ts, vec![1_609_459_200, 1_609_545_600, 1_609_632_000]);
    assert_eq!(s.fields[&Field::FeesUsd], vec![1200.5, 990.25, 1001.0]);

    // Without the format, the same file is refused and the message says what to add.
    let plain = DUNE_MANIFEST.replace("timestamp_format = \"%Y-%m-%d %H:%M:%S%.f UTC\"\n", "");
    std::fs::write(dir.path().join("manifest.toml"), plain).unwrap();
    let run = common::yieldlab(&["data", "check", "manifest.toml"], dir.path());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("dune.csv, line 2, column 'block_date'"),
        "{}",
        run.stderr
    );

    let write = |format: &str| {
        let m = DUNE_MANIFEST.replace("%Y-%m-%d %H:%M:%S%.f UTC", format);
        std::fs::write(dir.path().join("manifest.toml"), m).unwrap();
        common::yieldlab(&["data", "check", "manifest.toml"], dir.path())
    };
    // A cell that does not match the stated format names its line and the format.
    let run = write("%Y-%m-%d %H:%M:%S%.f");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("line 2")
            && run
                .stderr
                .contains("does not match the manifest's timestamp_format '%Y-%m-%d %H:%M:%S%.f'"),
        "{}",
        run.stderr
    );
    // A format chrono does not know, or one that cannot name a day, is refused up front.
    for (format, says) in [
        ("%Y-%m-%d %Q", "does not know"),
        ("%H:%M", "cannot read back"),
    ] {
        let run = write(format);
        assert_eq!(run.code, 2, "{format}: {}", run.stderr);
        assert!(
            run.stderr.contains("timestamp_format") && run.stderr.contains(says),
            "{format}: {}",
            run.stderr
        );
    }
    // With an offset, times convert to UTC.
    let offset_csv = DUNE_CSV.replace(" UTC,", " +0200,");
    std::fs::write(dir.path().join("dune.csv"), offset_csv).unwrap();
    let m = DUNE_MANIFEST.replace("%Y-%m-%d %H:%M:%S%.f UTC", "%Y-%m-%d %H:%M:%S%.f %z");
    std::fs::write(dir.path().join("manifest.toml"), m).unwrap();
    let ds = Dataset::load(&dir.path().join("manifest.toml"), None).unwrap();
    let s = ds.get(SeriesKind::Pool, "uni_weth").unwrap();
    assert_eq!(s.ts[0], 1_609_459_200 - 7200);
}
