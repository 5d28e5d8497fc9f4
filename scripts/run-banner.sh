#!/usr/bin/env bash
# Printed by `make run` before the server starts: a fresh admin token and requests to paste.
set -euo pipefail
host=$1 port=$2
canteen=${CANTEEN_BIN:-.build/debug/canteen}
token=$("$canteen" token create --name "make-run-admin-$(date +%Y%m%d%H%M%S)" --role admin | tail -n 1)
last_month=$(python3 -c "import datetime; d = datetime.date.today().replace(day=1) - datetime.timedelta(days=1); print(d.strftime('%Y-%m'))")
rid=$(python3 -c "
w=[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2]; s='37150219460315'+'%03d'%(__import__('random').randrange(500,999)); print(s+'10X98765432'[sum(int(a)*b for a,b in zip(s,w))%11])")
base="http://$host:$port"
cat <<BANNER

幸福食堂 backend — demo data loaded (10 canteens, 240 fictional diners, a month of meals).
  DATABASE_URL=$DATABASE_URL
  admin token (shown once): $token

Try it:
  export TOKEN=$token

  # register a diner (birth date and sex come from the ID number)
  curl -s -X POST $base/v1/diners -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
       -d '{"name": "演示老人", "resident_id": "$rid", "card_no": "DEMO-NEW", "home_site": "LY-XINYI"}'

  # log a dinner at the counter (the Idempotency-Key makes a retry safe)
  curl -s -X POST $base/v1/meals -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
       -H 'Idempotency-Key: counter-1' -d '{"site_code": "LY-XINYI", "card_no": "DEMO-NEW", "slot": "dinner", "price_fen": 1000}'

  # build last month's subsidy claim for the canteen, then print it
  curl -s -X POST $base/v1/claims -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
       -d '{"site_code": "LY-XINYI", "month": "$last_month"}'
  # curl -s "$base/v1/claims/ID/export?format=html" -H "Authorization: Bearer \$TOKEN" > claim.html

Serving on $base (Ctrl-C stops).
BANNER
