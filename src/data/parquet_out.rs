//! Parquet files from CSV tables: each column with a declared type (never inferred
//! from the values), so every file of a table has one schema: text as `large_string`,
//! counts as Int64, figures as Float64, times as `timestamp[µs, UTC]`. The Arrow types
//! are the ones pyarrow ≥ 12, pandas, polars and DuckDB all read (no view types, which
//! polars' own writer uses and older pyarrow cannot open).

use polars_arrow::array::{Array, BooleanArray, PrimitiveArray, Utf8Array};
use polars_arrow::datatypes::{ArrowDataType, ArrowSchema, Field, TimeUnit};
use polars_arrow::record_batch::RecordBatchT;
use polars_parquet::write::{
    get_dtype_encoding, row_group_iter, to_parquet_schema, CompressionOptions, FileWriter,
    StatisticsOptions, Version, WriteOptions,
};

/// A column's declared type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    Int,
    Float,
    Bool,
    /// An ISO-8601 UTC time in the CSV; microseconds since the epoch, UTC, in Parquet.
    Time,
}

type Error = Box<dyn std::error::Error>;

/// One column's cells as an Arrow array of its type; an empty cell is null.
fn array(name: &str, kind: ColumnType, cells: &[&str]) -> Result<Box<dyn Array>, Error> {
    let bad = |cell: &str, what: &str| -> Error {
        format!(
            "column '{name}': cell '{cell}' is not {what} (an internal error: yieldlab wrote it)"
        )
        .into()
    };
    let present = cells.iter().map(|c| (!c.is_empty()).then_some(*c));
    Ok(match kind {
        ColumnType::Text => Box::new(present.collect::<Utf8Array<i64>>()),
        ColumnType::Int => {
            let v = present
                .map(|c| {
                    c.map(|c| c.parse::<i64>().map_err(|_| bad(c, "an integer")))
                        .transpose()
                })
                .collect::<Result<Vec<_>, _>>()?;
            Box::new(PrimitiveArray::<i64>::from(v))
        }
        ColumnType::Float => {
            let v = present
                .map(|c| {
                    c.map(|c| c.parse::<f64>().map_err(|_| bad(c, "a number")))
                        .transpose()
                })
                .collect::<Result<Vec<_>, _>>()?;
            Box::new(PrimitiveArray::<f64>::from(v))
        }
        ColumnType::Bool => {
            let v = present
                .map(|c| {
                    c.map(|c| match c {
                        "true" => Ok(true),
                        "false" => Ok(false),
                        _ => Err(bad(c, "true or false")),
                    })
                    .transpose()
                })
                .collect::<Result<Vec<_>, _>>()?;
            Box::new(BooleanArray::from(v))
        }
        ColumnType::Time => {
            let v = present
                .map(|c| {
                    c.map(|c| {
                        crate::units::parse_datetime(c)
                            .and_then(|s| s.checked_mul(1_000_000))
                            .ok_or_else(|| bad(c, "an ISO-8601 time"))
                    })
                    .transpose()
                })
                .collect::<Result<Vec<_>, _>>()?;
            Box::new(PrimitiveArray::<i64>::from(v).to(time_type()))
        }
    })
}

fn time_type() -> ArrowDataType {
    ArrowDataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn arrow_type(kind: ColumnType) -> ArrowDataType {
    match kind {
        ColumnType::Text => ArrowDataType::LargeUtf8,
        ColumnType::Int => ArrowDataType::Int64,
        ColumnType::Float => ArrowDataType::Float64,
        ColumnType::Bool => ArrowDataType::Boolean,
        ColumnType::Time => time_type(),
    }
}

/// A CSV table (with a header) as Parquet bytes, each column of the type `type_of`
/// declares for its name; an empty cell is null.
pub fn from_csv(bytes: &[u8], type_of: &dyn Fn(&str) -> ColumnType) -> Result<Vec<u8>, Error> {
    let mut reader = csv::Reader::from_reader(bytes);
    let header: Vec<String> = reader.headers()?.iter().map(String::from).collect();
    let records = reader
        .records()
        .collect::<Result<Vec<csv::StringRecord>, _>>()?;
    let types: Vec<ColumnType> = header.iter().map(|h| type_of(h)).collect();
    let mut arrays = Vec::with_capacity(header.len());
    for (k, (name, kind)) in header.iter().zip(&types).enumerate() {
        let cells: Vec<&str> = records.iter().map(|r| r.get(k).unwrap_or("")).collect();
        arrays.push(array(name, *kind, &cells)?);
    }
    let schema: ArrowSchema = header
        .iter()
        .zip(&types)
        .map(|(name, kind)| {
            let f = Field::new(name.as_str().into(), arrow_type(*kind), true);
            (f.name.clone(), f)
        })
        .collect();
    let options = WriteOptions {
        statistics: StatisticsOptions::default(),
        version: Version::V1,
        compression: CompressionOptions::Zstd(None),
        data_page_size: None,
    };
    let parquet_schema = to_parquet_schema(&schema)?;
    let encodings: Vec<_> = schema
        .iter_values()
        .map(|f| get_dtype_encoding(&f.dtype))
        .collect();
    let fields = parquet_schema.fields().to_vec();
    let rows = records.len();
    let schema = std::sync::Arc::new(schema);
    let mut out = Vec::new();
    let mut writer = FileWriter::new_with_parquet_schema(
        &mut out,
        schema.as_ref().clone(),
        parquet_schema,
        options,
    );
    if rows > 0 {
        let batch = RecordBatchT::try_new(rows, schema, arrays)?;
        // The encoder panics only on types it cannot write, which `arrow_type` never
        // declares; contained all the same.
        crate::io::contain_panic(|| {
            writer.write(
                rows as u64,
                row_group_iter(batch, encodings.into(), fields, options),
            )
        })
        .map_err(|m| format!("the Parquet encoder failed: {m}"))??;
    }
    writer.end(None)?;
    Ok(out)
}
