#!/usr/bin/env bash
# Installs Debian packages quietly: one line on the terminal, apt's and dpkg's progress in
# .local/apt.log (its end is shown when the installation fails).
#   scripts/apt-install.sh WHO PACKAGE...
set -euo pipefail
cd "$(dirname "$0")/.."
who=$1; shift
mkdir -p .local
log=.local/apt.log
echo "$who: installing $* (progress in $log)" >&2
if [ "$(id -u)" != 0 ]; then echo "$who: run as root, or install: $*" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@"; } >>"$log" 2>&1; then
  echo "$who: installing $* failed; the end of $log:" >&2
  tail -n 20 "$log" >&2
  exit 1
fi
