//! Parquet files load through the same manifest mapping as CSV: numeric, text and
//! datetime columns, with errors that name the row.

mod common;

use polars::prelude::*;
use yieldlab::data::Dataset;
use yieldlab::market::{Field, SeriesKind};

fn write_parquet(path: &std::path::Path, mut df: DataFrame) {
    let f = std::fs::File::create(path).unwrap();
    ParquetWriter::new(f).finish(&mut df).unwrap();
}

const MANIFEST: &str = r#"
[dataset]
name = "pq"

[[files]]
path = "prices.parquet"
kind = "price"
id_column = "asset"
timestamp = "time"
columns = { price_usd = "close" }
"#;

fn frame(times_ms: &[i64], assets: &[&str], closes: &[Option<f64>]) -> DataFrame {
    let time = Series::new("time".into(), times_ms)
        .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
        .unwrap();
    DataFrame::new_infer_height(vec![
        time.into(),
        Series::new("asset".into(), assets).into(),
        Series::new("close".into(), closes).into(),
    ])
    .unwrap()
}

#[test]
fn parquet_with_datetime_and_text_columns_loads() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("manifest.toml"), MANIFEST).unwrap();
    let h = 3_600_000i64;
    let t0 = 1_640_995_200_000i64;
    write_parquet(
        &dir.path().join("prices.parquet"),
        frame(
            &[t0, t0, t0 + h, t0 + h],
            &["ETH", "BTC", "ETH", "BTC"],
            &[Some(3700.0), Some(47000.0), Some(3710.5), Some(47100.0)],
        ),
    );
    let ds = Dataset::load(&dir.path().join("manifest.toml"), None).unwrap();
    let eth = ds.get(SeriesKind::Price, "ETH").unwrap();
    assert_eq!(eth.ts, vec![1_640_995_200, 1_640_998_800]);
    assert_eq!(eth.fields[&Field::PriceUsd], vec![3700.0, 3710.5]);
    assert_eq!(eth.bar, 3600);
    assert_eq!(ds.files[0].rows, 4);
}

#[test]
fn parquet_errors_name_the_row() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("manifest.toml"), MANIFEST).unwrap();
    let t0 = 1_640_995_200_000i64;
    write_parquet(
        &dir.path().join("prices.parquet"),
        frame(
            &[t0, t0 + 3_600_000],
            &["ETH", "ETH"],
            &[Some(3700.0), Some(-1.0)],
        ),
    );
    let run = common::yieldlab(&["data", "check", "manifest.toml"], dir.path());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("prices.parquet, row 2, column 'close'"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("price_usd must be > 0 (negative)"),
        "{}",
        run.stderr
    );
    write_parquet(
        &dir.path().join("prices.parquet"),
        frame(
            &[t0, t0 + 3_600_000],
            &["ETH", "ETH"],
            &[Some(3700.0), None],
        ),
    );
    let run = common::yieldlab(&["data", "check", "manifest.toml"], dir.path());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("row 2, column 'close': empty value"),
        "{}",
        run.stderr
    );
    // A file that is not Parquet says so.
    std::fs::write(dir.path().join("prices.parquet"), "timestamp,close\n1,2\n").unwrap();
    let run = common::yieldlab(&["data", "check", "manifest.toml"], dir.path());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("not a readable Parquet file"),
        "{}",
        run.stderr
    );
}

/// What polars writes for liquidity above 2^63: Int128, or Decimal(38, 0). Both read as
/// numbers (they panicked the loader before: polars lacked the dtypes).
#[test]
fn int128_and_decimal_columns_read_as_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let big: [i128; 2] = [1 << 100, (1 << 100) + (1 << 80)];
    for (name, dtype) in [
        ("i128", DataType::Int128),
        ("decimal", DataType::Decimal(38, 0)),
    ] {
        // A pool file: liquidity is a pool field.
        let manifest = format!(
            "[dataset]\nname = \"pq\"\n[[pools]]\nid = \"p\"\nkind = \"concentrated\"\nchain = \"ethereum\"\ntokens = [\"WETH\", \"USDC\"]\nfee = 0.003\n[[files]]\npath = \"{name}.parquet\"\nkind = \"pool\"\nid = \"p\"\ntimestamp = \"time\"\ncolumns = {{ price = \"price\", liquidity = \"liquidity\" }}\n"
        );
        let m = dir.path().join(format!("{name}.toml"));
        std::fs::write(&m, manifest).unwrap();
        let liquidity = Series::new("liquidity".into(), &big[..])
            .cast(&dtype)
            .unwrap();
        assert_eq!(liquidity.dtype(), &dtype);
        let df = DataFrame::new_infer_height(vec![
            Series::new("time".into(), &[1_640_995_200i64, 1_640_998_800][..]).into(),
            Series::new("price".into(), &[3000.0f64, 3001.0][..]).into(),
            liquidity.into(),
        ])
        .unwrap();
        write_parquet(&dir.path().join(format!("{name}.parquet")), df);
        let ds = Dataset::load(&m, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        let p = ds.get(SeriesKind::Pool, "p").unwrap();
        let l = &p.fields[&Field::Liquidity];
        assert!((l[0] / 2f64.powi(100) - 1.0).abs() < 1e-12, "{name}: {l:?}");
        assert!(l[1] > l[0], "{name}");
    }
}

/// The Arrow schema a Parquet file declares (what pyarrow, pandas and DuckDB read).
fn arrow_schema(path: &std::path::Path) -> Vec<(String, polars_arrow::datatypes::ArrowDataType)> {
    use base64::Engine as _;
    let mut f = std::fs::File::open(path).unwrap();
    let meta = polars_parquet::read::read_metadata(&mut f).unwrap();
    // The stored schema as written (polars' own reading of it turns strings into views).
    let encoded = meta
        .key_value_metadata()
        .iter()
        .flatten()
        .find(|kv| kv.key == "ARROW:schema")
        .and_then(|kv| kv.value.clone())
        .expect("an ARROW:schema key");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    let message = if bytes[..4] == [255u8; 4] {
        &bytes[8..]
    } else {
        &bytes[..]
    };
    let schema = polars_arrow::io::ipc::read::deserialize_schema(message)
        .unwrap()
        .0;
    schema
        .iter_values()
        .map(|f| (f.name.to_string(), f.dtype.clone()))
        .collect()
}

#[test]
fn report_tables_have_declared_types_the_same_in_every_output_and_shard() {
    use polars_arrow::datatypes::{ArrowDataType as A, TimeUnit as U};
    let dir = tempfile::tempdir().unwrap();
    let repo = common::repo();
    let lend = dir.path().join("lend");
    let run = common::yieldlab(
        &[
            "run",
            "strategies/lend.toml",
            "--parquet",
            "--quiet",
            "--out",
            lend.to_str().unwrap(),
        ],
        &repo,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // A vault sweep whose capitals mix 1000 and 1500.5, as 2 shards: each shard holds the
    // runs of one capital.
    let sweep =
        std::fs::read_to_string(repo.join("strategies/sweeps/harvest_interval_x_capital.toml"))
            .unwrap()
            .replace(
                "../../data/manifest.toml",
                repo.join("data/manifest.toml").to_str().unwrap(),
            )
            .replace("end = \"2022-12-31\"", "end = \"2022-02-28\"")
            .replace(
                "\"strategy.interval\" = [\"1h\", \"6h\", \"1d\", \"3d\", \"7d\", \"30d\"]",
                "\"strategy.interval\" = [\"1d\", \"7d\"]",
            )
            .replace(
                "capital_usd = { from = 1000, to = 1000000, log_steps = 4 }",
                "capital_usd = [1000, 1500.5]",
            );
    let file = dir.path().join("vault.toml");
    std::fs::write(&file, sweep).unwrap();
    let out = dir.path().join("sweep");
    for k in ["0/2", "1/2"] {
        let run = common::yieldlab(
            &[
                "run",
                file.to_str().unwrap(),
                "--parquet",
                "--quiet",
                "--shard",
                k,
                "--out",
                out.to_str().unwrap(),
            ],
            &repo,
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let utc = A::Timestamp(U::Microsecond, Some("UTC".into()));
    for table in ["summary", "timeseries", "events", "attribution"] {
        let files = [
            lend.join(format!("{table}.parquet")),
            out.join(format!("{table}.part-0-of-2.parquet")),
            out.join(format!("{table}.part-1-of-2.parquet")),
        ];
        let schemas: Vec<_> = files.iter().map(|f| arrow_schema(f)).collect();
        assert_eq!(schemas[1], schemas[2], "{table}: the two shards' schemas");
        for (f, s) in files.iter().zip(&schemas) {
            for (name, t) in s {
                let want = match name.as_str() {
                    "timestamp" | "start" | "end" => utc.clone(),
                    "run"
                    | "kind"
                    | "action"
                    | "target"
                    | "note"
                    | "component"
                    | "error"
                    | "allocation"
                    | "param:strategy.interval" => A::LargeUtf8,
                    "deposits"
                    | "harvests"
                    | "steps"
                    | "step"
                    | "run_index"
                    | "param_seconds:strategy.interval" => A::Int64,
                    n if n.ends_with("_usd") || n == "apy" || n == "param:capital_usd" => {
                        A::Float64
                    }
                    _ => t.clone(),
                };
                assert_eq!(t, &want, "{}: column {name}", f.display());
                assert!(
                    !matches!(t, A::Utf8View | A::BinaryView),
                    "{}: {name} is a view type",
                    f.display()
                );
            }
        }
        // A column of the lending run and of the vault sweep has one type in both
        // (interest_usd is all zeros in the sweep).
        for (name, t) in &schemas[0] {
            if let Some((_, u)) = schemas[1].iter().find(|(n, _)| n == name) {
                assert_eq!(t, u, "{table}.{name}: lending run against the sweep");
            }
        }
    }
    let s = arrow_schema(&out.join("summary.part-0-of-2.parquet"));
    assert!(s
        .iter()
        .any(|(n, _)| n == "param_seconds:strategy.interval"));
    assert!(s
        .iter()
        .any(|(n, t)| n == "interest_usd" && *t == A::Float64));
}
