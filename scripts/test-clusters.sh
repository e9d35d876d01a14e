#!/usr/bin/env bash
# The integration suites that touch the search cluster, on each other cluster kind than the
# default (README, "Search clusters"): `npm test` has run everything on es-9; this starts each
# kind's own local cluster in turn (one at a time: the machines are small), runs the suites on it
# and stops it again. docs/robustness.md stays the default kind's full run.
#
#   bash scripts/test-clusters.sh [kind …]      # default: es-8 opensearch-2
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(es-8 opensearch-2)
# The indexer and its exactly-once invariant under faults, bad input, the trace, the logs API,
# IAM (SigV4; it skips itself on Elasticsearch), the admin commands, multi-line events, the
# per-kind document shapes, chunk records mapped before and after an upgrade, and the archive
# (answers equal to the cluster's).
suites=(
  test/integration/indexer.test.ts
  test/integration/faults.test.ts
  test/integration/bad-input.test.ts
  test/integration/trace.test.ts
  test/integration/logs-api.test.ts
  test/integration/sigv4.test.ts
  test/integration/admin.test.ts
  test/integration/events.test.ts
  test/integration/document-shapes.test.ts
  test/integration/record-shapes.test.ts
  test/integration/archive.test.ts
)

status=0
for kind in "${kinds[@]}"; do
  started=$(date +%s)
  echo "[test-clusters] ${kind}: ${suites[*]}"
  if ! JOBLOGS_CLUSTER="$kind" bash scripts/test.sh --project integration "${suites[@]}"; then
    status=1
  fi
  # test.sh stops only a stack it started; a stack that was already up was replaced by this kind.
  JOBLOGS_CLUSTER="$kind" tsx scripts/stack.ts down >/dev/null 2>&1 || true
  echo "[test-clusters] ${kind}: $(( $(date +%s) - started )) s (cluster start included)"
done
exit "$status"
