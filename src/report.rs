//! Writing results: only writes, computes nothing that `metrics` should own. Every file
//! is written whole to a temporary name and renamed (`io::write_atomic`).
//!
//! `summary.csv` — one row per run (columns in `SUMMARY_COLUMNS`, documented in
//! docs/outputs.md); `series/<run>.csv` — one row per step; `events.csv` — every
//! discrete cash flow of every run.

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
        "max_drawdown",
        "hodl_max_drawdown",
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
    let years = metrics::years(g.end() - g.start);
    let fin = r.final_value();
    let ret = metrics::total_return(r.capital, fin);
    let hodl = r.hodl_final();
    let hret = metrics::total_return(r.capital, hodl);
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
        usd(fin),
        usd(fin - r.capital),
        frac(ret),
        frac(metrics::apr(ret, years)),
        frac(metrics::apy(ret, years)),
        usd(hodl),
        frac(hret),
        frac(metrics::apy(hret, years)),
        usd(fin - hodl),
        frac(metrics::max_drawdown(&r.series.value)),
        frac(metrics::max_drawdown(&r.series.hodl_value)),
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
        if c.steps_with_range > 0 {
            frac(c.steps_in_range as f64 / c.steps_with_range as f64)
        } else {
            String::new()
        },
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

/// One run's per-step series as CSV bytes.
pub fn series_csv(o: &RunOutput) -> std::io::Result<Vec<u8>> {
    let mut header: Vec<String> = ["timestamp", "value_usd", "hodl_value_usd"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    header.extend(BUCKETS.iter().map(|b| format!("{b}_usd")));
    header.push("allocation".into());
    let r = &o.result;
    let rows = (0..r.grid.len()).map(|i| {
        let mut row = vec![
            format_ts(r.grid.at(i)),
            usd(r.series.value[i]),
            usd(r.series.hodl_value[i]),
        ];
        row.extend(r.series.buckets[i].iter().map(|x| usd(*x)));
        row.push(r.series.allocation[i].clone());
        row
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

/// Writes the report folder.
pub fn write_run_report(outputs: &[RunOutput], dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("series"))?;
    for o in outputs {
        write_atomic(
            &dir.join("series").join(format!("{}.csv", o.spec.name)),
            &series_csv(o)?,
        )?;
    }
    write_atomic(&dir.join("events.csv"), &events_csv(outputs)?)?;
    write_atomic(&dir.join("summary.csv"), &summary_csv(outputs)?)
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
        let years = metrics::years(r.grid.end() - r.grid.start);
        let ret = metrics::total_return(r.capital, r.final_value());
        let a = r.attribution;
        let _ = writeln!(
            t,
            "{:<28} {:>14.2} {:>9.2} {:>12.2} {:>12.2} {:>12.2} {:>12.2} {:>11.2} {:>11.2}",
            o.spec.name,
            r.final_value(),
            100.0 * metrics::apy(ret, years),
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
