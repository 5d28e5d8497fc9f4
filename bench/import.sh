#!/usr/bin/env bash
# The CSV import benchmark (issue 12), two scenarios, each on a fresh database of 20,000 diners
# (fewer when ROWS is smaller) on the private demo cluster (fsync on):
#
#  fresh          `canteen meal import` of a ROWS-row CSV (default 300,000: lunch for every diner
#                 on consecutive days), versus `psql \copy` of the same meals, fully computed
#                 (diner_id, age, bracket, subsidy, request_hash ... exactly the rows the import
#                 stored, exported from `meal`), into `meal_shaped`, created `LIKE meal INCLUDING
#                 ALL`: meal's columns, defaults, identity, CHECKs and every index, the partial
#                 unique ones included (LIKE copies neither the foreign key to claim nor triggers;
#                 meal has none). That copy is the cost of storing the meals; the import's ratio
#                 to it is what is left to win.
#  after_counter  first COUNTER meals (default 55,000: breakfast, lunch and dinner for the same
#                 diners on the days just before the file's, as a counter logs them: 20,000
#                 breakfasts, 20,000 lunches, 15,000 dinners) logged through the product's HTTP API
#                 (`canteen serve`, `POST /v1/meals/batch`, 1000 a request; see bench/counter.py),
#                 then, with nobody running ANALYZE, the same import; and the same \copy again.
#
# Autovacuum is switched off for every table of the bench databases (`ALTER TABLE ... SET
# (autovacuum_enabled = off)`), so it cannot analyse `meal` between the counter meals and the
# import (it would, about a minute after the first 50 meals): the scenario is the window before it
# does. Both imports run after a CHECKPOINT, as does each \copy. For reference, the raw CSV is
# also \copied into a table of its five text columns.
#
#   bench/import.sh [ROWS] [COUNTER]     (needs `make db` and a release build; BENCH_REPEAT=N runs
#                                        each scenario N times, default 2, and keeps the best)
#   BENCH_EXPLAIN=FILE bench/import.sh   also logs the plans of the after_counter import's slow
#                                        statements (auto_explain with ANALYZE: slower, so its
#                                        figures are diagnostics, not measurements) into FILE
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-300000}
counter=${2:-55000}
diners=$(( rows < 20000 ? rows : 20000 ))
canteen=${CANTEEN_BIN:-$(swift build -c release --show-bin-path)/canteen}
work=$(mktemp -d /tmp/canteen-bench-import.XXXXXX)
server=
url=$(scripts/db.sh start | tail -n 1); url=${url#DATABASE_URL=}
admin=${url%/*}/postgres
db=bench_import
cleanup() {
  [ -z "$server" ] || kill "$server" 2>/dev/null || true
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
export DATABASE_URL=${url%/*}/$db
say() { echo "bench: import: $*" >&2; }
now() { date +%s.%N; }

python3 bench/gen_import.py "$work" "$diners" "$rows"
first_day=$(sed -n 2p "$work/meals.csv" | cut -d, -f2)
counter_days=$(( (counter + 3 * diners - 1) / (3 * diners) ))
counter_from=$(date -d "$first_day - $counter_days days" +%F)
say "$rows rows for $diners diners, lunch from $first_day; $counter counter meals, three a diner a day from $counter_from"

# A fresh database: the schema, one site, the diners (analysed), autovacuum off everywhere.
fresh_db() {
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -qc "CREATE DATABASE $db"
  "$canteen" db migrate >/dev/null
  "$canteen" site add --code BENCH --name 基准食堂 --kind other --street 基准街道 --opens-on 2022-09-01 \
    --slots breakfast,lunch,dinner --price-fen 1000 >/dev/null
  psql "$DATABASE_URL" -q <<SQL
CREATE TEMP TABLE d (id int, name text, r text, s text, b date);
\\copy d FROM '$work/diners.tsv'
INSERT INTO diner (name, resident_id, sex, birth_date) SELECT name, r, s, b FROM d ORDER BY id;
INSERT INTO diner_status (diner_id, effective_on, status, recorded_by) SELECT id, '1900-01-01', 'active', 'bench' FROM diner;
-- The bulk-loaded tables as autovacuum would leave them; meal as a new installation has it: never
-- vacuumed or analysed.
VACUUM ANALYZE diner;
VACUUM ANALYZE diner_status;
DO \$\$
DECLARE t regclass;
BEGIN
    FOR t IN SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind = 'r' LOOP
        EXECUTE format('ALTER TABLE %s SET (autovacuum_enabled = off)', t);
    END LOOP;
END
\$\$;
SQL
}

# meal's columns that a COPY can write (not identity or generated ones), in table order.
meal_columns() {
  psql "$DATABASE_URL" -tAc "SELECT string_agg(quote_ident(attname), ',' ORDER BY attnum) FROM pg_attribute
    WHERE attrelid = 'meal'::regclass AND attnum > 0 AND NOT attisdropped AND attidentity = '' AND attgenerated = ''"
}

# `psql \copy` of the computed meals into an empty meal-shaped table; prints the seconds.
copy_meal_shaped() {
  psql "$DATABASE_URL" -q -c "DROP TABLE IF EXISTS meal_shaped" -c "CREATE TABLE meal_shaped (LIKE meal INCLUDING ALL)" \
    -c "ALTER TABLE meal_shaped SET (autovacuum_enabled = off)" -c "CHECKPOINT"
  local missing
  missing=$(psql "$DATABASE_URL" -tAc "SELECT count(*) FROM pg_indexes m WHERE m.tablename = 'meal' AND NOT EXISTS (
    SELECT 1 FROM pg_indexes s WHERE s.tablename = 'meal_shaped'
      AND split_part(s.indexdef, ' USING ', 2) = split_part(m.indexdef, ' USING ', 2)
      AND (s.indexdef LIKE 'CREATE UNIQUE %') = (m.indexdef LIKE 'CREATE UNIQUE %'))")
  [ "$missing" = 0 ] || { say "meal_shaped lacks $missing of meal's indexes"; exit 1; }
  local t0 t1
  t0=$(now)
  psql "$DATABASE_URL" -qc "\\copy meal_shaped ($(meal_columns)) FROM '$work/meal_rows.tsv'"
  t1=$(now)
  python3 -c "print(round($t1 - $t0, 3))"
}

# `canteen meal import` of the file; prints "seconds<TAB>summary". An import still running after
# TIMEOUT seconds (BENCH_IMPORT_TIMEOUT, default 1200) is stopped: its figure is then a bound.
import_file() {
  psql "$DATABASE_URL" -qc "CHECKPOINT"
  local t0 t1 summary
  t0=$(now)
  summary=$(timeout "${BENCH_IMPORT_TIMEOUT:-1200}" "$canteen" meal import "$work/meals.csv" --site BENCH | tail -n 1) || {
    summary="stopped after ${BENCH_IMPORT_TIMEOUT:-1200} s: a lower bound on its time"
    psql "$admin" -qAtc "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$db' AND pid <> pg_backend_pid()" >/dev/null
  }
  t1=$(now)
  printf '%s\t%s\n' "$(python3 -c "print(round($t1 - $t0, 3))")" "$summary"
}

# --- fresh ---------------------------------------------------------------------------------
# Each scenario runs BENCH_REPEAT times (default 2) on a fresh database; the figures are each
# one's best (the least disturbed by whatever else this shared machine runs), and every run is
# printed on stderr.
repeat=${BENCH_REPEAT:-2}
best() { python3 -c "import sys; print(min(float(x) for x in sys.argv[1:] if x))" "$@"; }
fresh_imports=; fresh_copies=
for round in $(seq 1 "$repeat"); do
  say "fresh database"
  fresh_db
  psql "$DATABASE_URL" -qc "CREATE TABLE plain_csv (resident_id text, served_on date, slot text, price_fen integer, client_ref text)" -qc "CHECKPOINT"
  t0=$(now)
  psql "$DATABASE_URL" -qc "\\copy plain_csv FROM '$work/meals.csv' WITH (FORMAT csv, HEADER true)"
  t1=$(now)
  csv_copy=$(python3 -c "print(round($t1 - $t0, 3))")
  say "fresh: canteen meal import of $rows rows"
  result=$(import_file); fresh_import=${result%%$'\t'*}; fresh_summary=${result#*$'\t'}
  say "fresh: import ${fresh_import} s ($fresh_summary)"
  psql "$DATABASE_URL" -qc "\\copy (SELECT $(meal_columns) FROM meal ORDER BY id) TO '$work/meal_rows.tsv'"
  exported=$(wc -l < "$work/meal_rows.tsv")
  [ "$exported" = "$rows" ] || { say "the import stored $exported meals, not $rows"; exit 1; }  # (also when it timed out)
  fresh_copy=$(copy_meal_shaped)
  say "fresh: \\copy into meal_shaped ${fresh_copy} s"
  fresh_imports="$fresh_imports $fresh_import"; fresh_copies="$fresh_copies $fresh_copy"
done
fresh_import=$(best $fresh_imports); fresh_copy=$(best $fresh_copies)

# --- after counter meals, no ANALYZE ---------------------------------------------------------
counter_imports=; counter_copies=
for round in $(seq 1 "$repeat"); do
  say "fresh database, then $counter meals at the counter over HTTP"
  fresh_db
  token=$("$canteen" token create --name bench --role admin | tail -n 1)
  port=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1]); s.close()")
  LOG_LEVEL=warning "$canteen" serve --host 127.0.0.1 --port "$port" >/dev/null 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
  logged=$(python3 bench/counter.py "http://127.0.0.1:$port" "$token" BENCH "$diners" "$counter" "$counter_from" breakfast,lunch,dinner | tail -n 1)
  kill "$server"; wait "$server" 2>/dev/null || true; server=
  analysed=$(psql "$DATABASE_URL" -tAc "SELECT coalesce(greatest(last_analyze, last_autoanalyze)::text, 'never') || ' ('
    || n_mod_since_analyze || ' rows changed since, ' || n_live_tup || ' live)' FROM pg_stat_user_tables WHERE relname = 'meal'")
  say "counter: $logged; meal last analysed: $analysed"
  if [ -n "${BENCH_EXPLAIN:-}" ]; then
    log=$(scripts/db.sh env | sed -n 's/^LOG=//p')
    lines=$(wc -l < "$log")
    export PGOPTIONS="-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=200 -c auto_explain.log_analyze=on -c auto_explain.log_buffers=on -c auto_explain.log_nested_statements=on"
  fi
  say "after_counter: canteen meal import of $rows rows"
  result=$(import_file); counter_import=${result%%$'\t'*}; counter_summary=${result#*$'\t'}
  unset PGOPTIONS
  say "after_counter: import ${counter_import} s ($counter_summary)"
  if [ -n "${BENCH_EXPLAIN:-}" ]; then
    tail -n +"$((lines + 1))" "$log" > "$BENCH_EXPLAIN"
    say "plans of the slow statements: $BENCH_EXPLAIN"
  fi
  counter_copy=$(copy_meal_shaped)
  say "after_counter: \\copy into meal_shaped ${counter_copy} s"
  counter_imports="$counter_imports $counter_import"; counter_copies="$counter_copies $counter_copy"
done
counter_import=$(best $counter_imports); counter_copy=$(best $counter_copies)
say "best of $repeat: fresh import $fresh_import s, copy $fresh_copy s; after counter import $counter_import s, copy $counter_copy s"

python3 - "$rows" "$counter" "$csv_copy" "$fresh_import" "$fresh_summary" "$fresh_copy" \
  "$counter_import" "$counter_summary" "$counter_copy" "$logged" "$analysed" "${BENCH_EXPLAIN:+1}" "$repeat" <<'PY'
import json, sys
rows, counter = int(sys.argv[1]), int(sys.argv[2])
csv_copy, fresh_import, fresh_copy, counter_import, counter_copy = map(float, (sys.argv[3], sys.argv[4], sys.argv[6], sys.argv[7], sys.argv[9]))
logged = json.loads(sys.argv[10])
rate = lambda s: round(rows / s)
print(json.dumps({
    "rows": rows,
    "import_s": fresh_import, "import_rows_per_s": rate(fresh_import), "summary": sys.argv[5],
    "meal_shaped_copy_s": fresh_copy, "meal_shaped_copy_rows_per_s": rate(fresh_copy),
    "ratio_to_copy": round(fresh_copy / fresh_import, 3),
    "counter_meals": counter, "counter_meals_per_s": round(logged["created"] / logged["seconds"]),
    "meal_analysed_before_import": sys.argv[11],
    "after_counter_import_s": counter_import, "after_counter_import_rows_per_s": rate(counter_import),
    "after_counter_summary": sys.argv[8],
    "after_counter_copy_s": counter_copy, "after_counter_copy_rows_per_s": rate(counter_copy),
    "after_counter_ratio_to_copy": round(counter_copy / counter_import, 3),
    "after_counter_ratio_to_fresh": round(fresh_import / counter_import, 3),
    "csv_copy_s": csv_copy, "csv_copy_rows_per_s": rate(csv_copy),
    "runs_each": int(sys.argv[13]) if len(sys.argv) > 13 else 1,
    "diagnostic_auto_explain": bool(sys.argv[12]) if len(sys.argv) > 12 else False}))
PY
