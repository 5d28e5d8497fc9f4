#!/usr/bin/env bash
# The private PostgreSQL cluster of this checkout.
#
#   scripts/db.sh start [--test|--chaos|--pitr]   start it (idempotent, crash-safe); last line: DATABASE_URL=...
#   scripts/db.sh stop  [--test|--chaos|--pitr]   stop it
#   scripts/db.sh url   [--test|--chaos|--pitr]   print DATABASE_URL=... of a started cluster
#   scripts/db.sh env   [--test|--chaos|--pitr]   print where the cluster lives
#   [CANTEEN_HA_NAME=NAME] scripts/db.sh ha-start | ha-stop | ha-status
#                                          the high-availability formation (`make db-ha`): a
#                                          pg_auto_failover monitor and two nodes, see ha_start;
#                                          NAME (default ha) names one of several, see ha_init
#   scripts/db.sh backup [--pitr]          a base backup of the demo cluster (`make backup`)
#   BACKUP=DIR [UNTIL=TIME] scripts/db.sh restore
#                                          restore it into a new cluster (`make restore`)
#
# The demo cluster (`make db`, `make run`) keeps fsync on and listens on 127.0.0.1
# and on a socket in its data folder. The test cluster (--test, used by `make test`)
# listens only on its socket, so it never clashes with another checkout's, and runs
# with fsync off: it holds nothing worth keeping. The chaos cluster (--chaos, used by
# `make chaos`, whose postmaster gets killed) listens only on its socket and keeps every
# durability setting on: what it acknowledged must survive the kill. The restore check's
# cluster (--pitr, scripts/restore-check.py) listens only on its socket and archives its WAL like
# the demo cluster, so the check backs it up and restores it without touching the demo's.
set -euo pipefail

cmd=${1:-start}
mode=dev
case "$cmd:${2:-}" in
  ha-*:) ;;
  ha-*) echo "usage: $0 ha-start|ha-stop|ha-status" >&2; exit 2 ;;
esac
case "${2:-}" in
  --test) mode=test ;;
  --chaos) mode=chaos ;;
  --pitr) mode=pitr ;;
  "") ;;
  *) echo "usage: $0 start|stop|url|env [--test|--chaos|--pitr]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
port=${CANTEEN_PG_PORT:-54329}
[ "$mode" = test ] && port=${CANTEEN_PG_TEST_PORT:-54339}
[ "$mode" = chaos ] && port=${CANTEEN_PG_CHAOS_PORT:-54349}
[ "$mode" = pitr ] && port=${CANTEEN_PG_PITR_PORT:-54359}
name=pg; [ "$mode" != dev ] && name=pg-$mode

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

# A file holding a new random password, unless it exists.
ensure_password() {
  [ -f "$1" ] || { head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$1"; chmod 600 "$1"; }
}

# Whether some program listens on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

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

# Whether this cluster archives its WAL: the demo's (`make backup`) and the restore check's.
archives_wal() { [ "$mode" = dev ] || [ "$mode" = pitr ]; }

# Where a cluster that archives its WAL copies each finished segment.
archive_dir() {
  local state=$1
  if [ "$mode" = dev ]; then echo "$state/wal-archive"; else echo "$state/$name-wal-archive"; fi
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
      ensure_password "$state/db-password"
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
    if [ "$mode" = dev ] && port_in_use "$port"; then
      log "port $port is taken by another program (another checkout's database?): choose a free one, e.g. CANTEEN_PG_PORT=$((port + 10)) make run"
      exit 1
    fi
    touch "$state/$name.log"
    chown "$user" "$state/$name.log"
    local opts="-c port=$port -c unix_socket_directories='$data'"
    if [ "$mode" = test ]; then
      opts="$opts -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    elif [ "$mode" = chaos ] || [ "$mode" = pitr ]; then
      opts="$opts -c listen_addresses=''"
    else
      # Room for month-end claims and bulk imports: a bigger cache and fewer forced checkpoints.
      opts="$opts -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c max_wal_size=4GB -c checkpoint_timeout=15min"
    fi
    if archives_wal; then
      # Every finished WAL segment is copied to the archive (`make backup`, `make restore`); a
      # segment is finished at least every 60 s while meals are logged.
      local archive
      archive=$(archive_dir "$state")
      mkdir -p "$archive"; chown "$user" "$archive"; chmod 700 "$archive"
      opts="$opts -c archive_mode=on -c archive_timeout=60 -c archive_command='test ! -f $archive/%f && cp %p $archive/%f'"
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

# MARK: the high-availability formation (SPEC §5.1)
#
# pg_auto_failover (Debian's postgresql-15-auto-failover) on 127.0.0.1: a monitor on
# CANTEEN_HA_PORT (default 54340) and two PostgreSQL nodes, node1 and node2, on the next two
# ports, each run by its keeper (`pg_autoctl run`). Replication is synchronous while both nodes
# are up (pg_auto_failover's default with one standby of replication quorum). This checkout's
# formation is a drill on one machine, so it trusts connections from 127.0.0.1 (on two real
# machines the same commands take real host names and TLS); docs/decisions.md says why its timeouts.

ha_name=${CANTEEN_HA_NAME:-ha}
case "$ha_name" in
  *[!a-z0-9-]* | "") echo "CANTEEN_HA_NAME may hold only a-z, 0-9 and -" >&2; exit 2 ;;
esac
ha_nodes=(node1 node2)
ha_base=""
ha_folder=""     # set by ha_init: the formation's folder
ha_own_state=""  # set by ha_init: pg_autoctl keeps its state in the formation's folder (ha_autoctl)

ha_port() { case "$1" in monitor) echo "$ha_base" ;; node1) echo $((ha_base + 1)) ;; node2) echo $((ha_base + 2)) ;; esac; }

ha_dir() { echo "$(state_dir "$(run_user)")/$ha_name"; }

# The formation's first port. A formation keeps the ports it was created with (its port-base
# file). A new one takes CANTEEN_HA_PORT, else 54340 for the demo formation (`ha`), else, for
# another name (the drill inside `make test` uses CANTEEN_HA_NAME=ha-test), the first of
# 30350, 30360, ... whose three ports are free, so two checkouts' tests never meet. Those lie below
# Linux's ephemeral ports (32768-60999): a port in that range can be the local port of one of
# the formation's own connections (a keeper's to the monitor) and keep the node it belongs to
# from starting.
ha_init() {
  local dir base
  dir=$(ha_dir); ha_folder=$dir
  # Every formation made since ha_autoctl keeps pg_autoctl's state in its folder; one made before
  # (a monitor but no pg_autoctl/) keeps the defaults. Decided once, before anything is deleted.
  if [ -d "$dir/pg_autoctl" ] || [ ! -e "$dir/monitor" ]; then
    ha_own_state=yes
    # Its sockets are in the folder (/.s.PGSQL.PORT, 15 more), and a socket's path holds at most 107 bytes.
    if [ $(( ${#dir} + 15 )) -gt 107 ]; then
      log "the formation's folder $dir is too long a path for its sockets: use a shorter CANTEEN_HA_NAME or checkout path"
      exit 1
    fi
  fi
  if [ -f "$dir/port-base" ]; then
    ha_base=$(cat "$dir/port-base")
    if [ -n "${CANTEEN_HA_PORT:-}" ] && [ "$CANTEEN_HA_PORT" != "$ha_base" ]; then
      log "the formation in $dir was created on ports $ha_base-$((ha_base + 2)); to move it: scripts/db.sh ha-stop, delete $dir, run again with CANTEEN_HA_PORT"
      exit 1
    fi
    return
  fi
  if [ -n "${CANTEEN_HA_PORT:-}" ]; then
    ha_base=$CANTEEN_HA_PORT
  elif [ "$ha_name" = ha ]; then
    ha_base=54340
  else
    for base in $(seq 30350 10 32740); do
      port_in_use "$base" || port_in_use $((base + 1)) || port_in_use $((base + 2)) || { ha_base=$base; break; }
    done
    [ -n "$ha_base" ] || { log "no three free ports between 30350 and 32742: set CANTEEN_HA_PORT"; exit 1; }
  fi
}

# The keeper's process id, when its `pg_autoctl run` is alive.
ha_keeper_pid() {
  local dir=$1 pid
  pid=$(cat "$dir.keeper.pid" 2>/dev/null || true)
  [ -n "$pid" ] && [ -d "/proc/$pid" ] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "pg_autoctl run --pgdata $dir" && echo "$pid"
}

ha_postmaster_pid() {
  local data=$1
  is_running "$data" && head -n 1 "$data/postmaster.pid"
}

# pg_autoctl as the server's user, with its state inside the formation's folder: configuration,
# state and pid files (the XDG_* folders; else under the user's home and /tmp, keyed by the data
# folder's path) and its PostgreSQL instances' sockets (PG_REGRESS_SOCK_DIR, and PGHOST for its
# own connections to them; else the shared /var/run/postgresql). Deleting the folder deletes the
# formation, and a new one at the same path (a CI checkout) never meets an old one's leftovers:
# a stale pg_autoctl.init makes a new node "continue" an old attempt, a stale socket lock can
# keep PostgreSQL from starting. A formation created before this (no pg_autoctl/ folder) keeps
# the defaults it was created with.
ha_autoctl() {
  local user=$1; shift
  local dir=$ha_folder
  if [ -n "$ha_own_state" ]; then
    as_user "$user" env XDG_CONFIG_HOME="$dir/pg_autoctl/config" XDG_DATA_HOME="$dir/pg_autoctl/share" \
      XDG_RUNTIME_DIR="$dir/pg_autoctl/run" PG_REGRESS_SOCK_DIR="$dir" PGHOST="$dir" "$@"
  else
    as_user "$user" "$@"
  fi
}

# Fails with MESSAGE, showing the end of each instance NAME's keeper log and PostgreSQL logs.
ha_fail_with_logs() {
  local message=$1 dir=$ha_folder instance file; shift
  log "$message; the end of the logs:"
  for instance in "$@"; do
    for file in "$dir/$instance.log" "$dir/$instance/startup.log" "$(ls -t "$dir/$instance"/log/* 2>/dev/null | head -n 1)"; do
      [ -f "$file" ] || continue
      echo "--- $file" >&2; tail -n 15 "$file" >&2
    done
  done
  exit 1
}

# Starts the keeper of `dir` unless it runs; it starts (or restarts) its PostgreSQL itself.
ha_run_keeper() {
  local dir=$1 user=$2
  [ -n "$(ha_keeper_pid "$dir" || true)" ] && return 0
  touch "$dir.log"; chown "$user" "$dir.log"
  ha_autoctl "$user" bash -c "nohup pg_autoctl run --pgdata $dir >>$dir.log 2>&1 & echo \$! > $dir.keeper.pid"
}

ha_monitor_url() { echo "postgres://autoctl_node@127.0.0.1:$(ha_port monitor)/pg_auto_failover?sslmode=disable"; }

ha_monitor_sql() { psql -h 127.0.0.1 -p "$(ha_port monitor)" -U autoctl_node -d pg_auto_failover -tAqc "$1"; }

# name port state, one line per data node, as the monitor last heard.
ha_states() { ha_monitor_sql "SELECT nodename, nodeport, reportedstate FROM pgautofailover.node ORDER BY nodename" 2>/dev/null | tr '|' ' '; }

ha_start() {
  ensure_packages
  command -v pg_autoctl >/dev/null || "$root/scripts/apt-install.sh" db-ha postgresql-15-auto-failover
  local bin user dir
  bin=$(pg_bindir); user=$(run_user); ha_init; dir=$ha_folder
  mkdir -p "$dir"; chown "$user" "$dir"; chmod 700 "$dir"
  if [ -n "$ha_own_state" ]; then
    mkdir -p "$dir/pg_autoctl/config" "$dir/pg_autoctl/share" "$dir/pg_autoctl/run"
    chown -R "$user" "$dir/pg_autoctl"
  fi
  # While none of the formation runs, a port in use belongs to another program.
  if [ -z "$(ha_keeper_pid "$dir/monitor" || true)" ] && ! ha_states >/dev/null 2>&1; then
    local p
    for p in "$(ha_port monitor)" "$(ha_port node1)" "$(ha_port node2)"; do
      port_in_use "$p" || continue
      log "port $p is taken by another program: choose free ones, e.g. CANTEEN_HA_PORT=$((ha_base + 10)) make db-ha"
      exit 1
    done
  fi
  if [ ! -f "$dir/monitor/PG_VERSION" ]; then
    log "creating the monitor in $dir/monitor"
    rm -rf "$dir/monitor"
    ha_autoctl "$user" pg_autoctl create monitor --pgctl "$bin/pg_ctl" --pgdata "$dir/monitor" --pgport "$(ha_port monitor)" \
      --hostname 127.0.0.1 --auth trust --no-ssl >>"$dir/monitor.log" 2>&1 || ha_fail_with_logs "creating the monitor failed" monitor
  fi
  [ -f "$dir/port-base" ] || echo "$ha_base" > "$dir/port-base"
  ha_run_keeper "$dir/monitor" "$user"
  local i answered=""
  for i in $(seq 1 300); do ha_monitor_sql "SELECT 1" >/dev/null 2>&1 && { answered=yes; break; }; sleep 0.2; done
  [ -n "$answered" ] || ha_fail_with_logs "the monitor did not answer on port $(ha_port monitor) within 60 s" monitor
  # Health checks every second, a node unhealthy after 5 s of silence, a primary that cannot
  # be told to demote given up on after 8 s (its keeper demotes it by itself after 4 s without
  # the monitor and the standby, below): a lost primary is replaced in well under 20 s
  # (docs/decisions.md says why these values).
  ha_monitor_sql "SELECT current_setting('pgautofailover.primary_demote_timeout')" | grep -qx 8s || {
    local setting args=()
    for setting in health_check_period=1000 health_check_timeout=1000 health_check_max_retries=1 \
                   health_check_retry_delay=500 node_considered_unhealthy_timeout=5000 primary_demote_timeout=8000; do
      args+=(-c "ALTER SYSTEM SET pgautofailover.${setting%%=*} = ${setting#*=}")
    done
    psql -h 127.0.0.1 -p "$(ha_port monitor)" -U "$user" -d postgres -q "${args[@]}" -c "SELECT pg_reload_conf()" >/dev/null
  }
  local node
  for node in "${ha_nodes[@]}"; do
    if [ ! -f "$dir/$node/PG_VERSION" ]; then
      log "creating $node in $dir/$node (the second one copies the first: a standby)"
      rm -rf "$dir/$node"  # what pg_autoctl keeps of a failed attempt stays: it resumes from there
      ha_autoctl "$user" pg_autoctl create postgres --pgctl "$bin/pg_ctl" --pgdata "$dir/$node" --pgport "$(ha_port "$node")" \
        --name "$node" --hostname 127.0.0.1 --listen 127.0.0.1 --dbname canteen --monitor "$(ha_monitor_url)" \
        --auth trust --no-ssl >>"$dir/$node.log" 2>&1 || ha_fail_with_logs "creating $node failed" "$node"
    fi
    if [ -z "$(ha_keeper_pid "$dir/$node" || true)" ]; then
      # Set while its keeper is down (a running keeper would be signalled to reload).
      ha_autoctl "$user" pg_autoctl config set --pgdata "$dir/$node" timeout.network_partition_timeout 4 >/dev/null
    fi
    ha_run_keeper "$dir/$node" "$user"
  done
  log "waiting for a primary and a secondary"
  # The monitor's states may be those it heard before a stop: also ask the primary itself that
  # it takes writes and streams to its standby.
  local states="" primary="" settled=""
  for i in $(seq 1 300); do
    states=$(ha_states || true)
    primary=$(echo "$states" | awk '$3 == "primary" {print $2}')
    if [ -n "$primary" ] && echo "$states" | grep -q ' secondary$' \
       && [ "$(psql -h 127.0.0.1 -p "$primary" -U "$user" -d postgres -tAc \
              "SELECT NOT pg_is_in_recovery() AND EXISTS (SELECT 1 FROM pg_stat_replication WHERE state = 'streaming')" 2>/dev/null)" = t ]; then
      settled=yes; break
    fi
    sleep 1
  done
  [ -n "$settled" ] || ha_fail_with_logs "the formation did not settle: $(echo "$states" | tr '\n' ';')" "${ha_nodes[@]}"
  local password
  ensure_password "$dir/db-password"
  password=$(cat "$dir/db-password")
  psql -h 127.0.0.1 -p "$primary" -U "$user" -d postgres -qc "
    DO \$\$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'canteen') THEN CREATE ROLE canteen LOGIN; END IF;
    END \$\$;
    ALTER ROLE canteen PASSWORD '$password';
    ALTER DATABASE canteen OWNER TO canteen;" >/dev/null
  psql -h 127.0.0.1 -p "$primary" -U "$user" -d canteen -qc "ALTER SCHEMA public OWNER TO canteen" >/dev/null
  local url="postgresql://canteen:$password@127.0.0.1:$(ha_port node1),127.0.0.1:$(ha_port node2)/canteen?target_session_attrs=read-write"
  echo "$url" > "$root/.local/$ha_name-database-url"; chmod 600 "$root/.local/$ha_name-database-url"
  echo "DATABASE_URL=$url"
}

ha_status() {
  local dir states node
  ha_init; dir=$ha_folder
  states=$(ha_states || true)
  for node in "${ha_nodes[@]}"; do
    local role
    role=$(echo "$states" | awk -v n="$node" '$1 == n {print $3}')
    echo "node $node port $(ha_port "$node") role ${role:-unknown} pid $(ha_postmaster_pid "$dir/$node" || echo -) keeper $(ha_keeper_pid "$dir/$node" || echo -) pgdata $dir/$node"
  done
}

ha_stop() {
  local dir user node pid
  command -v pg_autoctl >/dev/null || exit 0
  user=$(run_user); ha_init; dir=$ha_folder
  for node in "${ha_nodes[@]}" monitor; do
    pid=$(ha_keeper_pid "$dir/$node" || true)
    if [ -n "$pid" ]; then
      ha_autoctl "$user" pg_autoctl stop --pgdata "$dir/$node" >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    fi
    if is_running "$dir/$node"; then as_user "$user" "$(pg_bindir)/pg_ctl" -D "$dir/$node" -m fast -w stop >/dev/null || true; fi
  done
  log "stopped the formation ($dir)"
}

# MARK: backups (SPEC §5.1)

# A base backup of the demo cluster (or, with --pitr, the restore check's) into BACKUP_DIR
# (default .local/backups), in a folder named for its time; the WAL it needs, and everything
# after it, is in the cluster's archive, whose path the folder's `archive` file holds.
backup() {
  local bin user state data target
  bin=$(pg_bindir); user=$(run_user); state=$(state_dir "$user"); data="$state/$name"
  archives_wal || { log "only the demo cluster and --pitr archive their WAL"; exit 2; }
  is_running "$data" || { log "the cluster is not running: make db (or scripts/db.sh start --$mode)"; exit 1; }
  [ "$(psql -h "$data" -p "$port" -U canteen -d postgres -tAc 'SHOW archive_mode')" = on ] \
    || { log "the cluster was started without WAL archiving: restart it (make db-stop && make db), then back up"; exit 1; }
  target=${BACKUP_DIR:-$root/.local/backups}/$(date -u +%Y%m%dT%H%M%SZ)
  mkdir -p "$target"; chown "$user" "$target"; chmod 700 "$target"
  as_user "$user" "$bin/pg_basebackup" -h "$data" -p "$port" -U canteen -D "$target/data" -X stream -c fast --no-password 2>&1 \
    | { grep -v 'skipping special file' || true; } >&2  # the socket in the data folder
  archive_dir "$state" > "$target/archive"
  echo "$mode" > "$target/cluster"
  log "base backup taken; restore it with: make restore BACKUP=$target [UNTIL='YYYY-MM-DD HH:MM:SS+08']"
  echo "$target"
}

# Restores BACKUP (a folder `backup` printed) into a new cluster on a free port, replaying the
# archived WAL to its end or to UNTIL; prints the new cluster's DATABASE_URL last.
restore() {
  local bin user state backup=${BACKUP:-} until=${UNTIL:-} data newport
  [ -n "$backup" ] && [ -d "$backup/data" ] || { log "usage: make restore BACKUP=DIR [UNTIL='2026-12-01 12:00:00+08'] (DIR as make backup printed it)"; exit 2; }
  bin=$(pg_bindir); user=$(run_user); state=$(state_dir "$user")
  data="$state/restored-$(basename "$backup")-$(date -u +%H%M%S)"
  newport=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1]); s.close()")
  cp -a "$backup/data" "$data"; chown -R "$user" "$data"; chmod 700 "$data"
  rm -f "$data/postmaster.pid"
  {
    echo "restore_command = 'cp $(cat "$backup/archive")/%f %p'"
    echo "recovery_target_action = 'promote'"
    [ -n "$until" ] && echo "recovery_target_time = '$until'"
    echo "archive_mode = off"
  } >> "$data/postgresql.auto.conf"
  touch "$data/recovery.signal" "$data.log"; chown "$user" "$data/recovery.signal" "$data.log"
  as_user "$user" "$bin/pg_ctl" -D "$data" -l "$data.log" -w -t 600 \
    -o "-c port=$newport -c listen_addresses=127.0.0.1 -c unix_socket_directories='$data'" start >/dev/null \
    || { log "the restored cluster did not start; the end of $data.log:"; tail -n 20 "$data.log" >&2; exit 1; }
  local i recovering=t
  for i in $(seq 1 600); do
    recovering=$(psql -h "$data" -p "$newport" -U canteen -d postgres -tAc 'SELECT pg_is_in_recovery()' 2>/dev/null || echo t)
    [ "$recovering" = f ] && break
    sleep 0.5
  done
  [ "$recovering" = f ] || { log "the restored cluster is still replaying WAL after 5 minutes; see $data.log"; exit 1; }
  log "restored into $data (port $newport); stop it with: $bin/pg_ctl -D $data stop (as $user)"
  # The roles and their passwords are the backed-up cluster's: the demo's own, or the fixed one of
  # a cluster that holds nothing worth keeping.
  local password=canteen
  [ "$(cat "$backup/cluster" 2>/dev/null || echo dev)" = dev ] && password=$(cat "$state/db-password")
  echo "DATABASE_URL=postgresql://canteen:$password@127.0.0.1:$newport/canteen"
}

case "$cmd" in
  backup) backup ;;
  restore) restore ;;
  ha-start) ha_start ;;
  ha-stop) ha_stop ;;
  ha-status) ha_status ;;
  start) start ;;
  stop) stop ;;
  url)
    user=$(run_user); state=$(state_dir "$user")
    echo "DATABASE_URL=$(database_url "$state" "$state/$name")" ;;
  env)
    user=$(run_user); state=$(state_dir "$user")
    echo "DATA=$state/$name"; echo "PORT=$port"; echo "LOG=$state/$name.log"; echo "BIN=$(pg_bindir)"; echo "USER=$user"
    echo "ARCHIVE=$(archive_dir "$state")" ;;
  *) echo "usage: $0 start|stop|url|env [--test|--chaos|--pitr]" >&2; exit 2 ;;
esac
