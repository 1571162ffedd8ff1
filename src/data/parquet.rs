//! Reading one Parquet file into a polars frame.
//!
//! polars reads decimals of at most 38 digits and refuses the whole file otherwise
//! ("precision must be between 1 and 38"). On-chain integers are often stored wider:
//! Trading Strategy's CLMM candles write liquidity and raw token amounts as
//! `decimal256(76)`. Such a file is decoded here, column by column, through polars' own
//! Parquet crate: the wide decimal columns as exact 256-bit integers that become Float64
//! (each value rounded once, correctly, from its exact decimal), every other column as
//! polars itself would read it. Files without wide decimals go through polars' reader
//! unchanged.

use std::fs::File;
use std::io::Cursor;
use std::path::Path;

use polars::prelude::*;
use polars_arrow::array::{Array, PrimitiveArray};
use polars_arrow::datatypes::{ArrowDataType, Field as ArrowField};
use polars_arrow::types::i256;
use polars_buffer::Buffer;
use polars_parquet::read::{
    column_iter_to_arrays, infer_schema, read_metadata, BasicDecompressor, PageReader,
};

use super::error::DataError;

/// polars' widest decimal (Decimal128).
const POLARS_MAX_PRECISION: usize = 38;

/// Reads `path` (already checked to exist and be non-empty). Only the footer is read
/// to tell whether the file has wide decimals; a file without them goes to polars'
/// reader as a file (no copy in memory), one with them is read whole and decoded here.
pub fn read(path: &Path) -> Result<DataFrame, DataError> {
    let io = |e: std::io::Error| DataError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let not_parquet = |m: String| {
        DataError::Format {
        path: path.to_path_buf(),
        message: format!(
            "not a readable Parquet file ({}); check the path, or set format = \"csv\" if it is CSV",
            first_line(&m)
        ),
    }
    };
    let failed = |m: String| {
        DataError::Format {
        path: path.to_path_buf(),
        message: format!(
            "the Parquet reader failed on this file ({}); check its column types (numbers, text, timestamps)",
            first_line(&m)
        ),
    }
    };
    let mut file = File::open(path).map_err(io)?;
    let wide = crate::io::contain_panic(|| has_wide_decimals(&mut file))
        .map_err(failed)?
        .map_err(|e| not_parquet(e.to_string()))?;
    if !wide {
        let file = File::open(path).map_err(io)?;
        return crate::io::contain_panic(|| ParquetReader::new(file).finish())
            .map_err(failed)?
            .map_err(|e| not_parquet(e.to_string()));
    }
    let bytes = std::fs::read(path).map_err(io)?;
    crate::io::contain_panic(|| decode(bytes))
        .map_err(failed)?
        .map_err(|e| failed(e.to_string()))
}

/// Whether the file's schema has a decimal column wider than polars reads.
fn has_wide_decimals(file: &mut File) -> PolarsResult<bool> {
    let meta = read_metadata(file)?;
    Ok(infer_schema(&meta)?
        .iter_values()
        .any(|f| is_wide(&f.dtype)))
}

fn is_wide(dtype: &ArrowDataType) -> bool {
    match dtype {
        ArrowDataType::Decimal(p, _) => *p > POLARS_MAX_PRECISION,
        ArrowDataType::Decimal256(_, _) => true,
        _ => false,
    }
}

/// Decodes every column of the file; wide decimals become Float64.
fn decode(bytes: Vec<u8>) -> PolarsResult<DataFrame> {
    let meta = read_metadata(&mut Cursor::new(bytes.as_slice()))?;
    let schema = infer_schema(&meta)?;
    let buffer = Buffer::from(bytes);
    let mut columns = Vec::with_capacity(schema.len());
    for field in schema.iter_values() {
        let (field, scale) = match field.dtype {
            ArrowDataType::Decimal(p, s) | ArrowDataType::Decimal256(p, s)
                if is_wide(&field.dtype) =>
            {
                let dtype = ArrowDataType::Decimal256(p, s);
                (ArrowField::new(field.name.clone(), dtype, true), Some(s))
            }
            _ => (field.clone(), None),
        };
        let mut chunks: Vec<Box<dyn Array>> = Vec::new();
        for group in &meta.row_groups {
            let Some(parts) = group.columns_under_root_iter(&field.name) else {
                polars_bail!(ComputeError: "column '{}' is missing from a row group", field.name);
            };
            let (pages, types): (Vec<_>, Vec<_>) = parts
                .map(|chunk| {
                    let range = chunk.byte_range();
                    let data = buffer
                        .clone()
                        .sliced(range.start as usize..range.end as usize);
                    let pages = PageReader::new(Cursor::new(data), chunk, vec![], usize::MAX);
                    (
                        BasicDecompressor::new(pages, vec![]),
                        &chunk.descriptor().descriptor.primitive_type,
                    )
                })
                .unzip();
            let (arrays, _) = column_iter_to_arrays(pages, types, field.clone(), None)?;
            for a in arrays {
                chunks.push(match scale {
                    Some(s) => to_f64(a.as_ref(), s)?,
                    None => a,
                });
            }
        }
        let field = match scale {
            Some(_) => ArrowField::new(field.name.clone(), ArrowDataType::Float64, true),
            None => field,
        };
        columns.push(Column::from(Series::try_from((&field, chunks))?));
    }
    DataFrame::new(meta.num_rows, columns)
}

/// A 256-bit decimal array (unscaled integers) as Float64: each value is the exact
/// decimal `unscaled × 10^-scale`, rounded once to the nearest f64.
fn to_f64(array: &dyn Array, scale: usize) -> PolarsResult<Box<dyn Array>> {
    let Some(ints) = array.as_any().downcast_ref::<PrimitiveArray<i256>>() else {
        polars_bail!(ComputeError: "a 256-bit decimal column decoded as {:?}", array.dtype());
    };
    let mut out = Vec::with_capacity(ints.len());
    for v in ints.iter() {
        out.push(match v {
            Some(x) => Some(exact_to_f64(*x, scale)?),
            None => None,
        });
    }
    Ok(Box::new(PrimitiveArray::<f64>::from(out)))
}

fn exact_to_f64(x: i256, scale: usize) -> PolarsResult<f64> {
    let text = format!("{x}e-{scale}");
    text.parse::<f64>()
        .map_err(|e| polars_err!(ComputeError: "decimal {text}: {e}"))
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_decimals_round_once_from_their_exact_value() {
        // 1e30 + 1 is not representable; the nearest f64 is 1e30.
        let big = i256::from_words(0, 10i128.pow(30) + 1);
        assert_eq!(exact_to_f64(big, 0).unwrap(), 1e30);
        assert_eq!(exact_to_f64(i256::from_words(0, 12345), 2).unwrap(), 123.45);
        // Two's complement over both words (polars' own `Neg` for i256 negates only the
        // high word, so it is not used).
        assert_eq!(
            exact_to_f64(i256::from_words(-1, -5_000_000), 6).unwrap(),
            -5.0
        );
        // Above 2^128: the high word counts.
        let huge = i256::from_words(1, 0);
        assert_eq!(exact_to_f64(huge, 0).unwrap(), 2f64.powi(128));
    }
}
