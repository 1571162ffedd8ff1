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
        self.rows[k].get(j).map(|s| s.trim()).filter(|s| !s.is_empty())
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
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => DataError::FileNotFound {
            path: path.to_path_buf(),
            referenced_by: format!("the manifest's {what}"),
            hint: "; pass --data-root with the folder that holds the files".into(),
        },
        _ => DataError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        },
    };
    let name = path.to_string_lossy().to_lowercase();
    let (header, rows, parquet) = if name.ends_with(".parquet") {
        let (h, r) = read_parquet(path)?;
        (h, r, true)
    } else {
        let file = std::fs::File::open(path).map_err(io)?;
        let reader: Box<dyn Read> = if name.ends_with(".gz") {
            Box::new(flate2::read::MultiGzDecoder::new(file))
        } else {
            Box::new(file)
        };
        let mut csv = csv::ReaderBuilder::new().flexible(false).from_reader(reader);
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
    };
    if rows.is_empty() {
        return Err(DataError::NoRows {
            path: path.to_path_buf(),
        });
    }
    let mut index = BTreeMap::new();
    for (canonical, col) in columns {
        let j = header.iter().position(|h| h == col).ok_or_else(|| {
            DataError::MissingColumn {
                path: path.to_path_buf(),
                column: col.clone(),
                field: canonical.clone(),
                suggestion: super::error::suggest(col, header.iter().map(String::as_str)),
                available: header.join(", "),
            }
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

fn read_parquet(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>), DataError> {
    use polars::prelude::*;
    let f = std::fs::File::open(path).map_err(|e| DataError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let df = ParquetReader::new(f).finish().map_err(|e| DataError::Format {
        path: path.to_path_buf(),
        message: format!("not a readable Parquet file ({e})"),
    })?;
    let header: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
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
    let r = read_rows(&path, &entry.columns, &EVENT_COLUMNS, &REQUIRED_EVENT, "events")?;
    let mut out = Vec::with_capacity(r.rows.len());
    for k in 0..r.rows.len() {
        let ty = r.need(k, "type")?.to_ascii_lowercase();
        let kind = match ty.as_str() {
            "swap" => EventKind::Swap,
            "mint" => EventKind::Mint,
            "burn" => EventKind::Burn,
            "collect" => EventKind::Collect,
            other => {
                return Err(r.bad(
                    k,
                    "type",
                    format!("'{other}' is not an event type (swap, mint, burn, collect)"),
                ))
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
pub fn load_checkpoints(root: &Path, entry: &CheckpointsEntry) -> Result<Vec<Checkpoint>, DataError> {
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
