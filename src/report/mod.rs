//! Writing results: only writes, computes nothing that `metrics` should own. Every file
//! is written whole to a temporary name and renamed (`io::write_atomic`).
//!
//! `summary.csv` (one row per run), `timeseries.csv` (one row per run and step),
//! `attribution.csv` (one row per run and component), `events.csv` (every discrete cash
//! flow), `schema.md` (every column), optionally the same tables as Parquet, and for
//! `compare` the charts, `report.html` and `report.md`. Formats: docs/outputs.md.

use std::path::{Path, PathBuf};

use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;

use crate::engine::{Bucket, BUCKETS};
use crate::io::write_atomic;
use crate::metrics;
use crate::run::{FailedRun, ParamColumn, RunOutput, RunRecord, SeriesPolicy};
use crate::units::{decimal_text, format_ts};

/// USD figures: rounded half-even to 6 decimals. Fractions: to 10 decimals. Both are
/// always written with a decimal point (`0.0`, `100000.0`), so that CSV readers that
/// infer types (pandas, polars, DuckDB) read every money and ratio column as floats,
/// whatever its values, and the Parquet tables made from them have one schema.
fn usd(x: f64) -> String {
    decimal_text(crate::engine::ledger::usd(x))
}

fn frac(x: f64) -> String {
    Decimal::from_f64(x)
        .map(|d| decimal_text(d.round_dp(10)))
        .unwrap_or_else(|| "NaN".into())
}

/// An undefined figure (a ratio whose denominator is zero) is an empty cell.
fn opt_frac(x: Option<f64>) -> String {
    x.map(frac).unwrap_or_default()
}

pub mod charts;
pub mod html;
pub mod parquet;

/// What a summary cell is written from: the run and its metrics.
struct Cells<'a> {
    o: &'a RunOutput,
    m: &'a metrics::RunMetrics,
}

/// How one summary cell is written.
type Cell = fn(&Cells<'_>) -> String;

/// The summary's columns before the registered metrics (`metrics::Measures`), each with
/// its cell: names and values in one list, so they cannot drift apart.
const HEAD: &[(&str, Cell)] = &[
    ("run", |c| c.o.spec.name.clone()),
    ("run_index", |c| c.o.index.to_string()),
    ("kind", |c| c.o.spec.params.kind().to_string()),
    ("dataset", |c| c.o.dataset.clone()),
    ("start", |c| format_ts(c.o.result.grid.start)),
    ("end", |c| format_ts(c.o.result.grid.end())),
    ("steps", |c| c.o.result.grid.len().to_string()),
    ("step_seconds", |c| c.o.result.grid.step.to_string()),
    ("capital_usd", |c| usd(c.o.result.capital)),
    ("final_value_usd", |c| usd(c.m.final_value)),
    ("net_pnl_usd", |c| usd(c.m.final_value - c.o.result.capital)),
    ("total_return", |c| frac(c.m.total_return)),
    ("apr", |c| frac(c.m.apr)),
    ("apy", |c| frac(c.m.apy)),
    ("hodl_final_value_usd", |c| usd(c.m.hodl_final)),
    ("hodl_return", |c| frac(c.m.hodl_return)),
    ("hodl_apy", |c| frac(c.m.hodl_apy)),
    ("vs_hodl_usd", |c| usd(c.m.final_value - c.m.hodl_final)),
    ("lend_baseline_market", |c| {
        c.o.lend_baseline
            .as_ref()
            .map(|b| b.market.clone())
            .unwrap_or_default()
    }),
    ("lend_baseline_final_usd", |c| {
        c.o.lend_baseline
            .as_ref()
            .map(|b| usd(b.final_value))
            .unwrap_or_default()
    }),
    ("lend_baseline_apy", |c| {
        c.o.lend_baseline
            .as_ref()
            .map(|b| {
                frac(metrics::apy(
                    metrics::total_return(c.o.result.capital, b.final_value),
                    c.m.years,
                ))
            })
            .unwrap_or_default()
    }),
    ("vs_lend_baseline_usd", |c| {
        c.o.lend_baseline
            .as_ref()
            .map(|b| usd(c.m.final_value - b.final_value))
            .unwrap_or_default()
    }),
    ("lend_baseline_note", |c| {
        c.o.lend_baseline
            .as_ref()
            .err()
            .cloned()
            .unwrap_or_default()
    }),
    ("liquidation_value_usd", |c| {
        c.m.liquidation_value.map(usd).unwrap_or_default()
    }),
    ("liquidation_apy", |c| opt_frac(c.m.liquidation_apy)),
    ("exit_gas_usd", |c| {
        c.o.result
            .exit
            .as_ref()
            .map(|e| usd(e.gas))
            .unwrap_or_default()
    }),
    ("exit_swap_costs_usd", |c| {
        c.o.result
            .exit
            .as_ref()
            .map(|e| usd(e.swaps))
            .unwrap_or_default()
    }),
    ("exit_note", |c| {
        c.o.result.exit.as_ref().err().cloned().unwrap_or_default()
    }),
];

/// The summary's columns after the attribution buckets (`<bucket>_usd`), with their cells.
const TAIL: &[(&str, Cell)] = &[
    ("deposits", |c| c.o.result.counts.deposits.to_string()),
    ("withdrawals", |c| c.o.result.counts.withdrawals.to_string()),
    ("claims", |c| c.o.result.counts.claims.to_string()),
    ("harvests", |c| c.o.result.counts.harvests.to_string()),
    ("rebalances", |c| c.o.result.counts.rebalances.to_string()),
    ("moves", |c| c.o.result.counts.moves.to_string()),
    ("swaps", |c| c.o.result.counts.swaps.to_string()),
    ("skipped_actions", |c| c.o.result.counts.skipped.to_string()),
    ("time_in_range", |c| {
        c.m.time_in_range.map(frac).unwrap_or_default()
    }),
    ("identity_error_usd", |c| usd(c.o.result.max_identity_error)),
    ("fee_model", |c| fee_model_cell(&c.o.result)),
    ("fee_model_steps", |c| fee_steps_cell(&c.o.result)),
    ("outliers_dropped", |c| {
        c.o.align.outliers_dropped.to_string()
    }),
    ("outliers_kept", |c| c.o.align.outliers_kept.to_string()),
    ("gas_paid_by", |c| c.o.result.gas_paid_by.name().to_string()),
    ("external_gas_usd", |c| usd(c.o.result.external_gas)),
];

/// The summary's fixed columns: `HEAD`, the registered metrics
/// (`metrics::Measures::COLUMNS`), one `<bucket>_usd` per attribution bucket, `TAIL`.
pub fn summary_columns() -> Vec<String> {
    let mut c: Vec<String> = HEAD.iter().map(|(n, _)| n.to_string()).collect();
    c.extend(
        metrics::Measures::COLUMNS
            .iter()
            .map(|(n, _)| n.to_string()),
    );
    c.extend(BUCKETS.iter().map(|b| format!("{b}_usd")));
    c.extend(TAIL.iter().map(|(n, _)| n.to_string()));
    c
}

/// The summary header: the fixed columns, `spec_hash`, `error`, then one
/// `param:<path>` column per swept parameter.
pub fn summary_header(params: &[ParamColumn]) -> Vec<String> {
    let mut c = summary_columns();
    c.push("spec_hash".into());
    c.push("error".into());
    for p in params {
        c.push(p.column());
        c.extend(p.seconds_column());
    }
    c
}

/// The report's records (`run::Records`): a run's summary row up to the parameter
/// columns, its attribution and event rows, and the figures sweeps and best-N need.
pub struct Rows;

impl crate::run::Records for Rows {
    fn id(&self) -> &'static str {
        "report"
    }

    fn of(&self, o: &RunOutput) -> RunRecord {
        let m = metrics::run_metrics(&o.result, 0.0);
        let mut summary = summary_fixed_with(o, &m);
        summary.push(o.spec_hash.clone());
        summary.push(String::new());
        RunRecord::new(
            o.index,
            summary,
            o.params.clone(),
            attribution_rows(o),
            events_rows(o),
            [m.apy, o.result.final_value(), m.max_drawdown],
            false,
        )
    }

    fn failed(&self, f: &FailedRun) -> RunRecord {
        // Name, index and kind; the figures empty; then hash and error.
        let mut summary = vec![String::new(); summary_columns().len()];
        summary[0] = f.name.clone();
        summary[1] = f.index.to_string();
        summary[2] = f.kind.to_string();
        summary.push(f.spec_hash.clone());
        summary.push(f.message.clone());
        RunRecord::new(
            f.index,
            summary,
            f.params.clone(),
            Vec::new(),
            Vec::new(),
            [f64::NAN; 3],
            true,
        )
    }
}

/// A run's name with its swept parameters, for charts and the verdict:
/// `sweep#3 (strategy.interval = 1d, capital_usd = 1000.0)`; the bare name without any.
pub fn run_label(o: &RunOutput) -> String {
    if o.params.is_empty() {
        return o.spec.name.clone();
    }
    let ps: Vec<String> = o.params.iter().map(|(p, v)| format!("{p} = {v}")).collect();
    format!("{} ({})", o.spec.name, ps.join(", "))
}

/// A run's name where space is short (a bar's label): a swept run by its parameters,
/// each by the last part of its path (`interval=1d, capital_usd=1000`; the name, shared
/// by the whole sweep, says nothing there), any other run by its name.
pub fn short_label(o: &RunOutput) -> String {
    if o.params.is_empty() {
        return o.spec.name.clone();
    }
    let ps: Vec<String> = o
        .params
        .iter()
        .map(|(p, v)| format!("{}={v}", p.rsplit('.').next().unwrap_or(p)))
        .collect();
    ps.join(", ")
}

/// The fixed summary columns of a run.
pub fn summary_fixed(o: &RunOutput) -> Vec<String> {
    summary_fixed_with(o, &metrics::run_metrics(&o.result, 0.0))
}

fn summary_fixed_with(o: &RunOutput, m: &metrics::RunMetrics) -> Vec<String> {
    let c = Cells { o, m };
    let mut row: Vec<String> = HEAD.iter().map(|(_, cell)| cell(&c)).collect();
    let units = metrics::Measures::COLUMNS.iter().map(|(_, unit)| *unit);
    row.extend(m.measures.values().into_iter().zip(units).map(|(v, unit)| {
        v.map(|x| match unit {
            metrics::Unit::Fraction => frac(x),
            metrics::Unit::Usd => usd(x),
        })
        .unwrap_or_default()
    }));
    row.extend(o.result.attribution.iter().map(|x| usd(*x)));
    row.extend(TAIL.iter().map(|(_, cell)| cell(&c)));
    row
}

/// The `fee_model` cell: the models the run's pools computed fees with, `+`-joined in
/// name order ("none" where the run held no liquidity or yield position).
pub fn fee_model_cell(r: &crate::engine::RunResult) -> String {
    let mut models: Vec<&str> = r.fee_models.iter().map(|f| f.model.as_str()).collect();
    models.sort_unstable();
    models.dedup();
    if models.is_empty() {
        "none".into()
    } else {
        models.join("+")
    }
}

/// The `fee_model_steps` cell: `pool:model=steps` for each pool and model that accrued
/// (position-steps), `;`-joined; shows where a fallback model was used.
pub fn fee_steps_cell(r: &crate::engine::RunResult) -> String {
    r.fee_models
        .iter()
        .flat_map(|f| {
            f.steps
                .iter()
                .map(move |(m, n)| format!("{}:{m}={n}", f.pool))
        })
        .collect::<Vec<_>>()
        .join(";")
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
    let params = param_columns(outputs);
    csv_text(
        &summary_header(&params),
        outputs
            .iter()
            .map(|o| crate::run::Records::of(&Rows, o).summary_row(&params)),
    )
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
            row.push(r.series.allocation_at(i).to_string());
            row
        })
    });
    csv_text(&header, rows)
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

pub fn attribution_header() -> Vec<String> {
    strings(&["run", "component", "usd", "share_of_capital"])
}

/// A run's final attribution, one row per component.
pub fn attribution_rows(o: &RunOutput) -> Vec<Vec<String>> {
    BUCKETS
        .iter()
        .zip(o.result.attribution)
        .map(|(b, v)| {
            vec![
                o.spec.name.clone(),
                b.to_string(),
                usd(v),
                frac(v / o.result.capital),
            ]
        })
        .collect()
}

/// Each run's final attribution as CSV bytes.
pub fn attribution_csv(outputs: &[RunOutput]) -> std::io::Result<Vec<u8>> {
    csv_text(
        &attribution_header(),
        outputs.iter().flat_map(attribution_rows),
    )
}

pub fn events_header() -> Vec<String> {
    strings(&[
        "run",
        "step",
        "timestamp",
        "action",
        "target",
        "amount_usd",
        "gas_usd",
        "swap_cost_usd",
        "vault_fee_usd",
        "note",
    ])
}

/// A run's ledger, one row per cash flow.
pub fn events_rows(o: &RunOutput) -> Vec<Vec<String>> {
    o.result
        .ledger
        .iter()
        .map(|e| {
            vec![
                o.spec.name.clone(),
                e.step.to_string(),
                format_ts(e.timestamp),
                e.action.to_string(),
                e.target.clone(),
                decimal_text(e.amount_usd),
                decimal_text(e.gas_usd),
                decimal_text(e.swap_cost_usd),
                decimal_text(e.vault_fee_usd),
                e.note.clone(),
            ]
        })
        .collect()
}

/// Every run's ledger as CSV bytes.
pub fn events_csv(outputs: &[RunOutput]) -> std::io::Result<Vec<u8>> {
    csv_text(&events_header(), outputs.iter().flat_map(events_rows))
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

use metrics::distribution::Sample;

/// A run whose series the policy keeps: its index, net APY (what `best:N` ranks by, so
/// a sweep over capital keeps the best-returning runs, not the largest), and its output
/// when the caller had it (else it is made again at the end).
struct Kept {
    index: usize,
    apy: f64,
    output: Option<RunOutput>,
}

/// The final names `yieldlab run`/`compare` may write in a report folder for tables with
/// `suffix` (`""`, or `.part-K-of-N` for a shard).
pub fn output_names(suffix: &str) -> Vec<String> {
    let mut v = Vec::new();
    for t in [
        "summary",
        "attribution",
        "events",
        "timeseries",
        "distribution",
    ] {
        v.push(format!("{t}{suffix}.csv"));
        v.push(format!("{t}{suffix}.parquet"));
    }
    if suffix.is_empty() {
        v.extend(["report.html", "report.md"].map(String::from));
    }
    v
}

/// Whether `name` (relative to a report folder) is an output of a write with table
/// suffix `suffix`: its tables, and for a whole report (no suffix) its pages and charts.
/// What a new write of that kind does not write again is removed as stale.
pub fn is_report_output(name: &str, suffix: &str) -> bool {
    produced_names(suffix).iter().any(|n| n == name)
        || (suffix.is_empty() && name.starts_with("charts/"))
}

/// The files a report write with `suffix` may not replace without `--force`: its
/// tables, and for a whole report its pages and runs.txt.
pub fn produced_names(suffix: &str) -> Vec<String> {
    let mut v = output_names(suffix);
    if suffix.is_empty() {
        v.push("runs.txt".into());
    }
    v
}

/// Writes a report folder as runs finish: summary, attribution and events rows are
/// streamed to temporary files and renamed into place at the end; per-step series,
/// charts and the HTML report are made only for the runs the series policy keeps.
pub struct ReportWriter {
    dir: PathBuf,
    opts: WriteOptions,
    params: Vec<ParamColumn>,
    suffix: String,
    tables: Vec<(&'static str, crate::io::table::TableFile)>,
    policy: SeriesPolicy,
    kept: Vec<Kept>,
    /// Every run's swept parameters and APY, for the sweep charts.
    pub points: Vec<(Vec<(String, String)>, f64)>,
    /// Runs that failed (rows with an error).
    pub failed: usize,
    /// Per bootstrap run: the other parameters → (APY, final value, max drawdown) of each sample.
    samples: Vec<Sample>,
    pub runs: usize,
}

impl ReportWriter {
    /// `params`: the swept parameter paths (summary columns); `shard`: name the files
    /// `<table>.part-K-of-N.csv`.
    pub fn new(
        dir: &Path,
        opts: WriteOptions,
        params: Vec<ParamColumn>,
        policy: SeriesPolicy,
        shard: Option<(usize, usize)>,
    ) -> std::io::Result<ReportWriter> {
        std::fs::create_dir_all(dir)?;
        let suffix = shard
            .map(|(k, n)| format!(".part-{k}-of-{n}"))
            .unwrap_or_default();
        let mut tables = Vec::new();
        let headers: [(&'static str, Vec<String>); 3] = [
            ("summary", summary_header(&params)),
            ("attribution", attribution_header()),
            ("events", events_header()),
        ];
        for (name, header) in headers {
            let file = format!("{name}{suffix}.csv");
            tables.push((
                name,
                crate::io::table::TableFile::create(dir, &file, &header)?,
            ));
        }
        Ok(ReportWriter {
            dir: dir.to_path_buf(),
            opts,
            params,
            suffix,
            tables,
            policy,
            kept: Vec::new(),
            points: Vec::new(),
            failed: 0,
            samples: Vec::new(),
            runs: 0,
        })
    }

    /// Records a failed run: a summary row with its error, nothing else.
    pub fn push_failed(&mut self, f: &FailedRun) -> std::io::Result<()> {
        self.push_record(&crate::run::Records::failed(&Rows, f), None)
    }

    /// Records a finished run (keeping its output if the policy keeps its series).
    pub fn push(&mut self, o: RunOutput) -> std::io::Result<()> {
        let r = crate::run::Records::of(&Rows, &o);
        self.push_record(&r, Some(o))
    }

    /// Records a run from its record; `output`, when given, is kept for the series if
    /// the policy keeps them (else the run is made again by `finish_with`).
    pub fn push_record(&mut self, r: &RunRecord, output: Option<RunOutput>) -> std::io::Result<()> {
        let summary = [r.summary_row(&self.params)];
        let rows: [&[Vec<String>]; 3] = [&summary, &r.attribution, &r.events];
        for ((_, t), rs) in self.tables.iter_mut().zip(rows) {
            for row in rs {
                t.write_record(row)?;
            }
        }
        if r.failed {
            self.failed += 1;
            return Ok(());
        }
        self.points.push((r.params.clone(), r.apy()));
        if r.params.iter().any(|p| p.0 == "bootstrap") {
            let base: Vec<(String, String)> = r
                .params
                .iter()
                .filter(|p| p.0 != "bootstrap")
                .cloned()
                .collect();
            self.samples
                .push((base, [r.apy(), r.final_value(), r.max_drawdown()]));
        }
        self.runs += 1;
        let apy = r.apy();
        let k = Kept {
            index: r.index,
            apy: crate::metrics::verdict::rank_key(apy),
            output,
        };
        match self.policy {
            SeriesPolicy::All => self.kept.push(k),
            SeriesPolicy::None => {}
            SeriesPolicy::Best(n) => {
                if self.kept.len() < n {
                    self.kept.push(k);
                } else if let Some(worst) = (0..self.kept.len()).min_by(|a, b| {
                    let (a, b) = (&self.kept[*a], &self.kept[*b]);
                    a.apy.total_cmp(&b.apy).then(b.index.cmp(&a.index))
                }) {
                    if k.apy > self.kept[worst].apy {
                        self.kept[worst] = k;
                    }
                }
            }
        }
        Ok(())
    }

    /// Closes the tables, renames them into place, writes the series, Parquet, schema,
    /// charts and reports; returns the runs whose series were kept, in run order.
    pub fn finish(self) -> Result<Vec<RunOutput>, Box<dyn std::error::Error>> {
        self.finish_with(|i| Err(format!("run {i}: its output was not kept").into()))
    }

    /// As `finish`; `full(index)` makes the complete output (with per-step series) of a
    /// kept run whose output was not handed to `push_record` (a light run, or one read
    /// from the run cache).
    pub fn finish_with(
        mut self,
        full: impl Fn(usize) -> Result<RunOutput, Box<dyn std::error::Error>>,
    ) -> Result<Vec<RunOutput>, Box<dyn std::error::Error>> {
        self.kept.sort_by_key(|k| k.index);
        let kept: Vec<RunOutput> = std::mem::take(&mut self.kept)
            .into_iter()
            .map(|k| match k.output {
                Some(o) => Ok(o),
                None => full(k.index),
            })
            .collect::<Result<_, _>>()?;
        for (name, t) in self.tables.drain(..) {
            let path = t.commit()?;
            if self.opts.parquet {
                let bytes = std::fs::read(&path)?;
                let file_name = format!("{name}{}.parquet", self.suffix);
                write_atomic(
                    &self.dir.join(&file_name),
                    &parquet::from_csv(&bytes, &self.params)?,
                )?;
            }
        }
        let ts = timeseries_csv(&kept)?;
        let put = |name: String, bytes: &[u8]| write_atomic(&self.dir.join(name), bytes);
        put(format!("timeseries{}.csv", self.suffix), &ts)?;
        if self.opts.parquet {
            put(
                format!("timeseries{}.parquet", self.suffix),
                &parquet::from_csv(&ts, &self.params)?,
            )?;
        }
        if !self.samples.is_empty() {
            let bytes = distribution_csv(&self.samples)?;
            put(format!("distribution{}.csv", self.suffix), &bytes)?;
            if self.opts.parquet {
                put(
                    format!("distribution{}.parquet", self.suffix),
                    &parquet::from_csv(&bytes, &[])?,
                )?;
            }
        }
        put("schema.md".into(), SCHEMA.as_bytes())?;
        if self.opts.report && !kept.is_empty() {
            let chart_dir = self.dir.join("charts");
            let mut charts = charts::all(&chart_dir, &kept)?;
            charts.extend(charts::sweep(&chart_dir, &self.points)?);
            put("report.html".into(), html::html(&kept, &charts).as_bytes())?;
            put(
                "report.md".into(),
                html::markdown(&kept, &charts).as_bytes(),
            )?;
        }
        Ok(kept)
    }
}

/// Writes a finished set of runs (all kept).
pub fn write(
    outputs: &[RunOutput],
    dir: &Path,
    opts: WriteOptions,
) -> Result<(), Box<dyn std::error::Error>> {
    let claim = crate::io::Claim {
        produces: produced_names(""),
        replace: true,
        force_flag: "--force",
        ..Default::default()
    };
    let out = crate::io::OutDir::claim(dir, &claim)?;
    let mut w = ReportWriter::new(
        out.staging(),
        opts,
        param_columns(outputs),
        SeriesPolicy::All,
        None,
    )?;
    for o in outputs {
        w.push(o.clone())?;
    }
    w.finish()?;
    out.commit(|n| is_report_output(n, ""))?;
    Ok(())
}

/// Bootstrap distributions (`metrics::distribution`): for each run setting (every
/// parameter but the sample), the 5th, 25th, 50th, 75th and 95th percentiles of APY,
/// final value and max drawdown.
fn distribution_csv(samples: &[Sample]) -> std::io::Result<Vec<u8>> {
    use metrics::distribution::{by_setting, FIGURES, QUANTILES};
    let mut header = strings(&["setting", "metric", "samples"]);
    header.extend(
        QUANTILES
            .iter()
            .map(|q| format!("p{:02}", (q * 100.0) as u32)),
    );
    let mut rows = Vec::new();
    for d in by_setting(samples) {
        let setting: Vec<String> = d.setting.iter().map(|(p, x)| format!("{p}={x}")).collect();
        for (m, name) in FIGURES.iter().enumerate() {
            let mut row = vec![setting.join(";"), name.to_string(), d.samples.to_string()];
            row.extend(
                d.quantiles[m]
                    .iter()
                    .map(|x| if m == 1 { usd(*x) } else { frac(*x) }),
            );
            rows.push(row);
        }
    }
    csv_text(&header, rows.into_iter())
}

/// The swept parameters of some runs, in first-seen order, with their kinds.
pub fn param_columns(outputs: &[RunOutput]) -> Vec<ParamColumn> {
    ParamColumn::of_runs(outputs.iter().map(|o| o.params.as_slice()))
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
            Bucket::ImpermanentLoss.of(&a),
            Bucket::Fees.of(&a),
            Bucket::Rewards.of(&a),
            Bucket::Gas.of(&a),
            Bucket::VaultFees.of(&a)
        );
    }
    t.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first cells of the rows of `## summary.csv`'s table in docs/outputs.md, split
    /// at commas: the columns the page describes.
    fn documented() -> Vec<String> {
        let section = SCHEMA
            .split("## summary.csv")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .unwrap_or_default();
        section
            .lines()
            .filter_map(|l| l.strip_prefix("| "))
            .filter_map(|l| l.split(" |").next())
            .flat_map(|cell| cell.split(',').map(|c| c.trim().to_string()))
            .collect()
    }

    #[test]
    fn every_summary_column_is_documented() {
        let docs = documented();
        assert!(docs.iter().any(|c| c == "sortino"), "{docs:?}");
        // The buckets are one row (`price_effect_usd … event_losses_usd`).
        let buckets: Vec<String> = BUCKETS.iter().map(|b| format!("{b}_usd")).collect();
        let missing: Vec<String> = summary_columns()
            .into_iter()
            .filter(|c| !buckets.contains(c) && !docs.contains(c))
            .collect();
        assert!(
            missing.is_empty(),
            "summary.csv columns without a row in docs/outputs.md's summary table: {missing:?}"
        );
    }

    #[test]
    fn registered_metrics_follow_head_in_registry_order() {
        let cols = summary_columns();
        let at = HEAD.len();
        for (k, (name, _)) in metrics::Measures::COLUMNS.iter().enumerate() {
            assert_eq!(cols[at + k], *name);
        }
        assert_eq!(
            cols[at + metrics::Measures::COLUMNS.len()],
            "price_effect_usd"
        );
    }
}
