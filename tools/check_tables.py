#!/usr/bin/env python3
"""The report's tables are typed and stable: two different outputs (a lending run and
the two shard parts of a vault sweep whose capitals mix 1000 and 1500.5) read together
by polars, pyarrow.dataset, pandas and DuckDB, with the declared types, and a
`date_trunc` query works. Usage: check_tables.py LEND_DIR SWEEP_DIR

With `--open-only DIR...`, only opens every Parquet file under the folders with
pyarrow (CI runs this with the oldest pyarrow the outputs promise, 12)."""
import glob
import sys

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

if sys.argv[1] == "--open-only":
    files = sorted(f for d in sys.argv[2:] for f in glob.glob(f"{d}/*.parquet"))
    assert files, "no Parquet files"
    for f in files:
        t = pq.read_table(f)
        assert t.num_rows >= 0 and "run" in t.column_names or "setting" in t.column_names, f
    print(f"pyarrow {pa.__version__} opens all {len(files)} Parquet files")
    sys.exit(0)

import duckdb
import pandas as pd
import polars as pl

lend, sweep = sys.argv[1], sys.argv[2]
parts = sorted(glob.glob(f"{sweep}/summary.part-*-of-2.parquet"))
assert len(parts) == 2, parts
utc = pl.Datetime("us", "UTC")

# The two shard parts: one schema, though one part holds only the 1000 capitals and the
# other only the 1500.5 ones (before, Int64 against Float64).
a, b = (pl.read_parquet(p) for p in parts)
assert a.schema == b.schema, (a.schema, b.schema)
caps = pl.read_parquet(parts)["param:capital_usd"]
assert caps.dtype == pl.Float64 and sorted(set(caps.to_list())) == [1000.0, 1500.5], caps
assert a.schema["param:strategy.interval"] == pl.String
assert a.schema["param_seconds:strategy.interval"] == pl.Int64
secs = sorted(set(pl.read_parquet(parts)["param_seconds:strategy.interval"].to_list()))
assert secs == [86400, 604800], secs

# Every table of both outputs: the declared types, whatever the values.
money = ("_usd", "apy", "apr", "return", "volatility", "drawdown", "share_of_capital")
counts = ("deposits", "withdrawals", "claims", "harvests", "rebalances", "moves", "swaps",
          "skipped_actions", "steps", "step_seconds", "run_index", "step")
for table in ("summary", "timeseries", "events", "attribution"):
    files = sorted(glob.glob(f"{lend}/{table}.parquet") + glob.glob(f"{sweep}/{table}.part-*.parquet"))
    assert len(files) == 3, files
    frames = [pl.read_parquet(f) for f in files]
    for f, df in zip(files, frames):
        for c, t in df.schema.items():
            if c in ("timestamp", "start", "end"):
                assert t == utc, f"{f}: {c} is {t}"
            elif c in counts:
                assert t == pl.Int64, f"{f}: {c} is {t}"
            elif c.endswith(money):
                assert t == pl.Float64, f"{f}: {c} is {t}"
    # Columns shared by the two outputs have the same type in both (interest_usd is
    # all zeros in the vault sweep and not in the lending run: Float64 in both).
    common = set(frames[0].columns) & set(frames[1].columns)
    for c in common:
        assert frames[0].schema[c] == frames[1].schema[c], f"{table}.{c}: {frames[0].schema[c]} vs {frames[1].schema[c]}"
    together = pl.concat(frames, how="diagonal")
    assert together.height == sum(df.height for df in frames)
    # pyarrow.dataset over the parts of one output, and over both outputs' common columns.
    part_files = [f for f in files if ".part-" in f]
    d = ds.dataset(part_files, format="parquet")
    assert d.to_table().num_rows == sum(pl.read_parquet(f).height for f in part_files)
    if "timestamp" in common:
        t = ds.dataset(files, format="parquet").to_table(columns=["run", "timestamp"])
        assert pa.types.is_timestamp(t.schema.field("timestamp").type)
        assert t.schema.field("timestamp").type.tz == "UTC", t.schema
    # pandas: times are tz-aware datetimes, money floats.
    pdf = pd.read_parquet(files[0])
    for c in ("timestamp", "start"):
        if c in pdf.columns:
            assert str(pdf[c].dtype).startswith("datetime64") and "UTC" in str(pdf[c].dtype), pdf[c].dtype
    print(f"{table}: {together.height} rows in 3 files, one type per column (polars, pyarrow.dataset, pandas)")

# DuckDB: both outputs at once, by name, and a month query on the timestamp.
files = [f"{lend}/timeseries.parquet"] + sorted(glob.glob(f"{sweep}/timeseries.part-*.parquet"))
rel = duckdb.sql(
    f"SELECT run, date_trunc('month', timestamp) AS month, last(value_usd ORDER BY timestamp) AS value "
    f"FROM read_parquet({files!r}, union_by_name = true) GROUP BY ALL ORDER BY ALL")
rows = rel.fetchall()
assert len(rows) > 3 and all(r[2] > 0 for r in rows), rows[:5]
kind = duckdb.sql(f"SELECT typeof(timestamp) FROM read_parquet('{files[0]}') LIMIT 1").fetchall()[0][0]
assert kind == "TIMESTAMP WITH TIME ZONE", kind
summ = duckdb.sql(
    f"SELECT typeof(interest_usd), typeof(deposits), count(*) FROM read_parquet("
    f"{[f'{lend}/summary.parquet'] + parts!r}, union_by_name = true) GROUP BY ALL").fetchall()
assert summ == [("DOUBLE", "BIGINT", 5)], summ
print(f"DuckDB: date_trunc('month', timestamp) over both outputs: {len(rows)} run-months; types {kind}")

# CSV: default inference in polars and pandas gives the same types.
for f in sorted(glob.glob(f"{sweep}/summary.part-*.csv")):
    c = pl.read_csv(f)
    assert c.schema["param:capital_usd"] == pl.Float64, (f, c.schema["param:capital_usd"])
    assert c.schema["param_seconds:strategy.interval"] == pl.Int64
    assert c.schema["interest_usd"] == pl.Float64 and c.schema["deposits"] == pl.Int64
    p = pd.read_csv(f)
    assert p["param:capital_usd"].dtype.kind == "f" and p["interest_usd"].dtype.kind == "f"
print("CSV: default inference reads the parameters, money and counts with their types")
