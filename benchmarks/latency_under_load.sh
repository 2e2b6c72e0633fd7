#!/usr/bin/env bash
# Latency under load (redis, embedded server), the figures that say whether the open loop works:
#   1. rate=50% at 8 connections under fork, pthread, fiber, epoll and io_uring: the achieved
#      rate against the offered one (within 1%?) and late_p99_us;
#   2. a server stalling 20 ms in every 200, pthread at 8 connections: the open loop's p99 at 50%
#      of the peak (at least 10 ms?) and the closed loop's against the same cell without stalls
#      (within 3x?);
#   3. a sweep of six rates, pthread and epoll at 64 connections, in one command: per rate the
#      achieved rate, p50 and p99 (`versus report` on its folder draws the curves).
# Every figure is the median over the repetitions' ok rows.
#
#   benchmarks/latency_under_load.sh                   # builds versus into build/ first
#   VERSUS_BUILD=dir benchmarks/latency_under_load.sh  # uses dir's versus as it is
#
# REPETITIONS (3) and REQUESTS (40000) change the work; VERSUS_OUT names the folder the three
# runs go under (default a new folder under /tmp, kept). Exit 0 when all three measured, 1 when
# something failed (said on stderr), 2 on bad settings.
set -u -o pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
reps=${REPETITIONS:-3}
requests=${REQUESTS:-40000}
versus_limit_s=3600
for n in "$reps" "$requests"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "latency_under_load.sh: REPETITIONS and REQUESTS are whole numbers, not '$n'" >&2; exit 2; }
done
(( reps >= 1 && requests >= 1 )) || { echo "latency_under_load.sh: REPETITIONS and REQUESTS must be at least 1" >&2; exit 2; }

python=/usr/bin/python3
[[ -x "$python" ]] || python=$(command -v python3) || { echo "latency_under_load.sh: no python3 to read the CSV" >&2; exit 1; }

# The versus run going on now, ended with the script however the script ends.
current=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if [[ -n "$current" ]] && kill -0 "$current" 2>/dev/null; then
    kill -TERM "$current" 2>/dev/null
    wait "$current" 2>/dev/null
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck source=benchmarks/build_lib.sh
source "$repo/benchmarks/build_lib.sh"
prepare_build latency_under_load.sh versus || exit 1
versus=$build/versus
[[ -x "$versus" ]] || { echo "latency_under_load.sh: $versus is not there; build it or set VERSUS_BUILD" >&2; exit 1; }
out=${VERSUS_OUT:-$(mktemp -d /tmp/latency-under-load.XXXXXX)} || { echo "latency_under_load.sh: mktemp failed" >&2; exit 1; }
mkdir -p "$out" || exit 1

echo "machine: $(hostname), $(nproc) CPUs, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "work: redis get against the embedded server, ${requests} requests, ${reps} repetitions; results under $out"
failed=0

# One versus run into $out/$1, under a time limit, as a job the trap can end.
run() {
  local name=$1
  shift
  timeout --signal=TERM --kill-after=10 "$versus_limit_s" "$versus" run --scenario redis --set op=get \
    --set requests="$requests" --repetitions "$reps" --quiet --out "$out/$name" "$@" >"$out/$name.log" 2>&1 &
  current=$!
  wait "$current" || { echo "latency_under_load.sh: the $name run failed; its last lines:" >&2; tail -n 5 "$out/$name.log" >&2; failed=1; }
  current=""
}

run half --runner fork,pthread,fiber,epoll,io_uring --workers 8 --set rate=50%
run stall --runner pthread --workers 8 --set stall_ms=0,20 --set stall_every_ms=200 --set rate=0,50%
run sweep --runner pthread,epoll --workers 64 --set rate=10%,30%,50%,70%,90%,100%

"$python" - "$out" <<'PY' || failed=1
import csv, os, statistics, sys

out = sys.argv[1]

def rows(name):
    path = os.path.join(out, name, "results.csv")
    if not os.path.exists(path):
        print(f"{name}: no {path}")
        return []
    with open(path, newline="") as f:
        found = list(csv.DictReader(f))
    for r in found:
        r["p"] = dict(kv.split("=", 1) for kv in r["params"].split(";") if "=" in kv)
        if r["status"] != "ok":
            print(f'{name}: {r["runner"]} {r["p"].get("rate")}: {r["status"]}: {r["message"]}')
    return [r for r in found if r["status"] == "ok"]

def median(rs, column):
    values = [float(r[column]) for r in rs if r[column]]
    return statistics.median(values) if values else float("nan")

print("\n1. rate=50%, 8 connections")
print(f'{"runner":9} {"offered/s":>10} {"achieved/s":>10} {"short by":>8} {"late_p99_us":>11}  within 1%')
half = rows("half")
for runner in ("fork", "pthread", "fiber", "epoll", "io_uring"):
    rs = [r for r in half if r["runner"] == runner]
    if not rs:
        print(f"{runner:9} no ok row")
        continue
    offered, achieved = median(rs, "offered_per_s"), median(rs, "ops_per_s")
    short = 100 * (1 - achieved / offered)
    print(f'{runner:9} {offered:10.0f} {achieved:10.0f} {short:7.2f}% {median(rs, "late_p99_us"):11.1f}  '
          f'{"yes" if abs(short) <= 1 else "no"}')

print("\n2. stall_ms=20 stall_every_ms=200, pthread, 8 connections: p99 in µs")
stall = rows("stall")
def p99(stall_ms, rate):
    return median([r for r in stall if r["p"].get("stall_ms") == stall_ms and r["p"].get("rate") == rate], "lat_p99_us")
open_p99, closed_p99, calm_p99 = p99("20", "50%"), p99("20", "0"), p99("0", "0")
print(f"open loop at 50%, stalling: {open_p99:.0f}  (at least 10 ms: {'yes' if open_p99 >= 10000 else 'no'})")
print(f"closed loop, stalling: {closed_p99:.0f}; without stalls: {calm_p99:.0f}; ratio {closed_p99 / calm_p99:.2f} "
      f"(within 3x: {'yes' if closed_p99 <= 3 * calm_p99 else 'no'})")
print(f"open loop at 50%, without stalls: {p99('0', '50%'):.0f}")

print("\n3. sweep, 64 connections")
print(f'{"runner":8} {"rate":>5} {"offered/s":>10} {"achieved/s":>10} {"p50_us":>9} {"p99_us":>10} {"late_p99_us":>11}')
sweep = rows("sweep")
for runner in ("pthread", "epoll"):
    for rate in ("10%", "30%", "50%", "70%", "90%", "100%"):
        rs = [r for r in sweep if r["runner"] == runner and r["p"].get("rate") == rate]
        print(f'{runner:8} {rate:>5} {median(rs, "offered_per_s"):10.0f} {median(rs, "ops_per_s"):10.0f} '
              f'{median(rs, "lat_p50_us"):9.1f} {median(rs, "lat_p99_us"):10.1f} {median(rs, "late_p99_us"):11.1f}')
print(f"\nthe curves: versus report {os.path.join(out, 'sweep')}")
PY
exit "$failed"
