#!/bin/sh
# One shard of a sweep: the entry point of every distributed runner (Slurm arrays,
# Kubernetes Indexed Jobs, anything that starts N copies with an index).
#
#   index  SHARD_INDEX, else SLURM_ARRAY_TASK_ID, else JOB_COMPLETION_INDEX
#   count  SHARDS, else SLURM_ARRAY_TASK_COUNT
#   SWEEP  the strategy file (default: the harvest-interval x capital sweep)
#   OUT    the shared output folder (default: results/harvest-sweep)
#   YIELDLAB  the binary (default: yieldlab on PATH)
#
# Every shard writes <table>.part-K-of-N.{csv,parquet} into OUT and keeps its own run
# cache there, so a task that is killed and started again resumes where it stopped.
set -eu
k="${SHARD_INDEX:-${SLURM_ARRAY_TASK_ID:-${JOB_COMPLETION_INDEX:-}}}"
n="${SHARDS:-${SLURM_ARRAY_TASK_COUNT:-}}"
if [ -z "$k" ] || [ -z "$n" ]; then
  echo "run-shard.sh: no shard index/count (set SHARD_INDEX and SHARDS, or run as an array task)" >&2
  exit 2
fi
exec "${YIELDLAB:-yieldlab}" run "${SWEEP:-strategies/sweeps/harvest_interval_x_capital.toml}" \
  --shard "$k/$n" --parquet --series none --progress "${PROGRESS:-auto}" \
  --out "${OUT:-results/harvest-sweep}"
