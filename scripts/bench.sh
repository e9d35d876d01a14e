#!/usr/bin/env bash
# Runs the benchmarks: `npm run bench` runs all of them; leading names select some
# (`npm run bench -- shipper`, `npm run bench -- indexer-cpu shipper-freshness`): a name picks
# bench/<name>.ts, and a group name (`indexer`, `shipper`, `python`) picks every bench/<group>-*.ts.
# Arguments after the names go to each selected benchmark (`npm run bench -- shipper --rounds 2`).
# The CPU benchmark needs nothing; the others bring the local stack up if it is not running and
# take it down again afterwards (they leave a running stack running).
set -euo pipefail
cd "$(dirname "$0")/.."
# The project's Node 24 (node_modules/.bin/node) and tsx, not whatever the machine has.
export PATH="$PWD/node_modules/.bin:$PATH"

ALL=(indexer-cpu indexer-e2e search-storage shipper-throughput shipper-overhead shipper-freshness shipper-scrub python-shipper assembler signer logs-api archive viewer)

selected=()
while [[ $# -gt 0 && "$1" != -* ]]; do
  matched=0
  for name in "${ALL[@]}"; do
    if [[ "$name" == "$1" || "$name" == "$1"-* ]]; then
      selected+=("$name")
      matched=1
    fi
  done
  if [[ $matched -eq 0 ]]; then
    echo "bench.sh: unknown benchmark '$1' (known: ${ALL[*]}, or a group: indexer, shipper, python)" >&2
    exit 2
  fi
  shift
done
[[ ${#selected[@]} -gt 0 ]] || selected=("${ALL[@]}")

first=1
for name in "${selected[@]}"; do
  [[ $first -eq 1 ]] || echo
  first=0
  echo "== bench/$name.ts"
  node --import tsx "bench/$name.ts" "$@"
done
