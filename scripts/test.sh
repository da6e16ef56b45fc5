#!/usr/bin/env bash
# The test command: install, start PostgreSQL + Redis, lint, check migrations, run
# the whole pytest suite against them (the Celery worker, SMTP sink and Chromium are
# started by the suite's fixtures), and stop everything, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
scripts/install.sh requirements-dev.txt
ensure_debian_packages
trap stop_services EXIT
start_services
unset DJANGO_DEBUG
export DJANGO_SECRET_KEY="test-$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== migrations"
.venv/bin/python manage.py makemigrations --check --dry-run
echo "== deploy checks"
DJANGO_ALLOWED_HOSTS=portal.example.in .venv/bin/python manage.py check --deploy --fail-level WARNING
echo "== pytest"
.venv/bin/pytest "$@"
