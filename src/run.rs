//! What a run gives, below both `batch` (which makes it) and `report` (which renders
//! it): the run's output with what it ran on, a failed run, the record the report keeps
//! of each run (and the run cache stores), the swept parameters' column kinds, and which
//! runs keep their series. Nothing here runs or writes anything.

use rust_decimal::Decimal;

use crate::data::align::AlignReport;
use crate::engine::RunResult;
use crate::strategy::RunSpec;
use crate::units::decimal_text;

/// A finished run with what it ran on.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// Position of the run in the invocation (over every file's expansion).
    pub index: usize,
    /// Swept parameter values (path, value); empty for a plain file.
    pub params: Vec<(String, String)>,
    /// A hash of the run's resolved strategy file.
    pub spec_hash: String,
    pub spec: RunSpec,
    pub dataset: String,
    /// The dataset's files (as its manifest names them) and the series the run used.
    pub data_files: Vec<String>,
    /// Chains the run's pools are on (for the report's gas assumptions).
    pub chains: Vec<String>,
    pub series: Vec<String>,
    pub align: AlignReport,
    pub result: RunResult,
    /// "Just lend the stablecoin": the capital supplied to the dataset's stablecoin
    /// lending market over the run's period, or why there is none.
    pub lend_baseline: Result<LendBaseline, String>,
}

/// The lending baseline of a run: its capital supplied at a stablecoin lending
/// market's supply rate over the run's grid (per-second compounding, as the engine's
/// lending positions; no gas, no price moves of the stablecoin).
#[derive(Debug, Clone, PartialEq)]
pub struct LendBaseline {
    pub market: String,
    pub final_value: f64,
}

/// A run that could not finish (a numeric failure), reported in the summary.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedRun {
    pub index: usize,
    pub name: String,
    pub kind: &'static str,
    pub params: Vec<(String, String)>,
    pub spec_hash: String,
    /// What failed, naming the step and the pool.
    pub message: String,
}

/// Which runs keep their per-step series (for timeseries.csv and charts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesPolicy {
    All,
    None,
    /// The N runs with the highest final value (ties to the lower index).
    Best(usize),
}

impl SeriesPolicy {
    pub fn parse(s: &str) -> Result<SeriesPolicy, String> {
        match s {
            "all" => Ok(SeriesPolicy::All),
            "none" => Ok(SeriesPolicy::None),
            _ => s
                .strip_prefix("best:")
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| *n > 0)
                .map(SeriesPolicy::Best)
                .ok_or_else(|| format!("--series '{s}': use all, none or best:N (N > 0)")),
        }
    }
}

/// What the values of a swept parameter are, over the whole sweep (every shard sees
/// the same, so every shard writes the same column types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// Every value a whole number.
    Int,
    /// Every value a number, some with a fraction: written with a decimal point.
    Float,
    Bool,
    /// Every value a duration (`30m`, `1d`): written as given, plus a
    /// `param_seconds:<path>` column of seconds that sorts and computes.
    Duration,
    Text,
}

/// A swept parameter's summary column(s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamColumn {
    pub path: String,
    pub kind: ParamKind,
}

impl ParamColumn {
    /// The kind of a parameter from all its values (empty ones ignored).
    pub fn infer<'a>(path: &str, values: impl IntoIterator<Item = &'a str>) -> ParamColumn {
        let values: Vec<&str> = values.into_iter().filter(|v| !v.is_empty()).collect();
        let all = |f: &dyn Fn(&str) -> bool| !values.is_empty() && values.iter().all(|v| f(v));
        let number = |v: &str| v.parse::<f64>().is_ok_and(f64::is_finite);
        let kind = if all(&|v| v.parse::<i64>().is_ok()) {
            ParamKind::Int
        } else if all(&number) {
            ParamKind::Float
        } else if all(&|v| v == "true" || v == "false") {
            ParamKind::Bool
        } else if all(&|v| !number(v) && crate::units::parse_duration(v).is_ok()) {
            ParamKind::Duration
        } else {
            ParamKind::Text
        };
        ParamColumn {
            path: path.to_string(),
            kind,
        }
    }

    /// The kinds of the parameters of some runs, in first-seen order.
    pub fn of_runs<'a>(
        runs: impl IntoIterator<Item = &'a [(String, String)]> + Clone,
    ) -> Vec<ParamColumn> {
        let mut paths: Vec<&str> = Vec::new();
        for r in runs.clone() {
            for (p, _) in r {
                if !paths.contains(&p.as_str()) {
                    paths.push(p);
                }
            }
        }
        paths
            .into_iter()
            .map(|p| {
                let values = runs
                    .clone()
                    .into_iter()
                    .flat_map(|r| r.iter().filter(|x| x.0 == p).map(|x| x.1.as_str()));
                ParamColumn::infer(p, values)
            })
            .collect()
    }

    pub fn column(&self) -> String {
        format!("param:{}", self.path)
    }

    /// `param_seconds:<path>` for a duration parameter.
    pub fn seconds_column(&self) -> Option<String> {
        (self.kind == ParamKind::Duration).then(|| format!("param_seconds:{}", self.path))
    }

    /// The cells of a run's value (`None`: the run has no such parameter).
    fn cells(&self, value: Option<&str>, row: &mut Vec<String>) {
        let v = value.unwrap_or("");
        row.push(match self.kind {
            ParamKind::Float if !v.is_empty() => v
                .parse::<f64>()
                .ok()
                .and_then(Decimal::from_f64_retain)
                .map(decimal_text)
                .unwrap_or_else(|| v.to_string()),
            _ => v.to_string(),
        });
        if self.kind == ParamKind::Duration {
            row.push(
                crate::units::parse_duration(v)
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
            );
        }
    }
}

/// What the report keeps of one run, formatted once (in the worker that ran it): its
/// summary row up to the parameter columns, its attribution and event rows, and the
/// figures the sweep charts, distributions and best-N selection need. It is what the run
/// cache stores (`batch::cache`), so a run read back from the cache writes the same bytes.
/// `report` formats it (`Records`); `batch` makes one per run in the worker.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunRecord {
    pub index: usize,
    /// The fixed columns, `spec_hash` and `error`.
    pub summary: Vec<String>,
    pub params: Vec<(String, String)>,
    pub attribution: Vec<Vec<String>>,
    pub events: Vec<Vec<String>>,
    /// APY, final value, max drawdown as IEEE-754 bits (exact through JSON, NaN included).
    figures: [u64; 3],
    pub failed: bool,
}

impl RunRecord {
    /// A record from its parts: the summary's fixed columns (then `spec_hash` and
    /// `error`), the run's parameters, its attribution and event rows, and its APY,
    /// final value and max drawdown.
    pub fn new(
        index: usize,
        summary: Vec<String>,
        params: Vec<(String, String)>,
        attribution: Vec<Vec<String>>,
        events: Vec<Vec<String>>,
        figures: [f64; 3],
        failed: bool,
    ) -> RunRecord {
        RunRecord {
            index,
            summary,
            params,
            attribution,
            events,
            figures: figures.map(f64::to_bits),
            failed,
        }
    }

    /// The run's name.
    pub fn name(&self) -> &str {
        &self.summary[0]
    }

    /// What failed, for a failed run.
    pub fn error(&self) -> Option<&str> {
        self.failed
            .then(|| self.summary.last().map(String::as_str).unwrap_or(""))
    }

    pub fn apy(&self) -> f64 {
        f64::from_bits(self.figures[0])
    }

    pub fn final_value(&self) -> f64 {
        f64::from_bits(self.figures[1])
    }

    pub fn max_drawdown(&self) -> f64 {
        f64::from_bits(self.figures[2])
    }

    /// The full summary row with the values of `params` (empty where the run has none).
    pub fn summary_row(&self, params: &[ParamColumn]) -> Vec<String> {
        let mut row = self.summary.clone();
        for p in params {
            let value = self.params.iter().find(|x| x.0 == p.path);
            p.cells(value.map(|x| x.1.as_str()), &mut row);
        }
        row
    }
}

/// How a run becomes its record: `report` formats one (`report::Rows`); `batch` calls it
/// in the worker that made the run, so formatting runs in parallel.
pub trait Records: Sync {
    /// Names the format in the run cache's keys: records of different formats are
    /// different entries.
    fn id(&self) -> &'static str;
    /// The record of a finished run.
    fn of(&self, o: &RunOutput) -> RunRecord;
    /// The record of a run that failed: its summary row with the error.
    fn failed(&self, f: &FailedRun) -> RunRecord;
}
