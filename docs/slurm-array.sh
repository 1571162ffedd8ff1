#!/bin/bash
# A sweep split over 8 array tasks: each runs shard $SLURM_ARRAY_TASK_ID of 8.
# Submit from the repository root: sbatch docs/slurm-array.sh
#SBATCH --job-name=yieldlab-sweep
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --time=01:00:00
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail
N=8
yieldlab run strategies/sweeps/harvest_interval_x_capital.toml \
  --shard "${SLURM_ARRAY_TASK_ID}/${N}" --parquet --series none --quiet \
  --out results/harvest-sweep
