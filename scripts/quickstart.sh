#!/usr/bin/env bash
# Installs what is missing, builds Release, runs the quick matrix, prints a summary, writes the
# report and says where everything is.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)"

out="results/quick-$(date +%Y%m%d-%H%M%S)"
build/versus run --preset quick --out "$out" "$@"
build/versus report "$out"
echo
echo "quickstart: results in $out/results.csv, environment in $out/env.json"
echo "quickstart: report in $out/report.html (summary for CI or a pull request: $out/report.md)"
# The self-check takes minutes, not seconds, so it is not run here; its CSV in the folder adds
# "harness overhead on this machine" to the report's environment section.
echo "quickstart: how much of each figure is versus: build/versus-baseline --csv $out/baseline.csv && build/versus report $out"
