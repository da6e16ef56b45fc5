#!/usr/bin/env bash
# Benchmarks at programme scale (docs/benchmarks.md) on a throwaway PostgreSQL + Redis:
# seeds 500 startups, 100,000 exporters, 1,000,000 activities and 500,000 stage
# events, then runs `manage.py bench`. Results: var/bench.json. Scale with
#   STARTUPS=… EXPORTERS=… ACTIVITIES=… STAGE_EVENTS=… make bench
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
scripts/install.sh requirements-dev.txt
ensure_debian_packages
trap stop_services EXIT
start_services
export DJANGO_SECRET_KEY="bench-$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
export DJANGO_ALLOWED_HOSTS=testserver,127.0.0.1
PY=.venv/bin/python
$PY manage.py migrate --no-input -v0
$PY manage.py collectstatic --no-input -v0
start=$(date +%s.%N)
$PY manage.py seed_demo --startups "${STARTUPS:-500}" --exporters "${EXPORTERS:-100000}" \
  --activities "${ACTIVITIES:-1000000}" --stage-events "${STAGE_EVENTS:-500000}" --password bench-only
echo "seed_demo wall time: $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"
$PY manage.py bench --json var/bench.json "$@"
