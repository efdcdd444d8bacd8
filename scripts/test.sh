#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs, then lints, type-checks
# and runs every test (unit, property, CLI, packaging, doctests).
#   bash scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore

echo "== install (editable, with test extras)"
"$PYTHON" -m pip install --quiet -e '.[test]'

echo "== ruff check"
"$PYTHON" -m ruff check src tests scripts benchmarks
echo "== ruff format --check"
"$PYTHON" -m ruff format --check src tests scripts benchmarks
echo "== mypy src"
"$PYTHON" -m mypy src

echo "== pytest"
"$PYTHON" -m pytest "$@"
