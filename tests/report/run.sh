#!/usr/bin/env bash
# Runs a Python test of the report under an interpreter that has its packages; 77 (skipped) when
# there is none, saying why.
set -u
root="$(cd "$(dirname "$0")/../.." && pwd)"
if ! python=$("$root/scripts/find_python.sh"); then
  echo "SKIP: no Python with the report's packages"
  exit 77
fi
exec "$python" "$@"
