#!/usr/bin/env bash
# The test command: install, start PostgreSQL + Redis, lint, check migrations, run every test,
# and stop everything it started, even on failure. Two pytest sessions run side by side, each on
# its own test database:
#   - "live": the tests on the live services (Celery worker, SMTP sink, Redis switched off and
#     on) and in Chromium, one after another: they share the one Redis and mostly wait;
#   - "rest": the unit, page and API tests, which keep a core busy.
# The tests that take a side of a database question (marked `both_databases`, see
# onboarding/database.py) then run once more, on SQLite, so the non-PostgreSQL side runs too.
# Each session then runs its time-sensitive tests (marked `clock`, see onboarding/tests/suite.py)
# a second time with the clock 400 days ahead: pytest and every Python process it starts (the
# Celery worker, beat, commands) and a second PostgreSQL, so a test that passes only near the
# day it was written fails here. Redis and Chromium stay on real time: neither keeps or decides a
# date the portal reads (the server decides every date a page shows). The command ends with the
# time of each run and of each group of tests.
# Arguments go to one pytest session on real time instead: `scripts/test.sh -k exporter -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
scripts/install.sh requirements-dev.txt
ensure_debian_packages
trap stop_services EXIT
start_services
unset DJANGO_DEBUG
export DJANGO_SECRET_KEY="test-$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
# A test that needs a service the command started fails, rather than skips, without it.
export PORTAL_REQUIRE_SERVICES=1
export PORTAL_TEST_TIMES="$SERVICES_DIR/times.jsonl"
PYTEST=(.venv/bin/pytest -p no:cacheprovider)
if [ $# -gt 0 ]; then
  "${PYTEST[@]}" "$@"
  exit
fi
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== migrations"
.venv/bin/python manage.py makemigrations --check --dry-run
echo "== deploy checks"
DJANGO_ALLOWED_HOSTS=portal.example.in .venv/bin/python manage.py check --deploy --fail-level WARNING

ON_TIME=$DATABASE_URL
start_postgres pg-ahead postgres_ahead
AHEAD=$DATABASE_URL

# session NAME MARKERS [TIME]: the tests MARKERS select, then those of them marked `clock` with the
# clock CLOCK_AHEAD_DAYS days ahead (at TIME of that day on the programme's calendar, IST, if
# given); each on a database of its own name. Fails if either run failed.
session() {
  local name=$1 markers=$2 at=${3:-} ahead=$((CLOCK_AHEAD_DAYS * 86400)) status=0
  DATABASE_URL="${ON_TIME%/*}/$name" PORTAL_TEST_PHASE="$name" "${PYTEST[@]}" -m "$markers" || status=$?
  [ -n "$at" ] && ahead=$(clock_ahead_at IST-5:30 "$at")
  echo "== $name: the time-sensitive tests again, from $(TZ=IST-5:30 date -d "@$(($(date +%s) + ahead))" +'%d %b %Y %H:%M:%S IST')"
  DATABASE_URL="${AHEAD%/*}/$name" PORTAL_TEST_PHASE="$name, 400 days ahead" CLOCK_AHEAD_SECONDS=$ahead \
    python_ahead "${PYTEST[@]}" -q -m "clock and ($markers)" || status=$?
  return $status
}

echo "== pytest: the live tests run beside the rest; their output follows the rest's"
session live "browser or integration" >"$SERVICES_DIR/live.log" 2>&1 &
live=$!
status=0
# The rest's run ahead starts 30 s after midnight on the programme's calendar (IST), where a
# moment a few minutes back is yesterday: a test that builds its data minutes back on a ticking
# clock fails here, not only in CI runs that happen to cross 18:30 UTC.
session rest "not (browser or integration)" 00:00:30 || status=$?
echo "== pytest: the both_databases tests again, on SQLite"
DATABASE_URL="sqlite:///$SERVICES_DIR/sqlite.db" PORTAL_TEST_PHASE="both databases, again on SQLite" \
  "${PYTEST[@]}" -q -m both_databases || status=$?
wait $live || status=$?
echo "== pytest: live (on the services and in Chromium)"
cat "$SERVICES_DIR/live.log"
.venv/bin/python -m onboarding.tests.suite "$PORTAL_TEST_TIMES"
echo "== the test command took $((SECONDS / 60)) min $((SECONDS % 60)) s"
exit $status
