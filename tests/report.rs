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
        6,
        "equity, drawdown, attribution, IL vs fees of range_lp and pool_hop, allocation"
    );
    assert!(html.contains("\"kind\":\"bars\""));
    allocation_lanes_cover_the_run(&html, &out);
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

/// The pool hop's interactive allocation chart: its stretches follow one another without
/// gap from the run's first to its last time, and name exactly the pools of the
/// timeseries' `allocation` column, in as many stretches as that column has changes + 1.
fn allocation_lanes_cover_the_run(html: &str, out: &Path) {
    let at = html
        .find("<figure id=\"chart-allocation_pool_hop\"")
        .expect("the allocation figure");
    let json = &html[at..];
    let start = json.find("class=\"chart-data\">").unwrap() + "class=\"chart-data\">".len();
    let end = start + json[start..].find("</script>").unwrap();
    let d: serde_json::Value = serde_json::from_str(&json[start..end]).unwrap();
    let lanes: Vec<&str> = d["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let spans: Vec<(usize, i64, i64)> = d["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s[0].as_u64().unwrap() as usize,
                s[1].as_i64().unwrap(),
                s[2].as_i64().unwrap(),
            )
        })
        .collect();
    let mut r = csv::Reader::from_path(out.join("timeseries.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (run, ts, alloc) = (col("run"), col("timestamp"), col("allocation"));
    let rows: Vec<(i64, String)> = r
        .records()
        .map(|x| x.unwrap())
        .filter(|x| &x[run] == "pool_hop")
        .map(|x| {
            let t = chrono::DateTime::parse_from_rfc3339(&x[ts])
                .unwrap()
                .timestamp();
            (t, x[alloc].to_string())
        })
        .collect();
    let mut pools: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    pools.sort();
    pools.dedup();
    assert_eq!(lanes, pools, "one lane per pool the capital sat in");
    let changes = rows.windows(2).filter(|w| w[0].1 != w[1].1).count();
    assert_eq!(spans.len(), changes + 1, "one stretch per stay");
    assert_eq!(spans[0].1, rows[0].0, "from the first time");
    assert_eq!(
        spans.last().unwrap().2,
        rows.last().unwrap().0,
        "to the last"
    );
    for w in spans.windows(2) {
        assert_eq!(w[0].2, w[1].1, "stretches follow one another");
        assert_ne!(w[0].0, w[1].0, "a new stretch is a move");
    }
}

#[test]
fn a_sweep_report_has_interactive_parameter_lines_and_a_heatmap() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "data = {:?}\ncapital_usd = 10000\nstart = \"2022-01-01\"\nend = \"2022-03-31\"\ngrid = \"1d\"\n[strategy]\nkind = \"autocompound\"\npool = \"farm_weth_v2\"\nharvest = \"interval\"\ninterval = \"1d\"\n[vault]\npreset = \"beefy\"\n[sweep]\n\"strategy.interval\" = [\"1d\", \"7d\", \"30d\"]\ncapital_usd = [1000, 100000]\n",
        common::repo().join("data/manifest.toml").to_str().unwrap()
    );
    let file = dir.path().join("sweep.toml");
    std::fs::write(&file, body).unwrap();
    let out = dir.path().join("rep");
    let run = compare(&out, &[file.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    // Each swept parameter's line: its values, in sweep order, name the x axis.
    for (id, cats) in [
        ("sweep_strategy_interval", r#""cats":["1d","7d","30d"]"#),
        ("sweep_capital_usd", r#""cats":["1000","100000"]"#),
    ] {
        let at = html
            .find(&format!("<figure id=\"chart-{id}\" "))
            .unwrap_or_else(|| panic!("{id} figure"));
        let fig = &html[at..at + html[at..].find("</figure>").unwrap()];
        assert!(fig.contains("class=\"chart-data\""), "{id} is interactive");
        assert!(fig.contains(cats), "{id}: {cats}");
    }
    // The heatmap stays static: every cell printed, a colour bar around 0.
    let svg = std::fs::read_to_string(out.join("charts/sweep_heatmap.svg")).unwrap();
    assert_eq!(
        svg.matches('%').count(),
        6 + 3,
        "six cells, each with its value, and three colour-bar ticks"
    );
    // The attribution names a swept run by its parameters.
    assert!(
        html.contains(r#""runs":["capital_usd=1000, interval=1d","capital_usd=1000, interval=7d""#),
        "bars labelled by parameters"
    );
}
