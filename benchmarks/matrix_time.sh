#!/usr/bin/env bash
# How long a preset takes here against what `--dry-run` said it would, and what it left: the
# statuses of its rows, and how long a repetition of the cells sized by time lasted.
#   benchmarks/matrix_time.sh                 # the full preset (half an hour on two cores)
#   PRESET=quick benchmarks/matrix_time.sh
#   SHARD=1/10 benchmarks/matrix_time.sh      # a tenth of it
# VERSUS_BUILD (default build) names the build; OUT (default a fresh folder under /tmp) keeps the
# results; ARGS adds options to the run (ARGS="--retries 0").
set -euo pipefail
cd "$(dirname "$0")/.."
build=${VERSUS_BUILD:-build}
preset=${PRESET:-full}
versus="$build/versus"
[[ -x $versus ]] || { echo "matrix_time.sh: $versus is missing: build it first (cmake --build $build)" >&2; exit 2; }
out=${OUT:-$(mktemp -d /tmp/versus-matrix-time.XXXXXX)/run}
args=(--preset "$preset")
[[ -n ${SHARD:-} ]] && args+=(--shard "$SHARD")
read -r -a extra <<<"${ARGS:-}"
args+=("${extra[@]}")
# The figures below read $out: one holding an earlier run's results would be reported as this one's.
[[ -e $out/results.csv ]] && { echo "matrix_time.sh: $out already holds results: give OUT a fresh folder" >&2; exit 2; }
mkdir -p "$(dirname "$out")"

plan=$(mktemp /tmp/versus-matrix-plan.XXXXXX)
trap 'rm -f "$plan"' EXIT
"$versus" run "${args[@]}" --dry-run >"$plan"
echo "machine: $(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "matrix: ${args[*]}, results in $out"
start=$(date +%s.%N)
status=0
"$versus" run "${args[@]}" --quiet --out "$out" >/dev/null 2>"$out.stderr" || status=$?
end=$(date +%s.%N)

python3 - "$plan" "$out/results.csv" "$start" "$end" "$status" <<'EOF'
import collections, csv, re, statistics, sys
plan, results, start, end, status = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
# A dry run's cell line: "  CELL  N x S s" and, for cells with warm-ups or probes, " + B s before".
line = re.compile(r"^  (\S+)  (\d+) x ([0-9.e+-]+) s(?: \+ ([0-9.e+-]+) s before)?$")
estimate, cells = 0.0, 0
for text in open(plan):
    m = line.match(text.rstrip("\n"))
    if m:
        cells += 1
        estimate += int(m[2]) * float(m[3]) + float(m[4] or 0)
took = end - start
print(f"cells: {cells}; estimated {estimate / 60:.1f} min, took {took / 60:.1f} min "
      f"(took/estimated {took / estimate:.2f}); versus exited {status}")
rows = list(csv.DictReader(open(results, newline="")))
print("rows: " + ", ".join(f"{n} {s}" for s, n in sorted(collections.Counter(r["status"] for r in rows).items())))
aside = sum(1 for r in rows if r.get("interfered"))
print(f"set aside for interference: {aside} of {len(rows)}")
bad = [r for r in rows if r["status"] in ("failed", "crashed", "timeout", "invalid")]
for r in bad[:10]:
    print(f"  {r['status']}: {r['cell']}: {r['message'][:160]}")
sized = [r for r in rows if r["status"] == "ok" and r.get("work_size") and not r.get("interfered")]
walls = [float(r["wall_s"]) for r in sized]
if walls:
    q = statistics.quantiles(walls, n=20)
    print(f"repetitions sized by time: {len(walls)}; wall_s median {statistics.median(walls):.3f} s, "
          f"5th percentile {q[0]:.3f} s, 95th {q[-1]:.3f} s")
def lasted(pick, what):
    got = sorted(float(r["wall_s"]) for r in sized if pick(r))
    if got:
        print(f"  {what}: {len(got)} repetitions, {got[0]:.3f} to {got[-1]:.3f} s, median {statistics.median(got):.3f} s")
lasted(lambda r: r["scenario"] == "cpu" and r["workers"] == "64", "cpu at 64 workers")
lasted(lambda r: r["scenario"] == "ipc" and "mode=pingpong" in r["params"] and "msg_size=1048576" in r["params"],
       "ipc pingpong, 1 MiB messages")
EOF
