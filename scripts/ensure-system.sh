#!/usr/bin/env bash
# What the local stack and the tests need from the machine, beyond Node.js and npm packages:
# Python's venv (moto, cfn-lint, the Python client), Maven and unzip (the search cluster's test
# distributions come from Maven as zips), a JDK Elasticsearch 8 / OpenSearch 2 run on (17 or 21;
# Elasticsearch 9 needs 21+), and with --browser Debian's Chromium (the viewer's browser tests).
# Installs what is missing with apt when it can (root on Debian/Ubuntu); otherwise names it and fails.
#
#   bash scripts/ensure-system.sh [--browser]
set -euo pipefail

want_browser=0
[ "${1:-}" = --browser ] && want_browser=1

missing=()
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v unzip >/dev/null 2>&1 || missing+=(unzip)
ls /usr/lib/jvm 2>/dev/null | grep -Eq -- '(^|-)(17|21)($|[.-])' || missing+=(openjdk-17-jdk-headless)
if [ "$want_browser" = 1 ] && [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  missing+=(chromium)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "[ensure-system] installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
else
  echo "[ensure-system] missing: ${missing[*]} — install them (Debian package names), or set CHROMIUM_PATH for the browser" >&2
  exit 1
fi
