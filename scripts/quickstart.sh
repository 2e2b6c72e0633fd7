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
# How much of each figure is versus: its cells beside bare programs doing the same, under the same
# placement (about a minute here). Its CSV in the folder is the report's "harness overhead on this
# machine"; a self-check that fails leaves the report without it, not without the rest.
baseline_note="self-check in $out/baseline.csv"
if ! build/versus-baseline --csv "$out/baseline.csv"; then
  baseline_note="the self-check failed (above); the report has no harness overhead table"
fi
build/versus report "$out"
echo
echo "quickstart: results in $out/results.csv, environment in $out/env.json, $baseline_note"
echo "quickstart: report in $out/report.html (summary for CI or a pull request: $out/report.md)"
