#!/usr/bin/env bash
# The CSV import benchmark: `canteen meal import` of ROWS rows versus `psql \copy`
# of the same file into a plain table, on the private demo cluster (fsync on).
#
#   bench/import.sh [ROWS]      (default 1000000; needs `make db` and a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
diners=$(( rows < 20000 ? rows : 20000 ))
canteen=${CANTEEN_BIN:-$(swift build -c release --show-bin-path)/canteen}
work=$(mktemp -d /tmp/canteen-bench-import.XXXXXX)
trap 'rm -rf "$work"' EXIT

url=$(scripts/db.sh start | tail -n 1); url=${url#DATABASE_URL=}
admin=${url%/*}/postgres
db=bench_import
psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -qc "CREATE DATABASE $db"
export DATABASE_URL=${url%/*}/$db
python3 bench/gen_import.py "$work" "$diners" "$rows"
"$canteen" db migrate >/dev/null
"$canteen" site add --code BENCH --name 基准食堂 --kind other --street 基准街道 --opens-on 2022-09-01 --price-fen 1000 >/dev/null
psql "$DATABASE_URL" -q <<SQL
CREATE TEMP TABLE d (id int, name text, r text, s text, b date);
\\copy d FROM '$work/diners.tsv'
INSERT INTO diner (name, resident_id, sex, birth_date) SELECT name, r, s, b FROM d ORDER BY id;
SQL
psql "$DATABASE_URL" -qc "INSERT INTO diner_status (diner_id, effective_on, status, recorded_by) SELECT id, '1900-01-01', 'active', 'bench' FROM diner" \
  -qc "CREATE TABLE plain_meal (resident_id text, served_on date, slot text, price_fen integer, client_ref text)" -qc "VACUUM ANALYZE"

t0=$(date +%s.%N)
psql "$DATABASE_URL" -qc "\\copy plain_meal FROM '$work/meals.csv' WITH (FORMAT csv, HEADER true)"
t1=$(date +%s.%N)
summary=$("$canteen" meal import "$work/meals.csv" --site BENCH | tail -n 1)
t2=$(date +%s.%N)

python3 - "$rows" "$t0" "$t1" "$t2" "$summary" <<'PY'
import json, sys
rows, t0, t1, t2, summary = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
copy, imp = t1 - t0, t2 - t1
print(json.dumps({"rows": rows, "psql_copy_s": round(copy, 3), "import_s": round(imp, 3),
                  "psql_copy_rows_per_s": round(rows / copy), "import_rows_per_s": round(rows / imp),
                  "ratio_to_copy": round(copy / imp, 3), "summary": summary}))
PY
psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
