//! Loading a dataset: read its manifest, read each file once, map columns onto
//! canonical fields, split long files into series, validate, and check that every
//! name the manifest uses (pools, chains, assets) is provided by some series.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::error::{list_names, suggest, DataError};
use super::manifest::{ColumnDetail, FileFormat, FilePlan, Manifest, OnMissing, Unit, ValuesAt};
use super::table::Table;
use crate::market::{ChainMeta, Field, PoolMeta, SeriesKind};
use crate::units::{format_ts, Timestamp};

/// One series as it is in its file: its own timestamps, canonical fields.
#[derive(Debug, Clone, PartialEq)]
pub struct RawSeries {
    pub kind: SeriesKind,
    pub id: String,
    /// The file, as the manifest names it.
    pub file: String,
    /// Strictly increasing unix seconds.
    pub ts: Vec<Timestamp>,
    /// Canonical values; `NaN` marks a missing value, and only in `optional` fields.
    pub fields: BTreeMap<Field, Vec<f64>>,
    pub optional: BTreeSet<Field>,
    /// The bar each row covers, seconds.
    pub bar: i64,
    /// Seconds after its timestamp at which a row's levels are known (0 or `bar`).
    pub obs_offset: i64,
    /// Longest carry-forward of a level on alignment, seconds.
    pub carry_limit: i64,
    /// Rows dropped for an empty required value (`on_missing = "skip_row"`).
    pub skipped_rows: usize,
}

impl RawSeries {
    /// "pool 'usdc_weth'" — how messages name it.
    pub fn label(&self) -> String {
        format!("{} '{}'", self.kind, self.id)
    }

    pub fn missing(&self, f: Field) -> usize {
        self.fields
            .get(&f)
            .map(|v| v.iter().filter(|x| x.is_nan()).count())
            .unwrap_or(0)
    }

    /// Intervals between consecutive rows longer than the bar: (from, to).
    pub fn gaps(&self) -> Vec<(Timestamp, Timestamp)> {
        self.ts
            .windows(2)
            .filter(|w| w[1] - w[0] > self.bar)
            .map(|w| (w[0], w[1]))
            .collect()
    }
}

/// A file as loaded, for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedFile {
    pub path: String,
    pub rows: usize,
    pub bytes: u64,
}

/// A loaded, validated dataset: metadata and raw series, keyed for deterministic order.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub name: String,
    pub description: String,
    /// The manifest's outlier policy, where it states one.
    pub outliers: Option<super::quality::OutlierPolicy>,
    /// Pool event files (read on demand: `Dataset::events`).
    pub events: Vec<super::events::EventsEntry>,
    /// Snapshot → events → snapshot sets (read on demand).
    pub replays: Vec<super::events::ReplayEntry>,
    pub manifest: PathBuf,
    pub root: PathBuf,
    pub chains: BTreeMap<String, ChainMeta>,
    pub pools: BTreeMap<String, PoolMeta>,
    pub series: BTreeMap<(SeriesKind, String), RawSeries>,
    pub files: Vec<LoadedFile>,
}

impl Dataset {
    /// Loads the dataset a manifest describes. Relative file paths are resolved against
    /// `data_root` when given, else against the manifest's folder.
    pub fn load(manifest_path: &Path, data_root: Option<&Path>) -> Result<Dataset, DataError> {
        let manifest = Manifest::read(manifest_path)?;
        let root = match data_root {
            Some(r) => r.to_path_buf(),
            None => manifest_path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
        };
        if let Some(r) = data_root {
            if !r.is_dir() {
                return Err(DataError::FileNotFound {
                    path: r.to_path_buf(),
                    referenced_by: "--data-root".into(),
                    hint: "; give the folder that holds the dataset's files".into(),
                });
            }
        }
        let plans = manifest.plan(manifest_path, &root)?;
        let mut pools = pool_metas(&manifest);
        let (series, origin, files) = read_series(&plans, &mut pools, manifest_path)?;
        let chains: BTreeMap<String, ChainMeta> = manifest
            .chains
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    ChainMeta {
                        name: c.name.clone(),
                        native_asset: c.native_asset.clone(),
                    },
                )
            })
            .collect();
        let ds = Dataset {
            name: manifest.dataset.name.clone(),
            description: manifest.dataset.description.clone(),
            outliers: manifest.dataset.outliers,
            events: manifest.events.clone(),
            replays: manifest.replays.clone(),
            manifest: manifest_path.to_path_buf(),
            root,
            chains,
            pools,
            series,
            files,
        };
        ds.check_references(&origin)?;
        ds.check_event_pools()?;
        Ok(ds)
    }

    /// Every `[[events]]` entry names a pool whose entry has what the replay needs.
    fn check_event_pools(&self) -> Result<(), DataError> {
        let ds = self;
        for e in &ds.events {
            match ds.pools.get(&e.pool) {
                Some(p) if p.fee.is_some() && p.tick_spacing.is_some() => {}
                Some(_) => {
                    return Err(DataError::Manifest {
                        path: ds.manifest.clone(),
                        message: format!("[[events]] for pool '{}': its [[pools]] entry needs `fee` and `tick_spacing` for the replay", e.pool),
                    })
                }
                None => {
                    return Err(DataError::Unknown {
                        context: format!("{} [[events]] {}", ds.manifest.display(), e.path),
                        what: "pool (no [[pools]] entry for it)",
                        name: e.pool.clone(),
                        suggestion: suggest(&e.pool, ds.pools.keys().map(String::as_str)),
                        known: list_names(ds.pools.keys().map(String::as_str)),
                    })
                }
            }
        }
        Ok(())
    }

    /// The events entry of a pool, if the manifest has one.
    pub fn events_of(&self, pool: &str) -> Option<&super::events::EventsEntry> {
        self.events.iter().find(|e| e.pool == pool)
    }

    /// Reads a pool's events (sorted by block and log index).
    pub fn load_events(&self, pool: &str) -> Result<Vec<crate::amm::replay::Event>, DataError> {
        let e = self.events_of(pool).ok_or_else(|| DataError::Manifest {
            path: self.manifest.clone(),
            message: format!("no [[events]] entry for pool '{pool}'"),
        })?;
        super::events::load_events(&self.root, e)
    }

    fn ids(&self, kind: SeriesKind) -> impl Iterator<Item = &str> {
        self.series
            .keys()
            .filter(move |(k, _)| *k == kind)
            .map(|(_, id)| id.as_str())
    }

    /// Every name the manifest uses must be provided by a series or a metadata entry.
    fn check_references(
        &self,
        origin: &BTreeMap<(SeriesKind, String), String>,
    ) -> Result<(), DataError> {
        let m = self.manifest.display();
        for ((kind, id), from) in origin {
            match kind {
                SeriesKind::Pool if !self.pools.contains_key(id) => {
                    return Err(DataError::Unknown {
                        context: format!("{m} {from}"),
                        what: "pool (no [[pools]] entry and no `pool_meta` for it)",
                        name: id.clone(),
                        suggestion: suggest(id, self.pools.keys().map(String::as_str)),
                        known: list_names(self.pools.keys().map(String::as_str)),
                    })
                }
                SeriesKind::Gas if !self.chains.contains_key(id) => {
                    return Err(DataError::Unknown {
                        context: format!("{m} {from}: gas series id"),
                        what: "chain (add it to [[chains]] with its native asset)",
                        name: id.clone(),
                        suggestion: suggest(id, self.chains.keys().map(String::as_str)),
                        known: list_names(self.chains.keys().map(String::as_str)),
                    })
                }
                _ => {}
            }
        }
        let assets: Vec<&str> = self.ids(SeriesKind::Price).collect();
        let unknown_asset = |context: String, name: &str| DataError::Unknown {
            context,
            what: "asset (no price series provides it)",
            name: name.to_string(),
            suggestion: suggest(name, assets.iter().copied()),
            known: list_names(assets.iter().copied()),
        };
        for c in self.chains.values() {
            if !assets.contains(&c.native_asset.as_str()) {
                return Err(unknown_asset(
                    format!("{m} [[chains]] '{}': native_asset", c.name),
                    &c.native_asset,
                ));
            }
        }
        for p in self.pools.values() {
            if let Some(r) = &p.reward_token {
                if !assets.contains(&r.as_str()) {
                    return Err(unknown_asset(
                        format!("{m} [[pools]] '{}': reward_token", p.id),
                        r,
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn get(&self, kind: SeriesKind, id: &str) -> Result<&RawSeries, DataError> {
        self.series
            .get(&(kind, id.to_string()))
            .ok_or_else(|| self.unknown(kind, id, "the selection"))
    }

    /// The error for a name that no series of that kind has.
    pub fn unknown(&self, kind: SeriesKind, id: &str, context: &str) -> DataError {
        let what = match kind {
            SeriesKind::Pool => "pool",
            SeriesKind::Price => "asset",
            SeriesKind::Gas => "chain",
            SeriesKind::Rate => "lending market",
        };
        DataError::Unknown {
            context: format!("{context} (dataset '{}')", self.name),
            what,
            name: id.to_string(),
            suggestion: suggest(id, self.ids(kind)),
            known: list_names(self.ids(kind)),
        }
    }
}

/// The `[[pools]]` entries' metadata, by id.
fn pool_metas(manifest: &Manifest) -> BTreeMap<String, PoolMeta> {
    manifest
        .pools
        .iter()
        .map(|p| (p.id.clone(), p.meta()))
        .collect()
}

/// Series by (kind, id), where each came from, and the files read.
type ReadSeries = (
    BTreeMap<(SeriesKind, String), RawSeries>,
    BTreeMap<(SeriesKind, String), String>,
    Vec<LoadedFile>,
);

/// Reads every planned file (each table once, however many entries read it) and
/// splits it into series; a series provided twice is an error naming both entries.
fn read_series(
    plans: &[FilePlan],
    pools: &mut BTreeMap<String, PoolMeta>,
    manifest_path: &Path,
) -> Result<ReadSeries, DataError> {
    let mut tables: HashMap<(PathBuf, u8, Option<String>), Table> = HashMap::new();
    let mut files = Vec::new();
    let mut series: BTreeMap<(SeriesKind, String), RawSeries> = BTreeMap::new();
    let mut origin: BTreeMap<(SeriesKind, String), String> = BTreeMap::new();
    for plan in plans {
        if plan.format.is_candles() {
            let (s, loaded) = load_candles(plan, pools, manifest_path)?;
            let k = (s.kind, s.id.clone());
            if origin.contains_key(&k) {
                return Err(DataError::Manifest {
                    path: manifest_path.to_path_buf(),
                    message: format!(
                        "{} is provided twice; give one of them another id",
                        s.label()
                    ),
                });
            }
            origin.insert(
                k.clone(),
                format!("[[files]] #{} ({})", plan.index + 1, plan.entry.path),
            );
            series.insert(k, s);
            files.extend(loaded);
            continue;
        }
        let delim = plan.entry.delimiter.unwrap_or(',') as u8;
        let key = (plan.path.clone(), delim, plan.entry.records.clone());
        if !tables.contains_key(&key) {
            let t = Table::read(
                &plan.path,
                plan.format,
                delim,
                plan.entry.records.as_deref(),
                &plan.describe(manifest_path),
            )?;
            files.push(LoadedFile {
                path: plan.entry.path.clone(),
                rows: t.height(),
                bytes: t.bytes,
            });
            tables.insert(key.clone(), t);
        }
        let table = &tables[&key];
        for s in load_file(plan, table, pools)? {
            let k = (s.kind, s.id.clone());
            if let Some(prev) = origin.get(&k) {
                return Err(DataError::Manifest {
                    path: manifest_path.to_path_buf(),
                    message: format!(
                        "{} is provided twice: by {} and by [[files]] #{} ({}); give one of them another id or `id_prefix`",
                        s.label(),
                        prev,
                        plan.index + 1,
                        plan.entry.path
                    ),
                });
            }
            origin.insert(
                k.clone(),
                format!("[[files]] #{} ({})", plan.index + 1, plan.entry.path),
            );
            series.insert(k, s);
        }
    }
    Ok((series, origin, files))
}

/// Splits one file entry into series and validates them.
fn load_file(
    plan: &FilePlan,
    table: &Table,
    pools: &mut BTreeMap<String, PoolMeta>,
) -> Result<Vec<RawSeries>, DataError> {
    let entry = &plan.entry;
    let ts = table.timestamps(&plan.time.0, plan.time.1, plan.time_format.as_ref())?;
    let mut cols: Vec<Col<'_>> = Vec::new();
    for (field, detail, unit) in &plan.fields {
        cols.push((
            *field,
            detail.optional,
            table.numbers(*field, detail, *unit)?,
            detail.column.as_str(),
        ));
    }
    let (names, rows_of) = series_groups(plan, table)?;
    let time_col = plan.time.0.column.as_str();
    let mut out = Vec::with_capacity(names.len());
    for (g, id) in names.iter().enumerate() {
        let rows = &rows_of[g];
        let (s_ts, kept, skipped) = series_rows(plan, table, &ts, &cols, id, rows)?;
        if s_ts.is_empty() {
            return Err(DataError::BadValue {
                path: table.path.clone(),
                location: "every row".into(),
                column: time_col.into(),
                message: format!("{} '{id}' has no complete row", entry.kind),
            });
        }
        let bar = match plan.bar {
            Some(b) => b,
            None => most_common_step(&s_ts).ok_or_else(|| DataError::Manifest {
                path: PathBuf::from(&entry.path),
                message: format!(
                    "{} '{id}' has a single row, so its bar length cannot be seen; set `bar` (e.g. \"1d\") for this file",
                    entry.kind
                ),
            })?,
        };
        let (fields, optional) = kept_fields(&cols, &kept);
        if entry.kind == SeriesKind::Pool {
            if let Some(pm) = &entry.pool_meta {
                if !pools.contains_key(id) {
                    let meta = pool_meta(plan, table, pm, id, kept[0])?;
                    pools.insert(id.clone(), meta);
                }
            }
        }
        out.push(RawSeries {
            kind: entry.kind,
            id: id.clone(),
            file: entry.path.clone(),
            ts: s_ts,
            fields,
            optional,
            bar,
            obs_offset: if entry.values_at == ValuesAt::BarClose {
                bar
            } else {
                0
            },
            carry_limit: plan.carry_limit.unwrap_or(2 * bar),
            skipped_rows: skipped,
        });
    }
    Ok(out)
}

/// The series a file holds (its `id`, or one per value of `id_column`, prefixed) and
/// each one's rows.
fn series_groups(
    plan: &FilePlan,
    table: &Table,
) -> Result<(Vec<String>, Vec<Vec<usize>>), DataError> {
    let entry = &plan.entry;
    let n = table.height();
    let prefix = entry.id_prefix.clone().unwrap_or_default();
    let (names, row_group) = match (&entry.id, &entry.id_column) {
        (Some(id), _) => (vec![id.clone()], vec![0u32; n]),
        (None, Some(col)) => {
            let (names, rows) = table.groups(col)?;
            (
                names.into_iter().map(|s| format!("{prefix}{s}")).collect(),
                rows,
            )
        }
        (None, None) => {
            return Err(DataError::Manifest {
                path: PathBuf::from(&entry.path),
                message: "missing `id` or `id_column`".into(),
            })
        }
    };
    let mut rows_of: Vec<Vec<usize>> = vec![Vec::new(); names.len()];
    for (i, g) in row_group.iter().enumerate() {
        rows_of[*g as usize].push(i);
    }
    Ok((names, rows_of))
}

/// The kept rows' values of each column (NaN where an optional value is empty), and
/// which fields are optional.
fn kept_fields(cols: &[Col<'_>], kept: &[usize]) -> (BTreeMap<Field, Vec<f64>>, BTreeSet<Field>) {
    let mut fields = BTreeMap::new();
    let mut optional = BTreeSet::new();
    for (field, opt, values, _) in cols {
        fields.insert(
            *field,
            kept.iter()
                .map(|&i| values[i].unwrap_or(f64::NAN))
                .collect(),
        );
        if *opt {
            optional.insert(*field);
        }
    }
    (fields, optional)
}

/// A column's field, whether it is optional, its values and its name.
type Col<'a> = (Field, bool, Vec<Option<f64>>, &'a str);

/// The rows of one series (`rows` of the table) checked in order: a row missing a
/// required value is refused or skipped (`on_missing`), timestamps must increase, and
/// a bar with volume needs liquidity. Returns the kept rows' times, the rows, and how
/// many were skipped.
fn series_rows(
    plan: &FilePlan,
    table: &Table,
    ts: &[Option<Timestamp>],
    cols: &[Col<'_>],
    id: &str,
    rows: &[usize],
) -> Result<(Vec<Timestamp>, Vec<usize>, usize), DataError> {
    let entry = &plan.entry;
    let time_col = plan.time.0.column.as_str();
    let mut s_ts = Vec::with_capacity(rows.len());
    let mut kept = Vec::with_capacity(rows.len());
    let mut skipped = 0usize;
    let mut prev: Option<(Timestamp, usize)> = None;
    for &i in rows {
        let missing_required = ts[i]
            .is_none()
            .then_some(time_col)
            .or_else(|| cols.iter().find(|c| !c.1 && c.2[i].is_none()).map(|c| c.3));
        if let Some(col) = missing_required {
            if entry.on_missing == OnMissing::SkipRow {
                skipped += 1;
                continue;
            }
            return Err(DataError::BadValue {
                path: table.path.clone(),
                location: table.location(i),
                column: col.to_string(),
                message: match table.short_row(i) {
                    Some(m) => format!("empty value: {m}"),
                    None => "empty value; fill it, mark the column `optional = true`, or set on_missing = \"skip_row\" for this file in the manifest".into(),
                },
            });
        }
        // Checked above: a row without its time was skipped or refused.
        let Some(t) = ts[i] else { continue };
        if let Some((pt, pi)) = prev {
            let series = format!("{} '{id}'", entry.kind);
            let order_error = |message: String| DataError::BadValue {
                path: table.path.clone(),
                location: table.location(i),
                column: time_col.into(),
                message,
            };
            if t == pt {
                return Err(order_error(format!(
                    "duplicate timestamp {} for {series} (also at {}); keep one row per timestamp",
                    format_ts(t),
                    table.location(pi)
                )));
            }
            if t < pt {
                return Err(order_error(format!(
                    "timestamps of {series} go backwards ({} after {} at {}); sort the file by time",
                    format_ts(t),
                    format_ts(pt),
                    table.location(pi)
                )));
            }
        }
        prev = Some((t, i));
        check_liquidity(table, cols, i)?;
        s_ts.push(t);
        kept.push(i);
    }
    Ok((s_ts, kept, skipped))
}

/// Trades need liquidity: a row with volume and a TVL of 0 is broken (it would hand a
/// position every fee of the bar).
fn check_liquidity(table: &Table, cols: &[Col<'_>], i: usize) -> Result<(), DataError> {
    let value = |f: Field| cols.iter().find(|c| c.0 == f).and_then(|c| c.2[i]);
    if let (Some(tvl), Some(vol)) = (value(Field::TvlUsd), value(Field::VolumeUsd)) {
        if tvl == 0.0 && vol > 0.0 {
            let column = cols
                .iter()
                .find(|c| c.0 == Field::TvlUsd)
                .map(|c| c.3)
                .unwrap_or_default();
            return Err(DataError::BadValue {
                path: table.path.clone(),
                location: table.location(i),
                column: column.into(),
                message: format!(
                    "tvl_usd is 0 while volume_usd is {vol}: a pool without liquidity cannot trade; fix the row, or leave tvl_usd empty and mark it `optional = true`"
                ),
            });
        }
    }
    Ok(())
}

/// A series' pool metadata from the columns `pool_meta` names, read at row `first`.
fn pool_meta(
    plan: &FilePlan,
    table: &Table,
    pm: &super::manifest::PoolMetaColumns,
    id: &str,
    first: usize,
) -> Result<PoolMeta, DataError> {
    let text = |c: &str| -> Result<String, DataError> {
        table.require(c, "pool_meta")?;
        table.text_at(c, first)?.ok_or_else(|| DataError::BadValue {
            path: table.path.clone(),
            location: table.location(first),
            column: c.into(),
            message: "empty pool metadata value".into(),
        })
    };
    let fee = match &pm.fee_column {
        Some(c) => {
            let t = text(c)?;
            let x = super::table::parse_number(&t).map_err(|m| DataError::BadValue {
                path: table.path.clone(),
                location: table.location(first),
                column: c.to_string(),
                message: m,
            })?;
            Some(x * plan.fee_unit)
        }
        None => None,
    };
    let tokens = pm
        .token_columns
        .iter()
        .map(|c| text(c))
        .collect::<Result<Vec<_>, _>>()?;
    let address = match &pm.address_column {
        Some(c) => Some(text(c)?.to_lowercase()),
        None => None,
    };
    Ok(PoolMeta {
        id: id.to_string(),
        kind: pm.kind,
        chain: text(&pm.chain_column)?,
        tokens,
        decimals: Vec::new(),
        fee,
        amplification: None,
        tick_spacing: None,
        reward_token: None,
        reward_per_day: None,
        address,
        weights: None,
    })
}

/// The most common interval between consecutive timestamps (the smallest on a tie).
pub fn most_common_step(ts: &[Timestamp]) -> Option<i64> {
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for w in ts.windows(2) {
        *counts.entry(w[1] - w[0]).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(step, _)| step)
}

/// The column names of a candle layout with fixed columns.
struct CandleLayout {
    close_tick: &'static str,
    in0: &'static str,
    in1: &'static str,
    liquidity: &'static str,
    /// The column naming the pair, in a file of several.
    pair: Option<&'static str>,
}

/// demeter-fetch's minute CSVs.
const DEMETER: CandleLayout = CandleLayout {
    close_tick: "closeTick",
    in0: "inAmount0",
    in1: "inAmount1",
    liquidity: "currentLiquidity",
    pair: None,
};

/// Trading Strategy's CLMM candles (the same quantities, snake_case, one Parquet file).
const TRADING_STRATEGY: CandleLayout = CandleLayout {
    close_tick: "close_tick",
    in0: "in_amount0",
    in1: "in_amount1",
    liquidity: "current_liquidity",
    pair: Some("pair_id"),
};

/// Loads Uniswap v3 minute candles with fixed columns: a folder of demeter-fetch CSVs
/// (`format = "peer_minute"`, every `*.csv` in name order) or Trading Strategy's CLMM
/// candle Parquet file (`format = "clmm_candles"`, the rows of one `pair_id`). One pool
/// series with price (from the close tick and the pool's decimals), USD volume (from the
/// swapped-in amounts, valued through `usd_token`), active liquidity and tick. Values are
/// bar closes.
fn load_candles(
    plan: &FilePlan,
    pools: &BTreeMap<String, PoolMeta>,
    manifest: &Path,
) -> Result<(RawSeries, Vec<LoadedFile>), DataError> {
    let (id, (d0, d1)) = candle_pool(plan, pools, manifest)?;
    let described = plan.describe(manifest);
    let (layout, file_format, dir, paths) = match plan.format {
        FileFormat::ClmmCandles => {
            let dir = plan.path.parent().unwrap_or(Path::new("")).to_path_buf();
            (
                &TRADING_STRATEGY,
                FileFormat::Parquet,
                dir,
                vec![plan.path.clone()],
            )
        }
        _ => {
            let dir = plan.path.clone();
            let paths = csv_folder(&dir, &described)?;
            (&DEMETER, FileFormat::Csv, dir, paths)
        }
    };
    let usd0 = plan.entry.usd_token.unwrap_or(0) == 0;
    let mut out = Candles::default();
    let read = CandleRead {
        plan,
        layout,
        paths: &paths,
        decimals: (d0, d1),
        usd0,
    };
    let mut loaded = Vec::new();
    // The previous row: (time, file index, row index), to name it in an error.
    let mut prev: Option<(Timestamp, usize, usize)> = None;
    for (file_no, path) in paths.iter().enumerate() {
        let table = Table::read(path, file_format, b',', None, &described)?;
        let rows = read.file(file_no, &table, &mut out, &mut prev)?;
        loaded.push(LoadedFile {
            path: path
                .strip_prefix(&dir)
                .unwrap_or(path)
                .display()
                .to_string(),
            rows,
            bytes: table.bytes,
        });
    }
    let Candles {
        ts,
        price,
        volume,
        liquidity,
        tick,
    } = out;
    let bar = plan.bar.or_else(|| most_common_step(&ts)).unwrap_or(60);
    let mut fields = BTreeMap::new();
    fields.insert(Field::Price, price);
    fields.insert(Field::VolumeUsd, volume);
    fields.insert(Field::Liquidity, liquidity);
    fields.insert(Field::Tick, tick);
    Ok((
        RawSeries {
            kind: SeriesKind::Pool,
            id,
            file: plan.entry.path.clone(),
            ts,
            fields,
            optional: BTreeSet::new(),
            bar,
            obs_offset: bar,
            carry_limit: plan.carry_limit.unwrap_or(2 * bar),
            skipped_rows: 0,
        },
        loaded,
    ))
}

/// A candle file's pool id and its tokens' decimals.
fn candle_pool(
    plan: &FilePlan,
    pools: &BTreeMap<String, PoolMeta>,
    manifest: &Path,
) -> Result<(String, (i32, i32)), DataError> {
    let name = plan.format.name();
    let id = plan.entry.id.clone().ok_or_else(|| DataError::Manifest {
        path: manifest.to_path_buf(),
        message: format!("{}: format = \"{name}\" needs `id`", plan.entry.path),
    })?;
    let described = plan.describe(manifest);
    let meta = pools.get(&id).ok_or_else(|| DataError::Unknown {
        context: described.clone(),
        what: "pool (candle files need a [[pools]] entry with decimals)",
        name: id.clone(),
        suggestion: suggest(&id, pools.keys().map(String::as_str)),
        known: list_names(pools.keys().map(String::as_str)),
    })?;
    let (d0, d1) = match meta.decimals.as_slice() {
        [a, b] => (*a as i32, *b as i32),
        _ => {
            return Err(DataError::Manifest {
                path: manifest.to_path_buf(),
                message: format!("[[pools]] '{id}': {name} data needs `decimals = [d0, d1]` to turn ticks and raw amounts into prices and tokens"),
            })
        }
    };
    Ok((id, (d0, d1)))
}

/// A pool's candle series as they are read, file after file.
#[derive(Default)]
struct Candles {
    ts: Vec<Timestamp>,
    price: Vec<f64>,
    volume: Vec<f64>,
    liquidity: Vec<f64>,
    tick: Vec<f64>,
}

/// What reading one candle file needs: the plan, the layout's columns, every file's
/// path (to name the previous row's), the decimals and which token is USD.
struct CandleRead<'a> {
    plan: &'a FilePlan,
    layout: &'a CandleLayout,
    paths: &'a [PathBuf],
    decimals: (i32, i32),
    usd0: bool,
}

impl CandleRead<'_> {
    /// Appends file `file_no`'s rows (of the pair, in time order after `prev`) to `out`;
    /// returns how many.
    fn file(
        &self,
        file_no: usize,
        table: &Table,
        out: &mut Candles,
        prev: &mut Option<(Timestamp, usize, usize)>,
    ) -> Result<usize, DataError> {
        let (plan, layout, paths) = (self.plan, self.layout, self.paths);
        let (d0, d1) = self.decimals;
        let path = &paths[file_no];
        let col = |name: &str| ColumnDetail {
            column: name.into(),
            unit: None,
            invert: false,
            scale: None,
            optional: false,
        };
        let plain = Unit::Factor(1.0);
        let t = table.timestamps(&plan.time.0, plan.time.1, None)?;
        let close = table.numbers(Field::Tick, &col(layout.close_tick), plain)?;
        // Raw token units: the domain of raw reserves.
        let in0 = table.numbers(Field::Reserve0, &col(layout.in0), plain)?;
        let in1 = table.numbers(Field::Reserve1, &col(layout.in1), plain)?;
        let liq = table.numbers(Field::Liquidity, &col(layout.liquidity), plain)?;
        let rows = pair_rows(table, layout, plan.entry.pair_id)?;
        for &i in &rows {
            let (Some(now), Some(tk), Some(raw0), Some(raw1), Some(l)) =
                (t[i], close[i], in0[i], in1[i], liq[i])
            else {
                let c = [
                    (plan.time.0.column.as_str(), t[i].is_none()),
                    (layout.close_tick, close[i].is_none()),
                    (layout.in0, in0[i].is_none()),
                    (layout.in1, in1[i].is_none()),
                ]
                .into_iter()
                .find(|m| m.1)
                .map_or(layout.liquidity, |m| m.0);
                return Err(DataError::BadValue {
                    path: path.clone(),
                    location: table.location(i),
                    column: c.into(),
                    message: "empty value".into(),
                });
            };
            if let Some((p, pfile, prow)) = *prev {
                if now <= p {
                    let ploc = if pfile == file_no {
                        table.location(prow)
                    } else {
                        format!("line {} of the previous file", prow + 2)
                    };
                    return Err(DataError::BadValue {
                        path: path.clone(),
                        location: table.location(i),
                        column: plan.time.0.column.clone(),
                        message: format!(
                            "{} is not after {} ({}, {}); the rows must be in time order, one per bar",
                            format_ts(now),
                            format_ts(p),
                            paths[pfile].display(),
                            ploc
                        ),
                    });
                }
            }
            *prev = Some((now, file_no, i));
            // token1 per token0 in whole tokens.
            let p = 1.0001f64.powf(tk) * 10f64.powi(d0 - d1);
            let a0 = raw0 / 10f64.powi(d0);
            let a1 = raw1 / 10f64.powi(d1);
            let vol = if self.usd0 { a0 + a1 / p } else { a1 + a0 * p };
            out.ts.push(now);
            out.price.push(p);
            out.volume.push(vol);
            out.liquidity.push(l);
            out.tick.push(tk);
        }
        Ok(rows.len())
    }
}

/// The `*.csv` files of a demeter-fetch folder, in name order.
fn csv_folder(dir: &Path, described: &str) -> Result<Vec<PathBuf>, DataError> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => DataError::FileNotFound {
                path: dir.to_path_buf(),
                referenced_by: described.to_string(),
                hint: "; peer_minute expects a folder of per-day CSV files".into(),
            },
            _ => DataError::Io {
                path: dir.to_path_buf(),
                message: e.to_string(),
            },
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(DataError::FileNotFound {
            path: dir.join("*.csv"),
            referenced_by: described.to_string(),
            hint: "; the folder has no .csv files".into(),
        });
    }
    Ok(paths)
}

/// The rows of a candle table that belong to the pair: all rows of a one-pair layout;
/// in a file of several pairs, the rows whose pair column equals `pair_id` (required when
/// the file holds more than one pair; the error lists those it holds).
fn pair_rows(
    table: &Table,
    layout: &CandleLayout,
    pair_id: Option<i64>,
) -> Result<Vec<usize>, DataError> {
    let Some(column) = layout.pair else {
        return Ok((0..table.height()).collect());
    };
    table.require(column, "pair_id")?;
    let (names, rows) = table.groups(column)?;
    let found = || list_names(names.iter().map(String::as_str));
    let want = match (pair_id, names.as_slice()) {
        (Some(p), _) => p.to_string(),
        (None, [one]) => one.clone(),
        (None, _) => {
            return Err(DataError::BadValue {
                path: table.path.clone(),
                location: "every row".into(),
                column: column.into(),
                message: format!(
                    "the file holds {} pairs ({}); set `pair_id` in its [[files]] entry to the one this pool is",
                    names.len(),
                    found()
                ),
            })
        }
    };
    let Some(k) = names.iter().position(|n| *n == want) else {
        return Err(DataError::BadValue {
            path: table.path.clone(),
            location: "every row".into(),
            column: column.into(),
            message: format!("no row has pair_id = {want}; the file holds {}", found()),
        });
    };
    Ok(rows
        .iter()
        .enumerate()
        .filter(|(_, g)| **g as usize == k)
        .map(|(i, _)| i)
        .collect())
}
