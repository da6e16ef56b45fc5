#!/usr/bin/env bash
# Load test at programme scale (docs/benchmarks.md#load-test): a throwaway PostgreSQL seeded with 500 startups,
# 100,000 exporters, 1,000,000 activities and 500,000 stage events, served by gunicorn (2
# workers, production settings behind a pretend TLS proxy), driven page by page by wrk with
# 8 connections for 15 s each on the loopback interface. Results: var/loadtest.json.
#   LOADTEST_REUSE=1 DATABASE_URL=… make loadtest   # an already seeded database instead
#   SECONDS_PER_PAGE=… CONNECTIONS=… ROUNDS=… STARTUPS=… EXPORTERS=… (scale, as make bench)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
[ -n "${SKIP_INSTALL:-}" ] || scripts/install.sh requirements-dev.txt
command -v wrk >/dev/null 2>&1 || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
}
PY=.venv/bin/python
pids=()
cleanup() {
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null && wait "${pids[@]}" 2>/dev/null
  stop_services
}
trap cleanup EXIT
if [ "${LOADTEST_REUSE:-0}" = 1 ]; then
  : "${DATABASE_URL:?LOADTEST_REUSE=1 needs DATABASE_URL of a seeded database}"
else
  start_services
fi
export DJANGO_SECRET_KEY="loadtest-$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
export DJANGO_ALLOWED_HOSTS=127.0.0.1
export LOADTEST_PASSWORD=${LOADTEST_PASSWORD:-bench-only}
unset DJANGO_DEBUG
$PY manage.py migrate --no-input -v0
$PY manage.py collectstatic --no-input -v0
# Seeds only an empty database (seed_demo leaves a seeded one as it is).
$PY manage.py seed_demo --startups "${STARTUPS:-500}" --exporters "${EXPORTERS:-100000}" \
  --activities "${ACTIVITIES:-1000000}" --stage-events "${STAGE_EVENTS:-500000}" --password "$LOADTEST_PASSWORD" \
  | head -n 3
port=$(free_port)
.venv/bin/gunicorn portal.wsgi --workers 2 --bind "127.0.0.1:$port" --log-level warning \
  >var/loadtest-gunicorn.log 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  curl -s -o /dev/null -H 'X-Forwarded-Proto: https' "http://127.0.0.1:$port/healthz" && break
  sleep 0.2
done
$PY manage.py loadtest --base "http://127.0.0.1:$port" --seconds "${SECONDS_PER_PAGE:-15}" \
  --connections "${CONNECTIONS:-8}" --rounds "${ROUNDS:-1}" --json var/loadtest.json
