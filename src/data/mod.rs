//! The only module that knows files, formats and polars. It reads a dataset through
//! its manifest, validates it, aligns series onto a run's grid and builds the
//! `Market` the engine sees; it also generates the embedded synthetic dataset and
//! encodes the report's tables as Parquet (`parquet_out`). Writing to disk is `io`'s.

pub mod align;
pub mod check;
pub mod error;
pub mod events;
pub mod fetch;
pub mod load;
pub mod manifest;
mod parquet;
pub mod parquet_out;
pub mod quality;
pub mod synth;
pub mod table;

pub use align::{align_flow, align_level, build_market, GridSpec, Selection};
pub use error::DataError;
pub use load::{Dataset, RawSeries};
pub use manifest::Manifest;
