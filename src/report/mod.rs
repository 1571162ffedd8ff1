//! Writing results: only writes, computes nothing that `metrics` should own. Every file
//! is written whole to a temporary name and renamed (`io::write_atomic`).
//!
//! `summary.csv` (one row per run), `timeseries.csv` (one row per run and step),
//! `attribution.csv` (one row per run and component), `events.csv` (every discrete cash
//! flow), `schema.md` (every column), optionally the same tables as Parquet, and for
//! `compare` the charts, `report.html` and `report.md`. Formats: docs/outputs.md.

use std::path::Path;

use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;

use crate::batch::RunOutput;
use crate::engine::BUCKETS;
use crate::io::write_atomic;
use crate::metrics;
use crate::units::format_ts;

/// USD figures: rounded half-even to 6 decimals. Fractions: to 10 decimals.
fn usd(x: f64) -> String {
    crate::engine::ledger::usd(x).normalize().to_string()
}

fn frac(x: f64) -> String {
    Decimal::from_f64(x)
        .map(|d| d.round_dp(10).normalize().to_string())
        .unwrap_or_else(|| "NaN".into())
}

pub mod charts;
pub mod html;

pub fn summary_columns() -> Vec<String> {
    let mut c: Vec<String> = [
        "run",
        "kind",
        "dataset",
        "start",
        "end",
        "steps",
        "step_seconds",
        "capital_usd",
        "final_value_usd",
        "net_pnl_usd",
        "total_return",
        "apr",
        "apy",
        "hodl_final_value_usd",
        "hodl_return",
        "hodl_apy",
        "vs_hodl_usd",
        "volatility",
        "sharpe",
        "sortino",
        "max_drawdown",
        "max_drawdown_days",
        "calmar",
        "hodl_max_drawdown",
        "il_fraction",
        "break_even_capital_usd",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    c.extend(BUCKETS.iter().map(|b| format!("{b}_usd")));
    c.extend(
        [
            "deposits",
            "withdrawals",
            "claims",
            "harvests",
            "rebalances",
            "moves",
            "swaps",
            "time_in_range",
            "identity_error_usd",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    c
}

/// One summary row per run.
pub fn summary_row(o: &RunOutput) -> Vec<String> {
    let r = &o.result;
    let g = r.grid;
    let m = metrics::run_metrics(r, 0.0);
    let c = r.counts;
    let mut row = vec![
        o.spec.name.clone(),
        o.spec.params.kind().to_string(),
        o.dataset.clone(),
        format_ts(g.start),
        format_ts(g.end()),
        g.len().to_string(),
        g.step.to_string(),
        usd(r.capital),
        usd(m.final_value),
        usd(m.final_value - r.capital),
        frac(m.total_return),
        frac(m.apr),
        frac(m.apy),
        usd(m.hodl_final),
        frac(m.hodl_return),
        frac(m.hodl_apy),
        usd(m.final_value - m.hodl_final),
        frac(m.volatility),
        frac(m.sharpe),
        frac(m.sortino),
        frac(m.max_drawdown),
        frac(m.max_drawdown_days),
        frac(m.calmar),
        frac(m.hodl_max_drawdown),
        frac(m.il_fraction),
        m.break_even_capital.map(usd).unwrap_or_default(),
    ];
    row.extend(r.attribution.iter().map(|x| usd(*x)));
    row.extend([
        c.deposits.to_string(),
        c.withdrawals.to_string(),
        c.claims.to_string(),
        c.harvests.to_string(),
        c.rebalances.to_string(),
        c.moves.to_string(),
        c.swaps.to_string(),
        m.time_in_range.map(frac).unwrap_or_default(),
        usd(r.max_identity_error),
    ]);
    row
}

fn csv_text(
    header: &[String],
    rows: impl Iterator<Item = Vec<String>>,
) -> std::io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(std::io::Error::other)?;
    for r in rows {
        w.write_record(&r).map_err(std::io::Error::other)?;
    }
    w.into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// The summary table as CSV bytes.
pub fn summary_csv(outputs: &[RunOutput]) -> std::io::Result<Vec<u8>> {
    csv_text(&summary_columns(), outputs.iter().map(summary_row))
}

/// Every run's per-step series as CSV bytes, runs one after another.
pub fn timeseries_csv(outputs: &[RunOutput]) -> std::io::Result<Vec<u8>> {
    let mut header: Vec<String> = ["run", "timestamp", "value_usd", "hodl_value_usd"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    header.extend(BUCKETS.iter().map(|b| format!("{b}_usd")));
    header.push("allocation".into());
    let rows = outputs.iter().flat_map(|o| {
        let r = &o.result;
        (0..r.grid.len()).map(move |i| {
            let mut row = vec![
                o.spec.name.clone(),
                format_ts(r.grid.at(i)),
                usd(r.series.value[i]),
                usd(r.series.hodl_value[i]),
            ];
            row.extend(r.series.buckets[i].iter().map(|x| usd(*x)));
            row.push(r.series.allocation[i].clone());
            row
        })
    });
    csv_text(&header, rows)
}

/// Each run's final attribution, one row per component, as CSV bytes.
pub fn attribution_csv(outputs: &[RunOutput]) -> std::io::Result<Vec<u8>> {
    let header: Vec<String> = ["run", "component", "usd", "share_of_capital"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let rows = outputs.iter().flat_map(|o| {
        BUCKETS.iter().zip(o.result.attribution).map(move |(b, v)| {
            vec![
                o.spec.name.clone(),
                b.to_string(),
                usd(v),
                frac(v / o.result.capital),
            ]
        })
    });
    csv_text(&header, rows)
}

/// Every run's ledger as CSV bytes.
pub fn events_csv(outputs: &[RunOutput]) -> std::io::Result<Vec<u8>> {
    let header: Vec<String> = [
        "run",
        "step",
        "timestamp",
        "action",
        "target",
        "amount_usd",
        "gas_usd",
        "swap_cost_usd",
        "vault_fee_usd",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows = outputs.iter().flat_map(|o| {
        o.result.ledger.iter().map(move |e| {
            vec![
                o.spec.name.clone(),
                e.step.to_string(),
                format_ts(e.timestamp),
                e.action.to_string(),
                e.target.clone(),
                e.amount_usd.normalize().to_string(),
                e.gas_usd.normalize().to_string(),
                e.swap_cost_usd.normalize().to_string(),
                e.vault_fee_usd.normalize().to_string(),
            ]
        })
    });
    csv_text(&header, rows)
}

/// What to write besides the CSV tables.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOptions {
    pub parquet: bool,
    /// Charts, report.html and report.md.
    pub report: bool,
}

/// The column documentation written as schema.md (docs/outputs.md).
pub const SCHEMA: &str = include_str!("../../docs/outputs.md");

/// Writes the report folder.
pub fn write(
    outputs: &[RunOutput],
    dir: &Path,
    opts: WriteOptions,
) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let tables: [(&str, Vec<u8>); 4] = [
        ("timeseries", timeseries_csv(outputs)?),
        ("attribution", attribution_csv(outputs)?),
        ("events", events_csv(outputs)?),
        ("summary", summary_csv(outputs)?),
    ];
    for (name, bytes) in &tables {
        write_atomic(&dir.join(format!("{name}.csv")), bytes)?;
        if opts.parquet {
            write_atomic(
                &dir.join(format!("{name}.parquet")),
                &parquet_from_csv(bytes)?,
            )?;
        }
    }
    write_atomic(&dir.join("schema.md"), SCHEMA.as_bytes())?;
    if opts.report {
        let chart_dir = dir.join("charts");
        let charts = charts::all(&chart_dir, outputs)?;
        write_atomic(
            &dir.join("report.html"),
            html::html(outputs, &charts).as_bytes(),
        )?;
        write_atomic(
            &dir.join("report.md"),
            html::markdown(outputs, &charts).as_bytes(),
        )?;
    }
    Ok(())
}

/// A CSV table as Parquet, column types inferred by polars from the whole table.
fn parquet_from_csv(bytes: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    use polars::prelude::*;
    let cursor = std::io::Cursor::new(bytes.to_vec());
    let mut df = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(None)
        .into_reader_with_file_handle(cursor)
        .finish()?;
    let mut out = Vec::new();
    ParquetWriter::new(&mut out).finish(&mut df)?;
    Ok(out)
}

/// A short fixed-width table for the terminal: run, final value, APY, vs HODL, IL, fees,
/// rewards, gas, vault fees.
pub fn summary_table(outputs: &[RunOutput]) -> Vec<u8> {
    use std::fmt::Write as _;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{:<28} {:>14} {:>9} {:>12} {:>12} {:>12} {:>12} {:>11} {:>11}",
        "run",
        "final_usd",
        "apy_%",
        "vs_hodl_usd",
        "il_usd",
        "fees_usd",
        "rewards_usd",
        "gas_usd",
        "vault_usd"
    );
    for o in outputs {
        let r = &o.result;
        let m = metrics::run_metrics(r, 0.0);
        let a = r.attribution;
        let _ = writeln!(
            t,
            "{:<28} {:>14.2} {:>9.2} {:>12.2} {:>12.2} {:>12.2} {:>12.2} {:>11.2} {:>11.2}",
            o.spec.name,
            r.final_value(),
            100.0 * m.apy,
            r.final_value() - r.hodl_final(),
            a[1],
            a[2],
            a[3],
            a[6],
            a[8]
        );
    }
    t.into_bytes()
}
