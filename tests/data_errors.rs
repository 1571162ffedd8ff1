//! Every kind of bad input the data layer meets gives exit code 2 and a message that
//! names the file, the line or row, the column or manifest field, and what is expected.

#[macro_use]
mod common;

use common::{yieldlab, Run};

const MANIFEST: &str = pool_and_prices_manifest!();

const POOL: &str = "timestamp,price,volume_usd,tvl_usd
1640995200,3700.5,1000,5000000
1640998800,3710.0,2000,5000100
1641002400,3705.2,1500,5000200
";

const PRICES: &str = "timestamp,asset,price_usd
1640995200,ETH,3700.5
1640998800,ETH,3710.0
";

/// Writes the dataset with `manifest` and files (defaults for those not given), runs
/// `data check` on it.
fn check(manifest: &str, files: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("manifest.toml"), manifest).unwrap();
    let mut all: Vec<(&str, &str)> = vec![("pool.csv", POOL), ("prices.csv", PRICES)];
    for (name, text) in files {
        all.retain(|(n, _)| n != name);
        all.push((name, text));
    }
    for (name, text) in all {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    yieldlab(&["data", "check", "manifest.toml"], dir.path())
}

fn pool(body: &str) -> Run {
    check(MANIFEST, &[("pool.csv", body)])
}

#[track_caller]
fn expect_error(run: &Run, needles: &[&str]) {
    assert_eq!(run.code, 2, "exit code; stderr:\n{}", run.stderr);
    assert!(
        run.stdout.is_empty(),
        "no report on error, got:\n{}",
        run.stdout
    );
    for n in needles {
        assert!(
            run.stderr.contains(n),
            "stderr should contain {n:?}, got:\n{}",
            run.stderr
        );
    }
}

#[test]
fn a_valid_dataset_passes() {
    let run = check(MANIFEST, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("weth_usdc"));
    assert!(run.stdout.contains("2022-01-01T02:00:00Z"));
}

#[test]
fn malformed_csv_names_the_line() {
    let run = pool("timestamp,price,volume_usd,tvl_usd\n1640995200,1,1,1\n1640998800,1,1,1,9,9\n");
    expect_error(&run, &["pool.csv", "malformed CSV, line 3", "4 fields"]);
}

#[test]
fn misspelt_column_suggests_the_closest() {
    let run = pool("timestamp,prcie,volume_usd,tvl_usd\n1640995200,1,1,1\n");
    expect_error(
        &run,
        &[
            "pool.csv",
            "column 'price' not found",
            "did you mean 'prcie'",
            "timestamp, prcie",
        ],
    );
}

#[test]
fn missing_column_lists_what_is_there() {
    let run = pool("timestamp,price,volume_usd\n1640995200,1,1\n");
    expect_error(
        &run,
        &[
            "column 'tvl_usd' not found",
            "field 'tvl_usd'",
            "timestamp, price, volume_usd",
        ],
    );
}

#[test]
fn wrong_type_names_line_and_column() {
    let run = pool("timestamp,price,volume_usd,tvl_usd\n1640995200,1,1,1\n1640998800,abc,1,1\n");
    expect_error(
        &run,
        &["pool.csv, line 3, column 'price'", "'abc' is not a number"],
    );
}

#[test]
fn thousands_separators_are_refused_with_a_hint() {
    let run = pool("timestamp,price,volume_usd,tvl_usd\n1640995200,1,\"1,000\",1\n");
    expect_error(
        &run,
        &["line 2, column 'volume_usd'", "thousands separators"],
    );
}

#[test]
fn bad_timestamp_text() {
    let run = pool("timestamp,price,volume_usd,tvl_usd\n1640995200,1,1,1\nyesterday,1,1,1\n");
    expect_error(
        &run,
        &["line 3, column 'timestamp'", "'yesterday'", "ISO-8601"],
    );
}

#[test]
fn millisecond_timestamps_need_the_unit() {
    let run = pool("timestamp,price,volume_usd,tvl_usd\n1640995200000,1,1,1\n");
    expect_error(&run, &["line 2, column 'timestamp'", "unit = \"unix_ms\""]);
}

#[test]
fn empty_file() {
    let run = pool("");
    expect_error(&run, &["pool.csv: the file is empty"]);
}

#[test]
fn header_only() {
    let run = pool("timestamp,price,volume_usd,tvl_usd\n");
    expect_error(&run, &["pool.csv: the file has a header but no data rows"]);
}

#[test]
fn unsorted_timestamps() {
    let run = pool("timestamp,price,volume_usd,tvl_usd\n1640998800,1,1,1\n1640995200,1,1,1\n");
    expect_error(
        &run,
        &[
            "pool.csv, line 3, column 'timestamp'",
            "go backwards",
            "at line 2",
            "sort the file",
        ],
    );
}

#[test]
fn duplicate_timestamps() {
    let run = pool("timestamp,price,volume_usd,tvl_usd\n1640995200,1,1,1\n1640998800,1,1,1\n1640998800,2,1,1\n");
    expect_error(
        &run,
        &[
            "pool.csv, line 4",
            "duplicate timestamp 2022-01-01T01:00:00Z",
            "line 3",
        ],
    );
}

#[test]
fn duplicates_are_per_series_in_long_files() {
    let ok = check(
        MANIFEST,
        &[(
            "prices.csv",
            "timestamp,asset,price_usd\n1,ETH,1\n1,BTC,2\n2,ETH,1\n2,BTC,2\n",
        )],
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let bad = check(
        MANIFEST,
        &[(
            "prices.csv",
            "timestamp,asset,price_usd\n1,ETH,1\n1,BTC,2\n1,ETH,1\n",
        )],
    );
    expect_error(
        &bad,
        &["prices.csv, line 4", "duplicate timestamp", "price 'ETH'"],
    );
}

#[test]
fn nan_price() {
    let run = pool("timestamp,price,volume_usd,tvl_usd\n1640995200,NaN,1,1\n");
    expect_error(&run, &["line 2, column 'price'", "price is NaN"]);
}

#[test]
fn infinite_price() {
    let run = pool("timestamp,price,volume_usd,tvl_usd\n1640995200,inf,1,1\n");
    expect_error(&run, &["line 2, column 'price'", "infinite"]);
}

#[test]
fn zero_price() {
    let run = pool("timestamp,price,volume_usd,tvl_usd\n1640995200,0,1,1\n");
    expect_error(
        &run,
        &["line 2, column 'price'", "price must be > 0 (zero)"],
    );
}

#[test]
fn negative_price() {
    let run = pool("timestamp,price,volume_usd,tvl_usd\n1640995200,-3,1,1\n");
    expect_error(
        &run,
        &["line 2, column 'price'", "price must be > 0 (negative)"],
    );
}

#[test]
fn negative_volume() {
    let run = pool("timestamp,price,volume_usd,tvl_usd\n1640995200,1,-5,1\n");
    expect_error(
        &run,
        &["line 2, column 'volume_usd'", "volume_usd must be >= 0"],
    );
}

#[test]
fn negative_tvl() {
    let run = pool("timestamp,price,volume_usd,tvl_usd\n1640995200,1,1,-1\n");
    expect_error(&run, &["line 2, column 'tvl_usd'", "tvl_usd must be >= 0"]);
}

#[test]
fn empty_required_value() {
    let run = pool("timestamp,price,volume_usd,tvl_usd\n1640995200,1,,1\n");
    expect_error(
        &run,
        &["line 2, column 'volume_usd'", "empty value", "skip_row"],
    );
}

#[test]
fn manifest_naming_a_pool_that_is_not_there() {
    let m = MANIFEST.replace(
        "id = \"weth_usdc\"\ntimestamp",
        "id = \"weth_usdcc\"\ntimestamp",
    );
    let run = check(&m, &[]);
    expect_error(
        &run,
        &["unknown pool", "'weth_usdcc'", "did you mean 'weth_usdc'"],
    );
}

#[test]
fn manifest_naming_an_asset_that_is_not_there() {
    let m = MANIFEST.replace("native_asset = \"ETH\"", "native_asset = \"ETHH\"");
    let run = check(&m, &[]);
    expect_error(
        &run,
        &[
            "[[chains]] 'ethereum': native_asset",
            "unknown asset",
            "'ETHH'",
            "did you mean 'ETH'",
        ],
    );
}

#[test]
fn file_that_does_not_exist() {
    let m = MANIFEST.replace("path = \"pool.csv\"", "path = \"pools.csv\"");
    let run = check(&m, &[]);
    expect_error(
        &run,
        &["pools.csv: file not found", "[[files]] #1", "--data-root"],
    );
}

#[test]
fn manifest_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let run = yieldlab(&["data", "check", "nope.toml"], dir.path());
    expect_error(&run, &["nope.toml: file not found"]);
}

#[test]
fn manifest_with_invalid_toml() {
    let run = check("[dataset\nname = 1", &[]);
    expect_error(&run, &["manifest.toml: invalid TOML", "line 1"]);
}

#[test]
fn manifest_with_unknown_key() {
    let m = MANIFEST.replace("fee = 0.003", "fee = 0.003\nfees = 0.003");
    let run = check(&m, &[]);
    expect_error(&run, &["invalid TOML", "unknown field `fees`"]);
}

#[test]
fn manifest_with_unknown_canonical_field() {
    let m = MANIFEST.replace(
        "columns = { price = \"price\",",
        "columns = { pirce = \"price\",",
    );
    let run = check(&m, &[]);
    expect_error(
        &run,
        &[
            "[[files]] #1 (pool.csv)",
            "unknown field 'pirce'",
            "did you mean 'price'",
        ],
    );
}

#[test]
fn manifest_with_unknown_unit() {
    let m = MANIFEST.replace(
        "columns = { price_usd = \"price_usd\" }",
        "columns = { price_usd = { column = \"price_usd\", unit = \"cents\" } }",
    );
    let run = check(&m, &[]);
    expect_error(
        &run,
        &[
            "[[files]] #2",
            "field 'price_usd'",
            "unit 'cents' is not one of: plain",
        ],
    );
}

#[test]
fn field_in_the_wrong_kind_of_file() {
    let m = MANIFEST.replace(
        "columns = { price_usd = \"price_usd\" }",
        "columns = { gas_price_gwei = \"price_usd\" }",
    );
    let run = check(&m, &[]);
    expect_error(
        &run,
        &[
            "field 'gas_price_gwei' belongs to gas files",
            "kind = \"price\"",
        ],
    );
}

#[test]
fn data_root_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("manifest.toml"), MANIFEST).unwrap();
    let run = yieldlab(
        &["data", "check", "manifest.toml", "--data-root", "missing"],
        dir.path(),
    );
    expect_error(&run, &["missing: file not found", "--data-root"]);
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = yieldlab(&["data", "check", "--frobnicate"], dir.path());
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--frobnicate"));
}

#[test]
fn byte_order_mark_and_iso_dates_and_offsets_are_read() {
    let m = MANIFEST.replace(
        "timestamp = \"timestamp\"\ncolumns = { price = ",
        "timestamp = { column = \"timestamp\", unit = \"auto\" }\ncolumns = { price = ",
    );
    let body = "\u{feff}timestamp,price,volume_usd,tvl_usd\n2022-01-01,1,1,1\n2022-01-01T03:00:00+02:00,1,1,1\n2022-01-01 02:00:00,1,1,1\n";
    let run = check(&m, &[("pool.csv", body)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("2022-01-01T00:00:00Z  2022-01-01T02:00:00Z"),
        "{}",
        run.stdout
    );
}

#[test]
fn semicolon_files_need_the_delimiter() {
    let body = "timestamp;price;volume_usd;tvl_usd\n1640995200;1;1;1\n1640998800;1;1;1\n";
    let run = pool(body);
    expect_error(
        &run,
        &["column 'timestamp' not found", "set delimiter = ';'"],
    );
    let m = MANIFEST.replace(
        "path = \"pool.csv\"",
        "path = \"pool.csv\"\ndelimiter = \";\"",
    );
    let run = check(&m, &[("pool.csv", body)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn skip_row_drops_incomplete_rows_and_counts_them() {
    let m = MANIFEST.replace(
        "path = \"pool.csv\"",
        "path = \"pool.csv\"\non_missing = \"skip_row\"",
    );
    let run = check(&m, &[("pool.csv", "timestamp,price,volume_usd,tvl_usd\n1640995200,1,1,1\n1640998800,1,,1\n1641002400,1,1,1\n")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = run.stdout.lines().find(|l| l.starts_with("pool")).unwrap();
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cells[2], "2", "rows: {line}");
    assert_eq!(cells[11], "1", "skipped: {line}");
}
