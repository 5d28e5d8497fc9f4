#!/usr/bin/env bash
# Checks the documents for officials as a person sees them: renders a claim form of a
# 30-diner canteen and a monthly report with headless Chromium to PDF and PNG, then
# checks that the form fits on one A4 page, that the Chinese text comes out, and that
# the total is there. Run by `make test`; with UPDATE_DOCS=1 (`make docs-images`) it also
# refreshes docs/claim-form.png and docs/monthly-report.png.
set -euo pipefail
cd "$(dirname "$0")/.."
canteen=${CANTEEN_BIN:-.build/debug/canteen}
[ -x "$canteen" ] || swift build --product canteen

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v pdftotext >/dev/null || need+=(poppler-utils)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
  scripts/apt-install.sh render-check "${need[@]}"
fi

base=$(scripts/db.sh start --test | tail -n 1); base=${base#DATABASE_URL=}
db=render_check_$$
psql "$base" -qc "DROP DATABASE IF EXISTS $db" -qc "CREATE DATABASE $db"
export DATABASE_URL="$base dbname=$db"
export CANTEEN_TZ=Asia/Shanghai
work=$(mktemp -d /tmp/canteen-render.XXXXXX)
chmod 755 "$work"
cleanup() { psql "$base" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
[ -n "${RENDER_KEEP:-}" ] && trap - EXIT

"$canteen" db migrate >/dev/null
"$canteen" db seed >/dev/null
# 30 fictional diners of 馨颐 and a month of lunches and dinners (last month, so it can be submitted),
# under the Chengyang-style policy of seeds/policies/ (a 低保/特困 tier, funders, an operating
# subsidy) from the month before, whose claim is submitted and then has three meals voided: the
# form carries every part it can have, categories, adjustments, the operating subsidy and the funders.
month=$(python3 -c "import datetime; d = datetime.date.today().replace(day=1) - datetime.timedelta(days=1); print(d.strftime('%Y-%m'))")
before=$(python3 -c "import datetime; d = (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).replace(day=1) - datetime.timedelta(days=1); print(d.strftime('%Y-%m'))")
python3 -c 'import json, sys; p = json.load(open(sys.argv[1])); p["effective_from"] = sys.argv[2] + "-01"; json.dump(p, sys.stdout)' \
  seeds/policies/chengyang-style.json "$before" >"$work/policy.json"
"$canteen" policy add --file "$work/policy.json" >/dev/null
python3 - "$work" "$month" "$before" <<'PY'
import calendar, datetime, random, sys
work, month, before = sys.argv[1], sys.argv[2], sys.argv[3]
year, mon = map(int, month.split("-"))
weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
def complete(s): return s + "10X98765432"[sum(int(d) * w for d, w in zip(s, weights)) % 11]
rng = random.Random(7)
surnames = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林郑"
with open(f"{work}/diners.txt", "w") as people, open(f"{work}/meals.csv", "w") as meals, open(f"{work}/before.csv", "w") as earlier:
    meals.write("resident_id,served_on,slot,price_fen\n")
    earlier.write("resident_id,served_on,slot,price_fen\n")
    for i in range(30):
        age = 70 + rng.randrange(0, 25)
        birth = datetime.date(year - age, rng.randrange(1, 13), rng.randrange(1, 29))
        rid = complete(f"371502{birth:%Y%m%d}{(i * 2 + 1) % 1000:03d}")
        people.write(f"{surnames[i % 20]}某某{i + 1:03d} {rid}\n")
        if i < 3: earlier.write(f"{rid},{before}-0{i + 1},lunch,1500\n")
        for day in range(1, calendar.monthrange(year, mon)[1] + 1):
            date = datetime.date(year, mon, day)
            if rng.random() < 0.8: meals.write(f"{rid},{date},lunch,1000\n")
            if rng.random() < 0.3: meals.write(f"{rid},{date},dinner,1000\n")
PY
n=0
while read -r name rid; do
  id=$("$canteen" diner register --name "$name" --resident-id "$rid" --home-site LY-XINYI --json | python3 -c "import json,sys; print(json.load(sys.stdin)['id'])")
  n=$((n + 1))
  if [ $n -le 5 ]; then "$canteen" diner category "$id" --add dibao --from "$before-01" >/dev/null; fi
done < "$work/diners.txt"
"$canteen" meal import "$work/before.csv" --site LY-XINYI >/dev/null
earlier=$("$canteen" claim build --site LY-XINYI --month "$before" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['id'])")
"$canteen" claim submit "$earlier" >/dev/null
for meal in $("$canteen" meal list --site LY-XINYI --from "$before-01" --to "$before-28" --json | python3 -c "import json,sys; print(' '.join(str(m['id']) for m in json.load(sys.stdin)['items']))"); do
  "$canteen" meal void "$meal" --reason "老人住院，误刷" >/dev/null
done
"$canteen" meal import "$work/meals.csv" --site LY-XINYI | tail -n 1
id=$("$canteen" claim build --site LY-XINYI --month "$month" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['id'])")
"$canteen" claim submit "$id" >/dev/null
total=$("$canteen" claim show "$id" --json | python3 -c "import json,sys; c = json.load(sys.stdin); print(c['total_fen'])")
"$canteen" claim export "$id" --format html --output "$work/claim.html"
"$canteen" report monthly --month "$month" --format html --output "$work/report.html"

render() {  # html → pdf
  chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer --print-to-pdf="$2" "file://$1" >/dev/null 2>&1
}
render "$work/claim.html" "$work/claim.pdf"
render "$work/report.html" "$work/report.pdf"

fail() { echo "render-check: FAILED: $*" >&2; exit 1; }
pages=$(pdfinfo "$work/claim.pdf" | awk '/^Pages:/ {print $2}')
[ "$pages" = 1 ] || fail "the claim form of 30 diners takes $pages pages, not one A4 page"
pdfinfo "$work/claim.pdf" | grep -q "Page size:.*(A4)" || fail "the claim form is not A4"
text=$(pdftotext -layout "$work/claim.pdf" -)
for expected in "幸福食堂老年人就餐补贴申报表" "馨颐颐养中心幸福食堂" "柳园街道" "申报合计" "盖章" "低保特困" "低保对象" \
                "运营补贴" "市级" "区县级" "街道、乡镇级" "老人住院，误刷"; do
  grep -q "$expected" <<<"$text" || fail "the claim form's PDF text lacks $expected"
done
figures=$(python3 -c 'import sys; fen = int(sys.argv[1]); print(f"¥{fen // 100}.{fen % 100:02d}")' "$total")
grep -qF "$figures" <<<"$text" || fail "the claim form's PDF text lacks the total $figures"
# The total in Chinese capital numerals, computed here independently of the service's writer.
capital=$(python3 - "$total" <<'PY'
import sys
fen = int(sys.argv[1])
digits, units, sections = "零壹贰叁肆伍陆柒捌玖", ["", "拾", "佰", "仟"], ["", "万", "亿", "万亿"]
def integer(n):
    text, zeros = "", False
    s = str(n)
    groups = [s[max(0, i - 4):i] for i in range(len(s), 0, -4)][::-1]  # 4-digit groups, most significant first
    for g, group in enumerate(groups):
        level = len(groups) - 1 - g
        group = group.rjust(4, "0")
        if int(group) == 0:
            zeros = zeros or bool(text)
            continue
        for p, d in enumerate(group):
            if d == "0":
                zeros = zeros or bool(text)
                continue
            if zeros:
                text += "零"
                zeros = False
            text += digits[int(d)] + units[3 - p]
        text += sections[level]
    return text
sign = "负" if fen < 0 else ""
fen = abs(fen)
yuan, jiao, cents = fen // 100, fen // 10 % 10, fen % 10
text = integer(yuan) + "元" if yuan else ""
if jiao == 0 and cents == 0:
    text = (text or "零元") + "整"
else:
    text += digits[jiao] + "角" if jiao else ("零" if yuan else "")
    text += digits[cents] + "分" if cents else ""
print(sign + text)
PY
)
grep -qF "$capital" <<<"$text" || fail "the claim form lacks the total in capital numerals, $capital"
report_text=$(pdftotext -layout "$work/report.pdf" -)
for expected in "幸福食堂月度运营报表" "各食堂补贴金额" "每日就餐次数" "东关国际幸福食堂"; do
  grep -q "$expected" <<<"$report_text" || fail "the report's PDF text lacks $expected"
done

# Longer forms: 60 diners at 鼓楼 and 200 at 东关 (registered from a spreadsheet with `diner import`),
# lunch every day of the month. Every page must name the canteen and the month and carry its number
# (第 N 页 共 M 页), and the signature boxes stay on the page of the totals.
python3 - "$work" "$month" <<'PY'
import calendar, datetime, random, sys
work, month = sys.argv[1], sys.argv[2]
year, mon = map(int, month.split("-"))
weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
def complete(s): return s + "10X98765432"[sum(int(d) * w for d, w in zip(s, weights)) % 11]
rng = random.Random(11)
for site, count, first in (("LY-GULOU", 60, 100), ("LY-DONGGUAN", 200, 300)):
    with open(f"{work}/{site}.diners.csv", "w") as people, open(f"{work}/{site}.meals.csv", "w") as meals:
        people.write("序号,姓名,身份证号,社区\n")
        meals.write("resident_id,served_on,slot\n")
        for i in range(count):
            age = 70 + rng.randrange(0, 25)
            birth = datetime.date(year - age, rng.randrange(1, 13), rng.randrange(1, 29))
            rid = complete(f"371502{birth:%Y%m%d}{(first + i) * 2 % 1000:03d}")
            people.write(f"{i + 1},老人{first + i:03d},{rid},东关社区\n")
            for day in range(1, calendar.monthrange(year, mon)[1] + 1):
                if rng.random() < 0.7: meals.write(f"{rid},{datetime.date(year, mon, day)},lunch\n")
PY
for site in LY-GULOU LY-DONGGUAN; do
  "$canteen" diner import "$work/$site.diners.csv" --home-site "$site" | tail -n 1 | grep -q " rejected 0$" || fail "the $site diners did not all register"
  "$canteen" meal import "$work/$site.meals.csv" --site "$site" >/dev/null
  long=$("$canteen" claim build --site "$site" --month "$month" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['id'])")
  "$canteen" claim export "$long" --format html --output "$work/$site.html"
  render "$work/$site.html" "$work/$site.pdf"
  name=$("$canteen" site show "$site" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['name'])")
  n=$(pdfinfo "$work/$site.pdf" | awk '/^Pages:/ {print $2}')
  diners=$("$canteen" claim show "$long" --json | python3 -c "import json,sys; print(len(json.load(sys.stdin)['lines']))")
  [ "$n" -ge 2 ] || fail "the claim form of $diners diners at $site takes $n page"
  label="${month%-*}年$((10#${month#*-}))月"
  for page in $(seq 1 "$n"); do
    t=$(pdftotext -layout -f "$page" -l "$page" "$work/$site.pdf" -)
    for expected in "$name" "$site" "$label"; do
      grep -qF "$expected" <<<"$t" || fail "page $page of $n of the $site form lacks $expected"
    done
    grep -Eq "第 *$page *页 *共 *$n *页" <<<"$t" || fail "page $page of $n of the $site form lacks its number 第 $page 页 共 $n 页"
    if [ "$page" -gt 1 ]; then grep -q "身份证号" <<<"$t" || fail "page $page of the $site form repeats no table header"; fi
  done
  last=$(pdftotext -layout -f "$n" -l "$n" "$work/$site.pdf" -)
  for expected in "申报合计" "民政局审批意见" "盖章"; do
    grep -q "$expected" <<<"$last" || fail "the last page of the $site form lacks $expected: the signatures are not with the totals"
  done
  echo "render-check: the claim form of $diners diners at $site takes $n A4 pages, each with the canteen, month and page number"
done

if [ -n "${UPDATE_DOCS:-}" ]; then
  pdftoppm -png -r 60 -singlefile "$work/claim.pdf" docs/claim-form
  pdftoppm -png -r 60 -singlefile "$work/report.pdf" docs/monthly-report
  echo "render-check: refreshed docs/claim-form.png and docs/monthly-report.png"
fi
echo "render-check: the claim form of 30 diners fits one A4 page with its Chinese text and the total $figures ($capital); the report renders"
