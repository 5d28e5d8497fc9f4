#!/usr/bin/env bash
# Proves the server conforms to its OpenAPI document: schemathesis (from PyPI, in a venv
# under .local) runs against a live `canteen serve` on a fresh test database with an admin
# token, checking for server errors, undocumented status codes and response schemas.
# A bounded number of examples per operation keeps it inside CI's time. Revoking tokens is left
# out (it would revoke the run's own token); the API tests cover it. Run by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
canteen=${CANTEEN_BIN:-.build/debug/canteen}
examples=${API_CHECK_EXAMPLES:-15}
venv=.local/venv
if ! "$venv/bin/schemathesis" --version >/dev/null 2>&1; then
  echo "api-check: installing schemathesis into $venv" >&2
  python3 -m venv "$venv" >&2 || { scripts/apt-install.sh api-check python3-venv && python3 -m venv "$venv" >&2; }
  "$venv/bin/pip" install -q schemathesis==4.32.5 >&2
fi

base=$(scripts/db.sh start --test | tail -n 1); base=${base#DATABASE_URL=}
db=api_check_$$
psql "$base" -qc "CREATE DATABASE $db"
export DATABASE_URL="$base dbname=$db"
log=$(mktemp /tmp/canteen-api-check.XXXXXX.log)
work=$(mktemp -d /tmp/canteen-api-check.XXXXXX)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  psql "$base" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  [ -n "${API_CHECK_KEEP_LOG:-}" ] && cp "$log" /tmp/api-check-server.log; rm -f "$log"
  rm -rf "$work"
}
trap cleanup EXIT

"$canteen" db migrate >/dev/null
"$canteen" db seed --demo >/dev/null
token=$("$canteen" token create --name api-check --role admin | tail -n 1)
port=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1]); s.close()")
"$canteen" serve --host 127.0.0.1 --port "$port" >"$log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
  sleep 0.1
done

"$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.yaml" \
  --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
  --exclude-path "/v1/tokens/{id}" -H "Authorization: Bearer $token" --max-examples "$examples" --seed 20221001 --request-timeout 10 \
  --generation-with-security-parameters false --suppress-health-check all --no-color 2>&1 | tail -n 80
status=${PIPESTATUS[0]}
# Tokens exist only as hashes, and a full resident ID only in its diner row (SPEC §2.3): a dump
# of the whole database holds neither anywhere else. The dump goes to a file first: grep -q in a
# pipe would stop reading early and kill pg_dump with SIGPIPE, and a failing pg_dump must fail.
dump="$work/dump.sql"
pg_dump -d "$DATABASE_URL" --no-owner -f "$dump" || { echo "api-check: pg_dump failed" >&2; exit 1; }
grep -q "^COPY public.diner " "$dump" || { echo "api-check: the dump holds no diner table" >&2; exit 1; }
if grep -qF "$token" "$dump"; then
  echo "api-check: the database holds a token in clear" >&2
  exit 1
fi
# Every resident ID the run stored (the demo's, and any that schemathesis registered) may appear
# in the dump only in the diner table's resident_id column.
psql "$DATABASE_URL" -XAtqc "SELECT resident_id FROM diner" >"$work/resident-ids" \
  || { echo "api-check: could not read the resident IDs" >&2; exit 1; }
[ -s "$work/resident-ids" ] || { echo "api-check: the run stored no resident ID to look for" >&2; exit 1; }
python3 - "$dump" "$work/resident-ids" <<'PY' || exit 1
import re, sys
dump_path, ids_path = sys.argv[1], sys.argv[2]
ids = set(open(ids_path).read().split())
# The one column allowed to hold a full resident ID.
allowed = {("public.diner", "resident_id")}
windows = re.compile(r"(?=([0-9]{17}[0-9X]))")  # every 18-character window, overlapping ones too
found = {}
def look(text, where):
    for candidate in windows.findall(text):
        if candidate in ids and where not in allowed:
            found.setdefault(where, set()).add(candidate)
table = None
for line in open(dump_path, encoding="utf-8", errors="replace"):
    line = line.rstrip("\n")
    if table is None:
        copy = re.match(r"COPY (\S+) \((.*)\) FROM stdin;$", line)
        if copy:
            table, columns = copy.group(1), [c.strip().strip('"') for c in copy.group(2).split(",")]
        else:
            look(line, ("the schema", "(outside any table's rows)"))
    elif line == "\\.":
        table = None
    else:
        for i, value in enumerate(line.split("\t")):
            look(value, (table, columns[i] if i < len(columns) else "?"))
for (table, column), rids in sorted(found.items()):
    print(f"api-check: {table}.{column} holds {len(rids)} full resident ID(s)", file=sys.stderr)
sys.exit(1 if found else 0)
PY
# Any 18-character resident ID (17 digits and a check character) or the token itself.
if grep -qE '(^|[^0-9])[1-9][0-9]{16}[0-9Xx]([^0-9]|$)' "$log" || grep -qF "$token" "$log"; then
  echo "api-check: the server log holds a token or a resident ID" >&2
  exit 1
fi
exit "$status"
