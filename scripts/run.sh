#!/usr/bin/env bash
# The run command: install, migrate, seed demo data once, then serve on
# 127.0.0.1:$PORT (default 8000: `make run PORT=8123` for another) with a Celery worker and beat.
# SQLite and kombu's filesystem broker under var/ by default; DATABASE_URL / REDIS_URL
# switch to real servers.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8000}
# SKIP_INSTALL=1 skips the install step (as in scripts/loadtest.sh), e.g. when .venv and
# node_modules are shared with another work tree.
[ -n "${SKIP_INSTALL:-}" ] || scripts/install.sh requirements.txt
export DJANGO_DEBUG=${DJANGO_DEBUG:-1}
# Links in emails point at this server, unless SITE_URL is set here or in .env.
if [ -z "${SITE_URL:-}" ] && ! grep -qs '^SITE_URL=.' .env; then
  export SITE_URL="http://127.0.0.1:$PORT"
fi
PY=.venv/bin/python
$PY manage.py migrate --no-input -v0
$PY manage.py seed_demo
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
.venv/bin/celery -A portal worker --beat --loglevel INFO --concurrency 2 \
  --schedule var/celerybeat-schedule >var/celery.log 2>&1 &
pids+=($!)
echo
echo "Export Onboarding Portal: http://127.0.0.1:$PORT/  (Celery worker + beat log: var/celery.log)"
echo "Sign in with a demo login above. Ctrl-C stops everything."
$PY manage.py runserver "127.0.0.1:$PORT" &
pids+=($!)
wait -n "${pids[@]}"
