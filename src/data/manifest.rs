//! Dataset manifests: a `manifest.toml` beside (or pointing at) the data files that
//! says what each file holds and how its columns map onto canonical fields, with
//! units, so an export is loaded as it is. See `docs/manifest.md` for the format.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::{suggest, DataError};
use crate::market::{Field, PoolKind, SeriesKind};
use crate::units::parse_duration;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub dataset: DatasetInfo,
    #[serde(default)]
    pub chains: Vec<ChainEntry>,
    #[serde(default)]
    pub pools: Vec<PoolEntry>,
    #[serde(default)]
    pub files: Vec<FileEntry>,
    /// Pool event files for the exact replay (`data::events`), read on demand.
    #[serde(default)]
    pub events: Vec<super::events::EventsEntry>,
    /// Snapshot → events → snapshot sets (`data::events::ReplayEntry`).
    #[serde(default)]
    pub replays: Vec<super::events::ReplayEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetInfo {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The command that regenerates the dataset, for generated datasets.
    #[serde(default)]
    pub generated_by: Option<String>,
    /// What runs do with values `data check` flags as outliers (data::quality):
    /// "error" (the default), "drop" or "keep". A strategy file's `outliers` wins.
    #[serde(default)]
    pub outliers: Option<super::quality::OutlierPolicy>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainEntry {
    pub name: String,
    /// Asset id of the gas token; a price series must provide it.
    pub native_asset: String,
}

/// Most decimals a token may declare (10^36 raw units still fit an f64's range with room).
pub const MAX_DECIMALS: u32 = 36;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolEntry {
    pub id: String,
    pub kind: PoolKind,
    pub chain: String,
    pub tokens: Vec<String>,
    #[serde(default)]
    pub decimals: Vec<u32>,
    /// Swap fee as a fraction: 0.003 = 0.30 %.
    #[serde(default)]
    pub fee: Option<f64>,
    #[serde(default)]
    pub amplification: Option<f64>,
    #[serde(default)]
    pub tick_spacing: Option<i32>,
    #[serde(default)]
    pub reward_token: Option<String>,
    /// Reward tokens emitted to the whole pool per day (when there is no apy_reward series).
    #[serde(default)]
    pub reward_per_day: Option<f64>,
    /// The pool's on-chain address (lower-case hex), to match it across datasets.
    #[serde(default)]
    pub address: Option<String>,
    /// A weighted pool's coin weights, in token order, summing to 1.
    #[serde(default)]
    pub weights: Option<Vec<f64>>,
}

impl PoolEntry {
    /// The entry's pool metadata.
    pub fn meta(&self) -> crate::pool::PoolMeta {
        crate::pool::PoolMeta {
            id: self.id.clone(),
            kind: self.kind,
            chain: self.chain.clone(),
            tokens: self.tokens.clone(),
            decimals: self.decimals.clone(),
            fee: self.fee,
            amplification: self.amplification,
            tick_spacing: self.tick_spacing,
            reward_token: self.reward_token.clone(),
            reward_per_day: self.reward_per_day,
            address: self.address.clone(),
            weights: self.weights.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    Csv,
    Parquet,
    /// A JSON file holding an array of records (objects), at the top level or under
    /// the key `records` names (DefiLlama's `{"status": …, "data": [...]}`: `records =
    /// "data"`). Every value is read as text, as in a CSV file.
    Json,
    /// A folder of per-day minute-bar CSVs in the layout of the Python peer backtester
    /// (demeter): `timestamp, netAmount0, netAmount1, closeTick, openTick, lowestTick,
    /// highestTick, inAmount0, inAmount1, currentLiquidity`; raw token amounts, ticks
    /// possibly written as `200311.0`. Price comes from `closeTick` and the pool's
    /// decimals, USD volume from the swapped-in amounts (see `usd_token`).
    PeerMinute,
    /// Trading Strategy's CLMM candles (`fetch_clmm_liquidity_provision_candles_by_pair_ids`):
    /// one Parquet file, possibly of several pairs, with `pair_id, bucket, open_tick,
    /// close_tick, high_tick, low_tick, current_liquidity, net_amount0, net_amount1,
    /// in_amount0, in_amount1`; the amounts and liquidity as `decimal256(76)` raw
    /// integers. Read like `peer_minute` (the same quantities under other names); `pair_id`
    /// picks the pair.
    ClmmCandles,
}

impl FileFormat {
    /// The candle layouts whose columns are fixed (no [files.columns]).
    pub fn is_candles(self) -> bool {
        matches!(self, FileFormat::PeerMinute | FileFormat::ClmmCandles)
    }

    /// The manifest's name for the format.
    pub fn name(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Parquet => "parquet",
            FileFormat::Json => "json",
            FileFormat::PeerMinute => "peer_minute",
            FileFormat::ClmmCandles => "clmm_candles",
        }
    }
}

/// When a row's level values (prices, TVL, rates) were known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ValuesAt {
    /// At the row's timestamp (snapshots, and averages that describe the bar starting there).
    #[default]
    Timestamp,
    /// At the close of the bar that starts at the timestamp (OHLC closes, end-of-day values):
    /// the value is used from `timestamp + bar` on, never earlier (no look-ahead).
    BarClose,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OnMissing {
    /// An empty value in a required column is an error.
    #[default]
    Error,
    /// Rows with an empty required value are dropped and counted in `data check`.
    SkipRow,
}

/// A column mapping: a plain column name, or a table with the unit and transforms.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ColumnSpec {
    Name(String),
    Full(ColumnDetail),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnDetail {
    pub column: String,
    /// See `Unit` for the names each field accepts.
    #[serde(default)]
    pub unit: Option<String>,
    /// Take 1/x (e.g. a price quoted the other way round). Applied first.
    #[serde(default)]
    pub invert: bool,
    /// Multiply by this after the unit conversion.
    #[serde(default)]
    pub scale: Option<f64>,
    /// Empty values are allowed and kept as missing; the field is then only
    /// available over ranges the data covers.
    #[serde(default)]
    pub optional: bool,
}

impl ColumnSpec {
    pub fn detail(&self) -> ColumnDetail {
        match self {
            ColumnSpec::Name(c) => ColumnDetail {
                column: c.clone(),
                unit: None,
                invert: false,
                scale: None,
                optional: false,
            },
            ColumnSpec::Full(d) => d.clone(),
        }
    }
}

/// Columns from which pool metadata is read in a long file with many pools.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolMetaColumns {
    pub kind: PoolKind,
    pub chain_column: String,
    pub token_columns: Vec<String>,
    #[serde(default)]
    pub fee_column: Option<String>,
    /// Unit of `fee_column`: `fraction`, `percent`, `bps`, or `uniswap` (hundredths of a bip).
    #[serde(default)]
    pub fee_unit: Option<String>,
    /// The column holding the pool's on-chain address: a yield-only pool whose address
    /// is a priced pool's of the dataset takes that pool's price (its exposure).
    #[serde(default)]
    pub address_column: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub path: String,
    pub kind: SeriesKind,
    #[serde(default)]
    pub format: Option<FileFormat>,
    /// Field separator of a CSV file, default ','.
    #[serde(default)]
    pub delimiter: Option<char>,
    /// A JSON file: the dotted key path of the array of records (`data`, `result.rows`);
    /// default: the file is the array.
    #[serde(default)]
    pub records: Option<String>,
    /// The series id, for a file that holds one series.
    #[serde(default)]
    pub id: Option<String>,
    /// The column that names the series, for a long file that holds many.
    #[serde(default)]
    pub id_column: Option<String>,
    /// Prefix put before ids read from `id_column` (e.g. "bybit:").
    #[serde(default)]
    pub id_prefix: Option<String>,
    /// The timestamp column (required except for `format = "peer_minute"`).
    #[serde(default)]
    pub timestamp: Option<ColumnSpec>,
    /// How the timestamp text is written, in chrono's strftime specifiers (e.g. Dune's
    /// `%Y-%m-%d %H:%M:%S%.f UTC`); default: ISO-8601 or unix seconds.
    #[serde(default)]
    pub timestamp_format: Option<String>,
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnSpec>,
    /// For `peer_minute` and `clmm_candles`: which token (0 or 1) is worth one dollar,
    /// to value volume.
    #[serde(default)]
    pub usd_token: Option<u8>,
    /// For `clmm_candles`: the pair whose rows to read (`pair_id` column), required when
    /// the file holds more than one.
    #[serde(default)]
    pub pair_id: Option<i64>,
    #[serde(default)]
    pub values_at: ValuesAt,
    /// The bar length (e.g. "1h", "1d"); default: the most common step in the data.
    #[serde(default)]
    pub bar: Option<String>,
    /// Longest time a level may be carried forward on alignment; default twice the bar.
    #[serde(default)]
    pub carry_limit: Option<String>,
    #[serde(default)]
    pub on_missing: OnMissing,
    #[serde(default)]
    pub pool_meta: Option<PoolMetaColumns>,
}

/// A unit conversion onto the canonical unit of a field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    /// Timestamps: unix seconds.
    UnixSeconds,
    /// Timestamps: unix milliseconds.
    UnixMillis,
    /// Timestamps: ISO-8601 text.
    Iso,
    /// Timestamps: numbers are unix seconds, text is ISO-8601.
    AutoTime,
    /// Multiply by the factor (fraction = 1, percent = 0.01, bps = 1e-4, ray = 1e-27,
    /// wei→gwei = 1e-9, x128 = 2^-128).
    Factor(f64),
}

impl Unit {
    /// Parses a unit name for a field; the error lists what the field accepts.
    pub fn for_field(field: Option<Field>, name: Option<&str>) -> Result<Unit, String> {
        let accepted: &[(&str, Unit)] = match field {
            None => &[
                ("auto", Unit::AutoTime),
                ("unix_s", Unit::UnixSeconds),
                ("unix_ms", Unit::UnixMillis),
                ("iso", Unit::Iso),
            ],
            Some(f) if f.is_rate() => &[
                ("fraction", Unit::Factor(1.0)),
                ("percent", Unit::Factor(0.01)),
                ("bps", Unit::Factor(1e-4)),
                ("ray", Unit::Factor(1e-27)),
            ],
            Some(Field::GasPriceGwei) => {
                &[("gwei", Unit::Factor(1.0)), ("wei", Unit::Factor(1e-9))]
            }
            Some(Field::FeeGrowthGlobal0 | Field::FeeGrowthGlobal1) => &[
                ("plain", Unit::Factor(1.0)),
                ("x128", Unit::Factor(2f64.powi(-128))),
            ],
            Some(_) => &[("plain", Unit::Factor(1.0))],
        };
        match name {
            None => Ok(accepted[0].1),
            Some(n) => accepted
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, u)| *u)
                .ok_or_else(|| {
                    let names: Vec<&str> = accepted.iter().map(|(k, _)| *k).collect();
                    format!("unit '{n}' is not one of: {}", names.join(", "))
                }),
        }
    }
}

/// A file entry checked against the vocabulary: fields known, units known, durations parsed.
#[derive(Debug, Clone)]
pub struct FilePlan {
    pub index: usize,
    pub entry: FileEntry,
    pub path: PathBuf,
    pub format: FileFormat,
    pub time: (ColumnDetail, Unit),
    /// The stated `timestamp_format`, checked.
    pub time_format: Option<crate::units::TimeFormat>,
    pub fields: Vec<(Field, ColumnDetail, Unit)>,
    pub bar: Option<i64>,
    pub carry_limit: Option<i64>,
    pub fee_unit: f64,
}

impl FilePlan {
    /// How messages name this entry: "manifest.toml [[files]] #3 (x.csv)".
    pub fn describe(&self, manifest: &Path) -> String {
        format!(
            "{} [[files]] #{} ({})",
            manifest.display(),
            self.index + 1,
            self.entry.path
        )
    }
}

impl Manifest {
    /// Reads and parses a manifest; TOML errors carry their line and column.
    pub fn read(path: &Path) -> Result<Manifest, DataError> {
        let text = crate::io::read_input_text(path, crate::io::MAX_TEXT_BYTES).map_err(|e| {
            DataError::from_input(
                path,
                e,
                "the command line",
                "; give the path of a dataset's manifest.toml",
            )
        })?;
        Manifest::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Manifest, DataError> {
        toml::from_str(text).map_err(|e| DataError::ManifestSyntax {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })
    }

    /// Checks names, units and durations, and resolves each file against `root`.
    pub fn plan(&self, path: &Path, root: &Path) -> Result<Vec<FilePlan>, DataError> {
        let err = |message: String| DataError::Manifest {
            path: path.to_path_buf(),
            message,
        };
        self.check_pools(&err)?;
        if self.files.is_empty() {
            return Err(err("the manifest lists no [[files]]".into()));
        }
        self.files
            .iter()
            .enumerate()
            .map(|(index, entry)| plan_file(index, entry, root, &err))
            .collect()
    }

    /// Each `[[pools]]` entry's metadata within its domain.
    fn check_pools(&self, err: &dyn Fn(String) -> DataError) -> Result<(), DataError> {
        let mut seen_pools = std::collections::BTreeSet::new();
        for p in &self.pools {
            if !seen_pools.insert(p.id.as_str()) {
                return Err(err(format!("[[pools]] id '{}' is listed twice", p.id)));
            }
            if p.tokens.len() < 2 {
                return Err(err(format!(
                    "[[pools]] '{}': `tokens` needs at least two symbols",
                    p.id
                )));
            }
            if !p.decimals.is_empty() && p.decimals.len() != p.tokens.len() {
                return Err(err(format!(
                    "[[pools]] '{}': `decimals` has {} entries but `tokens` has {}",
                    p.id,
                    p.decimals.len(),
                    p.tokens.len()
                )));
            }
            for (k, t) in p.tokens.iter().enumerate() {
                if p.tokens[..k].iter().any(|u| u.eq_ignore_ascii_case(t)) {
                    return Err(err(format!(
                        "[[pools]] '{}': `tokens` lists '{t}' twice; a pool holds different tokens",
                        p.id
                    )));
                }
            }
            if let Some(d) = p.decimals.iter().find(|d| **d > MAX_DECIMALS) {
                return Err(err(format!(
                    "[[pools]] '{}': `decimals` = {d} must be between 0 and {MAX_DECIMALS} (ERC-20 tokens use 0 to 18, a few up to 24)",
                    p.id
                )));
            }
            // The kind's own parameters, by its model (`pool::Model::check`).
            let meta = p.meta();
            meta.check()
                .map_err(|m| err(format!("[[pools]] '{}': {m}", p.id)))?;
            if let Some(r) = p.reward_per_day {
                if !(r.is_finite() && (0.0..=1e15).contains(&r)) || p.reward_token.is_none() {
                    return Err(err(format!(
                        "[[pools]] '{}': `reward_per_day` must be between 0 and 1e15 and needs `reward_token`",
                        p.id
                    )));
                }
            }
            if let Some(f) = p.fee {
                if !(0.0..1.0).contains(&f) {
                    return Err(err(format!(
                        "[[pools]] '{}': `fee` = {f} must be a fraction in [0, 1), e.g. 0.003 for 0.30 %",
                        p.id
                    )));
                }
            }
        }
        Ok(())
    }
}

/// The manifest's error for a message.
type Err<'a> = &'a dyn Fn(String) -> DataError;

/// One `[[files]]` entry checked and resolved against `root`.
fn plan_file(
    index: usize,
    entry: &FileEntry,
    root: &Path,
    err: Err<'_>,
) -> Result<FilePlan, DataError> {
    let at = format!("[[files]] #{} ({})", index + 1, entry.path);
    match (&entry.id, &entry.id_column) {
        (Some(_), Some(_)) => {
            return Err(err(format!("{at}: give either `id` or `id_column`, not both")))
        }
        (None, None) => {
            return Err(err(format!(
                "{at}: missing `id` (the series name) or `id_column` (the column that names each series)"
            )))
        }
        _ => {}
    }
    let format = file_format(&at, entry, err)?;
    let (time, time_format) = time_plan(&at, entry, format, err)?;
    let fields = field_plan(&at, entry, format, err)?;
    let dur = |name: &str, v: &Option<String>| -> Result<Option<i64>, DataError> {
        v.as_deref()
            .map(parse_duration)
            .transpose()
            .map_err(|m| err(format!("{at}: `{name}`: {m}")))
    };
    Ok(FilePlan {
        index,
        entry: entry.clone(),
        path: root.join(&entry.path),
        format,
        time,
        time_format,
        fields,
        bar: dur("bar", &entry.bar)?,
        carry_limit: dur("carry_limit", &entry.carry_limit)?,
        fee_unit: fee_unit(&at, entry, err)?,
    })
}

/// The file's format (stated, or by its extension) and the options that go with it.
fn file_format(at: &str, entry: &FileEntry, err: Err<'_>) -> Result<FileFormat, DataError> {
    let format = match entry.format {
        Some(f) => f,
        None if entry.path.ends_with(".parquet") => FileFormat::Parquet,
        None if entry.path.ends_with(".json") => FileFormat::Json,
        None => FileFormat::Csv,
    };
    if entry.records.is_some() && format != FileFormat::Json {
        return Err(err(format!(
            "{at}: `records` names the array of a JSON file; this file is {format:?} (set format = \"json\", or remove `records`)"
        )));
    }
    if let Some(d) = entry.delimiter {
        if !d.is_ascii() {
            return Err(err(format!(
                "{at}: `delimiter` must be one ASCII character"
            )));
        }
    }
    if format.is_candles() {
        let name = format.name();
        if entry.kind != SeriesKind::Pool || entry.id.is_none() || !entry.columns.is_empty() {
            return Err(err(format!(
                "{at}: format = \"{name}\" is a pool file with an `id` and no [files.columns] (its columns are fixed)"
            )));
        }
        if !matches!(entry.usd_token, None | Some(0) | Some(1)) {
            return Err(err(format!("{at}: `usd_token` must be 0 or 1")));
        }
    } else if entry.usd_token.is_some() {
        return Err(err(format!(
            "{at}: `usd_token` only goes with format = \"peer_minute\" or \"clmm_candles\""
        )));
    }
    if entry.pair_id.is_some() && format != FileFormat::ClmmCandles {
        return Err(err(format!(
            "{at}: `pair_id` only goes with format = \"clmm_candles\""
        )));
    }
    Ok(format)
}

/// The timestamp column with its unit, and its text format where one is stated.
#[allow(clippy::type_complexity)]
fn time_plan(
    at: &str,
    entry: &FileEntry,
    format: FileFormat,
    err: Err<'_>,
) -> Result<((ColumnDetail, Unit), Option<crate::units::TimeFormat>), DataError> {
    let timestamp = match (&entry.timestamp, format) {
        (Some(t), _) => t.clone(),
        (None, FileFormat::PeerMinute) => ColumnSpec::Name("timestamp".into()),
        (None, FileFormat::ClmmCandles) => ColumnSpec::Name("bucket".into()),
        (None, _) => {
            return Err(err(format!(
                "{at}: missing `timestamp` (the column holding each row's time)"
            )))
        }
    };
    let time_detail = timestamp.detail();
    let time_unit = Unit::for_field(None, time_detail.unit.as_deref())
        .map_err(|m| err(format!("{at}: timestamp: {m}")))?;
    let time_format = match &entry.timestamp_format {
        None => None,
        Some(_) if format.is_candles() => {
            return Err(err(format!(
                "{at}: `timestamp_format` does not go with format = \"{}\" (its timestamps are typed or unix seconds)",
                format.name()
            )))
        }
        Some(_) if matches!(time_unit, Unit::UnixSeconds | Unit::UnixMillis) => {
            return Err(err(format!(
                "{at}: `timestamp_format` reads text, but the timestamp's unit says unix time; drop one of them"
            )))
        }
        Some(f) => Some(
            crate::units::TimeFormat::new(f)
                .map_err(|m| err(format!("{at}: timestamp_format: {m}")))?,
        ),
    };
    Ok(((time_detail, time_unit), time_format))
}

/// The fields `[files.columns]` maps, each with its column and unit.
fn field_plan(
    at: &str,
    entry: &FileEntry,
    format: FileFormat,
    err: Err<'_>,
) -> Result<Vec<(Field, ColumnDetail, Unit)>, DataError> {
    let mut fields = Vec::new();
    for (name, spec) in &entry.columns {
        let field = Field::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = Field::ALL
                .iter()
                .filter(|f| f.series_kind() == entry.kind)
                .map(|f| f.name())
                .collect();
            err(format!(
                "{at}: unknown field '{name}' in [files.columns]{}; {} files accept: {}",
                suggest(name, known.iter().copied()),
                entry.kind,
                known.join(", ")
            ))
        })?;
        if field.series_kind() != entry.kind {
            return Err(err(format!(
                "{at}: field '{name}' belongs to {} files, but this file has kind = \"{}\"",
                field.series_kind(),
                entry.kind
            )));
        }
        let detail = spec.detail();
        let unit = Unit::for_field(Some(field), detail.unit.as_deref())
            .map_err(|m| err(format!("{at}: field '{name}': {m}")))?;
        if let Some(s) = detail.scale {
            if !s.is_finite() || s == 0.0 {
                return Err(err(format!(
                    "{at}: field '{name}': `scale` must be a finite non-zero number"
                )));
            }
        }
        fields.push((field, detail, unit));
    }
    if fields.is_empty() && !format.is_candles() {
        return Err(err(format!("{at}: [files.columns] maps no field")));
    }
    Ok(fields)
}

/// What a per-series fee column's unit multiplies by (`pool_meta.fee_unit`).
fn fee_unit(at: &str, entry: &FileEntry, err: Err<'_>) -> Result<f64, DataError> {
    let fee_unit = match &entry.pool_meta {
        Some(pm) => {
            if entry.kind != SeriesKind::Pool {
                return Err(err(format!(
                    "{at}: `pool_meta` only goes with kind = \"pool\""
                )));
            }
            if entry.id_column.is_none() {
                return Err(err(format!(
                    "{at}: `pool_meta` reads metadata per series and needs `id_column`"
                )));
            }
            match pm.fee_unit.as_deref().unwrap_or("fraction") {
                "fraction" => 1.0,
                "percent" => 0.01,
                "bps" => 1e-4,
                "uniswap" => 1e-6,
                other => {
                    return Err(err(format!(
                        "{at}: pool_meta.fee_unit '{other}' is not one of: fraction, percent, bps, uniswap"
                    )))
                }
            }
        }
        None => 1.0,
    };
    Ok(fee_unit)
}
