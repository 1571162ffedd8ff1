"""CI: a Trading Strategy CLMM candle file as pyarrow writes it (the schema of
tradingstrategy.clmm.CLMM: decimal256(76) amounts and liquidity, two pairs) loads through
the docs/recipes.md recipe with `yieldlab data check`, and reads only the recipe's pair.

Usage: python tools/check_clmm.py YIELDLAB_BINARY
"""
import datetime as dt
import pathlib
import re
import subprocess
import sys
import tempfile
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

binary = sys.argv[1]
doc = pathlib.Path("docs/recipes.md").read_text()
manifest = re.search(r"```toml\n(# recipe: tradingstrategy_clmm\n.*?)```", doc, re.S).group(1)
pair = int(re.search(r"^pair_id = (\d+)$", manifest, re.M).group(1))

schema = pa.schema([
    ("pair_id", pa.int32()),
    ("bucket", pa.timestamp("s")),
    ("open_tick", pa.int32()),
    ("close_tick", pa.int32()),
    ("high_tick", pa.int32()),
    ("low_tick", pa.int32()),
    ("current_liquidity", pa.decimal256(76)),
    ("net_amount0", pa.decimal256(76)),
    ("net_amount1", pa.decimal256(76)),
    ("in_amount0", pa.decimal256(76)),
    ("in_amount1", pa.decimal256(76)),
])
rows = []
t0 = dt.datetime(2024, 1, 1)
for m in range(4):
    for pid in (pair, 99):
        rows.append(dict(
            pair_id=pid, bucket=t0 + dt.timedelta(minutes=m),
            open_tick=200310 + m, close_tick=200311 + m, high_tick=200312 + m, low_tick=200309 + m,
            current_liquidity=Decimal(2**127 + m), net_amount0=Decimal(-5 * 10**6),
            net_amount1=Decimal(3 * 10**15), in_amount0=Decimal(2 * 10**9), in_amount1=Decimal(10**18),
        ))
with tempfile.TemporaryDirectory() as d:
    root = pathlib.Path(d)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), root / "clmm-candles-1m.parquet")
    (root / "manifest.toml").write_text(manifest)
    run = subprocess.run([binary, "data", "check", "manifest.toml"], cwd=root, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"^pool\s+usdc_weth_0p05\s+4\s", run.stdout, re.M), run.stdout
    print(f"CLMM candles written by pyarrow {pa.__version__}: the recipe reads pair {pair}'s 4 rows")
