# Sourced by scripts/test.sh, `make bench` and `make loadtest`: starts a throwaway PostgreSQL
# and Redis on free loopback ports in a temp dir, exports DATABASE_URL and REDIS_URL, and stops
# everything it started on exit.

# PostgreSQL refuses to run as root: as root, the servers run as the `postgres` user.
RUN_AS=()
[ "$(id -u)" = 0 ] && RUN_AS=(runuser -u postgres --)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

ensure_debian_packages() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v faketime >/dev/null 2>&1 || missing+=(faketime)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # nginx in front of the multi-node drill's two web nodes (deploy/nginx.conf).
  [ -x /usr/sbin/nginx ] || missing+=(nginx)
  # WeasyPrint (PDF statements and report packs) lays text out with Pango and DejaVu fonts.
  ldconfig -p | grep -q libpangoft2-1.0 || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
  [ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
  # Devanagari letters for Hindi PDFs and pages (DejaVu has none).
  [ -d /usr/share/fonts/truetype/lohit-devanagari ] || missing+=(fonts-lohit-deva)
  # xgettext, for the test that the Hindi catalogue holds every text of the code (locale/hi).
  command -v xgettext >/dev/null 2>&1 || missing+=(gettext)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing ${missing[*]} from Debian's packages…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# The clock ahead, for the test command's second run of the time-sensitive tests: COMMAND, and
# every process it starts, sees a wall clock ahead; monotonic clocks, which timeouts use, stay
# true. `postgres_ahead COMMAND…` preloads libfaketime (for PostgreSQL), CLOCK_AHEAD_DAYS days
# ahead; `python_ahead COMMAND…` makes every Python process travel with time-machine as it starts
# (onboarding/tests/clock_ahead/sitecustomize.py), since libfaketime breaks Python's timed waits:
# CLOCK_AHEAD_SECONDS ahead if set, else CLOCK_AHEAD_DAYS days. No query asks PostgreSQL the time
# (the server's clock decides every date), so the two may differ by the hours `clock_ahead_at` moves.
CLOCK_AHEAD_DAYS=400
postgres_ahead() {
  local lib
  lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -n 1)
  LD_PRELOAD=$lib FAKETIME=+${CLOCK_AHEAD_DAYS}d FAKETIME_DONT_FAKE_MONOTONIC=1 "$@"
}
python_ahead() {
  PYTHONPATH="$PWD/onboarding/tests/clock_ahead${PYTHONPATH:+:$PYTHONPATH}" \
    PORTAL_CLOCK_AHEAD_SECONDS=${CLOCK_AHEAD_SECONDS:-$((CLOCK_AHEAD_DAYS * 86400))} "$@"
}
# clock_ahead_at ZONE TIME: the seconds from now to TIME of day (e.g. 00:00:30) on the day
# CLOCK_AHEAD_DAYS ahead, in ZONE (POSIX spelling, e.g. IST-5:30, so no time zone files are read).
clock_ahead_at() {
  local zone=$1 at=$2 now day
  now=$(date +%s)
  day=$(TZ=$zone date -d "@$((now + CLOCK_AHEAD_DAYS * 86400))" +%F)
  echo $(($(TZ=$zone date -d "$day $at" +%s) - now))
}

start_services() {
  SERVICES_DIR=$(mktemp -d /tmp/portal-services.XXXXXX)
  chmod 755 "$SERVICES_DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$SERVICES_DIR"
  local redis_port
  redis_port=$(free_port)
  start_postgres pg
  "${RUN_AS[@]}" redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
    --daemonize yes --pidfile "$SERVICES_DIR/redis.pid" --logfile "$SERVICES_DIR/redis.log" --dir "$SERVICES_DIR"
  export REDIS_URL="redis://127.0.0.1:$redis_port/0"
  export PORTAL_SERVICES_DIR="$SERVICES_DIR"
  export PORTAL_REDIS_PORT="$redis_port"
  for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "PostgreSQL on ${DATABASE_URL##*@}, Redis on 127.0.0.1:$redis_port"
}

# start_postgres NAME [PREFIX…]: a throwaway PostgreSQL in $SERVICES_DIR/NAME on a free port,
# started through PREFIX (e.g. postgres_ahead); exports DATABASE_URL for it.
start_postgres() {
  local name=$1 port
  shift
  port=$(free_port)
  "${RUN_AS[@]}" initdb -D "$SERVICES_DIR/$name" -U postgres -A trust -E UTF8 --no-locale >"$SERVICES_DIR/initdb-$name.log" 2>&1
  # Durability is pointless for a throwaway database; turning it off makes tests faster.
  "$@" "${RUN_AS[@]}" pg_ctl -D "$SERVICES_DIR/$name" -l "$SERVICES_DIR/$name.log" -w -o \
    "-p $port -k $SERVICES_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=512MB -c work_mem=32MB" \
    start >/dev/null
  "${RUN_AS[@]}" psql -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE portal" >/dev/null
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/portal"
}

stop_services() {
  [ -n "${SERVICES_DIR:-}" ] || return 0
  local data
  for data in "$SERVICES_DIR"/*/PG_VERSION; do
    if [ -f "$data" ]; then "${RUN_AS[@]}" pg_ctl -D "$(dirname "$data")" -m immediate stop >/dev/null 2>&1 || true; fi
  done
  [ -f "$SERVICES_DIR/redis.pid" ] && kill "$(cat "$SERVICES_DIR/redis.pid")" 2>/dev/null || true
  rm -rf "$SERVICES_DIR"
}
