#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs, then lints, type-checks
# and runs every test (unit, property, CLI, packaging, browser, doctests).
#   bash scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1  # the browser is Debian's chromium, never a download

if [ ! -x /usr/bin/chromium ]; then
  echo "== apt-get install chromium (for the browser tests)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

echo "== npm ci (Leaflet and plugins, inlined into self-contained maps)"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

echo "== install (editable, with test extras)"
"$PYTHON" -m pip install --quiet -e '.[test]'

echo "== ruff check"
"$PYTHON" -m ruff check src tests scripts benchmarks hatch_build.py
echo "== ruff format --check"
"$PYTHON" -m ruff format --check src tests scripts benchmarks hatch_build.py
echo "== mypy src"
"$PYTHON" -m mypy src

echo "== pytest"
"$PYTHON" -m pytest "$@"
