//! `yieldlab compare`: charts are valid, non-trivial PNG and SVG images with rendered
//! text; report.html is one self-contained file with the tables and every chart;
//! report.md links the PNGs; Parquet tables hold the same rows as the CSVs.

mod common;

use std::path::Path;

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (w, h)
}

fn compare(out: &Path, files: &[&str]) -> common::Run {
    let mut args = vec!["compare"];
    args.extend(files);
    args.extend(["--out", out.to_str().unwrap(), "--parquet"]);
    common::yieldlab(&args, &common::repo())
}

#[test]
fn compare_writes_charts_html_markdown_and_tables() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    let run = compare(
        &out,
        &[
            "strategies/hodl.toml",
            "strategies/range_lp.toml",
            "strategies/pool_hop.toml",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let charts = [
        "equity",
        "drawdown",
        "attribution",
        "il_vs_fees_range_lp",
        // The hop holds its pools as StableSwap positions: it has IL too.
        "il_vs_fees_pool_hop",
        "allocation_pool_hop",
    ];
    for c in charts {
        let png = std::fs::read(out.join("charts").join(format!("{c}.png"))).unwrap();
        assert_eq!(png_size(&png), (1100, 620), "{c}.png");
        assert!(
            png.len() > 15_000,
            "{c}.png is non-trivial: {} bytes",
            png.len()
        );
        let svg = std::fs::read_to_string(out.join("charts").join(format!("{c}.svg"))).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("</svg>"), "{c}.svg");
        assert!(
            svg.matches("<text").count() >= 5,
            "{c}.svg has its title, labels and legend"
        );
        assert!(
            svg.matches("<polyline").count() + svg.matches("<rect").count() >= 3,
            "{c}.svg draws data"
        );
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<table class=\"sortable\" id=\"summary\">"));
    assert_eq!(html.matches("<figure").count(), charts.len());
    assert_eq!(html.matches("<svg").count(), charts.len());
    // The line charts and the attribution carry their data for the interactive version,
    // the script that draws it is inline, and the static SVG stays for readers without
    // JavaScript.
    assert_eq!(
        html.matches("class=\"chart-data\"").count(),
        5,
        "equity, drawdown, attribution, IL vs fees of range_lp and pool_hop"
    );
    assert!(html.contains("\"kind\":\"bars\""));
    assert!(html.contains("function nearest(") && html.contains("dblclick"));
    for name in ["hodl", "range_lp", "pool_hop"] {
        assert!(
            html.contains(&format!("<h3 id=\"run-{name}\">")),
            "{name} section"
        );
    }
    assert!(html.contains("gas units per action"), "assumptions");
    // Self-contained: nothing to fetch (the SVG namespace URI is a name, not a fetch).
    let fetches = html.replace("http://www.w3.org/2000/svg", "");
    assert!(
        !fetches.contains("http://") && !fetches.contains("https://") && !fetches.contains("<img"),
        "self-contained"
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("| run | kind |"));
    for c in charts {
        assert!(md.contains(&format!("(charts/{c}.png)")));
    }
    // Parquet has the CSV's rows.
    for t in ["summary", "timeseries", "attribution", "events"] {
        let csv_rows = std::fs::read_to_string(out.join(format!("{t}.csv")))
            .unwrap()
            .lines()
            .count()
            - 1;
        let f = std::fs::File::open(out.join(format!("{t}.parquet"))).unwrap();
        use polars::prelude::*;
        let df = ParquetReader::new(f).finish().unwrap();
        assert_eq!(df.height(), csv_rows, "{t}");
    }
}

#[test]
fn a_report_folder_can_be_compared_again() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("a");
    assert_eq!(
        compare(&first, &["strategies/lend.toml", "strategies/hodl.toml"]).code,
        0
    );
    let second = dir.path().join("b");
    let run = common::yieldlab(
        &[
            "compare",
            first.to_str().unwrap(),
            "--out",
            second.to_str().unwrap(),
        ],
        &common::repo(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read(first.join("summary.csv")).unwrap(),
        std::fs::read(second.join("summary.csv")).unwrap()
    );
    let bad = common::yieldlab(&["compare", dir.path().to_str().unwrap()], &common::repo());
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("no runs.txt"), "{}", bad.stderr);
}

/// A CSV file as rows of column → cell.
fn read_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn every_action_is_one_events_row_carrying_its_gas() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    let files = [
        "strategies/autocompound.toml",
        "strategies/lp.toml",
        "strategies/range_lp.toml",
        "strategies/pool_hop.toml",
        "strategies/pool_hop_unbonding.toml",
    ];
    let run = compare(&out, &files);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary = read_rows(&out.join("summary.csv"));
    let events = read_rows(&out.join("events.csv"));
    assert_eq!(summary.len(), files.len());
    let counted = [
        ("deposits", &["deposit"][..]),
        ("withdrawals", &["withdraw"]),
        ("claims", &["claim"]),
        ("harvests", &["harvest"]),
        ("rebalances", &["rebalance"]),
        ("swaps", &["swap", "sell_rewards"]),
        ("skipped_actions", &["skipped"]),
    ];
    let mut acted = 0;
    for s in &summary {
        let rows: Vec<_> = events.iter().filter(|e| e["run"] == s["run"]).collect();
        for (column, actions) in counted {
            let n = rows
                .iter()
                .filter(|e| actions.contains(&e["action"].as_str()))
                .count();
            assert_eq!(
                s[column].parse::<usize>().unwrap(),
                n,
                "{}: summary {column} against its events rows {actions:?}",
                s["run"]
            );
            acted += n;
        }
        // No row is only the gas of another row: the gas column sums to the gas bucket.
        let gas: f64 = rows
            .iter()
            .map(|e| e["gas_usd"].parse::<f64>().unwrap())
            .sum();
        let bucket: f64 = s["gas_usd"].parse().unwrap();
        assert!(
            (gas + bucket).abs() < 1e-4 * (1.0 + bucket.abs()),
            "{}: events gas {gas} against the gas bucket {bucket}",
            s["run"]
        );
        for e in &rows {
            let gas_only = e["amount_usd"].parse::<f64>().unwrap() == 0.0
                && e["gas_usd"].parse::<f64>().unwrap() > 0.0;
            assert!(!gas_only, "{}: a row that is only gas: {e:?}", s["run"]);
        }
    }
    assert!(acted > 500, "the runs act: {acted} rows");
}

#[test]
fn the_report_opens_with_a_ranked_verdict_and_warns_when_periods_differ() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("same");
    let run = compare(&out, &["strategies/hodl.toml", "strategies/lend.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let verdict = html.find("<section id=\"verdict\">").expect("a verdict");
    assert!(
        verdict < html.find("id=\"summary\"").unwrap(),
        "the verdict comes first"
    );
    // Ranked by net APY: lending beat holding ETH/USDC over the embedded period.
    let ranking = &html[verdict..html[verdict..].find("</ol>").unwrap() + verdict];
    let (lend, hodl) = (
        ranking.find("<li>lend:").unwrap(),
        ranking.find("<li>hodl:").unwrap(),
    );
    assert!(lend < hodl, "{ranking}");
    assert!(ranking.contains("decided by interest +$"), "{ranking}");
    assert!(
        ranking.contains("against lending the stablecoin"),
        "{ranking}"
    );
    assert!(
        !html.contains("id=\"period-warning\""),
        "one period: no warning"
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("## Verdict") && md.contains("1. lend:"), "{md}");

    // A run over another period gets the warning, naming both periods.
    let short = dir.path().join("hodl_2022h1.toml");
    let text = std::fs::read_to_string(common::repo().join("strategies/hodl.toml"))
        .unwrap()
        .replace(
            "../data/manifest.toml",
            common::repo().join("data/manifest.toml").to_str().unwrap(),
        )
        .replace(
            "capital_usd = 100000",
            "capital_usd = 100000\nend = \"2022-06-30\"",
        );
    std::fs::write(&short, text).unwrap();
    let out = dir.path().join("mixed");
    let run = compare(&out, &["strategies/lend.toml", short.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let w = html
        .find("id=\"period-warning\"")
        .expect("a period warning");
    let warning = &html[w..w + html[w..].find("</p>").unwrap()];
    assert!(
        warning.contains("2 different periods")
            && warning.contains("2022-06-30")
            && warning.contains("hodl_2022h1"),
        "{warning}"
    );
}
