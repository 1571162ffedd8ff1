//! docs/extending.md stays true: the custom strategy of examples/custom_strategy.rs,
//! written outside the crate, runs through the library and writes the report the
//! command line writes; with `min_apr = 0` it is the built-in `lend` and its tables
//! equal `yieldlab run strategies/lend.toml`'s but for the run's name and kind.

mod common;

#[path = "../examples/custom_strategy.rs"]
mod example;

use std::path::Path;

fn custom_file(dir: &Path, min_apr: &str) -> std::path::PathBuf {
    let text = common::shipped_file_text("examples/lend_above.toml")
        .replace("min_apr = 0.03", &format!("min_apr = {min_apr}"));
    let p = dir.join("lend_custom.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// The table's rows without the columns that name the run (`drop`).
fn rows(path: &Path, drop: &[&str]) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    let keep: Vec<usize> = (0..h.len()).filter(|k| !drop.contains(&&h[*k])).collect();
    r.records()
        .map(|x| {
            let x = x.unwrap();
            keep.iter().map(|k| x[*k].to_string()).collect()
        })
        .collect()
}

#[test]
fn a_custom_strategy_runs_through_the_library_with_the_clis_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let file = custom_file(dir.path(), "0.0");
    let custom = dir.path().join("custom");
    example::run(&file, &custom).unwrap();
    let cli = dir.path().join("cli");
    let run = common::yieldlab(
        &[
            "run",
            "strategies/lend.toml",
            "--quiet",
            "--out",
            cli.to_str().unwrap(),
        ],
        &common::repo(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    for table in ["summary", "timeseries", "attribution", "events"] {
        let f = format!("{table}.csv");
        let drop = ["run", "kind", "spec_hash"];
        let (a, b) = (rows(&custom.join(&f), &drop), rows(&cli.join(&f), &drop));
        assert!(!a.is_empty(), "{f}");
        assert_eq!(a, b, "{f}: the custom lend and the built-in differ");
    }
    let summary = std::fs::read_to_string(custom.join("summary.csv")).unwrap();
    assert!(summary.contains(",custom,"), "the kind says custom");
}

#[test]
fn the_custom_strategy_switches_with_the_rate_and_pays_each_switch() {
    let dir = tempfile::tempdir().unwrap();
    let file = custom_file(dir.path(), "0.03");
    let out = dir.path().join("out");
    example::run(&file, &out).unwrap();
    let mut r = csv::Reader::from_path(out.join("summary.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let row = r.records().next().unwrap().unwrap();
    let get = |n: &str| row[h.iter().position(|x| x == n).unwrap()].to_string();
    let (deposits, withdrawals): (u32, u32) = (
        get("deposits").parse().unwrap(),
        get("withdrawals").parse().unwrap(),
    );
    assert!(withdrawals >= 1, "the rate fell below 3 % at least once");
    assert!(deposits == withdrawals || deposits == withdrawals + 1);
    let gas: f64 = get("gas_usd").parse().unwrap();
    assert!(gas < 0.0);
    // The command line refuses the file, naming the way to run it.
    let run = common::yieldlab(
        &[
            "run",
            file.to_str().unwrap(),
            "--quiet",
            "--out",
            dir.path().join("x").to_str().unwrap(),
        ],
        &common::repo(),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("docs/extending.md"), "{}", run.stderr);
}
