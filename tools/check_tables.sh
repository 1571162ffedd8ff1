#!/usr/bin/env bash
# CI: the report's tables read together with their declared types (tools/check_tables.py):
# a lending run, and a vault sweep run as 2 shards whose capitals are 1000 and 1500.5;
# then every Parquet file opened with the oldest pyarrow docs/outputs.md promises; and a
# CLMM candle file written by both pyarrows loads through its recipe (tools/check_clmm.py).
# Usage: tools/check_tables.sh PYTHON PYTHON_WITH_PYARROW_12
set -euo pipefail
cd "$(dirname "$0")/.."
py="$1"
old="$2"
bin="$PWD/target/debug/yieldlab"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin" run strategies/lend.toml --parquet --quiet --out "$work/lend"
sed -e "s|^data = .*|data = \"$PWD/data/manifest.toml\"|" \
    -e 's|^end = .*|end = "2022-03-31"|' \
    -e 's|^"strategy.interval" = .*|"strategy.interval" = ["1d", "7d"]|' \
    -e 's|^capital_usd = { .*|capital_usd = [1000, 1500.5]|' \
    strategies/sweeps/harvest_interval_x_capital.toml > "$work/vault.toml"
for k in 0 1; do
  "$bin" run "$work/vault.toml" --parquet --quiet --shard "$k/2" --out "$work/sweep"
done
"$py" tools/check_tables.py "$work/lend" "$work/sweep"
"$old" tools/check_tables.py --open-only "$work/lend" "$work/sweep"
# Trading Strategy's CLMM candles as pyarrow (new and old) writes them: decimal256(76).
"$py" tools/check_clmm.py "$bin"
"$old" tools/check_clmm.py "$bin"
