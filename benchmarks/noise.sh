#!/usr/bin/env bash
# What the regression gate can see on this machine, measured with the ci preset:
#   0. the machine itself: a bare program (bare-pingpong, no versus code) run 30 times back to
#      back, one CPU: how far its figure moves with nothing of versus around it;
#   1. PAIRS back-to-back pairs of ci runs of one build: compare's exit status and the cells it
#      flags (a false alarm is any);
#   2. the second run of each pair with every ok wall_s multiplied by 1.10 (and by 1.05 under
#      --threshold 3%): the share of judged cells flagged regressed;
#   3. an A/B run (versus run --ab) of this build against itself: cells flagged;
#   4. an A/B run of a build whose pthread workers take 10% longer (VERSUS_TEST_DELAY_RUNNER)
#      against this one: pthread's cells flagged, and any other;
#   5. a ci run while a process spins on the last CPU: the warning line, rows set aside, and each
#      cell's median against the quiet first run's.
# Comparisons 1 to 4 are printed with compare's default margin and with --noise-floor 0.
#
#   benchmarks/noise.sh                 # builds build/ and build-delay/ (configures them if needed)
#   VERSUS_BUILD=dir benchmarks/noise.sh
#
# PAIRS (5) sets the pairs; VERSUS_OUT names the folder of the runs (default a new one under /tmp,
# kept). Exit 0 when everything ran, 1 when a run failed (said on stderr), 2 on bad settings.
set -u -o pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pairs=${PAIRS:-5}
[[ "$pairs" =~ ^[1-9][0-9]*$ ]] || { echo "noise.sh: PAIRS is a whole number of at least 1, not '$pairs'" >&2; exit 2; }
delay_build=$repo/build-delay
out=${VERSUS_OUT:-$(mktemp -d /tmp/versus-noise.XXXXXX)}
mkdir -p "$out" || exit 1
python=$(command -v python3) || { echo "noise.sh: no python3 to read the results" >&2; exit 1; }

spinner=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if [[ -n "$spinner" ]]; then
    kill "$spinner" 2>/dev/null
    wait "$spinner" 2>/dev/null
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

fail() {
  echo "noise.sh: $*" >&2
  exit 1
}

# shellcheck source=benchmarks/build_lib.sh
source "$repo/benchmarks/build_lib.sh"
prepare_build noise.sh versus versus-noop bare-pingpong >/dev/null || exit 1
[[ -x "$build/benchmarks/bare-pingpong" ]] || cmake --build "$build" -j2 --target bare-pingpong >/dev/null ||
  fail "could not build bare-pingpong in $build"
cmake -S "$repo" -B "$delay_build" -DCMAKE_BUILD_TYPE=Release -DVERSUS_TEST_DELAY_RUNNER=pthread >/dev/null &&
  cmake --build "$delay_build" -j2 --target versus versus-noop >/dev/null || fail "could not build $delay_build"
versus=$build/versus

ci_run() {  # folder [extra args...]
  local dir=$1
  shift
  "$versus" run --preset ci --quiet "$@" --out "$dir" >"$dir.log" 2>&1 || fail "ci run into $dir failed: see $dir.log"
}

# Compares two folders as JSON and prints "flagged F of J judged: cells..." (only cells whose
# name matches $3, when given, count towards F; the others flagged are listed apart).
judge() {  # baseline current [compare args...]
  local a=$1 b=$2
  shift 2
  "$versus" compare "$a" "$b" --format json "$@" >"$b.compare.json" 2>/dev/null
  local status=$?
  ((status == 2)) && fail "compare $a $b: bad input"
  "$python" - "$b.compare.json" "$status" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
judged = [x for x in c["cells"] if x["verdict"] in ("regressed", "improved", "unchanged")]
flagged = [x for x in judged if x["verdict"] == "regressed"]
detect = sorted(x["detectable"] for x in judged if x.get("detectable") is not None)
median = detect[len(detect) // 2] if detect else float("nan")
names = ", ".join(x["cell"].split("/array_bytes")[0][:60] for x in flagged[:6])
print(f"exit {sys.argv[2]}: {len(flagged)} of {len(judged)} judged cells regressed; median detectable "
      f"{100 * median:.1f}%{': ' + names if names else ''}")
EOF
}

scaled() {  # from to factor: a copy of `from` with every ok wall_s times factor
  mkdir -p "$2" && cp "$1/env.json" "$2/" && "$python" - "$1/results.csv" "$2/results.csv" "$3" <<'EOF'
import csv, sys
with open(sys.argv[1], newline="") as f:
    rows = list(csv.DictReader(f))
with open(sys.argv[2], "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=rows[0].keys(), lineterminator="\n")
    w.writeheader()
    for r in rows:
        if r["status"] == "ok" and r["wall_s"]:
            r["wall_s"] = repr(float(r["wall_s"]) * float(sys.argv[3]))
        w.writerow(r)
EOF
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "runs in $out"
echo
echo "0. the machine: bare-pingpong (64 B, both ends threads on CPU 0) 30 times back to back"
bare=$(for ((i = 0; i < 30; i++)); do
  timeout 30 "$build/benchmarks/bare-pingpong" --ends thread --cpus 0,0 --size 64 --rounds 10000 --warmup 500 || exit 1
done) || fail "bare-pingpong failed"
"$python" -c '
import re, statistics, sys
p50 = sorted(float(m.group(1)) for m in re.finditer(r"p50_us=([0-9.]+)", sys.stdin.read()))
if len(p50) != 30:
    sys.exit(f"noise.sh: bare-pingpong printed {len(p50)} p50 figures of 30")
slow = sum(v > 1.1 * p50[0] for v in p50)
print(f"  p50 round trip: fastest {p50[0]:.2f} us, median {statistics.median(p50):.2f}, slowest {p50[-1]:.2f} "
      f"({p50[-1] / p50[0]:.2f}x); {slow} of {len(p50)} runs more than 10% above the fastest")' <<<"$bare" || exit 1

echo
echo "1. back-to-back pairs of ci runs, one build (default margin | --noise-floor 0)"
for ((i = 1; i <= pairs; i++)); do
  ci_run "$out/pair$i-a"
  ci_run "$out/pair$i-b"
  echo "  pair $i: $(judge "$out/pair$i-a" "$out/pair$i-b") | $(judge "$out/pair$i-a" "$out/pair$i-b" --noise-floor 0)"
done

# How far a cell's figures move between two runs of one build: the median (what compare judges)
# and the fastest repetition (the machine's fast state, which an interference-free figure tends
# to); and whether CPU time is steadier than wall time within a run, which would make it the
# better measure for the gate. Spreads as the unstable rule takes them (quartiles interpolated).
"$python" - "$out" "$pairs" <<'EOF'
import csv, statistics, sys
def clean(path, measure):
    by = {}
    for r in csv.DictReader(open(path, newline="")):
        if r["status"] == "ok" and not r.get("interfered"):
            by.setdefault(r["cell"], []).append(measure(r))
    return by
def spread(values):
    q = statistics.quantiles(values, n=4, method="inclusive")
    return (q[2] - q[0]) / statistics.median(values)
wall = lambda r: float(r["wall_s"])
cpu = lambda r: float(r["cpu_user_s"] or 0) + float(r["cpu_sys_s"] or 0)
for i in range(1, int(sys.argv[2]) + 1):
    a, b = clean(f"{sys.argv[1]}/pair{i}-a/results.csv", wall), clean(f"{sys.argv[1]}/pair{i}-b/results.csv", wall)
    cells = [c for c in a if c in b]
    moved = lambda f: sum(abs(f(b[c]) / f(a[c]) - 1) > 0.05 for c in cells)
    cpu_a = clean(f"{sys.argv[1]}/pair{i}-a/results.csv", cpu)
    within = lambda by: 100 * statistics.median(spread(v) for v in by.values() if len(v) >= 3 and min(v) > 0)
    print(f"  pair {i}: cells whose median moved more than 5%: {moved(statistics.median)} of {len(cells)}; "
          f"whose fastest repetition did: {moved(min)}; within the first run, median spread (IQR over "
          f"median) of wall time {within(a):.1f}%, of CPU time {within(cpu_a):.1f}%")
EOF

echo
echo "2. the second run of each pair slowed on paper"
for ((i = 1; i <= pairs; i++)); do
  scaled "$out/pair$i-b" "$out/pair$i-b110" 1.10
  scaled "$out/pair$i-b" "$out/pair$i-b105" 1.05
  echo "  pair $i x1.10: $(judge "$out/pair$i-a" "$out/pair$i-b110")"
  echo "  pair $i x1.05, --threshold 3%: $(judge "$out/pair$i-a" "$out/pair$i-b105" --threshold 3%)"
done

echo
echo "3. A/B of this build against itself"
"$versus" run --ab "$versus" --preset ci --quiet --out "$out/ab-self" >"$out/ab-self.log" 2>&1 || fail "see $out/ab-self.log"
echo "  default margin: $(judge "$out/ab-self/old" "$out/ab-self/new")"
echo "  --noise-floor 0: $(judge "$out/ab-self/old" "$out/ab-self/new" --noise-floor 0)"

echo
echo "4. A/B of a build whose pthread workers take 10% longer, against this one"
"$delay_build/versus" run --ab "$versus" --preset ci --quiet --out "$out/ab-delay" >"$out/ab-delay.log" 2>&1 ||
  fail "see $out/ab-delay.log"
echo "  default margin: $(judge "$out/ab-delay/old" "$out/ab-delay/new")"
echo "  --noise-floor 0: $(judge "$out/ab-delay/old" "$out/ab-delay/new" --noise-floor 0)"
"$python" - "$out/ab-delay/new.compare.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
for runner in ("pthread", "others"):
    cells = [x for x in c["cells"] if (x["cell"].split("/")[1] == "pthread") == (runner == "pthread")]
    flagged = sum(x["verdict"] == "regressed" for x in cells)
    print(f"  with --noise-floor 0, {runner}: {flagged} of {len(cells)} cells regressed")
EOF

echo
echo "5. a ci run while a process spins on the last CPU"
last_cpu=$(($(nproc) - 1))
taskset -c "$last_cpu" bash -c 'while :; do :; done' &
spinner=$!
sleep 1
"$versus" run --preset ci --quiet --out "$out/busy" >"$out/busy.log" 2>"$out/busy.err" || fail "see $out/busy.log"
cleanup
spinner=""
grep -m1 "warning" "$out/busy.err" | sed 's/^/  /' || echo "  (no warning line)"
"$python" - "$out/pair1-a/results.csv" "$out/busy/results.csv" <<'EOF'
import csv, statistics, sys
def clean(path):
    by = {}
    aside = 0
    for r in csv.DictReader(open(path, newline="")):
        if r["status"] != "ok":
            continue
        if r.get("interfered"):
            aside += 1
            continue
        by.setdefault(r["cell"], []).append(float(r["wall_s"]))
    return {c: statistics.median(v) for c, v in by.items()}, aside
quiet, _ = clean(sys.argv[1])
busy, aside = clean(sys.argv[2])
rows = list(csv.DictReader(open(sys.argv[2], newline="")))
interfered = [r for r in rows if r.get("interfered")]
print(f"  rows set aside: {aside} of {len(rows)}; retried repetitions' rows are all kept")
ratios = sorted((busy[c] / quiet[c], c) for c in busy if c in quiet)
near = sum(abs(r - 1) <= 0.05 for r, _ in ratios)
print(f"  cells whose clean median is within 5% of the quiet run's: {near} of {len(ratios)}")
for r, c in ratios[-3:]:
    print(f"    {r:.2f}x  {c.split('/array_bytes')[0][:70]}")
EOF
