#!/usr/bin/env bash
# The bulk registration benchmark (issue 15): `canteen diner import` of a ROWS-row spreadsheet
# (default 100,000 diners: Chinese header, name, resident ID, phone, community, card number) on a
# fresh database of the private demo cluster (fsync on), against `psql \copy` of what it stored
# (exported after the import) into `diner_shaped`, created `LIKE diner INCLUDING ALL` (its
# columns, CHECKs and unique indexes) with diner's foreign key to its home site: the cost of
# storing them. The dry run of the same file
# (every row checked and decided, nothing written) is reported too.
#
#   bench/diners.sh [ROWS]     (needs `make db` and a release build; BENCH_REPEAT=N, default 2,
#                              keeps the best of N fresh databases)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-100000}
repeat=${BENCH_REPEAT:-2}
canteen=${CANTEEN_BIN:-$(swift build -c release --show-bin-path)/canteen}
work=$(mktemp -d /tmp/canteen-bench-diners.XXXXXX)
url=$(scripts/db.sh start | tail -n 1); url=${url#DATABASE_URL=}
admin=${url%/*}/postgres
db=bench_diners
cleanup() {
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
export DATABASE_URL=${url%/*}/$db
say() { echo "bench: diners: $*" >&2; }
now() { date +%s.%N; }

python3 - "$work/diners.csv" "$rows" <<'PY'
import datetime, random, sys
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
path, rows = sys.argv[1], int(sys.argv[2])
rng = random.Random(15)
with open(path, "w") as f:
    f.write("\ufeff姓名,身份证号,电话,社区,卡号\n")
    for serial in range(rows):
        birth = datetime.date(1930, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 25))
        s = f"37{1500 + serial // 1000:04d}{birth:%Y%m%d}{serial % 1000:03d}"
        rid = s + "10X98765432"[sum(int(d) * w for d, w in zip(s, W)) % 11]
        f.write(f"老人{serial},{rid},138{serial:08d},第{serial % 40}社区,K-{serial}\n")
PY
say "$rows diners"

results=()
for round in $(seq 1 "$repeat"); do
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -qc "CREATE DATABASE $db"
  "$canteen" db migrate >/dev/null
  "$canteen" site add --code BENCH --name 基准食堂 --kind other --street 基准街道 --opens-on 2022-09-01 >/dev/null
  psql "$DATABASE_URL" -qc "CHECKPOINT" >/dev/null
  start=$(now); dry=$("$canteen" diner import "$work/diners.csv" --home-site BENCH --dry-run | tail -n 1); dry_s=$(echo "$(now) - $start" | bc)
  psql "$DATABASE_URL" -qc "CHECKPOINT" >/dev/null
  start=$(now); summary=$("$canteen" diner import "$work/diners.csv" --home-site BENCH | tail -n 1); import_s=$(echo "$(now) - $start" | bc)
  say "round $round: dry run ${dry_s}s ($dry), import ${import_s}s ($summary)"
  psql "$DATABASE_URL" -q <<SQL
\\copy (SELECT name, resident_id, sex, birth_date, phone, address, community, home_site, card_no, registered_at, updated_at FROM diner ORDER BY id) TO '$work/stored.tsv'
CREATE TABLE diner_shaped (LIKE diner INCLUDING ALL);
ALTER TABLE diner_shaped ADD FOREIGN KEY (home_site) REFERENCES site (code);
CHECKPOINT;
SQL
  start=$(now)
  psql "$DATABASE_URL" -q -c "\\copy diner_shaped (name, resident_id, sex, birth_date, phone, address, community, home_site, card_no, registered_at, updated_at) FROM '$work/stored.tsv'"
  copy_s=$(echo "$(now) - $start" | bc)
  say "round $round: \\copy into diner_shaped ${copy_s}s"
  results+=("$import_s $dry_s $copy_s $summary")
done
python3 - "$rows" "${results[@]}" <<'PY'
import json, sys
rows, runs = int(sys.argv[1]), [r.split(" ", 3) for r in sys.argv[2:]]
imp = min(float(r[0]) for r in runs); dry = min(float(r[1]) for r in runs); copy = min(float(r[2]) for r in runs)
print(json.dumps({"rows": rows, "import_s": round(imp, 2), "import_rows_per_s": round(rows / imp),
                  "dry_run_s": round(dry, 2), "dry_run_rows_per_s": round(rows / dry),
                  "copy_s": round(copy, 2), "copy_rows_per_s": round(rows / copy), "import_to_copy": round(copy / imp, 3),
                  "summary": runs[0][3], "runs": [{"import_s": float(r[0]), "dry_run_s": float(r[1]), "copy_s": float(r[2])} for r in runs]}))
PY
