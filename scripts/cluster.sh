#!/usr/bin/env bash
# `make cluster`: the multi-node drill's cluster, for people to try (docs/operations.md,
# "The multi-node drill"). nginx from deploy/nginx.conf on 127.0.0.1:$PORT (default 8080) in
# front of two gunicorn nodes, two Celery workers and one beat, each process in a folder of its
# own (nothing shared on disk), with production settings, on a throwaway PostgreSQL and Redis,
# moto's S3 server for the files and an SMTP sink that prints every email to its log. Seeds the
# demo data, prints the address and the processes; Ctrl-C stops everything.
# Stop node A to watch nginx carry on with node B: `kill <its pid>` (printed below).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
[ -n "${SKIP_INSTALL:-}" ] || scripts/install.sh requirements-dev.txt
ensure_debian_packages
PY=$PWD/.venv/bin/python
PORT=${PORT:-8080}
pids=()
cleanup() {
  # Some may be gone already (Ctrl-C reaches them too, or a node was stopped on purpose).
  [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  stop_services
}
trap cleanup EXIT
trap 'exit 130' INT TERM
start_services
ROOT=$SERVICES_DIR/cluster
mkdir -p "$ROOT"
s3_port=$(free_port)
smtp_port=$(free_port)
node_a=127.0.0.1:$(free_port)
node_b=127.0.0.1:$(free_port)

# What every process runs with: production settings (static files straight from the apps,
# see onboarding/tests/cluster_settings.py), behind one proxy, plain HTTP on the loopback.
unset DJANGO_DEBUG
export DJANGO_SETTINGS_MODULE=onboarding.tests.cluster_settings
export DJANGO_SECRET_KEY="cluster-$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost TRUSTED_PROXY_COUNT=1 DJANGO_SECURE_SSL_REDIRECT=false
export SITE_URL=http://127.0.0.1:$PORT EMAIL_URL=smtp://127.0.0.1:$smtp_port
export S3_BUCKET=portal S3_ENDPOINT_URL=http://127.0.0.1:$s3_port S3_REGION=us-east-1
export S3_ACCESS_KEY_ID=cluster S3_SECRET_ACCESS_KEY=cluster-secret

# run NAME COMMAND…: COMMAND in the background with its own folder $ROOT/NAME (var and media),
# its output in $ROOT/NAME.log.
run() {
  local name=$1
  shift
  mkdir -p "$ROOT/$name"
  PORTAL_VAR_DIR=$ROOT/$name MEDIA_ROOT=$ROOT/$name/media "$@" >"$ROOT/$name.log" 2>&1 &
  pids+=($!)
  printf '  %-9s pid %-7s log %s\n' "$name" "$!" "$ROOT/$name.log" >>"$ROOT/processes"
}
answers() { curl -fs -o /dev/null --max-time 20 "$1"; }
wait_for() {
  for _ in $(seq 300); do answers "$1" && return 0; sleep 0.2; done
  echo "No answer from $1: see the logs in $ROOT" >&2
  return 1
}

run s3 "$PY" -m moto.server -H 127.0.0.1 -p "$s3_port"
run smtp "$PY" -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Debugging
for _ in $(seq 100); do curl -s -o /dev/null "$S3_ENDPOINT_URL" && break; sleep 0.1; done
"$PY" -c 'import os, boto3
boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"], region_name=os.environ["S3_REGION"],
    aws_access_key_id=os.environ["S3_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["S3_SECRET_ACCESS_KEY"]).create_bucket(Bucket=os.environ["S3_BUCKET"])'
mkdir -p "$ROOT/setup"
PORTAL_VAR_DIR=$ROOT/setup "$PY" manage.py migrate --no-input -v0
PORTAL_VAR_DIR=$ROOT/setup "$PY" manage.py seed_demo

gunicorn=("$PY" -m gunicorn portal.wsgi --workers 2 --preload --timeout 60 --graceful-timeout 20)
run node-a "${gunicorn[@]}" --bind "$node_a"
run node-b "${gunicorn[@]}" --bind "$node_b"
run worker-1 "$PY" -m celery -A portal worker --loglevel INFO --concurrency 2 --hostname worker-1@%h
run worker-2 "$PY" -m celery -A portal worker --loglevel INFO --concurrency 2 --hostname worker-2@%h
run beat "$PY" -m celery -A portal beat --loglevel INFO --schedule "$ROOT/beat/schedule"

# nginx: the production example's site inside the loopback main context (deploy/).
NGINX=$ROOT/nginx
mkdir -p "$NGINX"
chmod 755 "$NGINX" # started as root, its workers run as nobody and must reach this folder
sed -e "s|@NODE_A@|$node_a|; s|@NODE_B@|$node_b|; s|@LISTEN@|127.0.0.1:$PORT|; s|@SERVER_NAME@|localhost|" \
  deploy/nginx.conf >"$NGINX/portal.conf"
sed -e "s|@DIR@|$NGINX|g" deploy/nginx-loopback.conf >"$NGINX/nginx.conf"
run nginx nginx -p "$NGINX" -c "$NGINX/nginx.conf" -e "$NGINX/error.log" -g 'daemon off;'

wait_for "http://$node_a/healthz"
wait_for "http://$node_b/healthz"
wait_for "http://127.0.0.1:$PORT/healthz"
echo
echo "Export Onboarding Portal, two nodes behind nginx: http://127.0.0.1:$PORT/"
echo "  node A    http://$node_a/    node B    http://$node_b/"
echo "  S3        $S3_ENDPOINT_URL (bucket $S3_BUCKET)    SMTP sink 127.0.0.1:$smtp_port (emails in smtp.log)"
echo "  ${DATABASE_URL##*@} (PostgreSQL), ${REDIS_URL#redis://} (Redis)"
cat "$ROOT/processes"
echo "Sign in with a demo login above. \`kill <pid of node-a>\` and nginx carries on with node B."
echo "Ctrl-C stops everything."
# Until Ctrl-C: a node stopped on purpose leaves the rest running.
wait
