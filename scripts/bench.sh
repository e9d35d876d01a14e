#!/usr/bin/env bash
# Runs every benchmark: `npm run bench` (extra arguments go to both, e.g. `npm run bench -- --rounds 3`).
# The CPU benchmark needs nothing; the end-to-end one brings the local stack up if it is not
# running and takes it down again afterwards (it leaves a running stack running).
set -euo pipefail
cd "$(dirname "$0")/.."
# The project's Node 24 (node_modules/.bin/node) and tsx, not whatever the machine has.
export PATH="$PWD/node_modules/.bin:$PATH"

echo "== bench/indexer-cpu.ts"
node --import tsx bench/indexer-cpu.ts "$@"
echo
echo "== bench/indexer-e2e.ts"
node --import tsx bench/indexer-e2e.ts "$@"
