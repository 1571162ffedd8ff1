//! `data check`: what a loaded dataset holds, one line per series: rows, first and last
//! timestamp, bar, gaps (and those longer than the carry limit, which alignment over
//! them would refuse), missing values and skipped rows.

use std::fmt::Write as _;

use super::load::{Dataset, RawSeries};
use crate::units::{format_duration, format_ts};

/// One series' facts, as `data check` prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesSummary {
    pub kind: String,
    pub id: String,
    pub file: String,
    pub rows: usize,
    pub first: String,
    pub last: String,
    pub bar: String,
    pub gaps: usize,
    pub largest_gap: String,
    pub gaps_over_limit: usize,
    pub carry_limit: String,
    pub missing: usize,
    pub skipped_rows: usize,
    pub fields: String,
}

pub fn summarize(s: &RawSeries) -> SeriesSummary {
    let gaps = s.gaps();
    let largest = gaps.iter().map(|(a, b)| b - a).max();
    // Across a gap (a, b) a level is carried for almost b - a: beyond the limit,
    // alignment over the gap is refused.
    let over = gaps.iter().filter(|(a, b)| b - a > s.carry_limit).count();
    SeriesSummary {
        kind: s.kind.to_string(),
        id: s.id.clone(),
        file: s.file.clone(),
        rows: s.ts.len(),
        first: format_ts(s.ts[0]),
        last: format_ts(s.ts.last().copied().unwrap_or_default()),
        bar: format_duration(s.bar),
        gaps: gaps.len(),
        largest_gap: largest.map(format_duration).unwrap_or_else(|| "-".into()),
        gaps_over_limit: over,
        carry_limit: format_duration(s.carry_limit),
        missing: s.fields.keys().map(|f| s.missing(*f)).sum(),
        skipped_rows: s.skipped_rows,
        fields: s
            .fields
            .keys()
            .map(|f| {
                if s.optional.contains(f) {
                    format!("{f}?")
                } else {
                    f.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// The whole `data check` text for a dataset.
pub fn render(ds: &Dataset) -> String {
    let rows: Vec<SeriesSummary> = ds.series.values().map(summarize).collect();
    let mut out = String::new();
    let total_rows: usize = ds.files.iter().map(|f| f.rows).sum();
    let total_bytes: u64 = ds.files.iter().map(|f| f.bytes).sum();
    let _ = writeln!(
        out,
        "dataset '{}': {} files, {} rows, {:.1} MB; {} series ({} pools, {} chains)",
        ds.name,
        ds.files.len(),
        total_rows,
        total_bytes as f64 / 1e6,
        rows.len(),
        ds.pools.len(),
        ds.chains.len()
    );
    series_table(&mut out, &rows);
    let over: usize = rows.iter().map(|r| r.gaps_over_limit).sum();
    if over > 0 {
        let _ = writeln!(
            out,
            "note: {over} gap(s) exceed their series' carry limit; a run whose range includes one is refused (pick another range or raise `carry_limit`)."
        );
    }
    outliers_note(&mut out, ds);
    if !ds.events.is_empty() || !ds.replays.is_empty() {
        for e in &ds.events {
            let _ = writeln!(
                out,
                "events: pool '{}' from {}{} (read by `yieldlab validate`)",
                e.pool,
                e.path,
                e.checkpoints
                    .as_ref()
                    .map(|c| format!(", checkpoints {}", c.path))
                    .unwrap_or_default()
            );
        }
        for r in &ds.replays {
            let _ = writeln!(
                out,
                "replay set: pool '{}': {} → {} → {}",
                r.pool, r.start, r.events, r.end
            );
        }
    }
    out
}

/// One aligned line per series.
fn series_table(out: &mut String, rows: &[SeriesSummary]) {
    let header = [
        "kind",
        "id",
        "rows",
        "first",
        "last",
        "bar",
        "gaps",
        "largest",
        "over_limit",
        "limit",
        "missing",
        "skipped",
        "fields",
    ];
    let table: Vec<[String; 13]> = rows
        .iter()
        .map(|r| {
            [
                r.kind.clone(),
                r.id.clone(),
                r.rows.to_string(),
                r.first.clone(),
                r.last.clone(),
                r.bar.clone(),
                r.gaps.to_string(),
                r.largest_gap.clone(),
                r.gaps_over_limit.to_string(),
                r.carry_limit.clone(),
                r.missing.to_string(),
                r.skipped_rows.to_string(),
                r.fields.clone(),
            ]
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in &table {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        let mut l = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                l.push_str(c);
            } else {
                let _ = write!(l, "{c:<w$}  ");
            }
        }
        l.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(&header.map(String::from)));
    for r in &table {
        let _ = writeln!(out, "{}", line(r));
    }
}

/// Values that would distort fees or marks (`data::quality`), and the policy that
/// applies to them.
fn outliers_note(out: &mut String, ds: &Dataset) {
    let flagged: Vec<String> = ds
        .series
        .values()
        .flat_map(|s| {
            super::quality::outliers(s)
                .into_iter()
                .map(move |o| o.describe(s))
        })
        .collect();
    if !flagged.is_empty() {
        let policy = ds
            .outliers
            .map(|p| format!("the manifest's policy is \"{}\"", p.name()))
            .unwrap_or_else(|| "runs over them are refused unless the strategy file or the manifest states outliers = \"drop\" or \"keep\"".into());
        let _ = writeln!(
            out,
            "outliers: {} value(s) that would distort fees or marks ({policy}):",
            flagged.len()
        );
        for f in &flagged {
            let _ = writeln!(out, "  {f}");
        }
    }
}
