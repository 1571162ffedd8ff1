#!/usr/bin/env bash
# CI: a real sweep on a real Slurm cluster (single node, tools/slurm.sh). Submits
# docs/slurm-array.sh as an array of N shards, waits, and checks that the merged Parquet
# parts equal the unsharded run (tools/check_shards.py, polars and DuckDB); then kills a
# task mid-run, resubmits it, and checks that it resumed from the run cache and wrote the
# same result. Usage: tools/check_slurm.sh PYTHON   (a Python with polars and duckdb)
set -euo pipefail
cd "$(dirname "$0")/.."
py="$1"
N=4
bin="$PWD/target/debug/yieldlab"
work="$(mktemp -d)"
tools/slurm.sh install
tools/slurm.sh start "$work/slurm"
export SLURM_CONF="$work/slurm/slurm.conf"
trap 'tools/slurm.sh stop "$work/slurm"' EXIT
sweep=strategies/sweeps/harvest_interval_x_capital.toml

"$bin" run "$sweep" --parquet --series none --quiet --out "$work/ref" > /dev/null
t0=$(date +%s)
YIELDLAB="$bin" SWEEP="$sweep" OUT="$work/sharded" SHARDS=$N \
  sbatch --wait --array=0-$((N - 1)) --cpus-per-task=1 --mem=1G \
  --output="$work/slurm-%A_%a.out" docs/slurm-array.sh
echo "slurm: $N array tasks done in $(( $(date +%s) - t0 )) s"
"$py" tools/check_shards.py "$work/ref" "$work/sharded" $N

# A task killed mid-run and resubmitted resumes from its shard's run cache. One shard
# (N = 1) of a longer sweep, so that there is time to kill it between two runs.
long="$work/long.toml"
sed -e "s|^data = .*|data = \"$PWD/data/manifest.toml\"|" \
    -e 's|^end = .*|end = "2024-12-30"|' \
    -e 's|log_steps = 4|log_steps = 8|' "$sweep" > "$long"
"$bin" run "$long" --parquet --series none --quiet --out "$work/long-ref" > /dev/null
job=$(YIELDLAB="$bin" SWEEP="$long" OUT="$work/resume" SHARDS=1 \
  sbatch --parsable --array=0 --cpus-per-task=1 --mem=1G \
  --output="$work/resume-1.out" docs/slurm-array.sh)
journal="$work/resume/.yieldlab-cache"
for _ in $(seq 1 600); do
  if [ -n "$(find "$journal" -type f -size +0 2>/dev/null | head -1)" ]; then break; fi
  sleep 0.1
done
scancel --signal=KILL "$job"
for _ in $(seq 1 100); do
  if [ -z "$(squeue -h -j "$job" 2>/dev/null)" ]; then break; fi
  sleep 0.1
done
if [ -f "$work/resume/summary.part-0-of-1.csv" ]; then
  echo "slurm: the task finished before it could be killed; make the resume sweep longer" >&2
  exit 1
fi
cached=$(find "$journal" -type f -exec cat {} + | wc -l)
echo "slurm: killed task $job with $cached run(s) in its cache"
YIELDLAB="$bin" SWEEP="$long" OUT="$work/resume" SHARDS=1 \
  sbatch --wait --array=0 --cpus-per-task=1 --mem=1G \
  --output="$work/resume-2.out" docs/slurm-array.sh
grep -E "read from the run cache" "$work/resume-2.out"
"$py" tools/check_shards.py "$work/long-ref" "$work/resume" 1
