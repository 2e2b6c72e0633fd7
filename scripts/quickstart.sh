#!/usr/bin/env bash
# Installs what is missing, builds Release, runs the quick matrix and prints a summary and
# where the results are.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)"

out="results/quick-$(date +%Y%m%d-%H%M%S)"
build/versus run --preset quick --out "$out" "$@"
echo
echo "quickstart: results in $out/results.csv, environment in $out/env.json"
