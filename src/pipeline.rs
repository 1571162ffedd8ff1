//! A `run` or `compare` invocation as one library call: expand the strategy files into
//! a plan, run it (through the run cache), write the report folder (atomically, beside
//! the other shards of a sweep), and return what was done. The CLI parses flags into a
//! `RunRequest` and maps a `PipelineError` to an exit code; a notebook or another
//! program calls `run_and_write` the same way.

use std::path::{Path, PathBuf};

use crate::batch::progress::Progress;
use crate::batch::{self, BatchOptions, RunError};
use crate::io::{Claim, OutDir, OutError};
use crate::run::{RunOutput, SeriesPolicy};

/// What to run and where to write it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRequest {
    /// Strategy files, or report folders whose `runs.txt` names them.
    pub strategies: Vec<PathBuf>,
    /// Overrides every strategy file's data root.
    pub data_root: Option<PathBuf>,
    /// The report folder (default `reports/latest`, replaced).
    pub out: Option<PathBuf>,
    /// Write into a folder that holds files yieldlab did not write, or another sweep's.
    pub force: bool,
    pub max_runs: usize,
    /// Run only shard `k` of `n` (`k` < `n`).
    pub shard: Option<(usize, usize)>,
    /// Which runs keep their series (default: all up to 50 runs, else the best 10).
    pub series: Option<SeriesPolicy>,
    pub progress: Progress,
    pub parquet: bool,
    /// Charts and report.html / report.md (`compare`; not for a shard).
    pub report: bool,
    pub no_cache: bool,
}

/// What an invocation did.
#[derive(Debug)]
pub struct RunSummary {
    pub out_dir: PathBuf,
    /// Runs written, and of them failed (their summary rows carry the error).
    pub runs: usize,
    pub failed: usize,
    /// Runs of the whole plan, before sharding.
    pub total: usize,
    pub cache_hits: usize,
    /// The runs whose series were kept, up to 30, in run order (for a summary table).
    pub shown: Vec<RunOutput>,
    /// "name: error" of the failed runs, up to 10.
    pub failures: Vec<String>,
}

/// Why an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Bad input: strategy files, a report folder, flags, data.
    #[error("{0}")]
    Input(String),
    /// The report could not be written (the machine failed us).
    #[error("{0}")]
    Write(String),
    #[error(transparent)]
    Run(#[from] RunError),
}

/// The strategy files of `paths`: each file itself, each report folder the files its
/// `runs.txt` records.
fn strategy_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, PipelineError> {
    let mut files = Vec::new();
    for p in paths {
        if !p.is_dir() {
            files.push(p.clone());
            continue;
        }
        let list = crate::io::read_input_text(&p.join("runs.txt"), crate::io::MAX_TEXT_BYTES)
            .map_err(|e| {
                PipelineError::Input(format!(
                    "{}: not a yieldlab report folder (no runs.txt: {e}); give strategy files or a folder written by `yieldlab run` or `compare`",
                    p.display()
                ))
            })?;
        files.extend(
            list.lines()
                .filter(|l| !l.trim().is_empty())
                .map(PathBuf::from),
        );
    }
    Ok(files)
}

/// `runs.txt`: the strategy files run, by their full paths (the same for every shard).
fn runs_list(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|f| {
            std::fs::canonicalize(f)
                .unwrap_or_else(|_| f.clone())
                .display()
                .to_string()
                + "\n"
        })
        .collect()
}

/// Claims the report folder: a shard writes beside the other shards of its sweep, not
/// into another sweep's report.
fn claim_out(
    req: &RunRequest,
    out_dir: &Path,
    suffix: &str,
    list: &str,
) -> Result<OutDir, PipelineError> {
    let claim = Claim {
        key: suffix.to_string(),
        produces: crate::report::produced_names(suffix),
        replace: req.out.is_none() || req.force,
        foreign_ok: req.force,
        force_flag: "--force",
        adopt: Vec::new(),
    };
    let outdir = OutDir::claim(out_dir, &claim).map_err(|e| out_error(out_dir, e))?;
    if !suffix.is_empty() && !req.force {
        if let Ok(earlier) = std::fs::read_to_string(out_dir.join("runs.txt")) {
            if earlier != list {
                return Err(PipelineError::Input(format!(
                    "{}: holds the report of other strategy files (runs.txt); give each sweep its own --out, or pass --force",
                    out_dir.display()
                )));
            }
        }
    }
    Ok(outdir)
}

/// A write into the report folder that failed.
fn write_error(out_dir: &Path, e: impl std::fmt::Display) -> PipelineError {
    PipelineError::Write(format!(
        "{}: cannot write the report: {e}",
        out_dir.display()
    ))
}

fn out_error(out_dir: &Path, e: OutError) -> PipelineError {
    match e {
        OutError::Refused(m) => PipelineError::Input(m),
        e @ OutError::Io { .. } => write_error(out_dir, e),
    }
}

/// Runs `req`'s strategy files and writes their report folder.
pub fn run_and_write(req: &RunRequest) -> Result<RunSummary, PipelineError> {
    let files = strategy_files(&req.strategies)?;
    let opts = BatchOptions {
        data_root: req.data_root.clone(),
        max_runs: req.max_runs,
        shard: req.shard,
        series: req.series.unwrap_or(SeriesPolicy::All),
        progress: req.progress,
    };
    let mut plan = batch::plan(&files, &opts)?;
    let policy = req.series.unwrap_or(if plan.jobs.len() <= 50 {
        SeriesPolicy::All
    } else {
        SeriesPolicy::Best(10)
    });
    // Runs whose series are not all kept record only their value series; the kept ones
    // run again in full at the end (runs are deterministic).
    let light = policy != SeriesPolicy::All;
    plan.set_light(light);
    let out_dir = req
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports/latest"));
    let suffix = req
        .shard
        .map(|(k, n)| format!(".part-{k}-of-{n}"))
        .unwrap_or_default();
    let list = runs_list(&files);
    let outdir = claim_out(req, &out_dir, &suffix, &list)?;
    if !req.no_cache {
        let cache = batch::cache::RunCache::open(&out_dir, &suffix)
            .map_err(|e| write_error(&out_dir, format!("run cache: {e}")))?;
        plan.use_cache(
            cache,
            batch::cache::build_id(),
            out_dir.join(batch::cache::CACHE_DIR),
        );
    }
    let (runs, failed, failures, kept) =
        write_report(req, &plan, (&outdir, &out_dir), policy, light)?;
    plan.prune_cache();
    crate::io::write_atomic(&outdir.staging().join("runs.txt"), list.as_bytes())
        .map_err(|e| write_error(&out_dir, e))?;
    outdir
        .commit(|n| crate::report::is_report_output(n, &suffix))
        .map_err(|e| out_error(&out_dir, e))?;
    if req.progress.resolved() != Progress::Off {
        eprintln!("progress: report complete in {}", out_dir.display());
    }
    Ok(RunSummary {
        out_dir,
        runs,
        failed,
        total: plan.total,
        cache_hits: plan.cache_hits(),
        shown: kept.into_iter().take(30).collect(),
        failures,
    })
}

/// Runs written, runs failed, up to 10 "name: error", and the kept runs' outputs.
type Written = (usize, usize, Vec<String>, Vec<RunOutput>);

/// The runs, written into the report folder's staging area as they finish: the
/// tables, then the series of the kept runs, Parquet and charts.
fn write_report(
    req: &RunRequest,
    plan: &batch::Plan,
    (outdir, out_dir): (&OutDir, &Path),
    policy: SeriesPolicy,
    light: bool,
) -> Result<Written, PipelineError> {
    let wopts = crate::report::WriteOptions {
        parquet: req.parquet,
        report: req.report && req.shard.is_none(),
    };
    let mut writer = crate::report::ReportWriter::new(
        outdir.staging(),
        wopts,
        plan.params.clone(),
        policy,
        req.shard,
    )
    .map_err(|e| write_error(out_dir, e))?;
    let mut write_err = None;
    let mut failures: Vec<String> = Vec::new();
    plan.run_records(
        req.progress,
        !light,
        &crate::report::Rows,
        |record, output| {
            if let Some(e) = record.error() {
                if failures.len() < 10 {
                    failures.push(format!("{}: {e}", record.name()));
                }
            }
            if let Err(e) = writer.push_record(&record, output) {
                write_err.get_or_insert(e.to_string());
            }
            Ok(())
        },
    )?;
    if let Some(e) = write_err {
        return Err(write_error(out_dir, e));
    }
    let (runs, failed) = (writer.runs, writer.failed);
    // The writes after the last run (series of the kept runs, Parquet, charts) can take
    // a while: say so wherever progress is shown.
    let phases = req.progress.resolved() != Progress::Off;
    if phases {
        eprintln!(
            "progress: writing the report to {} (tables, series, charts)",
            out_dir.display()
        );
    }
    let kept = writer
        .finish_with(|index| plan.rerun_full(index).map_err(|e| e.to_string().into()))
        .map_err(|e| write_error(out_dir, e))?;
    Ok((runs, failed, failures, kept))
}
