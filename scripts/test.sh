#!/usr/bin/env bash
# `npm test`: every vitest project against a real local stack (a search cluster + moto), then the
# Python client's CI (clients/python/ci.sh: wheel into a clean venv, ruff, mypy, pytest on the
# stack's moto). JOBLOGS_CLUSTER=es-8|opensearch-2 runs it on another cluster kind (default: the
# running stack's, else es-9). Starts the stack if it is not running and stops it again afterwards
# (only if it started it). A full run (no arguments) checks first: biome (format + lint) and tsc.
# Extra arguments go to vitest, e.g. `npm test -- --project unit`; a run with arguments leaves the
# static checks and the Python CI out (JOBLOGS_PYTHON_CI=1: the Python CI anyway; 0: never).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-system.sh --browser

if [ ! -x node_modules/.bin/node ] || [ ! -x node_modules/.bin/vitest ] || [ ! -x node_modules/.bin/biome ]; then
  npm ci
fi
# The `node` devDependency is Node 24; the machine's may be older.
export PATH="$PWD/node_modules/.bin:$PATH"
export SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off

# The static checks first, on a full run: the formatter and linter (biome.jsonc) and the type check.
if [ $# -eq 0 ]; then
  echo "[test] biome ci, tsc"
  biome ci --reporter=summary .
  npm run --silent build
fi

started_stack=0
stop_stack() {
  if [ "$started_stack" = 1 ]; then
    tsx scripts/stack.ts down || echo "[test] could not stop the local stack; see .local/stack.json" >&2
  fi
}
trap stop_stack EXIT
trap 'exit 130' INT TERM

if ! tsx scripts/stack.ts status >/dev/null 2>&1; then
  started_stack=1
fi
# The tests run the functions themselves: the services only (a host someone started is paused by
# the integration project's global setup and resumed after it).
tsx scripts/stack.ts up --no-host

mkdir -p .local
results=.local/vitest-results.json
rm -f "$results"
# The robustness suites record what they observed here; docs/robustness.md is rendered from it.
rm -rf .local/suite-results
set +e
vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@"
code=$?
set -e

# docs/robustness.md is the default cluster kind's (es-9) run; other kinds (scripts/test-clusters.sh) leave it alone.
kind=$(node -e 'try { console.log(JSON.parse(require("node:fs").readFileSync(".local/stack.json", "utf8")).elasticsearch.kind ?? "es-9") } catch { console.log("es-9") }')
if [ "$kind" = es-9 ]; then
  tsx scripts/suite-report.ts || echo "[test] could not render docs/robustness.md" >&2
fi

python_ci="${JOBLOGS_PYTHON_CI:-auto}"
python_code=0
python_summary=""
if [ "$python_ci" = 1 ] || { [ "$python_ci" = auto ] && [ $# -eq 0 ]; }; then
  moto_url="$(node -e 'console.log(JSON.parse(require("node:fs").readFileSync(".local/stack.json", "utf8")).moto.url)')"
  set +e
  JOBLOGS_TEST_MOTO_URL="$moto_url" bash clients/python/ci.sh 2>&1 | tee .local/python-ci.log
  python_code=${PIPESTATUS[0]}
  set -e
  python_summary="$(grep -E '^=+ .*(passed|failed|error).* in [0-9.]+s' .local/python-ci.log | tail -1 | sed -E 's/^=+ (.*) in [0-9.]+s.*$/\1/')"
  [ -n "$python_summary" ] || python_summary="did not run to the end (exit $python_code, see .local/python-ci.log)"
fi

# One plain closing line any CI log reader understands.
if [ -f "$results" ]; then
  node -e '
    const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  ' "$results" || true
fi
[ -z "$python_summary" ] || echo "pytest (clients/python): $python_summary"
[ "$code" -ne 0 ] || code=$python_code
exit "$code"
