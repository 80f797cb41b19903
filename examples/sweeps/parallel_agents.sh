#!/usr/bin/env bash
# Four local agents in parallel on one sweep: each claims the next grid point in one
# transaction of the store, so the 12 combinations run once each, whichever agent takes them.
set -euo pipefail
cd "$(dirname "$0")"
SWEEP_ID=$(runcard sweep sweep.yaml --project sweep-demo)
for _ in 1 2 3 4; do
  runcard agent "$SWEEP_ID" &
done
wait
runcard sweeps sweep-demo
runcard runs sweep-demo --filter "sweep=$SWEEP_ID"
