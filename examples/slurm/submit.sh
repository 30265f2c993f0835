#!/bin/bash
# Queue the shard array, then the merge, which starts only when every shard succeeded
# (afterok: if a task fails or is cancelled, the merge never starts; see shards.sbatch for
# submitting that task again, and the README's "Many machines").
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p logs
array=$(sbatch --parsable shards.sbatch)
merge=$(sbatch --parsable --dependency="afterok:${array}" merge.sbatch)
echo "shards: job ${array}; merge: job ${merge}, after every shard succeeded"
