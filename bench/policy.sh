#!/usr/bin/env bash
# What a policy with categories costs (issue 14): the counter and the CSV import under the
# Liaocheng default (tiers by age alone) and under the Chengyang-style policy of
# seeds/policies/ (a 低保/特困 tier, funders, an operating subsidy), side by side in one run, on
# one database and one server. The default policy is in force until 2026-09-30 and the
# Chengyang-style one from 2026-10-01, so the two are told apart only by the meals' dates:
# September and August for age-only, October and November for the category policy. A tenth of
# the 50,000 diners hold 低保. At the counter the two run side by side, BENCH_REPEAT rounds
# (default 4) of DURATION seconds, and each figure is its rate over them all; then the imports take
# turns as often, each going first in every other round, and each figure is its best run. The pgbench and \copy baselines of bench/http.sh and bench/import.sh do not depend on
# the policy, so their ratios compare as these rates do.
#
#   bench/policy.sh [DURATION] [ROWS]    (needs `make db` and a release build; wrk as bench/http.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
rows=${2:-100000}
clients=16
diners=50000
canteen=${CANTEEN_BIN:-$(swift build -c release --show-bin-path)/canteen}
command -v wrk >/dev/null || { echo "bench: policy: wrk is missing (bench/http.sh installs it)" >&2; exit 1; }
url=$(scripts/db.sh start | tail -n 1); url=${url#DATABASE_URL=}
admin=${url%/*}/postgres
db=bench_policy
work=$(mktemp -d /tmp/canteen-bench-policy.XXXXXX)
server=
cleanup() {
  [ -z "$server" ] || kill "$server" 2>/dev/null || true
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
say() { echo "bench: policy: $*" >&2; }
now() { date +%s.%N; }
psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -qc "CREATE DATABASE $db"
export DATABASE_URL=${url%/*}/$db
"$canteen" db migrate >/dev/null
"$canteen" site add --code BENCH --name 基准食堂 --kind other --street 基准街道 --opens-on 2022-09-01 \
  --slots breakfast,lunch,dinner --price-fen 1000 >/dev/null
python3 -c 'import json, sys; p = json.load(open(sys.argv[1])); p["effective_from"] = "2026-10-01"; json.dump(p, sys.stdout)' \
  seeds/policies/chengyang-style.json >"$work/policy.json"
"$canteen" policy add --file "$work/policy.json" >/dev/null
psql "$DATABASE_URL" -q <<SQL
INSERT INTO diner (name, resident_id, sex, birth_date, card_no)
SELECT '基准' || i, lpad(i::text, 17, '0') || '0', 'F', DATE '1930-01-01' + (i % 9000), 'B' || i FROM generate_series(1, $diners) i;
INSERT INTO diner_status (diner_id, effective_on, status, recorded_by) SELECT id, '1900-01-01', 'active', 'bench' FROM diner;
INSERT INTO diner_category (diner_id, category, effective_on, recorded_by) SELECT id, 'dibao', '2020-01-01', 'bench' FROM diner WHERE id % 10 = 0;
VACUUM ANALYZE;
SQL
# Commits do not wait for the disk here: the counter's rate is then the work of a meal, which is
# where a policy could cost something, and not the disk's flush latency (bench/http.sh measures
# the counter with fsync'd commits).
psql "$DATABASE_URL" -qc "ALTER DATABASE $db SET synchronous_commit = off"
token=$("$canteen" token create --name bench --role admin | tail -n 1)
port=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1]); s.close()")
LOG_LEVEL=warning "$canteen" serve --host 127.0.0.1 --port "$port" >/dev/null 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
say "wrk warm-up, then $duration s at the counter and an import of $rows rows, age-only and category policy in turn"
MONTH=2026-07 DINERS=$diners TOKEN=$token wrk -t 2 -c $clients -d 2 -s bench/meals.lua "http://127.0.0.1:$port" >/dev/null 2>&1 || true
psql "$DATABASE_URL" -qc "ANALYZE"

# A CSV of ROWS lunches by card number, diner after diner, day after day from FIRST_DAY.
csv() {
  python3 - "$1" "$rows" "$diners" "$2" <<'PY'
import datetime, sys
path, rows, diners, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), datetime.date.fromisoformat(sys.argv[4])
with open(path, "w") as f:
    f.write("card_no,served_on,slot,price_fen\n")
    for i in range(rows):
        f.write(f"B{i % diners + 1},{first + datetime.timedelta(days=i // diners)},lunch,1000\n")
PY
}
# At the counter both run at once, 8 connections each for the same seconds: they meet exactly the
# same moments of this shared machine, and the split of the requests between them is the
# comparison. Age-only meals go to the first half of the diners, the category policy's to the
# second (meals of one diner sit side by side in meal's indexes).
counter_pair() {  # OFFSET → {"age_only": wrk's JSON, "category": wrk's JSON}
  local half=$((clients / 2))
  THREADS=1 MONTH=2026-09 OFFSET=$1 DINER_BASE=0 DINERS=$((diners / 2)) TOKEN=$token \
    wrk -t 1 -c $half -d "$duration" --latency -s bench/meals.lua "http://127.0.0.1:$port" >"$work/age.out" &
  local age=$!
  THREADS=1 MONTH=2026-10 OFFSET=$(($1 + 500000)) DINER_BASE=$((diners / 2)) DINERS=$((diners / 2)) TOKEN=$token \
    wrk -t 1 -c $half -d "$duration" --latency -s bench/meals.lua "http://127.0.0.1:$port" >"$work/category.out"
  wait $age
  echo "{\"age_only\": $(grep '^JSON ' "$work/age.out" | cut -c6-), \"category\": $(grep '^JSON ' "$work/category.out" | cut -c6-)}"
}
# meal's columns that a COPY can write (not identity or generated ones), in table order.
meal_columns() {
  psql "$DATABASE_URL" -tAc "SELECT string_agg(quote_ident(attname), ',' ORDER BY attnum) FROM pg_attribute
    WHERE attrelid = 'meal'::regclass AND attnum > 0 AND NOT attisdropped AND attidentity = '' AND attgenerated = ''"
}
# The import's baseline, as in bench/import.sh: the meals it just stored (from FROM, two days),
# exported, then `\copy`d into an empty table with meal's columns, CHECKs and indexes. Under a
# policy with funders and categories a meal stores more, so this is the fair yardstick of each.
copy_back() {  # FROM → seconds
  psql "$DATABASE_URL" -q -c "\\copy (SELECT $(meal_columns) FROM meal WHERE served_on IN ('$1'::date, '$1'::date + 1) AND slot = 'lunch' ORDER BY id) TO '$work/rows.tsv'" \
    -c "DROP TABLE IF EXISTS meal_shaped" -c "CREATE TABLE meal_shaped (LIKE meal INCLUDING ALL)" -c "CHECKPOINT"
  local t0 t1
  t0=$(now)
  psql "$DATABASE_URL" -qc "\\copy meal_shaped ($(meal_columns)) FROM '$work/rows.tsv'"
  t1=$(now)
  python3 -c "print(round($t1 - $t0, 3))"
}
import() {  # FILE → seconds<TAB>summary
  psql "$DATABASE_URL" -qc "CHECKPOINT"
  local t0 t1 summary
  t0=$(now)
  summary=$("$canteen" meal import "$1" --site BENCH | tail -n 1)
  t1=$(now)
  printf '%s\t%s\n' "$(python3 -c "print(round($t1 - $t0, 3))")" "$summary"
}
repeat=${BENCH_REPEAT:-4}
# The counter's rounds first, then the imports': a counter run right after an import meets its
# aftermath (autovacuum waking up on 100,000 new rows).
counters=(); imports=()
for round in $(seq 1 "$repeat"); do
  say "counter, round $round of $repeat (both policies at once)"
  counters+=("$(counter_pair $((round * 1000000)))")
done
for round in $(seq 1 "$repeat"); do
  say "import, round $round of $repeat"
  # Each round imports other days: August (age-only) and November (category), 5 days apart.
  day=$(printf "%02d" $(( (round - 1) * 5 + 1 )))
  csv "$work/age.csv" "2026-08-$day"
  csv "$work/category.csv" "2026-11-$day"
  if [ $((round % 2)) = 1 ]; then
    age=$(import "$work/age.csv"); category=$(import "$work/category.csv")
  else
    category=$(import "$work/category.csv"); age=$(import "$work/age.csv")
  fi
  age_copy=$(copy_back "2026-08-$day"); category_copy=$(copy_back "2026-11-$day")
  imports+=("$(python3 -c "import json, sys; print(json.dumps({'age_only_s': float(sys.argv[1].split('\t')[0]), 'age_only': sys.argv[1].split('\t')[1],
    'category_s': float(sys.argv[2].split('\t')[0]), 'category': sys.argv[2].split('\t')[1],
    'age_only_copy_s': float(sys.argv[3]), 'category_copy_s': float(sys.argv[4])}))" "$age" "$category" "$age_copy" "$category_copy")")
done
subsidised=$(psql "$DATABASE_URL" -tAc "SELECT count(*) FILTER (WHERE category = 'dibao') || ' 低保 meals, ' || count(*) FILTER (WHERE funders LIKE '%district%') || ' with district funding' FROM meal WHERE served_on >= '2026-10-01'")
python3 - "$rows" "$subsidised" "$repeat" "${counters[@]}" "${imports[@]}" <<'PY'
import json, sys
rows, stored, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
counters, imports = [json.loads(r) for r in sys.argv[4:4 + n]], [json.loads(r) for r in sys.argv[4 + n:]]
def rate(h): return h["requests"] / h["seconds"]
# The two ran side by side: their rates over all rounds together.
age = sum(r["age_only"]["requests"] for r in counters) / sum(r["age_only"]["seconds"] for r in counters)
category = sum(r["category"]["requests"] for r in counters) / sum(r["category"]["seconds"] for r in counters)
age_import = rows / min(r["age_only_s"] for r in imports)
category_import = rows / min(r["category_s"] for r in imports)
age_copy = rows / min(r["age_only_copy_s"] for r in imports)
category_copy = rows / min(r["category_copy_s"] for r in imports)
print(json.dumps({"counter_age_only_meals_per_s": round(age), "counter_category_meals_per_s": round(category),
                  "counter_ratio": round(category / age, 3),
                  "import_rows": rows, "import_age_only_rows_per_s": round(age_import), "import_category_rows_per_s": round(category_import),
                  "import_ratio": round(category_import / age_import, 3),
                  "copy_age_only_rows_per_s": round(age_copy), "copy_category_rows_per_s": round(category_copy),
                  "import_to_copy_age_only": round(age_import / age_copy, 3), "import_to_copy_category": round(category_import / category_copy, 3),
                  "import_to_copy_ratio": round((category_import / category_copy) / (age_import / age_copy), 3),
                  "category_meals": stored,
                  "runs": {"counter": counters, "import": imports}}))
PY
