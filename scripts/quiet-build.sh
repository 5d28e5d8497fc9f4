#!/usr/bin/env bash
# quiet-build.sh WHAT SWIFT-BUILD-ARGS...: runs `swift build ARGS` with its progress in
# .local/build.log, printing one line before and the time after; on failure, the log's errors
# (or its last lines) and a non-zero exit.
set -uo pipefail
cd "$(dirname "$0")/.."
what=$1; shift
mkdir -p .local
log=.local/build.log
echo "build: $what (progress in $log; a first build on 2 cores takes about 12 minutes)"
started=$SECONDS
if ! "${SWIFT:-swift}" build "$@" > "$log" 2>&1; then
  echo "build: failed; from $log:" >&2
  grep -E "error:" "$log" | sort -u | head -n 40 >&2 || true
  grep -qE "error:" "$log" || tail -n 40 "$log" >&2
  exit 1
fi
echo "build: done in $((SECONDS - started)) s"
