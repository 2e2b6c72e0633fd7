#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test with ctest. Exits non-zero on any failure.
#   scripts/test.sh                       Release build in build/
#   scripts/test.sh --sanitize address    ASan + UBSan build in build-address/
#   scripts/test.sh --sanitize thread     TSan build in build-thread/
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sanitize) sanitize="${2:-}"; shift 2 ;;
    --sanitize=*) sanitize="${1#*=}"; shift ;;
    *) echo "test.sh: unknown argument '$1'; accepted: --sanitize address|thread" >&2; exit 2 ;;
  esac
done
case "$sanitize" in
  "") build=build; type=Release ;;
  address|thread) build="build-$sanitize"; type=RelWithDebInfo ;;
  *) echo "test.sh: --sanitize takes address or thread, not '$sanitize'" >&2; exit 2 ;;
esac

scripts/setup.sh --tests
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE="$type" -DVERSUS_SANITIZE="$sanitize" >/dev/null
cmake --build "$build" -j "$(nproc)"
# halt_on_error: a sanitizer report fails the test that caused it.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"
cd "$build"
ctest --output-on-failure -j "$(nproc)"
