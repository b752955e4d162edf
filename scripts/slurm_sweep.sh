#!/usr/bin/env bash
# An `npusim sweep` as a Slurm job array: task K of N runs shard K/N into OUT/shard-K, and
# `npusim sweep-merge` joins the shards afterwards (docs/sweep.md).
#
#   sbatch --array=0-7 scripts/slurm_sweep.sh OUT --arch arch/dense_16x16.json \
#          --net workloads/mobilenet_v1_q8.json --grid grid.json --jobs 4
#   # when every task is done:
#   build/npusim sweep-merge --out OUT OUT/shard-*
#
# Every task must see the same inputs (a shared file system) and the same --sample/--seed, so
# the shards are disjoint slices of one design space. A task that is requeued or resubmitted
# resumes its shard: points already in OUT/shard-K/sweep.csv are not run again.
#SBATCH --job-name=npusim-sweep
#SBATCH --cpus-per-task=4
#SBATCH --output=npusim-sweep-%A_%a.log
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: sbatch --array=0-(N-1) $0 OUT [npusim sweep options without --out/--shard]" >&2
  exit 2
fi
out=$1
shift
: "${SLURM_ARRAY_TASK_ID:?run this script as a Slurm job array (sbatch --array=0-N)}"
count=${SLURM_ARRAY_TASK_COUNT:-$((SLURM_ARRAY_TASK_MAX + 1))}
npusim=${NPUSIM:-$(dirname "$0")/../build/npusim}
exec "$npusim" sweep "$@" --shard "$SLURM_ARRAY_TASK_ID/$count" --out "$out/shard-$SLURM_ARRAY_TASK_ID"
