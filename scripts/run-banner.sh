#!/usr/bin/env bash
# Printed by `make run` before the server starts.
set -euo pipefail
host=$1 port=$2
cat <<BANNER

幸福食堂 backend — demo data loaded.
  DATABASE_URL=$DATABASE_URL
  health:  curl -s http://$host:$port/health
  ready:   curl -s http://$host:$port/ready
  sites:   DATABASE_URL=\$DATABASE_URL .build/debug/canteen site list

Serving on http://$host:$port (Ctrl-C stops).
BANNER
