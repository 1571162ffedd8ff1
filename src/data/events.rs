//! Pool events (swap, mint, burn, collect) and on-chain state checkpoints, for the exact
//! replay (`amm::replay`). Declared in a manifest like every other file, with their own
//! column mapping, since exporters name them differently:
//!
//! ```toml
//! [[events]]
//! pool = "univ3_arbitrum_weth_usdc_0p05"         # a [[pools]] entry: fee and tick spacing
//! path = "events.csv.gz"                          # CSV, gzip CSV (.gz) or Parquet (.parquet)
//! columns = { block = "block_number", log_index = "log_index", timestamp = "timestamp",
//!             type = "type", amount0 = "amount0", amount1 = "amount1",
//!             sqrt_price_x96 = "sqrt_price_x96", liquidity = "liquidity", tick = "tick",
//!             tick_lower = "tick_lower", tick_upper = "tick_upper", owner = "sender_or_owner" }
//! checkpoints = { path = "states.csv", columns = { ... } }   # optional
//! ```
//!
//! Canonical event columns: `block`, `log_index` (optional: file order), `timestamp`
//! (unix seconds or ISO-8601), `type` (swap | mint | burn | collect, any case),
//! `amount0`, `amount1` (signed raw integers, the pool's view), `sqrt_price_x96`, `tick`
//! (a swap's post-state), `liquidity` (mint/burn amount; a swap's post-state active
//! liquidity unless `active_liquidity` names another column, as demeter-fetch's
//! `tick.csv` layout does with `total_liquidity`), `tick_lower`, `tick_upper`, `owner`
//! (optional). Checkpoint columns: `block`, `timestamp`, `sqrt_price_x96`, `tick`,
//! `liquidity`, `fee_growth_global0`, `fee_growth_global1` (Q128 integers).
//!
//! Files are read when a check or run asks for them, not when the dataset loads: they
//! are large. On-chain integers stay exact (U256 / i128); a value that is not one is an
//! error naming the file, line and column.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use ruint::aliases::U256;
use serde::Deserialize;

use super::error::DataError;
use crate::amm::replay::{Event, EventKind};
use crate::amm::v3_exact::parse_u256;

/// A manifest's `[[events]]` entry.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EventsEntry {
    pub pool: String,
    pub path: String,
    pub columns: BTreeMap<String, String>,
    #[serde(default)]
    pub checkpoints: Option<CheckpointsEntry>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CheckpointsEntry {
    pub path: String,
    pub columns: BTreeMap<String, String>,
}

const EVENT_COLUMNS: [&str; 14] = [
    "block",
    "log_index",
    "timestamp",
    "type",
    "amount0",
    "amount1",
    "sqrt_price_x96",
    "liquidity",
    "active_liquidity",
    "tick",
    "tick_lower",
    "tick_upper",
    "owner",
    "tx_hash",
];
const REQUIRED_EVENT: [&str; 8] = [
    "block",
    "timestamp",
    "type",
    "amount0",
    "amount1",
    "sqrt_price_x96",
    "liquidity",
    "tick",
];
const CHECKPOINT_COLUMNS: [&str; 7] = [
    "block",
    "timestamp",
    "sqrt_price_x96",
    "tick",
    "liquidity",
    "fee_growth_global0",
    "fee_growth_global1",
];

/// An on-chain read of a pool's state at the end of a block.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub block: u64,
    pub timestamp: i64,
    pub sqrt_price_x96: U256,
    pub tick: i32,
    pub liquidity: u128,
    pub fee_growth_global: [U256; 2],
}

/// Rows of a table as text, by canonical column, with the line each came from.
struct Rows {
    path: PathBuf,
    header: Vec<String>,
    index: BTreeMap<String, usize>,
    rows: Vec<Vec<String>>,
    /// "line N" (CSV, counting the header as line 1) or "row N" (Parquet).
    parquet: bool,
}

impl Rows {
    fn location(&self, k: usize) -> String {
        if self.parquet {
            format!("row {}", k + 1)
        } else {
            format!("line {}", k + 2)
        }
    }

    fn cell(&self, k: usize, canonical: &str) -> Option<&str> {
        let j = *self.index.get(canonical)?;
        self.rows[k]
            .get(j)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    fn bad(&self, k: usize, canonical: &str, message: String) -> DataError {
        let column = self
            .index
            .get(canonical)
            .and_then(|j| self.header.get(*j))
            .cloned()
            .unwrap_or_else(|| canonical.to_string());
        DataError::BadValue {
            path: self.path.clone(),
            location: self.location(k),
            column,
            message,
        }
    }

    fn need(&self, k: usize, canonical: &str) -> Result<&str, DataError> {
        self.cell(k, canonical)
            .ok_or_else(|| self.bad(k, canonical, format!("'{canonical}' is empty")))
    }
}

/// Checks an event file before it is opened (a regular file within the size limit).
fn check_file(path: &Path, referenced_by: &str) -> Result<(), DataError> {
    crate::io::check_input_file(path, crate::io::MAX_DATA_BYTES)
        .map(|_| ())
        .map_err(|e| {
            DataError::from_input(
                path,
                e,
                referenced_by,
                "; pass --data-root with the folder that holds the files",
            )
        })
}

/// A file that could not be opened: not found (named by the manifest entry), or why not.
fn open_error(path: &Path, referenced_by: &str, e: std::io::Error) -> DataError {
    match e.kind() {
        std::io::ErrorKind::NotFound => DataError::FileNotFound {
            path: path.to_path_buf(),
            referenced_by: referenced_by.to_string(),
            hint: "; pass --data-root with the folder that holds the files".into(),
        },
        _ => DataError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        },
    }
}

fn read_rows(
    path: &Path,
    columns: &BTreeMap<String, String>,
    known: &[&str],
    required: &[&str],
    what: &str,
) -> Result<Rows, DataError> {
    let manifest_err = |message: String| DataError::Manifest {
        path: path.to_path_buf(),
        message,
    };
    for c in columns.keys() {
        if !known.contains(&c.as_str()) {
            return Err(manifest_err(format!(
                "{what} column '{c}' is not a canonical column{}; known: {}",
                super::error::suggest(c, known.iter().copied()),
                known.join(", ")
            )));
        }
    }
    for r in required {
        if !columns.contains_key(*r) {
            return Err(manifest_err(format!(
                "{what}: the manifest maps no column to '{r}' (needed)"
            )));
        }
    }
    let (header, rows, parquet) = read_table(path, what)?;
    if rows.is_empty() {
        return Err(DataError::NoRows {
            path: path.to_path_buf(),
        });
    }
    let mut index = BTreeMap::new();
    for (canonical, col) in columns {
        let j = header
            .iter()
            .position(|h| h == col)
            .ok_or_else(|| DataError::MissingColumn {
                path: path.to_path_buf(),
                column: col.clone(),
                field: canonical.clone(),
                suggestion: super::error::suggest(col, header.iter().map(String::as_str)),
                available: header.join(", "),
            })?;
        index.insert(canonical.clone(), j);
    }
    Ok(Rows {
        path: path.to_path_buf(),
        header,
        index,
        rows,
        parquet,
    })
}

/// A table's rows of text cells.
type TextRows = Vec<Vec<String>>;

/// A CSV (optionally gzipped) or Parquet file's header and rows as text, and whether it
/// was Parquet.
fn read_table(path: &Path, what: &str) -> Result<(Vec<String>, TextRows, bool), DataError> {
    let io = |e: std::io::Error| open_error(path, &format!("the manifest's {what}"), e);
    let name = path.to_string_lossy().to_lowercase();
    Ok(if name.ends_with(".parquet") {
        let (h, r) = read_parquet(path)?;
        (h, r, true)
    } else {
        check_file(path, &format!("the manifest's {what}"))?;
        let file = std::fs::File::open(path).map_err(io)?;
        let reader: Box<dyn Read> = if name.ends_with(".gz") {
            Box::new(flate2::read::MultiGzDecoder::new(file))
        } else {
            Box::new(file)
        };
        let mut csv = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(reader);
        let header: Vec<String> = csv
            .headers()
            .map_err(|e| DataError::Csv {
                path: path.to_path_buf(),
                location: String::new(),
                message: e.to_string(),
            })?
            .iter()
            .map(|s| s.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        let mut rows = Vec::new();
        for (k, rec) in csv.records().enumerate() {
            let rec = rec.map_err(|e| DataError::Csv {
                path: path.to_path_buf(),
                location: format!(", line {}", k + 2),
                message: e.to_string(),
            })?;
            rows.push(rec.iter().map(str::to_string).collect());
        }
        (header, rows, false)
    })
}

fn read_parquet(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>), DataError> {
    use polars::prelude::*;
    check_file(path, "the manifest")?;
    let f = std::fs::File::open(path).map_err(|e| DataError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let df = ParquetReader::new(f)
        .finish()
        .map_err(|e| DataError::Format {
            path: path.to_path_buf(),
            message: format!("not a readable Parquet file ({e})"),
        })?;
    let header: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut cols = Vec::new();
    for c in df.columns() {
        let s = c
            .as_materialized_series()
            .cast(&DataType::String)
            .map_err(|e| DataError::Format {
                path: path.to_path_buf(),
                message: format!("column '{}' cannot be read as text: {e}", c.name()),
            })?;
        let ca = s.str().map_err(|e| DataError::Format {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        cols.push(
            (0..ca.len())
                .map(|k| ca.get(k).unwrap_or("").to_string())
                .collect::<Vec<String>>(),
        );
    }
    let n = df.height();
    let rows = (0..n)
        .map(|k| cols.iter().map(|c| c[k].clone()).collect())
        .collect();
    Ok((header, rows))
}

fn int<T: std::str::FromStr>(r: &Rows, k: usize, c: &str, what: &str) -> Result<T, DataError> {
    let t = r.need(k, c)?;
    // Exporters write integers as floats ("200311.0"); only an exact ".0" is accepted.
    let t = t.strip_suffix(".0").unwrap_or(t);
    t.parse::<T>()
        .map_err(|_| r.bad(k, c, format!("'{t}' is not {what}")))
}

fn timestamp(r: &Rows, k: usize) -> Result<i64, DataError> {
    let t = r.need(k, "timestamp")?;
    if let Ok(x) = t.parse::<i64>() {
        return Ok(x);
    }
    crate::units::parse_datetime(t).ok_or_else(|| {
        r.bad(
            k,
            "timestamp",
            format!("'{t}' is neither unix seconds nor an ISO-8601 time"),
        )
    })
}

fn u256(r: &Rows, k: usize, c: &str) -> Result<U256, DataError> {
    let t = r.need(k, c)?;
    parse_u256(t).map_err(|m| r.bad(k, c, m.0))
}

/// Loads a pool's events, sorted by (block, log index) — the file order where the data
/// has no log index (ties keep the file order).
pub fn load_events(root: &Path, entry: &EventsEntry) -> Result<Vec<Event>, DataError> {
    let path = root.join(&entry.path);
    let r = read_rows(
        &path,
        &entry.columns,
        &EVENT_COLUMNS,
        &REQUIRED_EVENT,
        "events",
    )?;
    let mut out = Vec::with_capacity(r.rows.len());
    for k in 0..r.rows.len() {
        let raw_type = r.need(k, "type")?;
        let kind = match raw_type.to_ascii_lowercase().as_str() {
            "swap" => EventKind::Swap,
            "mint" => EventKind::Mint,
            "burn" => EventKind::Burn,
            "collect" => EventKind::Collect,
            _ => {
                let m = format!("'{raw_type}' is not an event type (swap, mint, burn, collect)");
                return Err(r.bad(k, "type", m));
            }
        };
        let swap = kind == EventKind::Swap;
        let liq_col = if swap && r.index.contains_key("active_liquidity") {
            "active_liquidity"
        } else {
            "liquidity"
        };
        let opt_tick = |c: &str| -> Result<Option<i32>, DataError> {
            match r.cell(k, c) {
                None => Ok(None),
                Some(_) => int::<i32>(&r, k, c, "a tick").map(Some),
            }
        };
        let range = if swap || kind == EventKind::Collect {
            (None, None)
        } else {
            (opt_tick("tick_lower")?, opt_tick("tick_upper")?)
        };
        let liquidity = if kind == EventKind::Collect {
            0
        } else {
            int::<u128>(&r, k, liq_col, "a liquidity (uint128)")?
        };
        out.push(Event {
            block: int::<u64>(&r, k, "block", "a block number")?,
            log_index: match r.cell(k, "log_index") {
                Some(_) => int::<u64>(&r, k, "log_index", "a log index")?,
                None => k as u64,
            },
            timestamp: timestamp(&r, k)?,
            kind,
            amount0: int::<i128>(&r, k, "amount0", "a signed integer amount")?,
            amount1: int::<i128>(&r, k, "amount1", "a signed integer amount")?,
            sqrt_price_x96: if swap {
                Some(u256(&r, k, "sqrt_price_x96")?)
            } else {
                None
            },
            tick: if swap { opt_tick("tick")? } else { None },
            liquidity,
            tick_lower: range.0,
            tick_upper: range.1,
            owner: r
                .cell(k, "owner")
                .map(|s| s.to_ascii_lowercase())
                .unwrap_or_default(),
        });
    }
    // A stable sort keeps the file order within a block where there is no log index.
    out.sort_by_key(|e| (e.block, e.log_index));
    Ok(out)
}

/// Loads a pool's state checkpoints, sorted by block.
pub fn load_checkpoints(
    root: &Path,
    entry: &CheckpointsEntry,
) -> Result<Vec<Checkpoint>, DataError> {
    let path = root.join(&entry.path);
    let r = read_rows(
        &path,
        &entry.columns,
        &CHECKPOINT_COLUMNS,
        &CHECKPOINT_COLUMNS,
        "checkpoints",
    )?;
    let mut out = Vec::with_capacity(r.rows.len());
    for k in 0..r.rows.len() {
        out.push(Checkpoint {
            block: int::<u64>(&r, k, "block", "a block number")?,
            timestamp: timestamp(&r, k)?,
            sqrt_price_x96: u256(&r, k, "sqrt_price_x96")?,
            tick: int::<i32>(&r, k, "tick", "a tick")?,
            liquidity: int::<u128>(&r, k, "liquidity", "a liquidity (uint128)")?,
            fee_growth_global: [
                u256(&r, k, "fee_growth_global0")?,
                u256(&r, k, "fee_growth_global1")?,
            ],
        });
    }
    out.sort_by_key(|c| c.block);
    Ok(out)
}

/// A manifest's `[[replays]]` entry: an on-chain snapshot, the events after it and the
/// snapshot after them, in the JSON layout of the Uniswap-Simulator data collection
/// (`pool_state.py` / `transactions.py`; SOURCES.md §12).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReplayEntry {
    pub pool: String,
    pub start: String,
    pub events: String,
    pub end: String,
}

/// A tick of a snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotTick {
    pub liquidity_gross: u128,
    pub liquidity_net: i128,
    pub fee_growth_outside: [U256; 2],
}

/// A position of a snapshot: keyed by owner and range where the file says so, else
/// only by the pool's own `positions()` key (keccak256 of owner ‖ int24 ‖ int24).
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotPosition {
    pub key: [u8; 32],
    pub owner_range: Option<(String, i32, i32)>,
    pub liquidity: u128,
    pub fee_growth_inside_last: [U256; 2],
    pub tokens_owed: [u128; 2],
}

/// An on-chain snapshot of a pool at the end of a block.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub block: u64,
    pub fee_pips: u32,
    pub tick_spacing: i32,
    pub sqrt_price_x96: U256,
    pub tick: i32,
    pub liquidity: u128,
    pub fee_growth_global: [U256; 2],
    pub ticks: BTreeMap<i32, SnapshotTick>,
    pub positions: Vec<SnapshotPosition>,
}

/// The pool's `positions()` key: keccak256(owner ‖ int24 tickLower ‖ int24 tickUpper).
pub fn position_key(owner: &str, lower: i32, upper: i32) -> Option<[u8; 32]> {
    use sha3::{Digest, Keccak256};
    let hex = owner.strip_prefix("0x").unwrap_or(owner);
    if hex.len() != 40 {
        return None;
    }
    let mut bytes = Vec::with_capacity(26);
    for k in 0..20 {
        bytes.push(u8::from_str_radix(hex.get(2 * k..2 * k + 2)?, 16).ok()?);
    }
    for t in [lower, upper] {
        let b = t.to_be_bytes();
        bytes.extend_from_slice(&b[1..]);
    }
    Some(Keccak256::digest(&bytes).into())
}

/// JSON with integers of any size: long bare integers are quoted before parsing, so
/// that none passes through f64.
fn read_big_json(path: &Path) -> Result<serde_json::Value, DataError> {
    let text = crate::io::read_input_text(path, crate::io::MAX_TEXT_BYTES).map_err(|e| {
        DataError::from_input(
            path,
            e,
            "the manifest's [[replays]]",
            "; pass --data-root with the folder that holds the files",
        )
    })?;
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let bytes = text.as_bytes();
    let mut k = 0;
    let mut in_str = false;
    while k < bytes.len() {
        let c = bytes[k];
        if in_str {
            out.push(c as char);
            if c == b'\\' && k + 1 < bytes.len() {
                out.push(bytes[k + 1] as char);
                k += 2;
                continue;
            }
            if c == b'"' {
                in_str = false;
            }
            k += 1;
            continue;
        }
        if c == b'"' {
            in_str = true;
            out.push('"');
            k += 1;
            continue;
        }
        if c == b'-' || c.is_ascii_digit() {
            let start = k;
            k += 1;
            while k < bytes.len()
                && (bytes[k].is_ascii_digit()
                    || matches!(bytes[k], b'.' | b'e' | b'E' | b'+' | b'-'))
            {
                k += 1;
            }
            let tok = &text[start..k];
            if tok
                .bytes()
                .skip_while(|b| *b == b'-')
                .all(|b| b.is_ascii_digit())
            {
                out.push('"');
                out.push_str(tok);
                out.push('"');
            } else {
                out.push_str(tok);
            }
            continue;
        }
        out.push(c as char);
        k += 1;
    }
    serde_json::from_str(&out).map_err(|e| DataError::Format {
        path: path.to_path_buf(),
        message: format!("not valid JSON: {e}"),
    })
}

fn json_err(path: &Path, what: &str) -> DataError {
    DataError::Format {
        path: path.to_path_buf(),
        message: format!("{what} is missing or not a whole number"),
    }
}

fn jtext<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    v.get(key)?.as_str()
}

fn ju256(path: &Path, v: &serde_json::Value, key: &str) -> Result<U256, DataError> {
    jtext(v, key)
        .and_then(|s| parse_u256(s).ok())
        .ok_or_else(|| json_err(path, key))
}

fn jint<T: std::str::FromStr>(
    path: &Path,
    v: &serde_json::Value,
    key: &str,
) -> Result<T, DataError> {
    jtext(v, key)
        .and_then(|s| s.parse::<T>().ok())
        .ok_or_else(|| json_err(path, key))
}

/// Reads a snapshot (`pool_state_onchain_block*.json`). Tick keys in either case
/// (`liquidityNet` or `LiquidityNet`); only initialised ticks are kept; positions keyed
/// by owner+ticks (decimal) or by the pool's keccak key.
pub fn load_snapshot(root: &Path, file: &str) -> Result<Snapshot, DataError> {
    let path = root.join(file);
    let v = read_big_json(&path)?;
    let d = v.get("data").ok_or_else(|| json_err(&path, "data"))?;
    let slot0 = d
        .get("slot0")
        .ok_or_else(|| json_err(&path, "data.slot0"))?;
    let ticks = snapshot_ticks(&path, d)?;
    let positions = snapshot_positions(&path, d)?;
    Ok(Snapshot {
        block: jint(&path, &v, "block")?,
        fee_pips: jint(&path, d, "fee")?,
        tick_spacing: jint(&path, d, "tickSpacing")?,
        sqrt_price_x96: ju256(&path, slot0, "sqrtPriceX96")?,
        tick: jint(&path, slot0, "tick")?,
        liquidity: jint(&path, d, "liquidity")?,
        fee_growth_global: [
            ju256(&path, d, "feeGrowthGlobal0X128")?,
            ju256(&path, d, "feeGrowthGlobal1X128")?,
        ],
        ticks,
        positions,
    })
}

/// A snapshot's initialised ticks.
fn snapshot_ticks(
    path: &Path,
    d: &serde_json::Value,
) -> Result<BTreeMap<i32, SnapshotTick>, DataError> {
    let mut ticks = BTreeMap::new();
    if let Some(obj) = d.get("ticks").and_then(|t| t.as_object()) {
        for (k, t) in obj {
            let get = |a: &str, b: &str| t.get(a).or_else(|| t.get(b));
            let gross: u128 = get("liquidityGross", "LiquidityGross")
                .and_then(|x| x.as_str())
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| json_err(path, &format!("ticks.{k}.liquidityGross")))?;
            let initialized = t
                .get("initialized")
                .and_then(|b| b.as_bool())
                .unwrap_or(gross > 0);
            if !initialized || gross == 0 {
                continue;
            }
            let tick: i32 = k
                .parse()
                .map_err(|_| json_err(path, &format!("tick key {k}")))?;
            let net: i128 = get("liquidityNet", "LiquidityNet")
                .and_then(|x| x.as_str())
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| json_err(path, &format!("ticks.{k}.liquidityNet")))?;
            let fgo = |a: &str, b: &str| -> Result<U256, DataError> {
                get(a, b)
                    .and_then(|x| x.as_str())
                    .and_then(|s| parse_u256(s).ok())
                    .ok_or_else(|| json_err(path, &format!("ticks.{k}.{a}")))
            };
            ticks.insert(
                tick,
                SnapshotTick {
                    liquidity_gross: gross,
                    liquidity_net: net,
                    fee_growth_outside: [
                        fgo("feeGrowthOutside0X128", "FeeGrowthOutside0X128")?,
                        fgo("feeGrowthOutside1X128", "FeeGrowthOutside1X128")?,
                    ],
                },
            );
        }
    }
    Ok(ticks)
}

/// A snapshot's positions, keyed by owner+ticks (decimal) or by the pool's keccak key.
fn snapshot_positions(
    path: &Path,
    d: &serde_json::Value,
) -> Result<Vec<SnapshotPosition>, DataError> {
    let mut positions = Vec::new();
    if let Some(obj) = d.get("positions").and_then(|t| t.as_object()) {
        for (k, p) in obj {
            let owner_range = (k.len() == 54 && !k[42..].contains(|c: char| !c.is_ascii_digit()))
                .then(|| {
                    Some((
                        k[..42].to_ascii_lowercase(),
                        k[42..48].parse::<i32>().ok()?,
                        k[48..].parse::<i32>().ok()?,
                    ))
                })
                .flatten();
            let key = match &owner_range {
                Some((o, l, u)) => position_key(o, *l, *u),
                None => {
                    let h = k.strip_prefix("0x").unwrap_or(k);
                    let mut b = [0u8; 32];
                    (h.len() == 64)
                        .then(|| {
                            for (j, out) in b.iter_mut().enumerate() {
                                *out = u8::from_str_radix(&h[2 * j..2 * j + 2], 16).ok()?;
                            }
                            Some(b)
                        })
                        .flatten()
                }
            }
            .ok_or_else(|| json_err(path, &format!("position key {k}")))?;
            positions.push(SnapshotPosition {
                key,
                owner_range,
                liquidity: jint(path, p, "liquidity")?,
                fee_growth_inside_last: [
                    ju256(path, p, "feeGrowthInside0LastX128")?,
                    ju256(path, p, "feeGrowthInside1LastX128")?,
                ],
                tokens_owed: [jint(path, p, "tokensOwed0")?, jint(path, p, "tokensOwed1")?],
            });
        }
    }
    Ok(positions)
}

/// Reads the events of a replay set (`events_*.json`), in file order.
pub fn load_snapshot_events(root: &Path, file: &str) -> Result<Vec<Event>, DataError> {
    let path = root.join(file);
    let v = read_big_json(&path)?;
    let list = v
        .get("data")
        .and_then(|d| d.as_array())
        .ok_or_else(|| json_err(&path, "data (a list of events)"))?;
    let mut out = Vec::with_capacity(list.len());
    for (k, ev) in list.iter().enumerate() {
        let at = |what: &str| json_err(&path, &format!("event {k}: {what}"));
        let method = jtext(ev, "method")
            .ok_or_else(|| at("method"))?
            .to_ascii_lowercase();
        let kind = match method.as_str() {
            "swap" => EventKind::Swap,
            "mint" => EventKind::Mint,
            "burn" => EventKind::Burn,
            "collect" => EventKind::Collect,
            _ => return Err(at("method (swap, mint, burn or collect)")),
        };
        let swap = kind == EventKind::Swap;
        let num = |key: &str| -> Result<i128, DataError> {
            jtext(ev, key)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| at(key))
        };
        out.push(Event {
            block: jtext(ev, "blockNo")
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| at("blockNo"))?,
            log_index: k as u64,
            timestamp: jtext(ev, "timestamp")
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| at("timestamp"))?,
            kind,
            amount0: num("amount0")?,
            amount1: num("amount1")?,
            sqrt_price_x96: if swap {
                Some(ju256(&path, ev, "sqrtPriceX96")?)
            } else {
                None
            },
            tick: if swap {
                Some(num("tick")? as i32)
            } else {
                None
            },
            liquidity: if swap {
                num("liquidity")? as u128
            } else {
                num("amount")? as u128
            },
            tick_lower: if swap {
                None
            } else {
                Some(num("tickLower")? as i32)
            },
            tick_upper: if swap {
                None
            } else {
                Some(num("tickUpper")? as i32)
            },
            owner: jtext(ev, "owner").unwrap_or("").to_ascii_lowercase(),
        });
    }
    Ok(out)
}

/// Replays `events` from `pool` (its state before the first of them) onto `grid`: the
/// pool's bar fields as the data layer aligns them (price and liquidity at each point;
/// the bar's volume and fee-growth increments at the point that starts it; its mean
/// liquidity and tick extremes at the point that ends it) and its swap steps per bar.
/// An event belongs to the bar its timestamp falls in. `decimals` converts to
/// whole-token prices; volume is valued with `usd_token` (0 or 1) at $1 and the other
/// token at the pool price.
pub fn replay_onto_grid(
    mut pool: crate::amm::replay::Pool,
    events: &[Event],
    grid: &crate::market::TimeGrid,
    decimals: (i32, i32),
    usd_token: u8,
) -> Result<
    (
        BTreeMap<crate::market::Field, Vec<f64>>,
        crate::market::EventFees,
    ),
    String,
> {
    use crate::amm::v3_exact::to_f64;
    let (d0, d1) = decimals;
    let whole = |sqrt_x96: U256| {
        let s = to_f64(sqrt_x96) / 2f64.powi(96);
        s * s * 10f64.powi(d0 - d1)
    };
    let n = grid.len();
    let step = grid.step;
    let q128 = 2f64.powi(128);
    let mut price = vec![f64::NAN; n];
    let mut liq = vec![f64::NAN; n];
    let mut liq_mean = vec![f64::NAN; n];
    let mut hi = vec![f64::NAN; n];
    let mut lo = vec![f64::NAN; n];
    let mut vol = vec![0.0; n];
    let mut fg0 = vec![0.0; n];
    let mut fg1 = vec![0.0; n];
    let mut step_start = Vec::with_capacity(n + 1);
    pool.keep_segments = true;
    pool.segments.clear();
    let mut k = 0usize;
    for i in 0..=n {
        let t = grid.start + i as i64 * step;
        let fg_before = pool.fee_growth_global;
        let seg_before = pool.segments.len();
        let bar_vol = if i > 0 { Some(&mut vol[i - 1]) } else { None };
        let (used, mut l_time, last_t, tick_hi, tick_lo) = replay_bar(
            &mut pool,
            &events[k..],
            t,
            step,
            bar_vol,
            decimals,
            usd_token,
        )?;
        k += used;
        if i > 0 {
            step_start.push(seg_before);
            l_time += pool.liquidity as f64 * (t - last_t).max(0) as f64;
            if i < n {
                liq_mean[i] = l_time / step as f64;
                hi[i] = tick_hi as f64;
                lo[i] = tick_lo as f64;
            }
            fg0[i - 1] = to_f64(pool.fee_growth_global[0].wrapping_sub(fg_before[0])) / q128;
            fg1[i - 1] = to_f64(pool.fee_growth_global[1].wrapping_sub(fg_before[1])) / q128;
        } else {
            pool.segments.clear();
        }
        if i < n {
            price[i] = whole(pool.sqrt_price_x96);
            liq[i] = pool.liquidity as f64;
        }
    }
    step_start.push(pool.segments.len());
    let fields = grid_fields([price, liq, liq_mean, hi, lo, vol, fg0, fg1]);
    let segments = std::mem::take(&mut pool.segments);
    Ok((
        fields,
        crate::market::EventFees {
            segments,
            step_start,
        },
    ))
}

/// The replay's bar fields on the grid: price, liquidity, mean liquidity, tick high and
/// low, volume, fee-growth increments. Point 0 has no bar before it: it repeats point
/// 1's bar statistics.
fn grid_fields(
    [price, liq, mut liq_mean, mut hi, mut lo, vol, fg0, fg1]: [Vec<f64>; 8],
) -> BTreeMap<crate::market::Field, Vec<f64>> {
    use crate::market::Field;
    if liq_mean.len() > 1 {
        liq_mean[0] = liq_mean[1];
        hi[0] = hi[1];
        lo[0] = lo[1];
    }
    [
        (Field::Price, price),
        (Field::Liquidity, liq),
        (Field::LiquidityMean, liq_mean),
        (Field::TickHigh, hi),
        (Field::TickLow, lo),
        (Field::VolumeUsd, vol),
        (Field::FeeGrowthGlobal0, fg0),
        (Field::FeeGrowthGlobal1, fg1),
    ]
    .into_iter()
    .collect()
}

/// Replays `events` up to (not including) time `t`, the end of a bar of `step`
/// seconds: adds each swap's USD volume to `vol` (none for the point before the first
/// bar); returns how many events it applied, the liquidity × time integral up to the
/// last of them, its time (the bar's start without one), and the bar's highest and
/// lowest tick.
fn replay_bar(
    pool: &mut crate::amm::replay::Pool,
    events: &[Event],
    t: i64,
    step: i64,
    mut vol: Option<&mut f64>,
    (d0, d1): (i32, i32),
    usd_token: u8,
) -> Result<(usize, f64, i64, i32, i32), String> {
    use crate::amm::v3_exact::to_f64;
    let whole = |sqrt_x96: U256| {
        let s = to_f64(sqrt_x96) / 2f64.powi(96);
        s * s * 10f64.powi(d0 - d1)
    };
    let (mut l_time, mut last_t) = (0.0, t - step);
    let (mut tick_hi, mut tick_lo) = (pool.tick, pool.tick);
    let mut used = 0;
    for ev in events.iter().take_while(|e| e.timestamp < t) {
        used += 1;
        l_time += pool.liquidity as f64 * (ev.timestamp - last_t).max(0) as f64;
        last_t = last_t.max(ev.timestamp);
        pool.apply(ev).map_err(|e| e.to_string())?;
        if ev.kind == EventKind::Swap {
            tick_hi = tick_hi.max(pool.tick);
            tick_lo = tick_lo.min(pool.tick);
            if let Some(v) = vol.as_deref_mut() {
                let p = whole(pool.sqrt_price_x96);
                let (a0, a1) = (
                    ev.amount0.max(0) as f64 / 10f64.powi(d0),
                    ev.amount1.max(0) as f64 / 10f64.powi(d1),
                );
                *v += if usd_token == 0 {
                    a0 + a1 / p
                } else {
                    a1 + a0 * p
                };
            }
        }
    }
    Ok((used, l_time, last_t, tick_hi, tick_lo))
}

/// A pool's bar fields and swap steps on `grid`, from its `[[events]]` entry: replayed
/// from the latest checkpoint at or before the grid's start (else from the first swap's
/// post-state, fee growth counted from zero). The grid must lie inside the events'
/// window: a bar after the last event would earn nothing for lack of data, so it is an
/// error naming the pool and both times.
pub fn pool_from_events(
    root: &Path,
    entry: &EventsEntry,
    meta: &crate::market::PoolMeta,
    grid: &crate::market::TimeGrid,
) -> Result<
    (
        BTreeMap<crate::market::Field, Vec<f64>>,
        crate::market::EventFees,
    ),
    DataError,
> {
    use crate::units::format_ts;
    let path = root.join(&entry.path);
    let bad = |message: String| DataError::Format {
        path: path.clone(),
        message,
    };
    let events = load_events(root, entry)?;
    let Some(last) = events.last() else {
        return Err(bad("no events".into()));
    };
    let [d0, d1] = match meta.decimals.as_slice() {
        [a, b] => [*a as i32, *b as i32],
        _ => {
            return Err(bad(format!(
                "pool '{}' needs its two tokens' decimals",
                meta.id
            )))
        }
    };
    let pips = meta
        .fee
        .map(|f| (f * 1e6).round() as u32)
        .ok_or_else(|| bad(format!("pool '{}' needs `fee`", meta.id)))?;
    let spacing = meta
        .tick_spacing
        .ok_or_else(|| bad(format!("pool '{}' needs `tick_spacing`", meta.id)))?;
    let checkpoints = match &entry.checkpoints {
        Some(c) => load_checkpoints(root, c)?,
        None => Vec::new(),
    };
    let (pool, from, start) = replay_start(&events, &checkpoints, grid, (pips, spacing), &bad)?;
    let replay_start = events
        .get(from)
        .map(|e| e.timestamp)
        .unwrap_or(last.timestamp);
    if grid.start < replay_start.min(start.map(|c| c.timestamp).unwrap_or(i64::MAX)) {
        return Err(bad(format!(
            "pool '{}': its events can be replayed from {} (the first on-chain state read inside them, or the first swap), after the run's start {}; start the run later",
            meta.id,
            format_ts(start.map(|c| c.timestamp).unwrap_or(replay_start)),
            format_ts(grid.start)
        )));
    }
    // The grid's last step is never accrued; every step before it must end by the last event.
    let needed = grid.end();
    if needed > last.timestamp {
        return Err(bad(format!(
            "pool '{}': its events end at {}, before the run's end {}; end the run by then",
            meta.id,
            format_ts(last.timestamp),
            format_ts(needed)
        )));
    }
    let usd_token = if ["USDC", "USDT", "DAI"]
        .contains(&meta.tokens.first().map(String::as_str).unwrap_or(""))
    {
        0
    } else {
        1
    };
    replay_onto_grid(pool, &events[from..], grid, (d0, d1), usd_token)
        .map_err(|m| bad(format!("pool '{}': replay failed: {m}", meta.id)))
}

/// Where a pool's replay starts for a grid: the latest on-chain checkpoint at or before
/// the grid's start inside the events (its state, the events after it), else the first
/// swap's post-state (fee growth counted from zero). Returns the pool, the index of the
/// first event to replay, and the checkpoint used.
fn replay_start<'c>(
    events: &[Event],
    checkpoints: &'c [Checkpoint],
    grid: &crate::market::TimeGrid,
    (pips, spacing): (u32, i32),
    bad: &dyn Fn(String) -> DataError,
) -> Result<(crate::amm::replay::Pool, usize, Option<&'c Checkpoint>), DataError> {
    use crate::amm::replay::Pool;
    let first = events.first().ok_or_else(|| bad("no events".into()))?;
    let start = checkpoints
        .iter()
        .rev()
        .find(|c| c.block >= first.block && c.timestamp <= grid.start);
    let (pool, from) = match start {
        Some(c) => {
            let mut p = Pool::new(
                c.sqrt_price_x96,
                c.liquidity,
                c.fee_growth_global,
                pips,
                spacing,
            )
            .map_err(|e| bad(e.0))?;
            p.tick = c.tick;
            (p, events.partition_point(|e| e.block <= c.block))
        }
        None => {
            let k = events
                .iter()
                .position(|e| e.kind == EventKind::Swap)
                .ok_or_else(|| bad("no swap to start the replay from".into()))?;
            let e = &events[k];
            let sqrt = e
                .sqrt_price_x96
                .ok_or_else(|| bad("a swap without sqrt_price_x96".into()))?;
            let mut p = Pool::new(sqrt, e.liquidity, [U256::ZERO; 2], pips, spacing)
                .map_err(|x| bad(x.0))?;
            if let Some(t) = e.tick {
                p.tick = t;
            }
            (p, k + 1)
        }
    };
    Ok((pool, from, start))
}
