//! Reading one CSV or Parquet file into named columns through polars, and turning a
//! column into numbers or timestamps with errors that name the file, line and column.
//!
//! CSV files are read with every column as text, so that each value is parsed by one
//! parser of ours whatever the file's habits (ISO dates, unix seconds, integers too
//! large for 64 bits, empty cells) and every failure can point at its line.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::error::{list_names, suggest, DataError};
use super::manifest::{ColumnDetail, FileFormat, Unit};
use crate::market::{Domain, Field};
use crate::units::{parse_datetime, Timestamp};

/// One file as read: a polars frame with its origin, for error messages.
pub struct Table {
    pub path: PathBuf,
    pub format: FileFormat,
    pub df: DataFrame,
    pub bytes: u64,
    delimiter: u8,
}

/// A column's values, as text or already typed (Parquet).
enum Values {
    Text(StringChunked),
    Number(Float64Chunked),
    /// Integer timestamps with the factor that turns them into seconds (1/1000 for ms).
    Time(Int64Chunked, i64),
}

impl Table {
    /// Reads a file. `delimiter` applies to CSV only.
    pub fn read(
        path: &Path,
        format: FileFormat,
        delimiter: u8,
        records: Option<&str>,
        referenced_by: &str,
    ) -> Result<Table, DataError> {
        let len = crate::io::check_input_file(path, crate::io::MAX_DATA_BYTES).map_err(|e| {
            DataError::from_input(
                path,
                e,
                referenced_by,
                "; check the path in the manifest, or pass --data-root with the folder that holds the files",
            )
        })?;
        if len == 0 {
            return Err(DataError::EmptyFile {
                path: path.to_path_buf(),
            });
        }
        let mut df = match format {
            FileFormat::Csv | FileFormat::PeerMinute => read_csv(path, delimiter)?,
            FileFormat::Json => read_json(path, records)?,
            FileFormat::Parquet | FileFormat::ClmmCandles => super::parquet::read(path)?,
        };
        // A UTF-8 byte order mark (Excel exports) must not become part of the first name.
        let first = df.get_column_names().first().map(|s| s.to_string());
        if let Some(name) = first {
            let clean = name.trim_start_matches('\u{feff}').trim().to_string();
            if clean != name {
                df.rename(&name, clean.into()).map_err(|e| DataError::Io {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })?;
            }
        }
        if df.height() == 0 {
            return Err(DataError::NoRows {
                path: path.to_path_buf(),
            });
        }
        Ok(Table {
            path: path.to_path_buf(),
            format,
            df,
            bytes: len,
            delimiter,
        })
    }

    /// For a CSV data row `i` with fewer fields than the header (a row cut short, as at
    /// the end of a truncated file): "line N has K of the header's M fields". Reads the
    /// file again, so only for error messages.
    pub fn short_row(&self, i: usize) -> Option<String> {
        if matches!(self.format, FileFormat::Parquet | FileFormat::ClmmCandles) {
            return None;
        }
        let mut r = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .flexible(true)
            .from_path(&self.path)
            .ok()?;
        let width = r.headers().ok()?.len();
        let rec = r.records().nth(i)?.ok()?;
        (rec.len() < width).then(|| {
            format!(
                "{} has {} of the header's {} fields: the row is cut short (is the file truncated?)",
                self.location(i),
                rec.len(),
                width
            )
        })
    }

    pub fn height(&self) -> usize {
        self.df.height()
    }

    /// Where row `i` (0-based data row) is, as a person would look for it.
    pub fn location(&self, i: usize) -> String {
        match self.format {
            FileFormat::Csv | FileFormat::PeerMinute => format!("line {}", i + 2),
            FileFormat::Parquet | FileFormat::ClmmCandles => format!("row {}", i + 1),
            FileFormat::Json => format!("record {}", i + 1),
        }
    }

    fn column_names(&self) -> Vec<String> {
        self.df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// Checks that a column exists, suggesting the closest name if not.
    pub fn require(&self, column: &str, field: &str) -> Result<(), DataError> {
        let names = self.column_names();
        if names.iter().any(|n| n == column) {
            return Ok(());
        }
        Err(DataError::MissingColumn {
            path: self.path.clone(),
            column: column.to_string(),
            field: field.to_string(),
            suggestion: match names.as_slice() {
                [one] if one.contains([';', '\t', '|']) => {
                    let d = one
                        .chars()
                        .find(|c| [';', '\t', '|'].contains(c))
                        .unwrap_or(';');
                    format!("; the header looks separated by {d:?}: set delimiter = {d:?} for this file in the manifest")
                }
                _ => suggest(column, names.iter().map(String::as_str)),
            },
            available: list_names(names.iter().map(String::as_str)),
        })
    }

    fn values(&self, column: &str) -> Result<Values, DataError> {
        let io = |e: PolarsError| DataError::Io {
            path: self.path.clone(),
            message: format!("column '{column}': {e}"),
        };
        let col = self.df.column(column).map_err(io)?;
        let s = col.as_materialized_series();
        match s.dtype() {
            DataType::String => Ok(Values::Text(s.str().map_err(io)?.clone())),
            DataType::Datetime(unit, _) => {
                let per_sec = match unit {
                    TimeUnit::Milliseconds => 1_000,
                    TimeUnit::Microseconds => 1_000_000,
                    TimeUnit::Nanoseconds => 1_000_000_000,
                };
                let ints = s.cast(&DataType::Int64).map_err(io)?;
                Ok(Values::Time(ints.i64().map_err(io)?.clone(), per_sec))
            }
            // Int128 and Decimal: on-chain integers (liquidity above 2^63) as f64.
            dt if dt.is_primitive_numeric() || dt.is_decimal() => {
                let f = s.cast(&DataType::Float64).map_err(io)?;
                Ok(Values::Number(f.f64().map_err(io)?.clone()))
            }
            other => Err(DataError::BadValue {
                path: self.path.clone(),
                location: "every row".into(),
                column: column.into(),
                message: format!("has type {other}, expected numbers, timestamps or text"),
            }),
        }
    }

    /// The distinct values of a text column in first-seen order, and each row's index into them.
    pub fn groups(&self, column: &str) -> Result<(Vec<String>, Vec<u32>), DataError> {
        self.require(column, "id_column")?;
        let mut names: Vec<String> = Vec::new();
        let mut index = std::collections::HashMap::<String, u32>::new();
        let mut rows = Vec::with_capacity(self.height());
        let mut push = |i: usize, v: Option<String>| -> Result<(), DataError> {
            let v = v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
            let v = v.ok_or_else(|| DataError::BadValue {
                path: self.path.clone(),
                location: self.location(i),
                column: column.into(),
                message: "empty series id".into(),
            })?;
            let next = names.len() as u32;
            let id = *index.entry(v.clone()).or_insert_with(|| {
                names.push(v);
                next
            });
            rows.push(id);
            Ok(())
        };
        match self.values(column)? {
            Values::Text(s) => {
                for (i, v) in s.iter().enumerate() {
                    push(i, v.map(str::to_string))?;
                }
            }
            Values::Number(s) => {
                for (i, v) in s.iter().enumerate() {
                    push(i, v.map(|x| x.to_string()))?;
                }
            }
            Values::Time(s, _) => {
                for (i, v) in s.iter().enumerate() {
                    push(i, v.map(|x| x.to_string()))?;
                }
            }
        }
        Ok((names, rows))
    }

    /// Text of one cell (for metadata columns), `None` when empty.
    pub fn text_at(&self, column: &str, i: usize) -> Result<Option<String>, DataError> {
        let v = match self.values(column)? {
            Values::Text(s) => s.get(i).map(|s| s.trim().to_string()),
            Values::Number(s) => s.get(i).map(|x| x.to_string()),
            Values::Time(s, _) => s.get(i).map(|x| x.to_string()),
        };
        Ok(v.filter(|s| !s.is_empty()))
    }

    /// Parses a timestamp column into unix seconds; `None` for empty cells.
    pub fn timestamps(
        &self,
        detail: &ColumnDetail,
        unit: Unit,
        format: Option<&crate::units::TimeFormat>,
    ) -> Result<Vec<Option<Timestamp>>, DataError> {
        let column = detail.column.as_str();
        self.require(column, "timestamp")?;
        let bad = |i: usize, message: String| DataError::BadValue {
            path: self.path.clone(),
            location: self.location(i),
            column: column.into(),
            message,
        };
        let from_number = |i: usize, x: f64| unix_seconds(x, unit).map_err(|m| bad(i, m));
        let mut out = Vec::with_capacity(self.height());
        match self.values(column)? {
            Values::Text(s) => {
                for (i, v) in s.iter().enumerate() {
                    let Some(t) = v.map(str::trim).filter(|t| !t.is_empty()) else {
                        out.push(None);
                        continue;
                    };
                    let ts = match (format, unit) {
                        (Some(f), _) => f.parse(t).ok_or_else(|| {
                            bad(i, format!("'{t}' does not match the manifest's timestamp_format '{}'", f.text()))
                        })?,
                        (None, Unit::Iso) => parse_datetime(t).ok_or_else(|| {
                            bad(i, format!("'{t}' is not an ISO-8601 date or date-time (e.g. 2022-01-01 or 2022-01-01T13:00:00Z)"))
                        })?,
                        _ => match t.parse::<f64>() {
                            Ok(x) => from_number(i, x)?,
                            Err(_) if unit == Unit::AutoTime => parse_datetime(t).ok_or_else(|| {
                                bad(i, format!("'{t}' is neither unix seconds nor an ISO-8601 date or date-time (e.g. 2022-01-01T13:00:00Z)"))
                            })?,
                            Err(_) => {
                                return Err(bad(
                                    i,
                                    format!("'{t}' is not a number; the manifest says unix time here (unit = \"unix_s\"/\"unix_ms\"); for text dates use unit = \"iso\""),
                                ))
                            }
                        },
                    };
                    out.push(Some(ts));
                }
            }
            Values::Number(_) | Values::Time(..) if format.is_some() => {
                return Err(bad(0, "holds numbers or datetimes, not text; `timestamp_format` reads text: remove it from the manifest".into()));
            }
            Values::Number(s) => {
                if unit == Unit::Iso {
                    return Err(bad(0, "holds numbers, but the manifest says unit = \"iso\"; use \"unix_s\" or \"unix_ms\"".into()));
                }
                for (i, v) in s.iter().enumerate() {
                    out.push(v.map(|x| from_number(i, x)).transpose()?);
                }
            }
            Values::Time(s, per_sec) => {
                for v in s.iter() {
                    out.push(v.map(|x| x.div_euclid(per_sec)));
                }
            }
        }
        Ok(out)
    }

    /// Parses a numeric column into the field's canonical unit, checking its domain;
    /// `None` for empty cells.
    pub fn numbers(
        &self,
        field: Field,
        detail: &ColumnDetail,
        unit: Unit,
    ) -> Result<Vec<Option<f64>>, DataError> {
        let column = detail.column.as_str();
        self.require(column, field.name())?;
        let factor = match unit {
            Unit::Factor(f) => f,
            _ => 1.0,
        } * detail.scale.unwrap_or(1.0);
        let bad = |i: usize, message: String| DataError::BadValue {
            path: self.path.clone(),
            location: self.location(i),
            column: column.into(),
            message,
        };
        let convert = |i: usize, raw: f64, text: &dyn Fn() -> String| -> Result<f64, DataError> {
            let mut x = raw;
            if detail.invert {
                if x == 0.0 {
                    return Err(bad(
                        i,
                        format!("{} is 0 and cannot be inverted (invert = true)", field),
                    ));
                }
                x = 1.0 / x;
            }
            x *= factor;
            check_domain(field, x).map_err(|m| bad(i, format!("{m}, found '{}'", text())))?;
            Ok(x)
        };
        let mut out = Vec::with_capacity(self.height());
        match self.values(column)? {
            Values::Text(s) => {
                for (i, v) in s.iter().enumerate() {
                    let Some(t) = v.map(str::trim).filter(|t| !t.is_empty()) else {
                        out.push(None);
                        continue;
                    };
                    let raw = parse_number(t).map_err(|m| bad(i, m))?;
                    out.push(Some(convert(i, raw, &|| t.to_string())?));
                }
            }
            Values::Number(s) => {
                for (i, v) in s.iter().enumerate() {
                    out.push(v.map(|x| convert(i, x, &|| x.to_string())).transpose()?);
                }
            }
            Values::Time(..) => {
                return Err(bad(
                    0,
                    format!("holds timestamps, but field '{field}' needs numbers"),
                ))
            }
        }
        Ok(out)
    }
}

/// Parses one number as written in a data file: plain or scientific notation.
/// Thousands separators and decimal commas are refused with a hint, never guessed.
pub fn parse_number(t: &str) -> Result<f64, String> {
    let t = t.trim().trim_matches('"');
    match t.parse::<f64>() {
        Ok(x) => Ok(x),
        Err(_) if t.contains(',') => Err(format!(
            "'{t}' is not a number: thousands separators and decimal commas are not read; write 1234.5"
        )),
        Err(_) => Err(format!("'{t}' is not a number")),
    }
}

/// Checks a converted value against its field's domain.
pub fn check_domain(field: Field, x: f64) -> Result<(), String> {
    if x.is_nan() {
        return Err(format!("{field} is NaN; expected a number"));
    }
    if x.is_infinite() {
        return Err(format!("{field} is infinite; expected a finite number"));
    }
    match field.domain() {
        Domain::Positive if x <= 0.0 => Err(format!(
            "{field} must be > 0 ({})",
            if x == 0.0 { "zero" } else { "negative" }
        )),
        Domain::NonNegative if x < 0.0 => Err(format!("{field} must be >= 0 (negative)")),
        Domain::Rate if x <= -1.0 => Err(format!(
            "{field} must be > -1 as a fraction per year (check the unit: percent?)"
        )),
        Domain::Fraction if !(0.0..=1.0).contains(&x) => Err(format!(
            "{field} must be a fraction in [0, 1] (check the unit: percent?)"
        )),
        Domain::Integer if x.fract() != 0.0 => Err(format!("{field} must be a whole number")),
        _ => {
            let (lo, hi) = field.range();
            if x < lo || x > hi {
                Err(format!(
                    "{field} = {x:e} is outside its domain: must be between {lo:e} and {hi:e} (docs/manifest.md, \"Field domains\"); check the unit and the column"
                ))
            } else {
                Ok(())
            }
        }
    }
}

/// Longest header line a CSV may have (about 20,000 columns of 50 characters).
const MAX_HEADER_BYTES: usize = 1 << 20;

/// Scans the first `limit` bytes of a CSV, streamed in blocks (never held whole), for
/// what no CSV reader here handles: no line break within `MAX_HEADER_BYTES` (not a
/// table: a binary file or one long line), or a carriage return not followed by a line
/// feed (an old-Mac line ending, or one mixed into a file of \n or \r\n lines), which
/// would run a row into the next one. The error names line 1 or the line of that CR.
fn scan_line_endings(path: &Path, limit: u64) -> Option<DataError> {
    use std::io::Read;
    let csv_error = |line: usize, message: String| DataError::Csv {
        path: path.to_path_buf(),
        location: format!(", line {line}"),
        message,
    };
    let mut f = File::open(path).ok()?.take(limit);
    let mut block = vec![0u8; 1 << 16];
    let (mut seen, mut line, mut after_cr) = (0usize, 1usize, false);
    loop {
        let n = f.read(&mut block).ok()?;
        if n == 0 {
            return None;
        }
        for &b in &block[..n] {
            if after_cr && b != b'\n' {
                return Some(csv_error(line, "the line ends with a lone carriage return (\\r without \\n); save the file with \\n or \\r\\n line endings".into()));
            }
            after_cr = b == b'\r';
            if b == b'\n' {
                line += 1;
            }
        }
        seen += n;
        if line == 1 && seen > MAX_HEADER_BYTES {
            return Some(csv_error(1, format!(
                "the header line is longer than {} KiB (no line break): not a CSV table; check the path and the format",
                MAX_HEADER_BYTES >> 10
            )));
        }
    }
}

fn read_csv(path: &Path, delimiter: u8) -> Result<DataFrame, DataError> {
    if let Some(e) = scan_line_endings(path, MAX_HEADER_BYTES as u64 + 1) {
        return Err(e);
    }
    let read = || {
        CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_parse_options(CsvParseOptions::default().with_separator(delimiter))
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|r| r.finish())
    };
    let result = match crate::io::contain_panic(read) {
        Ok(r) => r,
        Err(m) => Err(PolarsError::ComputeError(m.into())),
    };
    result.map_err(|e| {
        if let Some(e) = scan_line_endings(path, crate::io::MAX_DATA_BYTES) {
            return e;
        }
        // polars says what went wrong but not where; find the line with the csv crate.
        let (location, detail) = locate_csv_error(path, delimiter);
        DataError::Csv {
            path: path.to_path_buf(),
            location,
            message: detail.unwrap_or_else(|| first_line(&e.to_string())),
        }
    })
}

/// The largest JSON file read (a JSON document is parsed whole in memory).
const MAX_JSON_BYTES: u64 = 1 << 30;

/// A JSON array of records as a frame of text columns (in first-seen key order), as a
/// CSV file is read: strings as they are, numbers as written, booleans as
/// `true`/`false`, null or a missing key as an empty cell, nested values as JSON text.
fn read_json(path: &Path, records: Option<&str>) -> Result<DataFrame, DataError> {
    let fail = |message: String| DataError::Format {
        path: path.to_path_buf(),
        message,
    };
    let text = crate::io::read_input_text(path, MAX_JSON_BYTES).map_err(|e| DataError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        fail(format!(
            "not valid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let rows = json_records(&doc, records, &fail)?;
    let mut names: Vec<String> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let obj = r.as_object().ok_or_else(|| {
            fail(format!(
                "record {} is not an object (a record maps column names to values)",
                i + 1
            ))
        })?;
        for k in obj.keys() {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    let columns: Vec<Column> = names
        .iter()
        .map(|name| {
            let cells: Vec<Option<String>> = rows
                .iter()
                .map(|r| match r.get(name) {
                    None | Some(serde_json::Value::Null) => None,
                    Some(serde_json::Value::String(s)) => Some(s.clone()),
                    Some(other) => Some(other.to_string()),
                })
                .collect();
            Series::new(name.as_str().into(), cells).into()
        })
        .collect();
    DataFrame::new(rows.len(), columns).map_err(|e| fail(e.to_string()))
}

/// The array of records a JSON document holds: the top level, or the array its
/// `records` path (`data.rows`) names; an error says which keys hold arrays.
fn json_records<'d>(
    doc: &'d serde_json::Value,
    records: Option<&str>,
    fail: &dyn Fn(String) -> DataError,
) -> Result<&'d Vec<serde_json::Value>, DataError> {
    let arrays_in = |v: &serde_json::Value| -> String {
        let keys: Vec<String> = v
            .as_object()
            .map(|o| {
                o.iter()
                    .filter(|(_, x)| x.is_array())
                    .map(|(k, _)| format!("\"{k}\""))
                    .collect()
            })
            .unwrap_or_default();
        if keys.is_empty() {
            "no key of it holds an array".into()
        } else {
            format!("keys holding an array: {}", keys.join(", "))
        }
    };
    let mut at = doc;
    let mut walked = String::new();
    for key in records.iter().flat_map(|r| r.split('.')) {
        at = at.get(key).ok_or_else(|| {
            fail(format!(
                "`records = \"{}\"`: {} has no key \"{key}\" ({})",
                records.unwrap_or(""),
                if walked.is_empty() {
                    "the top level".to_string()
                } else {
                    format!("\"{walked}\"")
                },
                arrays_in(at)
            ))
        })?;
        walked = if walked.is_empty() {
            key.to_string()
        } else {
            format!("{walked}.{key}")
        };
    }
    at.as_array().ok_or_else(|| {
        fail(match records {
            None if at.is_object() => format!(
                "the top level is an object, not an array of records; name the array with `records` in the manifest ({})",
                arrays_in(at)
            ),
            _ => format!(
                "{} is not an array of records",
                if walked.is_empty() { "the top level".to_string() } else { format!("\"{walked}\"") }
            ),
        })
    })
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

/// Scans a CSV that polars refused, to name the first bad line.
fn locate_csv_error(path: &Path, delimiter: u8) -> (String, Option<String>) {
    let Ok(mut rdr) = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .from_path(path)
    else {
        return (String::new(), None);
    };
    let width = match rdr.headers() {
        Ok(h) => h.len(),
        Err(e) => return (String::new(), Some(e.to_string())),
    };
    let mut record = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => return (String::new(), None),
            Ok(true) if record.len() > width => {
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                return (
                    format!(", line {line}"),
                    Some(format!(
                        "{} fields where the header has {width}; check the delimiter and quoting",
                        record.len()
                    )),
                );
            }
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                let msg = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => {
                        "not valid UTF-8 text; save the file as UTF-8".to_string()
                    }
                    _ => e.to_string(),
                };
                return (format!(", line {line}"), Some(msg));
            }
        }
    }
}

/// A numeric timestamp in unix seconds (milliseconds for `Unit::UnixMillis`), floored;
/// or why it cannot be one.
fn unix_seconds(x: f64, unit: Unit) -> Result<Timestamp, String> {
    if !x.is_finite() {
        return Err(format!("timestamp {x} is not a finite number"));
    }
    let secs = match unit {
        Unit::UnixMillis => x / 1000.0,
        _ => x,
    };
    if unit != Unit::UnixMillis && secs.abs() > 1e11 {
        return Err(format!("timestamp {x} is too large for unix seconds; if it is milliseconds, set unit = \"unix_ms\" for the timestamp in the manifest"));
    }
    if !(-1e13..=1e13).contains(&secs) {
        return Err(format!("timestamp {x} is out of range"));
    }
    Ok(secs.floor() as Timestamp)
}
