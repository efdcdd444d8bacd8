#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs, then lints, type-checks
# and runs every test (unit, property, CLI, packaging, browser, doctests).
#   bash scripts/test.sh [extra pytest arguments]
#   PYTHON=/path/to/venv/bin/python bash scripts/test.sh     # a chosen interpreter or venv
# Needs: Python >= 3.10 with pip, and either root/sudo with apt (Debian/Ubuntu) or chromium and
# npm already installed. On a Python that pip may not install into (Debian's own, PEP 668) and
# outside a venv, it creates and uses .venv/ in the checkout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1  # the browser is Debian's chromium, never a download

in_venv=$("$PYTHON" -c 'import sys; print(int(sys.prefix != sys.base_prefix))')
managed=$("$PYTHON" -c 'import os, sysconfig
print(int(os.path.isfile(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))))')
use_venv=0
if [ "$in_venv" = 0 ] && [ "$managed" = 1 ]; then use_venv=1; fi

apt_packages=()
[ -x /usr/bin/chromium ] || apt_packages+=(chromium)          # the browser tests' browser
command -v npm >/dev/null 2>&1 || apt_packages+=(npm)         # Node.js and npm, for npm ci
if [ "$use_venv" = 1 ] && ! "$PYTHON" -c 'import ensurepip' 2>/dev/null; then
  apt_packages+=(python3-venv)
fi
if ! "$PYTHON" -m pip --version >/dev/null 2>&1 && [ "$use_venv" = 0 ]; then
  apt_packages+=(python3-pip)
fi
if [ "${#apt_packages[@]}" -gt 0 ]; then
  echo "== apt-get install ${apt_packages[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi
# (Debian's /usr/bin/chromium wrapper prints "[: ...: unexpected operator" on --version: harmless.)

if [ "$use_venv" = 1 ]; then
  echo "== $PYTHON is managed by the system (PEP 668): using the virtual environment .venv/"
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  PYTHON=.venv/bin/python
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
