#!/usr/bin/env bash
# Installs, from Debian's packages, whatever versus needs that this machine lacks.
# Idempotent: when everything is present it only checks and returns.
#   scripts/setup.sh           what building, running and reporting need
#   scripts/setup.sh --tests   also what the tests need: a headless browser for the report test,
#                              redis-server, a one-node Slurm (slurm-wlm, munge) for the array
#                              job and YAML for the Kubernetes and CI examples (tests/cluster/)
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libbenchmark-dev libgtest-dev libgmock-dev
  libboost-context-dev libcli11-dev libfmt-dev libtomlplusplus-dev nlohmann-json3-dev
  libhwloc-dev liburing-dev
  python3 python3-matplotlib python3-numpy python3-pandas python3-redis
)
case "${1:-}" in
  --tests) packages+=(chromium fonts-dejavu-core redis-server slurm-wlm munge python3-yaml) ;;
  "") ;;
  *) echo "setup.sh: unknown argument '$1'; accepted: --tests" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
    echo "setup: these packages are missing and installing them needs root (no sudo here): ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get update -qq; then
  echo "setup: apt-get update failed; check the network or the apt sources" >&2
  exit 1
fi
if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
  echo "setup: apt-get install failed for: ${missing[*]}" >&2
  exit 1
fi
echo "setup: done"
