# Sourced by scripts/test.sh and `make bench`: starts a throwaway PostgreSQL and Redis
# on free loopback ports, exports DATABASE_URL and REDIS_URL, and stops both on exit.
# PostgreSQL refuses to run as root, so it runs as the `postgres` user in a temp dir.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

ensure_debian_packages() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # WeasyPrint (PDF statements and report packs) lays text out with Pango and DejaVu fonts.
  ldconfig -p | grep -q libpangoft2-1.0 || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
  [ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing ${missing[*]} from Debian's packages…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

start_services() {
  SERVICES_DIR=$(mktemp -d /tmp/portal-services.XXXXXX)
  chmod 755 "$SERVICES_DIR"
  local pg_port redis_port run_as=()
  pg_port=$(free_port)
  redis_port=$(free_port)
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$SERVICES_DIR"
    run_as=(runuser -u postgres --)
  fi
  "${run_as[@]}" initdb -D "$SERVICES_DIR/pg" -U postgres -A trust -E UTF8 --no-locale >"$SERVICES_DIR/initdb.log" 2>&1
  # Durability is pointless for a throwaway database; turning it off makes tests faster.
  "${run_as[@]}" pg_ctl -D "$SERVICES_DIR/pg" -l "$SERVICES_DIR/pg.log" -w -o \
    "-p $pg_port -k $SERVICES_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=512MB -c work_mem=32MB" \
    start >/dev/null
  "${run_as[@]}" redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
    --daemonize yes --pidfile "$SERVICES_DIR/redis.pid" --logfile "$SERVICES_DIR/redis.log" --dir "$SERVICES_DIR"
  export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/portal"
  export REDIS_URL="redis://127.0.0.1:$redis_port/0"
  export PORTAL_SERVICES_DIR="$SERVICES_DIR"
  export PORTAL_REDIS_PORT="$redis_port"
  "${run_as[@]}" psql -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE DATABASE portal" >/dev/null
  for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "PostgreSQL on 127.0.0.1:$pg_port, Redis on 127.0.0.1:$redis_port"
}

stop_services() {
  [ -n "${SERVICES_DIR:-}" ] || return 0
  local run_as=()
  [ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
  "${run_as[@]}" pg_ctl -D "$SERVICES_DIR/pg" -m immediate stop >/dev/null 2>&1 || true
  [ -f "$SERVICES_DIR/redis.pid" ] && kill "$(cat "$SERVICES_DIR/redis.pid")" 2>/dev/null || true
  rm -rf "$SERVICES_DIR"
}
