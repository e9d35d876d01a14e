#!/usr/bin/env bash
# Quick-start demo: installs what is missing, brings up the local stack, ships a demo job through
# the whole pipeline and prints what is searchable. The stack keeps running afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system.sh
[ -x node_modules/.bin/tsx ] || npm ci --no-audit --no-fund
export PATH="$PWD/node_modules/.bin:$PATH"
tsx scripts/stack.ts up
tsx scripts/demo.ts
