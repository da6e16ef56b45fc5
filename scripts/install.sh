#!/usr/bin/env bash
# Creates .venv with the pinned Python packages and node_modules with the pinned
# front-end assets. Re-running is cheap: each step is skipped when up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=${1:-requirements.txt}
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=".venv/.installed-$(cat requirements*.txt | sha1sum | cut -c1-12)-$(basename "$requirements")"
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r "$requirements"
  touch "$stamp"
fi
if [ ! -d node_modules/bootstrap ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --silent
fi
