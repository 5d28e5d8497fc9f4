#!/usr/bin/env bash
# Claims and reports at scale, on the demo cluster: one canteen's claim over a month of SITE_MEALS
# meals (default 82,000: 2,646 diners eating there daily), built over HTTP (`POST /v1/claims`
# through a running `canteen serve`, timed with curl: the median of three builds after a
# warm-up), versus a hand-written SQL aggregate over the same meals (psql, the median of three);
# for reference the same claim built by the CLI (`canteen claim build`, one process). And the
# monthly report across 100 canteens over a month of MEALS meals (default 10,000,000) versus
# the same kind of SQL aggregate.
#
#   bench/claims.sh [MEALS] [SITE_MEALS]     (needs `make db` and a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
meals=${1:-10000000}
site_meals=${2:-82000}
site_diners=$(( (site_meals + 30) / 31 ))
canteen=${CANTEEN_BIN:-$(swift build -c release --show-bin-path)/canteen}
url=$(scripts/db.sh start | tail -n 1); url=${url#DATABASE_URL=}
admin=${url%/*}/postgres
db=bench_claims
psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -qc "CREATE DATABASE $db"
export DATABASE_URL=${url%/*}/$db
"$canteen" db migrate >/dev/null
diners=$(( meals / 90 > site_diners + 10000 ? meals / 90 + 1 : site_diners + 10000 ))
# Canteen S001: SITE_MEALS meals from diners who eat there every day (about 31 meals each, one
# claim line each). The other meals: the other diners, each at one of the 99 other canteens.
echo "bench: claims: loading $meals meals ($site_meals at S001)" >&2
t0=$(date +%s.%N)
psql "$DATABASE_URL" -q <<SQL
INSERT INTO site (code, name, kind, street, opens_on, slots, default_price_fen)
SELECT 'S' || lpad(i::text, 3, '0'), '基准食堂' || i, 'other', '街道' || (i % 10), '2022-01-01', '{breakfast,lunch,dinner}', 1000
FROM generate_series(1, 100) i;
INSERT INTO diner (name, resident_id, sex, birth_date)
SELECT '基准' || i, lpad(i::text, 17, '0') || '0', 'F', DATE '1930-01-01' + (i % 9000) FROM generate_series(1, $diners) i;
-- Bench data: written directly, not through the rules (unique diner/date/slot all the same).
INSERT INTO meal (diner_id, site_code, served_on, slot, price_fen, delivery, age, bracket, subsidy_fen, funders, city_fen, created_by, created_at)
SELECT 1 + i % $site_diners, 'S001', DATE '2026-10-01' + (i / $site_diners) % 31, (ARRAY['lunch','dinner','breakfast'])[1 + i / ($site_diners * 31)],
       1000, false, 80, CASE WHEN i % 3 = 0 THEN '70-79' ELSE '80+' END, CASE WHEN i % 3 = 0 THEN 200 ELSE 400 END,
       'city', CASE WHEN i % 3 = 0 THEN 200 ELSE 400 END, 'bench', '2026-10-01'
FROM generate_series(0, least($meals, $site_meals) - 1) i;
INSERT INTO meal (diner_id, site_code, served_on, slot, price_fen, delivery, age, bracket, subsidy_fen, funders, city_fen, created_by, created_at)
SELECT d, 'S' || lpad((2 + d % 99)::text, 3, '0'), DATE '2026-10-01' + (j / ($diners - $site_diners)) % 31,
       (ARRAY['lunch','dinner','breakfast'])[1 + (j / (($diners - $site_diners) * 31)) % 3],
       1000, false, 80, CASE WHEN j % 3 = 0 THEN '70-79' ELSE '80+' END, CASE WHEN j % 3 = 0 THEN 200 ELSE 400 END,
       'city', CASE WHEN j % 3 = 0 THEN 200 ELSE 400 END, 'bench', '2026-10-01'
FROM generate_series(0, $meals - $site_meals - 1) j, LATERAL (SELECT $site_diners + 1 + j % ($diners - $site_diners) AS d) x;
VACUUM ANALYZE;
SQL
t1=$(date +%s.%N)
echo "loaded $meals meals in $(python3 -c "print(round($t1 - $t0, 1))") s" >&2

time_of() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); python3 -c "print(round($e - $s, 3))"; }
sql_claim="SELECT diner_id, bracket, count(*), sum(subsidy_fen) FROM meal WHERE site_code = 'S001' AND served_on >= '2026-10-01' AND served_on < '2026-11-01' AND status = 'valid' AND subsidy_fen > 0 GROUP BY diner_id, bracket"
sql_report="SELECT site_code, count(*), count(*) FILTER (WHERE subsidy_fen > 0), count(DISTINCT diner_id), sum(subsidy_fen) FROM meal WHERE served_on >= '2026-10-01' AND served_on < '2026-11-01' AND status = 'valid' GROUP BY site_code"
token=$("$canteen" token create --name bench --role admin | tail -n 1)
port=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1]); s.close()")
LOG_LEVEL=warning "$canteen" serve --host 127.0.0.1 --port "$port" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
claim_http() {
  curl -sf -o /dev/null -X POST "http://127.0.0.1:$port/v1/claims" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"site_code": "S001", "month": "2026-10"}'
}
median() { python3 -c "import statistics, sys; print(statistics.median(map(float, sys.argv[1:])))" "$@"; }
echo "bench: claims: S001's claim over HTTP and in SQL, three times each after a warm-up" >&2
# Warm both once (the first build creates the draft; the measured ones rebuild it), then measure.
psql "$DATABASE_URL" -qc "$sql_claim" >/dev/null; psql "$DATABASE_URL" -qc "$sql_report" >/dev/null
claim_http
sqls=(); https=()
for _ in 1 2 3; do
  sqls+=("$(time_of psql "$DATABASE_URL" -qc "$sql_claim")")
  https+=("$(time_of claim_http)")
done
claim_sql=$(median "${sqls[@]}"); claim_service_http=$(median "${https[@]}")
claim_lines=$(psql "$DATABASE_URL" -tAc "SELECT count(*) || ' lines, ' || sum(l.meals) || ' meals' FROM claim_line l JOIN claim c ON c.id = l.claim_id WHERE c.site_code = 'S001'")
kill $server; wait $server 2>/dev/null || true
claim_service=$(time_of "$canteen" claim build --site S001 --month 2026-10 --json)
echo "bench: claims: the monthly report" >&2
report_sql=$(time_of psql "$DATABASE_URL" -qc "$sql_report")
# PostgreSQL picks an index scan in site order for that query (no sort for the distinct count);
# the same query made to read the table straight through is the fairer baseline when faster.
report_sql_seq=$(time_of psql "$DATABASE_URL" -qc "SET enable_indexscan = off" -qc "SET enable_bitmapscan = off" -qc "SET work_mem = '256MB'" -qc "$sql_report")
report_service=$(time_of "$canteen" report monthly --month 2026-10 --json)
python3 - "$meals" "$site_meals" "$claim_lines" "${sqls[*]}" "${https[*]}" "$claim_sql" "$claim_service_http" "$claim_service" "$report_sql" "$report_service" "$report_sql_seq" <<'PY'
import json, sys
meals, site_meals, lines, sqls, https = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
cs, ch, cv, rs, rv, rq = map(float, sys.argv[6:])
print(json.dumps({"meals": meals, "site_meals": site_meals, "claim": lines,
                  "claim_sql_s": cs, "claim_http_s": ch, "claim_ratio": round(ch / cs, 2),
                  "claim_sql_runs_s": [float(x) for x in sqls.split()], "claim_http_runs_s": [float(x) for x in https.split()],
                  "claim_cli_s": cv, "claim_cli_ratio": round(cv / cs, 2),
                  "report_sql_s": min(rs, rq), "report_sql_planner_choice_s": rs, "report_sql_seqscan_s": rq,
                  "report_service_s": rv, "report_ratio": round(rv / min(rs, rq), 2)}))
PY
[ -n "${BENCH_KEEP:-}" ] || psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
