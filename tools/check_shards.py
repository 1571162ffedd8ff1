#!/usr/bin/env python3
"""The shards of a sweep, read together, are the unsharded run: for every table, the
rows of all `<table>.part-K-of-N.parquet` files (by polars and by DuckDB) equal the
unsharded `<table>.parquet`, value for value. Usage: check_shards.py REF_DIR SHARD_DIR N"""
import sys

import duckdb
import polars as pl

ref, parts, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for table in ("summary", "attribution", "events"):
    whole = pl.read_parquet(f"{ref}/{table}.parquet")
    glob = f"{parts}/{table}.part-*-of-{n}.parquet"
    files = sorted(__import__("glob").glob(glob))
    assert len(files) == n, f"{table}: {len(files)} parts, expected {n}: {files}"
    # Each run is in one part with its rows in order: a stable sort by run lines both up.
    keys = ["run_index"] if "run_index" in whole.columns else ["run"]
    merged = pl.concat([pl.read_parquet(f) for f in files]).sort(keys, maintain_order=True)
    whole = whole.sort(keys, maintain_order=True)
    assert merged.columns == whole.columns, f"{table}: columns differ"
    assert merged.equals(whole), f"{table}: polars: the parts differ from the whole run"
    # DuckDB reads the parts as one table, as docs/sweeps.md shows.
    db = duckdb.sql(f"SELECT * FROM read_parquet('{glob}') ORDER BY ALL").fetchall()
    ref_db = duckdb.sql(f"SELECT * FROM read_parquet('{ref}/{table}.parquet') ORDER BY ALL").fetchall()
    assert len(db) == whole.height and db == ref_db, f"{table}: DuckDB: the parts differ from the whole run"
    print(f"{table}: {whole.height} rows in {n} parts equal the unsharded run (polars, DuckDB)")
