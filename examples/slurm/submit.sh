#!/bin/bash
# Queue the shard array, then the merge, which starts only when every shard succeeded.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p logs
array=$(sbatch --parsable shards.sbatch)
sbatch --dependency="afterok:${array}" merge.sbatch
echo "shards: job ${array}; the merge waits for it"
