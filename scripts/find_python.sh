#!/usr/bin/env bash
# Prints the path of a Python 3 that can import what the report scripts need (matplotlib, numpy,
# pandas). The first python3 on PATH may be a separate interpreter without Debian's packages, so
# Debian's /usr/bin/python3 is tried first. Exits 1, saying what to install, when none can.
set -u
modules="matplotlib, numpy, pandas"
tried=()
for candidate in "${VERSUS_PYTHON:-}" /usr/bin/python3 $(type -ap python3 2>/dev/null); do
  [[ -n "$candidate" && -x "$candidate" ]] || continue
  tried+=("$candidate")
  if "$candidate" -c "import ${modules}" >/dev/null 2>&1; then
    echo "$candidate"
    exit 0
  fi
done
echo "no Python 3 here can import ${modules} (tried: ${tried[*]:-none}); install Debian's packages with" \
     "'apt-get install python3-matplotlib python3-numpy python3-pandas' (scripts/setup.sh does)," \
     "or set VERSUS_PYTHON to an interpreter that has them" >&2
exit 1
