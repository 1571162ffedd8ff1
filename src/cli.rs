//! The command line: clap parses and checks flags before any I/O, each command makes
//! one library call, and errors become exit codes in one place:
//! 0 success, 1 a failure of ours or of the machine (e.g. a write failed),
//! 2 bad input (a flag, a manifest, a data file) — with a message that names it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::data::synth::{self, SynthParams};
use crate::data::{check, DataError, Dataset};

#[derive(Debug, Parser)]
#[command(
    name = "yieldlab",
    version,
    about = "Backtest DeFi yield strategies net of gas, slippage, vault fees and impermanent loss",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work with datasets: validate them, generate the synthetic one.
    #[command(subcommand)]
    Data(DataCommand),
    /// Run strategy files and write a report folder (summary, timeseries, attribution and
    /// events CSV; --parquet adds Parquet).
    Run(RunArgs),
    /// Run strategies on the same data side by side and write report.html (self-contained),
    /// report.md, PNG/SVG charts and the CSV tables.
    Compare(RunArgs),
    /// Reconcile the engine's fee model with on-chain fee growth (Uniswap v3 pools of the
    /// shared real data) and write the error per pool and month.
    Validate(ValidateArgs),
    /// Protocol math calculator: one JSON request per line on stdin, one JSON answer per
    /// line on stdout (see README, "yieldlab quote").
    Quote,
    /// Print a shell completion script: yieldlab completions bash > ~/.local/share/bash-completion/completions/yieldlab
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Load and validate a dataset; print one line per series (rows, range, step, gaps,
    /// missing values).
    Check(CheckArgs),
    /// Generate the seeded synthetic dataset (the embedded default in data/).
    Synth(SynthArgs),
    /// Fetch data from a public source into a folder: a CSV file and a ready
    /// manifest.toml (resumable: start the same command again after a failure).
    #[command(subcommand)]
    Fetch(FetchCommand),
}

/// Request pacing, retries and the output folder, shared by every source.
#[derive(Debug, Args)]
pub struct FetchCommon {
    /// Output folder (the CSV and manifest.toml).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Most requests per second.
    #[arg(long, value_name = "N", default_value_t = 2.0)]
    pub rate: f64,
    /// Retries of a request answered 429 or 5xx, or not answered (waiting as
    /// Retry-After says, else twice as long each time).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub retries: u32,
    /// Seconds before a request is given up.
    #[arg(long, value_name = "S", default_value_t = 60)]
    pub timeout: u64,
    /// Write into an --out folder that holds files yieldlab did not write (they are kept).
    #[arg(long)]
    pub force: bool,
}

/// The period and chain of a fetched series.
#[derive(Debug, Args)]
pub struct FetchPeriod {
    /// First day (e.g. 2023-01-01).
    #[arg(long, value_name = "DATE")]
    pub start: String,
    /// Last day.
    #[arg(long, value_name = "DATE")]
    pub end: String,
    /// The chain the series belongs to (its name in the manifest).
    #[arg(long, value_name = "NAME", default_value = "ethereum")]
    pub chain: String,
}

#[derive(Debug, Subcommand)]
pub enum FetchCommand {
    /// DefiLlama yields: /pools and /chart/{pool} (tvlUsd, apy, apyBase, apyReward).
    Defillama {
        /// A pool's DefiLlama uuid (repeat for more).
        #[arg(long = "pool", value_name = "UUID", required = true)]
        pools: Vec<String>,
        /// The pools' kind (constant_product, concentrated, stableswap); default: from
        /// their project's name where it says.
        #[arg(long, value_name = "KIND")]
        kind: Option<String>,
        #[arg(long, value_name = "URL", default_value = "https://yields.llama.fi")]
        base_url: String,
        #[command(flatten)]
        common: FetchCommon,
    },
    /// A Uniswap v3 subgraph (The Graph or any endpoint of its schema): poolDayDatas or
    /// poolHourDatas of one pool.
    Subgraph {
        /// The GraphQL endpoint.
        #[arg(long, value_name = "URL")]
        url: String,
        /// API key, sent as `Authorization: Bearer <key>` (or set THEGRAPH_API_KEY).
        #[arg(
            long,
            value_name = "KEY",
            env = "THEGRAPH_API_KEY",
            hide_env_values = true
        )]
        key: Option<String>,
        /// The pool's address.
        #[arg(long, value_name = "ADDRESS")]
        pool: String,
        /// Hourly bars (poolHourDatas) instead of daily.
        #[arg(long)]
        hourly: bool,
        #[command(flatten)]
        period: FetchPeriod,
        /// The series id in the manifest (default univ3_<token0>_<token1>_<fee tier>).
        #[arg(long, value_name = "ID")]
        id: Option<String>,
        #[command(flatten)]
        common: FetchCommon,
    },
    /// An Etherscan-style daily average gas price (module=stats&action=dailyavggasprice).
    Etherscan {
        /// API key (or set ETHERSCAN_API_KEY).
        #[arg(
            long,
            value_name = "KEY",
            env = "ETHERSCAN_API_KEY",
            hide_env_values = true
        )]
        key: String,
        #[arg(
            long,
            value_name = "URL",
            default_value = "https://api.etherscan.io/api"
        )]
        base_url: String,
        #[command(flatten)]
        period: FetchPeriod,
        #[command(flatten)]
        common: FetchCommon,
    },
}

fn fetch(cmd: FetchCommand, out: &mut dyn std::io::Write) -> Result<(), Failure> {
    use crate::data::fetch::{self, Client, FetchOptions};
    let fail = Failure::from;
    let date = |flag: &str, s: &str| {
        crate::units::parse_datetime(s)
            .ok_or_else(|| Failure::Input(format!("--{flag} '{s}': not a date (e.g. 2023-01-31)")))
    };
    let options = |c: &FetchCommon| FetchOptions {
        out: c.out.clone(),
        rate: c.rate,
        retries: c.retries,
        timeout: std::time::Duration::from_secs(c.timeout.clamp(1, 3600)),
        force: c.force,
    };
    let (fetched, client, opts) = match cmd {
        FetchCommand::Defillama {
            pools,
            kind,
            base_url,
            common,
        } => {
            let kind = kind
                .map(|k| crate::market::PoolKind::parse_amm(&k).map_err(Failure::Input))
                .transpose()?;
            let opts = options(&common);
            let mut c = Client::new(opts.clone()).map_err(fail)?;
            let f = fetch::defillama(&mut c, &base_url, &pools, kind).map_err(fail)?;
            (f, c, opts)
        }
        FetchCommand::Subgraph {
            url,
            key,
            pool,
            hourly,
            period,
            id,
            common,
        } => {
            let opts = options(&common);
            let mut c = Client::new(opts.clone()).map_err(fail)?;
            let r = fetch::SubgraphRequest {
                url: &url,
                key: key.as_deref(),
                pool: &pool,
                hourly,
                start: date("start", &period.start)?,
                end: date("end", &period.end)?,
                chain: &period.chain,
                id: id.as_deref(),
            };
            let f = fetch::subgraph(&mut c, &r).map_err(fail)?;
            (f, c, opts)
        }
        FetchCommand::Etherscan {
            key,
            base_url,
            period,
            common,
        } => {
            let opts = options(&common);
            let mut c = Client::new(opts.clone()).map_err(fail)?;
            let f = fetch::etherscan(
                &mut c,
                &base_url,
                &key,
                &period.chain,
                date("start", &period.start)?,
                date("end", &period.end)?,
            )
            .map_err(fail)?;
            (f, c, opts)
        }
    };
    fetch::write(&fetched, &opts).map_err(fail)?;
    writeln!(out, "{}", fetch::summary(&fetched, &client, &opts.out))
        .map_err(|e| Failure::Machine(e.to_string()))
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Strategy files (strategies/*.toml).
    #[arg(required = true)]
    pub strategies: Vec<PathBuf>,
    /// Folder with the data files, overriding each strategy's dataset folder
    /// (`--data` is the old name, kept as an alias).
    #[arg(long = "data-root", alias = "data", value_name = "DIR")]
    pub data_root: Option<PathBuf>,
    /// Report folder. Without --out the report goes to reports/latest, which each such
    /// run replaces; a report already in a folder given here is replaced only with --force.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace a report already in the --out folder.
    #[arg(long)]
    pub force: bool,
    /// Neither read nor write the run cache (<out>/.yieldlab-cache), which lets an
    /// interrupted run finish only what is missing when it is started again.
    #[arg(long)]
    pub no_cache: bool,
    /// Also write the tables as Parquet.
    #[arg(long)]
    pub parquet: bool,
    /// Which runs keep per-step series (timeseries.csv, charts): all, none, best:N;
    /// default all up to 50 runs, else best:10.
    #[arg(long, value_name = "POLICY")]
    pub series: Option<String>,
    /// Run only shard K of N (the runs whose index is K modulo N); tables are written
    /// as <table>.part-K-of-N.csv (and .parquet with --parquet).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Refuse invocations that expand to more runs than this.
    #[arg(long, value_name = "N", default_value_t = crate::batch::sweep::DEFAULT_MAX_RUNS as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_runs: u64,
    /// Print nothing on success: no progress, no summary table (errors and warnings
    /// still go to stderr).
    #[arg(long)]
    pub quiet: bool,
    /// How progress is shown on stderr: auto (a bar in a terminal, plain lines every
    /// 10 s elsewhere, e.g. cluster logs), bar, lines or off.
    #[arg(long, value_name = "MODE", default_value = "auto",
          value_parser = ["auto", "bar", "lines", "off"])]
    pub progress: String,
}

fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("--shard '{s}': write K/N, e.g. 0/8"))?;
    let k: usize = k
        .trim()
        .parse()
        .map_err(|_| format!("--shard '{s}': K must be a whole number"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("--shard '{s}': N must be a whole number"))?;
    if n == 0 || k >= n {
        return Err(format!("--shard '{s}': need 0 <= K < N"));
    }
    Ok((k, n))
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The dataset's manifest.
    #[arg(long, value_name = "FILE", default_value = "data/shared/manifest.toml")]
    pub manifest: PathBuf,
    /// Folder with the data files.
    #[arg(long, value_name = "DIR", default_value = "../shared/data")]
    pub data_root: PathBuf,
    /// Output folder.
    #[arg(long, value_name = "DIR", default_value = "reports/validate")]
    pub out: PathBuf,
    /// Write into an --out folder that holds files yieldlab did not write (they are kept).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The dataset's manifest.toml.
    pub manifest: PathBuf,
    /// Folder that holds the data files (default: the manifest's folder).
    #[arg(long, value_name = "DIR")]
    pub data_root: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Folder to write the dataset into (created if needed; files are replaced atomically).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// A TOML file with generator parameters (see docs/synth.md); flags override it.
    #[arg(long, value_name = "FILE")]
    pub params: Option<PathBuf>,
    /// Seed of every random stream.
    #[arg(long)]
    pub seed: Option<u64>,
    /// First day, YYYY-MM-DD (UTC).
    #[arg(long)]
    pub start: Option<String>,
    /// Number of days.
    #[arg(long)]
    pub days: Option<u32>,
}

/// Why a command failed. Its exit code is decided here and only here (`code`); every
/// library error becomes one through the `From` impls below.
#[derive(Debug)]
pub enum Failure {
    /// Bad input (a flag, a manifest, a data or strategy file, a folder not ours to
    /// write), with a message that names it: exit code 2.
    Input(String),
    /// A failure of ours or of the machine (a write failed, a bug): exit code 1.
    Machine(String),
}

impl Failure {
    pub fn code(&self) -> i32 {
        match self {
            Failure::Input(_) => 2,
            Failure::Machine(_) => 1,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Failure::Input(m) | Failure::Machine(m) => m,
        }
    }
}

impl From<DataError> for Failure {
    fn from(e: DataError) -> Self {
        match e {
            DataError::Io { .. } => Failure::Machine(e.to_string()),
            _ => Failure::Input(e.to_string()),
        }
    }
}

impl From<crate::batch::RunError> for Failure {
    fn from(e: crate::batch::RunError) -> Self {
        use crate::batch::RunError;
        match e {
            RunError::Data { ref source, .. } if matches!(**source, DataError::Io { .. }) => {
                Failure::Machine(e.to_string())
            }
            RunError::Cache { .. } | RunError::Internal(_) => Failure::Machine(e.to_string()),
            RunError::Spec(_) | RunError::Data { .. } | RunError::Engine { .. } => {
                Failure::Input(e.to_string())
            }
        }
    }
}

impl From<crate::data::fetch::FetchError> for Failure {
    fn from(e: crate::data::fetch::FetchError) -> Self {
        use crate::data::fetch::FetchError;
        match e {
            FetchError::Source(m) | FetchError::Out(crate::io::OutError::Refused(m)) => {
                Failure::Input(m)
            }
            FetchError::Io(m) => Failure::Machine(m),
            FetchError::Out(e) => Failure::Machine(e.to_string()),
        }
    }
}

impl From<crate::pipeline::PipelineError> for Failure {
    fn from(e: crate::pipeline::PipelineError) -> Self {
        use crate::pipeline::PipelineError;
        match e {
            PipelineError::Input(m) => Failure::Input(m),
            PipelineError::Write(m) => Failure::Machine(m),
            PipelineError::Run(e) => e.into(),
        }
    }
}

/// An output folder's error, with the folder named for a write that failed.
fn out_failure<'a>(
    dir: &'a std::path::Path,
    what: &'a str,
) -> impl Fn(crate::io::OutError) -> Failure + 'a {
    move |e| match e {
        crate::io::OutError::Refused(m) => Failure::Input(m),
        e => Failure::Machine(format!("{}: cannot write {what}: {e}", dir.display())),
    }
}

/// Runs a parsed command, writing its report to `out`.
pub fn execute(cli: Cli, out: &mut dyn std::io::Write) -> Result<(), Failure> {
    match cli.command {
        Command::Data(DataCommand::Check(a)) => {
            let ds = Dataset::load(&a.manifest, a.data_root.as_deref())?;
            write!(out, "{}", check::render(&ds))
                .map_err(|e| Failure::Machine(format!("cannot write the report: {e}")))
        }
        Command::Run(a) => run_and_write(a, false, out),
        Command::Compare(a) => run_and_write(a, true, out),
        Command::Validate(a) => validate(a, out),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "yieldlab", &mut script);
            out.write_all(&script)
                .map_err(|e| Failure::Machine(format!("cannot write the completion script: {e}")))
        }
        Command::Quote => {
            let stdin = std::io::stdin();
            crate::quote::run(stdin.lock(), out).map_err(|e| {
                Failure::Machine(format!("quote: cannot read stdin or write stdout: {e}"))
            })
        }
        Command::Data(DataCommand::Fetch(cmd)) => fetch(cmd, out),
        Command::Data(DataCommand::Synth(a)) => synth_command(a, out),
    }
}

/// `yieldlab validate`: the checks' files and report, and their headline table.
fn validate(a: ValidateArgs, out: &mut dyn std::io::Write) -> Result<(), Failure> {
    let ds = Dataset::load(&a.manifest, Some(&a.data_root))?;
    if crate::validate::fee_growth(&ds).is_empty() {
        return Err(Failure::Input(format!(
            "{}: nothing to check: no concentrated pool with fee_growth_global0/1, liquidity and tick series, which `validate` reconciles with the fee model; give a dataset that has them (data/shared/manifest.toml)",
            a.manifest.display()
        )));
    }
    let claim = crate::io::Claim {
        replace: true,
        foreign_ok: a.force,
        force_flag: "--force",
        ..Default::default()
    };
    let target =
        crate::io::OutDir::claim(&a.out, &claim).map_err(out_failure(&a.out, "the report"))?;
    let (checks, acc) = crate::validate::write_all(&ds, target.staging())
        .map_err(|e| Failure::Machine(format!("{}: cannot write: {e}", a.out.display())))?;
    // Everything of an earlier validate run that this one did not write again.
    target
        .commit(|_| true)
        .map_err(out_failure(&a.out, "the report"))?;
    let mut text = format!(
        "{:<28} {:>6} {:>16} {:>15} {:>22}\n",
        "pool", "months", "median |error| %", "worst |error| %", "fee_growth median %"
    );
    for p in &acc {
        text.push_str(&format!(
            "{:<28} {:>6} {:>16.2} {:>15.2} {:>22.2}\n",
            p.pool,
            p.months,
            100.0 * p.median_abs_error,
            100.0 * p.worst_abs_error,
            100.0 * p.median_abs_error_fee_growth
        ));
    }
    text.push_str(&format!(
        "\n{:<42} {:>8} {:>18} {:>18}\n",
        "check", "periods", "median |error|", "worst |error|"
    ));
    for c in &checks {
        text.push_str(&format!(
            "{:<42} {:>8} {:>18} {:>18}\n",
            c.check,
            c.periods,
            format!("{:.3e} {}", c.median, c.unit),
            format!("{:.3e} {}", c.worst, c.unit)
        ));
    }
    writeln!(
        out,
        "{text}fees vs on-chain fee growth: {} pool-months, median |error| {:.2} %; wrote {} (report.html)",
        checks[0].periods,
        checks[0].median,
        a.out.display()
    )
    .map_err(|e| Failure::Machine(e.to_string()))
}

/// `yieldlab data synth`: the generated dataset, written as a whole.
fn synth_command(a: SynthArgs, out: &mut dyn std::io::Write) -> Result<(), Failure> {
    let mut p = match &a.params {
        Some(path) => {
            let text = crate::io::read_input_text(path, crate::io::MAX_TEXT_BYTES)
                .map_err(|e| Failure::Input(format!("{}: cannot read: {e}", path.display())))?;
            toml::from_str::<SynthParams>(&text).map_err(|e| {
                Failure::Input(format!(
                    "{}: invalid parameters: {}",
                    path.display(),
                    e.to_string().trim_end()
                ))
            })?
        }
        None => SynthParams::default(),
    };
    if let Some(s) = a.seed {
        p.seed = s;
    }
    if let Some(s) = a.start {
        p.start = s;
    }
    if let Some(d) = a.days {
        p.days = d;
    }
    let generated = synth::generate(&p).map_err(|m| Failure::Input(format!("synth: {m}")))?;
    synth::write(&generated, &a.out).map_err(out_failure(&a.out, "the dataset"))?;
    writeln!(
        out,
        "wrote {} files to {} ({})",
        generated.files.len(),
        a.out.display(),
        p.command(&a.out.display().to_string())
    )
    .map_err(|e| Failure::Machine(e.to_string()))
}

fn run_and_write(a: RunArgs, report: bool, out: &mut dyn std::io::Write) -> Result<(), Failure> {
    let req = crate::pipeline::RunRequest {
        strategies: a.strategies.clone(),
        data_root: a.data_root.clone(),
        out: a.out.clone(),
        force: a.force,
        max_runs: usize::try_from(a.max_runs).unwrap_or(usize::MAX),
        shard: a
            .shard
            .as_deref()
            .map(parse_shard)
            .transpose()
            .map_err(Failure::Input)?,
        series: a
            .series
            .as_deref()
            .map(crate::run::SeriesPolicy::parse)
            .transpose()
            .map_err(Failure::Input)?,
        progress: if a.quiet {
            crate::batch::progress::Progress::Off
        } else {
            crate::batch::progress::Progress::parse(&a.progress).map_err(Failure::Input)?
        },
        parquet: a.parquet,
        report,
        no_cache: a.no_cache,
    };
    let s = crate::pipeline::run_and_write(&req)?;
    if !a.quiet {
        let text = String::from_utf8(crate::report::summary_table(&s.shown)).unwrap_or_default();
        let mut of = if s.total != s.runs + s.failed {
            format!(" (shard of {} runs)", s.total)
        } else {
            String::new()
        };
        if s.cache_hits > 0 {
            of.push_str(&format!(" ({} read from the run cache)", s.cache_hits));
        }
        writeln!(
            out,
            "{text}wrote {} run(s){of} to {}",
            s.runs,
            s.out_dir.display()
        )
        .map_err(|e| Failure::Machine(e.to_string()))?;
    }
    if s.failed > 0 {
        for f in &s.failures {
            eprintln!("failed run {f}");
        }
        let message = format!(
            "{} of {} run(s) failed; their rows in summary.csv carry the error",
            s.failed,
            s.failed + s.runs
        );
        if s.runs == 0 {
            return Err(Failure::Input(message));
        }
        eprintln!("warning: {message}");
    }
    Ok(())
}

/// The whole program: parse, run, map errors to exit codes.
pub fn main() -> i32 {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.len() == 1 {
        // Bare `yieldlab`: the help, on stdout, as a successful answer.
        use clap::CommandFactory;
        let mut cmd = Cli::command();
        return match cmd.print_long_help() {
            Ok(()) => 0,
            Err(_) => 1,
        };
    }
    if args.iter().any(|a| {
        let a = a.to_string_lossy();
        a == "--data" || a.starts_with("--data=")
    }) {
        eprintln!("note: --data is deprecated; use --data-root (the same flag on every command)");
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    match execute(cli, &mut lock) {
        Ok(()) => 0,
        Err(f) => {
            eprintln!("error: {}", f.message());
            f.code()
        }
    }
}
