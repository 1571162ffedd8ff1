#!/bin/bash
# A sweep split over 8 array tasks: each runs shard $SLURM_ARRAY_TASK_ID of 8
# (docs/run-shard.sh; SWEEP, OUT and YIELDLAB override what runs and where).
# Submit from the repository root: sbatch docs/slurm-array.sh
# A task that failed or was killed resumes from the run cache: sbatch --array=K docs/slurm-array.sh
#SBATCH --job-name=yieldlab-sweep
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --time=01:00:00
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail
# The count is the array's size, not the number of tasks resubmitted: 8 here.
export SHARDS="${SHARDS:-8}"
exec sh docs/run-shard.sh
