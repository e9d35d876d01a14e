#!/usr/bin/env bash
# CI for the Python client, run by `npm test` (scripts/test.sh) and on its own:
#   1. builds the sdist and, from it, the wheel (python -m build, isolated);
#   2. installs the wheel into a new, empty venv and imports it there (what a user's `pip install` does);
#   3. installs the same wheel (not the source tree) into the tools venv and runs ruff (lint +
#      format check), mypy --strict and pytest there.
# The tools venv (.local/python-ci/tools: pytest, ruff, mypy, moto, …) is reused while
# pyproject.toml is unchanged, so a second run spends its time on the checks, not on pip.
#
# Usage: bash clients/python/ci.sh
#   JOBLOGS_TEST_MOTO_URL=http://127.0.0.1:5055   use that moto server (npm test passes the local stack's),
#                                                 else pytest starts its own on a free port
#   JOBLOGS_PY_TEST_PORTS=5160-5199               the ports pytest may start its moto on
#   PYTHON=python3.9                              the interpreter (3.9+)
# The Node parity test needs `npm ci` in the repository root; without it that one test is skipped, and says so.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"
python="${PYTHON:-python3}"
cache="$repo/.local/python-ci"
tools="$cache/tools"
work="$(mktemp -d "${TMPDIR:-/tmp}/joblogs-python-ci.XXXXXX")"
trap 'rm -rf "$work"' EXIT
started=$SECONDS
say() { echo "[python-ci] $*"; }
pip_quiet() { "$@" -q --disable-pip-version-check; }

# The tools venv: created once per pyproject.toml (its dev extra names the tools).
stamp="$("$python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' pyproject.toml) $("$python" -V 2>&1)"
if [ ! -x "$tools/bin/python" ] || [ "$(cat "$tools/.stamp" 2>/dev/null)" != "$stamp" ]; then
  say "creating the tools venv ($tools)"
  rm -rf "$tools"
  mkdir -p "$cache"
  "$python" -m venv "$tools"
  pip_quiet "$tools/bin/pip" install build
  fresh_tools=1
else
  fresh_tools=0
fi

# The scrubbing rules ship inside the package as a copy of the one shared list: a copy that drifted fails here, first.
cmp -s "$repo/shared/core/scrub/rules.json" src/joblogs/scrub_rules.json || {
  say "src/joblogs/scrub_rules.json differs from shared/core/scrub/rules.json: cp shared/core/scrub/rules.json clients/python/src/joblogs/scrub_rules.json"
  exit 1
}

say "building the sdist and the wheel from it"
# From the sdist, in a temporary directory: the source tree gets no build/ or *.egg-info, and a file missing from the sdist fails here.
"$tools/bin/python" -m build --outdir "$work/dist" "$here" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
wheel="$(ls "$work"/dist/joblogs-*.whl)"
say "built $(basename "$wheel")"

say "installing the wheel into a clean venv"
"$python" -m venv "$work/clean"
pip_quiet "$work/clean/bin/pip" install "$wheel"
(cd "$work" && "$work/clean/bin/python" -c '
import importlib.resources as r, joblogs
assert "site-packages" in joblogs.__file__, joblogs.__file__
assert r.files("joblogs").joinpath("py.typed").is_file()
assert r.files("joblogs").joinpath("scrub_rules.json").is_file()
print("[python-ci] clean venv: joblogs", joblogs.__version__, "from", joblogs.__file__)')
"$work/clean/bin/python" -m joblogs run --help >/dev/null

say "installing the wheel into the tools venv"
if [ "$fresh_tools" = 1 ]; then
  pip_quiet "$tools/bin/pip" install "$wheel[dev]"
  echo "$stamp" >"$tools/.stamp"
else
  pip_quiet "$tools/bin/pip" install --force-reinstall --no-deps "$wheel"
fi
venv="$tools/bin"
# The tests must import the installed wheel, never the source tree (the src layout keeps it off sys.path).
(cd "$work" && "$venv/python" -c 'import joblogs; assert "site-packages" in joblogs.__file__, joblogs.__file__')

# The repository's other Python: the benchmark's measured side and the trace test's server.
others=("$repo/bench/python-shipper.py" "$repo/test/support/trace-py-server.py")

say "ruff"
"$venv/ruff" check src tests "${others[@]}"
"$venv/ruff" format --check src tests "${others[@]}"

say "mypy --strict"
"$venv/mypy" --config-file pyproject.toml
"$venv/mypy" --config-file pyproject.toml "${others[@]}"

say "pytest (moto: ${JOBLOGS_TEST_MOTO_URL:-started by the session fixture})"
"$venv/python" -m pytest -p no:cacheprovider tests
say "done in $((SECONDS - started)) s"
