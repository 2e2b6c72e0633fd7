#!/usr/bin/env bash
# 64-byte pipe ping-pong, bare and through versus, with both ends on one CPU (same) and on two
# (spread), ends as processes (fork) and as threads (pthread), all in one run on one machine.
# Prints the machine, then a table: placement, runner, the median over repetitions of the bare
# program's p50 round trip, versus's (results.csv, lat_p50_us, status=ok rows), and their ratio.
# Then, from the same versus run, shm's round trip against pipe's with both ends on one CPU (a
# spinning wait there would only delay its peer), and from a second one the updates a shared
# counter without a lock loses in each repetition with two workers spread over two cores.
#
#   benchmarks/placement.sh                      # builds into build/ (configures it if needed)
#   VERSUS_BUILD=dir benchmarks/placement.sh     # uses dir's versus and bare-pingpong as they are
#
# REPETITIONS (5), ROUNDS (20000), WARMUP (1000) and SIZE (64) change the work; VERSUS_OUT names
# the folder of versus's results (default a new folder under /tmp, kept). Exit 0 when both
# halves measured, 1 when something failed (said on stderr), 2 on bad settings.
set -u -o pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
reps=${REPETITIONS:-5}
rounds=${ROUNDS:-20000}
warmup=${WARMUP:-1000}
size=${SIZE:-64}
# Each measurement runs under a limit, so the script ends even if one hangs.
bare_limit_s=300
versus_limit_s=3600
for n in "$reps" "$rounds" "$warmup" "$size"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "placement.sh: REPETITIONS, ROUNDS, WARMUP and SIZE are whole numbers, not '$n'" >&2; exit 2; }
done
(( reps >= 1 )) || { echo "placement.sh: REPETITIONS must be at least 1" >&2; exit 2; }

python=/usr/bin/python3
[[ -x "$python" ]] || python=$(command -v python3) || { echo "placement.sh: no python3 to read the CSV" >&2; exit 1; }

# The measurement running now (its `timeout`), ended with the script however the script ends:
# timeout passes the signal on to its command, whose own children die with it.
current=""
work=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if [[ -n "$current" ]] && kill -0 "$current" 2>/dev/null; then
    kill -TERM "$current" 2>/dev/null
    wait "$current" 2>/dev/null
  fi
  [[ -n "$work" ]] && rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs "$@" under a time limit of $1 seconds, as a job the trap can end; returns its status.
run_limited() {
  local limit=$1
  shift
  timeout --signal=TERM --kill-after=10 "$limit" "$@" &
  current=$!
  wait "$current"
  local rc=$?
  current=""
  return $rc
}

# shellcheck source=benchmarks/build_lib.sh
source "$repo/benchmarks/build_lib.sh"
prepare_build placement.sh versus bare-pingpong || exit 1
bare=$build/benchmarks/bare-pingpong
versus=$build/versus
for program in "$bare" "$versus"; do
  [[ -x "$program" ]] || { echo "placement.sh: $program is not there; build it or set VERSUS_BUILD" >&2; exit 1; }
done

allowed=$("$python" -c 'import os; print(",".join(map(str, sorted(os.sched_getaffinity(0)))))')
model=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "machine: $(hostname), $(nproc --all) CPUs (this run may use ${allowed}), ${model:-unknown model}," \
     "kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "work: pipe ping-pong, ${size}-byte messages, ${rounds} round trips after ${warmup} warmup, ${reps} repetitions"

# The bare program's CPUs for each placement: same = both ends on CPU 0, spread = CPUs 0 and 1.
case ",$allowed," in
  *,0,*) ;;
  *) echo "placement.sh: CPU 0 is not allowed here (allowed: $allowed)" >&2; exit 1 ;;
esac
placements="same"
case ",$allowed," in
  *,1,*) placements="same spread" ;;
  *) echo "note: CPU 1 is not allowed here, so no spread rows" ;;
esac
cpus_of() { [[ $1 == same ]] && echo 0,0 || echo 0,1; }
ends_of() { [[ $1 == fork ]] && echo fork || echo thread; }

work=$(mktemp -d /tmp/placement.XXXXXX) || { echo "placement.sh: mktemp failed" >&2; exit 1; }
failed=0

# The bare half: the repetitions interleaved, so a change in the machine's load touches every
# placement and runner alike.
bare_rows=$work/bare.txt
: >"$bare_rows"
for ((rep = 0; rep < reps; ++rep)); do
  for placement in $placements; do
    for runner in fork pthread; do
      # Into a file, not through $(...): a subshell would keep the job's pid from the trap.
      cpus=$(cpus_of "$placement")
      ends=$(ends_of "$runner")
      if run_limited "$bare_limit_s" "$bare" --ends "$ends" --cpus "$cpus" --size "$size" --rounds "$rounds" \
           --warmup "$warmup" >"$work/line"; then
        p50=$(sed -n 's/.*p50_us=\([0-9.]*\).*/\1/p' "$work/line")
        echo "$placement $runner $p50" >>"$bare_rows"
      else
        echo "placement.sh: bare-pingpong --ends $ends --cpus $cpus failed" >&2
        failed=1
      fi
    done
  done
done

# The versus half. workers is the number of pairs for ipc: 1 is one pair, as the bare program.
if [[ -n "${VERSUS_OUT:-}" ]]; then
  out=$VERSUS_OUT
else
  out=$(mktemp -d /tmp/placement-versus.XXXXXX) || { echo "placement.sh: mktemp failed" >&2; exit 1; }
fi
versus_log=$work/versus.log
if ! run_limited "$versus_limit_s" "$versus" run --scenario ipc --runner fork,pthread --workers 1 \
       --set mode=pingpong --set channel=pipe,shm --set msg_size="$size" --set round_trips="$rounds" \
       --set warmup="$warmup" --set placement="${placements// /,}" --repetitions "$reps" --quiet \
       --out "$out" >"$versus_log" 2>&1; then
  echo "placement.sh: versus run failed; its last lines:" >&2
  tail -n 5 "$versus_log" >&2
  failed=1
fi

# Two workers, spread, incrementing a counter without a lock: updates are lost whenever they overlap.
if [[ $placements == *spread* ]] &&
   ! run_limited "$versus_limit_s" "$versus" run --scenario sync --runner fork,pthread --workers 2 \
       --set mode=counter --set primitive=none --set placement=spread --repetitions "$reps" --quiet \
       --out "$out/sync" >>"$versus_log" 2>&1; then
  echo "placement.sh: versus sync run failed; its last lines:" >&2
  tail -n 5 "$versus_log" >&2
  failed=1
fi

echo
"$python" - "$bare_rows" "$out/results.csv" "$out/sync/results.csv" <<'EOF' || failed=1
import csv, os, statistics, sys

bare_path, results_path, sync_path = sys.argv[1], sys.argv[2], sys.argv[3]
bare = {}
with open(bare_path) as f:
    for line in f:
        placement, runner, p50 = line.split()
        bare.setdefault((placement, runner), []).append(float(p50))

versus, trouble = {}, {}
if os.path.exists(results_path):
    with open(results_path, newline="") as f:
        for row in csv.DictReader(f):
            params = dict(kv.split("=", 1) for kv in row["params"].split(";") if "=" in kv)
            key = (params.get("placement", "none"), row["runner"], params.get("channel"))
            if row["status"] == "ok" and row["lat_p50_us"]:
                versus.setdefault(key, []).append(float(row["lat_p50_us"]))
            else:
                trouble[key] = f'{row["status"]}: {row["message"]}'

def median(values):
    return f"{statistics.median(values):.2f}" if values else "-"

header = ("placement", "runner", "bare p50 µs", "versus p50 µs", "versus/bare")
rows = []
for key in sorted(bare, key=lambda k: (k[0] != "same", k[0], k[1])):
    b, v = bare[key], versus.get((*key, "pipe"), [])
    ratio = f"{statistics.median(v) / statistics.median(b):.2f}" if b and v else "-"
    rows.append((*key, f"{median(b)} (n={len(b)})", f"{median(v)} (n={len(v)})" if v else "-", ratio))
widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
for r in [header, *rows]:
    print("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
for key, why in sorted(trouble.items()):
    print(f"versus {key[0]}/{key[1]}/{key[2]}: {why}")
if not os.path.exists(results_path):
    print(f"versus: no {results_path}")

print()
for runner in ("fork", "pthread"):
    shm, pipe = versus.get(("same", runner, "shm"), []), versus.get(("same", runner, "pipe"), [])
    if shm and pipe:
        print(f"same, {runner}: shm p50 {median(shm)} µs against pipe {median(pipe)} µs: "
              f"{statistics.median(shm) / statistics.median(pipe):.2f}x")

if os.path.exists(sync_path):
    lost = {}
    with open(sync_path, newline="") as f:
        for row in csv.DictReader(f):
            lost.setdefault(row["runner"], []).append(row["lost_updates"] if row["status"] == "ok" else row["status"])
    for runner, values in sorted(lost.items()):
        print(f"sync primitive=none, spread, 2 {runner} workers: updates lost per repetition {', '.join(values)}")
EOF
echo
if [[ -f "$out/results.csv" ]]; then
  echo "versus results: $out"
elif [[ -z "${VERSUS_OUT:-}" ]]; then
  rm -rf "$out"  # the folder this script made, left without results
fi
exit "$failed"
