# Finding the versus build the benchmark scripts measure, sourced by them (they define `repo`).
# shellcheck shell=bash

# Sets `build` to $VERSUS_BUILD as it is, or to the repository's build/, configured there first
# when it is not, with `targets` built. Returns 1, said on stderr as "<script>: ...", when either
# fails.
prepare_build() {  # script target...
  local script=$1
  shift
  if [[ -n "${VERSUS_BUILD:-}" ]]; then
    build=$VERSUS_BUILD
    return 0
  fi
  build=$repo/build
  if [[ ! -f "$build/CMakeCache.txt" ]]; then
    cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release >&2 || { echo "$script: cmake configure failed" >&2; return 1; }
  fi
  cmake --build "$build" -j "${VERSUS_JOBS:-2}" --target "$@" >&2 || { echo "$script: the build failed" >&2; return 1; }
}
