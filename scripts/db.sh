#!/usr/bin/env bash
# The private PostgreSQL cluster of this checkout.
#
#   scripts/db.sh start [--test|--chaos]   start it (idempotent, crash-safe); last line: DATABASE_URL=...
#   scripts/db.sh stop  [--test|--chaos]   stop it
#   scripts/db.sh url   [--test|--chaos]   print DATABASE_URL=... of a started cluster
#   scripts/db.sh env   [--test|--chaos]   print where the cluster lives
#
# The demo cluster (`make db`, `make run`) keeps fsync on and listens on 127.0.0.1
# and on a socket in its data folder. The test cluster (--test, used by `make test`)
# listens only on its socket, so it never clashes with another checkout's, and runs
# with fsync off: it holds nothing worth keeping. The chaos cluster (--chaos, used by
# `make chaos`, whose postmaster gets killed) listens only on its socket and keeps every
# durability setting on: what it acknowledged must survive the kill.
set -euo pipefail

cmd=${1:-start}
mode=dev
case "${2:-}" in
  --test) mode=test ;;
  --chaos) mode=chaos ;;
  "") ;;
  *) echo "usage: $0 start|stop|url|env [--test|--chaos]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
port=${CANTEEN_PG_PORT:-54329}
[ "$mode" = test ] && port=${CANTEEN_PG_TEST_PORT:-54339}
[ "$mode" = chaos ] && port=${CANTEEN_PG_CHAOS_PORT:-54349}
name=pg; [ "$mode" = test ] && name=pg-test; [ "$mode" = chaos ] && name=pg-chaos

log() { echo "db: $*" >&2; }

ensure_packages() {
  "$root/scripts/deps.sh"
}

pg_bindir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# The OS user that runs the server: postgres when we are root (initdb refuses root).
run_user() {
  if [ "$(id -u)" = 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
      log "creating the unprivileged user postgres"
      useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    echo postgres
  else
    id -un
  fi
}

as_user() {
  local user=$1; shift
  # From /, which the server's user can always enter (it may not enter the checkout).
  if [ "$user" = "$(id -un)" ]; then "$@"; else (cd / && runuser -u "$user" -- "$@"); fi
}

# Where the cluster lives: .local/ in the checkout when the server's user can
# reach it and the socket path stays short, else a folder under /tmp named after the checkout.
state_dir() {
  local user=$1 local_dir="$root/.local"
  mkdir -p "$local_dir"
  local sock="$local_dir/$name/.s.PGSQL.$port"
  if [ ${#sock} -lt 100 ] && as_user "$user" test -x "$local_dir" 2>/dev/null; then
    echo "$local_dir"
  else
    local hash
    hash=$(printf '%s' "$root" | sha256sum | cut -c1-10)
    local dir="/tmp/canteen-$(basename "$root" | tr -cd 'A-Za-z0-9_-' | cut -c1-20)-$hash"
    mkdir -p "$dir"
    chmod 755 "$dir"
    echo "$dir"
  fi
}

is_running() {
  local data=$1 pidfile="$1/postmaster.pid"
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(head -n 1 "$pidfile" 2>/dev/null || true)
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  # A reused PID after a crash belongs to some other program: not our server.
  grep -q postgres "/proc/$pid/comm" 2>/dev/null || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$data" || return 1
}

database_url() {
  local state=$1 data=$2
  if [ "$mode" != dev ]; then
    # Key/value form, so tests can append " dbname=..." for their own databases.
    echo "host=$data port=$port user=canteen dbname=postgres"
  else
    echo "postgresql://canteen:$(cat "$state/db-password")@127.0.0.1:$port/canteen"
  fi
}

start() {
  ensure_packages
  local bin user state data
  bin=$(pg_bindir)
  user=$(run_user)
  state=$(state_dir "$user")
  data="$state/$name"

  if [ ! -f "$data/PG_VERSION" ]; then
    log "creating a cluster in $data"
    rm -rf "$data"
    mkdir -p "$data"
    chown "$user" "$data"
    chmod 700 "$data"
    local pwfile
    pwfile=$(mktemp)
    if [ "$mode" = dev ]; then
      [ -f "$state/db-password" ] || { head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$state/db-password"; chmod 600 "$state/db-password"; }
      cp "$state/db-password" "$pwfile"
    else
      echo canteen > "$pwfile"
    fi
    chown "$user" "$pwfile"
    as_user "$user" "$bin/initdb" -D "$data" -U canteen --pwfile="$pwfile" -E UTF8 --no-locale \
      --auth-local=trust --auth-host=scram-sha-256 --no-sync >/dev/null
    rm -f "$pwfile"
  fi

  if is_running "$data"; then
    log "already running ($data)"
  else
    if [ -f "$data/postmaster.pid" ]; then
      log "removing a stale postmaster.pid left by a crash"
      rm -f "$data/postmaster.pid" "$data"/.s.PGSQL.*.lock
    fi
    if [ "$mode" = dev ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      log "port $port is taken by another program (another checkout's database?): choose a free one, e.g. CANTEEN_PG_PORT=$((port + 10)) make run"
      exit 1
    fi
    touch "$state/$name.log"
    chown "$user" "$state/$name.log"
    local opts="-c port=$port -c unix_socket_directories='$data'"
    if [ "$mode" = test ]; then
      opts="$opts -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    elif [ "$mode" = chaos ]; then
      opts="$opts -c listen_addresses=''"
    else
      # Room for month-end claims and bulk imports: a bigger cache and fewer forced checkpoints.
      opts="$opts -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c max_wal_size=4GB -c checkpoint_timeout=15min"
    fi
    # After a killed postmaster its backends may still hold the old shared memory for a
    # moment ("pre-existing shared memory block is still in use"): try again for a while.
    local attempt=0
    until as_user "$user" "$bin/pg_ctl" -D "$data" -l "$state/$name.log" -w -t 60 -o "$opts" start >/dev/null; do
      attempt=$((attempt + 1))
      if [ $attempt -ge 20 ] || ! tail -n 5 "$state/$name.log" | grep -q "still in use"; then
        log "PostgreSQL did not start; the end of $state/$name.log:"
        tail -n 20 "$state/$name.log" >&2 || true
        exit 1
      fi
      rm -f "$data/postmaster.pid"
      sleep 0.5
    done
  fi

  if [ "$mode" = dev ]; then
    if ! psql -h "$data" -p "$port" -U canteen -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'canteen'" | grep -q 1; then
      psql -h "$data" -p "$port" -U canteen -d postgres -qc "CREATE DATABASE canteen" >&2
    fi
    database_url "$state" "$data" > "$root/.local/database-url"
    chmod 600 "$root/.local/database-url"
  else
    database_url "$state" "$data" > "$root/.local/$mode-database-url"
  fi
  echo "DATABASE_URL=$(database_url "$state" "$data")"
}

stop() {
  local bin user state data
  bin=$(pg_bindir)
  [ -n "$bin" ] || exit 0
  user=$(run_user)
  state=$(state_dir "$user")
  data="$state/$name"
  if is_running "$data"; then
    as_user "$user" "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    log "stopped ($data)"
  else
    log "not running ($data)"
  fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  url)
    user=$(run_user); state=$(state_dir "$user")
    echo "DATABASE_URL=$(database_url "$state" "$state/$name")" ;;
  env)
    user=$(run_user); state=$(state_dir "$user")
    echo "DATA=$state/$name"; echo "PORT=$port"; echo "LOG=$state/$name.log"; echo "BIN=$(pg_bindir)"; echo "USER=$user" ;;
  *) echo "usage: $0 start|stop|url|env [--test|--chaos]" >&2; exit 2 ;;
esac
