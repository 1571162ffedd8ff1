//! The report's column types, by name (never inferred from the values), so every run,
//! sweep and shard writes one schema for a table; `data::parquet_out` encodes the tables
//! with them.

pub use crate::data::parquet_out::ColumnType;

/// The text columns of the report's tables.
const TEXT: &[&str] = &[
    "run",
    "kind",
    "dataset",
    "lend_baseline_market",
    "lend_baseline_note",
    "exit_note",
    "fee_model",
    "fee_model_steps",
    "gas_paid_by",
    "spec_hash",
    "error",
    "allocation",
    "component",
    "action",
    "target",
    "note",
    "setting",
    "metric",
];

/// The count columns.
const INT: &[&str] = &[
    "run_index",
    "steps",
    "step_seconds",
    "deposits",
    "withdrawals",
    "claims",
    "harvests",
    "rebalances",
    "moves",
    "swaps",
    "skipped_actions",
    "outliers_dropped",
    "outliers_kept",
    "step",
    "samples",
];

/// The time columns.
const TIME: &[&str] = &["start", "end", "timestamp"];

/// The type of a report column: by its name, the same in every table; a swept
/// parameter's from its values over the whole sweep (`params`, see `ParamColumn`);
/// every other column is a money or ratio figure (Float64).
pub fn column_type(name: &str, params: &[crate::run::ParamColumn]) -> ColumnType {
    if let Some(p) = params.iter().find(|p| p.column() == name) {
        return param_type(p.kind);
    }
    if params
        .iter()
        .any(|p| p.seconds_column().as_deref() == Some(name))
    {
        return ColumnType::Int;
    }
    if TEXT.contains(&name) {
        ColumnType::Text
    } else if INT.contains(&name) {
        ColumnType::Int
    } else if TIME.contains(&name) {
        ColumnType::Time
    } else {
        ColumnType::Float
    }
}

/// A CSV table the report wrote, as Parquet bytes with each column's declared type.
pub fn from_csv(
    bytes: &[u8],
    params: &[crate::run::ParamColumn],
) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    crate::data::parquet_out::from_csv(bytes, &|name| column_type(name, params))
}

/// The Parquet type of a swept parameter's column.
fn param_type(kind: crate::run::ParamKind) -> ColumnType {
    use crate::run::ParamKind;
    match kind {
        ParamKind::Int => ColumnType::Int,
        ParamKind::Float => ColumnType::Float,
        ParamKind::Bool => ColumnType::Bool,
        ParamKind::Duration | ParamKind::Text => ColumnType::Text,
    }
}
