#!/usr/bin/env bash
# CI for the Python client: a clean build venv makes the wheel; the wheel (not an editable
# install) goes into a second clean venv with the dev tools; then ruff (lint + format check),
# mypy --strict and pytest, against a moto server this script starts and stops itself.
# Usage: bash clients/python/ci.sh   (from anywhere; needs python3.9+ and, for the Node parity
# test, `npm ci` done in the repository root — without it that one test is skipped, and says so).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
python="${PYTHON:-python3}"
work="$(mktemp -d "${TMPDIR:-/tmp}/joblogs-python-ci.XXXXXX")"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

echo "[python-ci] building the wheel in a clean venv"
"$python" -m venv "$work/build-venv"
"$work/build-venv/bin/pip" install -q --upgrade pip build
"$work/build-venv/bin/python" -m build --wheel --outdir "$work/dist" "$here" >/dev/null
wheel="$(ls "$work"/dist/joblogs-*.whl)"
echo "[python-ci] built $(basename "$wheel")"

echo "[python-ci] installing the wheel into a second clean venv"
"$python" -m venv "$work/test-venv"
venv="$work/test-venv/bin"
"$venv/pip" install -q --upgrade pip
# The wheel with its dev extra (test tools); the source tree is never installed.
"$venv/pip" install -q "$wheel[dev]"
# Prove the tests import the installed wheel, not the source tree.
(cd "$work" && "$venv/python" -c 'import joblogs, sys; assert "site-packages" in joblogs.__file__, joblogs.__file__; print("[python-ci] joblogs", joblogs.__version__, "from", joblogs.__file__)')
"$venv/python" -c 'import importlib.resources as r; assert r.files("joblogs").joinpath("py.typed").is_file()'

echo "[python-ci] ruff"
"$venv/ruff" check src tests
"$venv/ruff" format --check src tests

echo "[python-ci] mypy --strict"
"$venv/mypy" --config-file pyproject.toml

echo "[python-ci] pytest (moto: ${JOBLOGS_TEST_MOTO_URL:-started by the session fixture})"
# The src layout keeps the source tree off sys.path: the tests import the installed wheel.
"$venv/python" -m pytest -p no:cacheprovider tests
