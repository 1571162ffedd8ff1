//! Errors of the data layer. Every variant names the file and, where there is one,
//! the line (CSV) or row (Parquet), the column or manifest field, what was found and
//! what is expected, so that a user can fix the input without reading our code.

use std::path::PathBuf;

use crate::units::{format_duration, format_ts, Timestamp};

pub use crate::names::{list_names, suggest};

impl DataError {
    /// The error for an input file `check_input_file`/`read_input_text` did not read;
    /// `referenced_by` and `hint` name where the path came from and how to fix it.
    pub fn from_input(
        path: &std::path::Path,
        e: crate::io::InputError,
        referenced_by: &str,
        hint: &str,
    ) -> DataError {
        use crate::io::InputError;
        match e {
            InputError::Missing(_) => DataError::FileNotFound {
                path: path.to_path_buf(),
                referenced_by: referenced_by.to_string(),
                hint: hint.to_string(),
            },
            InputError::Refused(message) => DataError::NotAFile {
                path: path.to_path_buf(),
                message,
            },
            InputError::Io(e) => DataError::Io {
                path: path.to_path_buf(),
                message: e.to_string(),
            },
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{path}: file not found (named by {referenced_by}){hint}")]
    FileNotFound {
        path: PathBuf,
        referenced_by: String,
        hint: String,
    },

    #[error("{path}: cannot read: {message}")]
    Io { path: PathBuf, message: String },

    /// A path that is not a file we read (a folder, a device, over the size limit).
    #[error("{path}: {message}")]
    NotAFile { path: PathBuf, message: String },

    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },

    #[error("{path}: invalid TOML: {message}")]
    ManifestSyntax { path: PathBuf, message: String },

    #[error("{path}: {message}")]
    Manifest { path: PathBuf, message: String },

    #[error("{path}: malformed CSV{location}: {message}")]
    Csv {
        path: PathBuf,
        /// ", line N" or empty.
        location: String,
        message: String,
    },

    #[error("{path}: the file is empty; expected a header row naming the columns, then one row per timestamp")]
    EmptyFile { path: PathBuf },

    #[error("{path}: the file has a header but no data rows")]
    NoRows { path: PathBuf },

    #[error("{path}: column '{column}' not found (mapped to field '{field}' in the manifest){suggestion}; the file's columns are: {available}")]
    MissingColumn {
        path: PathBuf,
        column: String,
        field: String,
        suggestion: String,
        available: String,
    },

    #[error("{path}, {location}, column '{column}': {message}")]
    BadValue {
        path: PathBuf,
        /// "line N" (CSV) or "row N" (Parquet).
        location: String,
        column: String,
        message: String,
    },

    #[error("{context}: unknown {what} '{name}'{suggestion}; the dataset has: {known}")]
    Unknown {
        context: String,
        what: &'static str,
        name: String,
        suggestion: String,
        known: String,
    },

    #[error("{series}: field '{field}' has {gap}, longer than the carry limit {limit}; choose a run range without this gap, or raise `carry_limit` for {file} in the manifest")]
    CarryLimit {
        series: String,
        field: String,
        file: String,
        /// "no value from A to B (2d)".
        gap: String,
        limit: String,
    },

    #[error("{series}: field '{field}' starts at {first}, after the grid start {start}; start the run later or choose a series that covers it")]
    NotCovered {
        series: String,
        field: String,
        first: String,
        start: String,
    },

    #[error("the selected series do not overlap in time: {detail}")]
    NoOverlap { detail: String },

    #[error("{count} value(s) the fee models or marks would be distorted by (data::quality): {list}; check the data, or state a policy: outliers = \"drop\" (treat each as missing: a level carries the previous value) or outliers = \"keep\" in the strategy file (or the manifest's [dataset])")]
    Outliers { count: usize, list: String },

    #[error("{series} ends at {last} (its last row in {file}), before the run's end {end}; end the run by {last}, or use data that covers the range")]
    EndsEarly {
        series: String,
        file: String,
        last: String,
        end: String,
    },

    #[error("a run from {start} to {end} on a {step} grid has {steps} steps, more than the {max} one run may have; use a coarser `grid` or a shorter range")]
    TooManySteps {
        start: String,
        end: String,
        step: String,
        steps: u64,
        max: u64,
    },
}

impl DataError {
    pub fn carry_limit(
        series: &str,
        field: &str,
        file: &str,
        last_obs: Timestamp,
        at: Timestamp,
        limit: i64,
    ) -> DataError {
        DataError::CarryLimit {
            series: series.to_string(),
            field: field.to_string(),
            file: file.to_string(),
            gap: format!(
                "no value from {} to {} ({})",
                format_ts(last_obs),
                format_ts(at),
                format_duration(at - last_obs)
            ),
            limit: format_duration(limit),
        }
    }
}
