#!/usr/bin/env bash
# Installs what the build and the private database need, only when it is missing.
set -euo pipefail
missing=()
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || missing+=(postgresql postgresql-contrib)
[ -f /usr/include/postgresql/libpq-fe.h ] || missing+=(libpq-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v psql >/dev/null || missing+=(postgresql-client)
if [ ${#missing[@]} -gt 0 ]; then
  "$(dirname "$0")/apt-install.sh" deps "${missing[@]}"
fi
command -v swift >/dev/null || { echo "deps: the Swift 6 toolchain is not on PATH" >&2; exit 1; }
