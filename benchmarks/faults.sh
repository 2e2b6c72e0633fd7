#!/usr/bin/env bash
# A campaign of faults and bad input against the built versus, each case checked the way a user
# would see it: the exit status, the status of every row in results.csv, the rows kept, and what
# was left behind (processes of the run, /dev/shm/versus.*, /dev/mqueue/versus.*, versus.* under
# /tmp or under the TMPDIR the run was given). Cases:
#    1. kill -9 of a fork worker in the 1st, 3rd and 5th repetition of an ipc cell;
#    2. SIGSTOP of a fork worker under a short --cell-timeout;
#    3. SIGINT to versus early, mid-matrix and in the last repetition, in Google Benchmark's order
#       and interleaved, each followed by `versus run --resume`;
#    4. a real redis-server (started here on 127.0.0.1) killed while a redis cell talks to it;
#    5. `ulimit -n 64` and a redis cell with 64 workers;
#    6. a full disk under --out (a 64 KiB tmpfs), then `versus report` on what was written;
#    7. `versus report` into a read-only results folder;
#    8. two runs into one --out at once;
#    9. bad values into compare, merge and run;
#   10. a header-only results.csv given to `versus report`;
#   11. kill -9 of versus itself mid-repetition, then another run, which removes what it left.
# One line per case: what happened | rows kept | left behind => `ok: ...`, `FAIL: why` or
# `skip: why`; then a tally.
#
#   benchmarks/faults.sh                  # builds build/ first (configures it if needed)
#   VERSUS_BUILD=dir benchmarks/faults.sh # uses dir/versus as it is
#
# VERSUS_OUT names a folder to keep the runs' output folders and logs in, one per case named by
# its number (replaced when there; default: a temporary folder, removed at the end). Case 6 mounts
# a tmpfs and case 7 a read-only bind mount (chmod does not stop root), which need root: where
# mounting is refused the case says so and is skipped; case 7 without root uses chmod instead.
# About two minutes on two cores. Exit 0 when no case failed, 1 when one did, 2 on
# bad settings.
set -u -o pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Every call of versus runs under this limit (seconds), so the campaign ends even if one hangs.
limit_s=120

# shellcheck source=benchmarks/build_lib.sh
source "$repo/benchmarks/build_lib.sh"
prepare_build faults.sh versus || exit 2
versus=$(cd "$build" 2>/dev/null && pwd)/versus
[[ -x "$versus" ]] || { echo "faults.sh: no $build/versus; build it or set VERSUS_BUILD" >&2; exit 2; }

# scratch: mount points and each case's TMPDIR, always removed. runs: the output folders.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/versus-faults.XXXXXX") || { echo "faults.sh: mktemp failed" >&2; exit 2; }
if [[ -n "${VERSUS_OUT:-}" ]]; then
  runs=$VERSUS_OUT
  mkdir -p "$runs" || { echo "faults.sh: cannot make $runs" >&2; exit 2; }
else
  runs=$scratch/runs
  mkdir -p "$runs"
fi

# Every process a versus run starts inherits this variable (its value names the case), so what
# is left of a run can be found however it left its parent or its process group.
mark_var=VERSUS_FAULTS
mark_prefix="$$"

# What the script started, ended however the script ends.
started=()   # pids of `timeout` wrappers and servers
mounted=()   # mount points, unmounted last first
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  local pid i
  for pid in "${started[@]}"; do
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${started[@]}"; do wait "$pid" 2>/dev/null; done
  # Whatever a run left, stopped ones included (SIGKILL ends those too).
  for pid in $(marked_processes "$mark_prefix" prefix); do kill -KILL "$pid" 2>/dev/null; done
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null; done
  chmod -R u+w "$scratch" 2>/dev/null
  rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Reading results.csv, following a run's processes, what was left, one line per case.
# shellcheck source=benchmarks/faults_lib.sh
source "$repo/benchmarks/faults_lib.sh"

# ---------------------------------------------------------------------------------------------
# The cases.

# ipc over shared memory, one pair of fork workers (two processes), long enough per repetition
# (some 0.5 s here) to be caught; then a cpu cell that must run whole whatever happened before.
ipc_then_cpu=(--scenario "ipc,cpu" --runner fork --workers 1 --set mode=pingpong --set channel=shm
  --set round_trips=200000 --set count=20000 --retries 0 --system-check 0 --quiet)

# Sends `signal` to a worker of repetition k (1-based) of the current run, once it is in its
# measured phase.
signal_worker() {  # signal k what
  if wait_for_repetition "$2" 60 && wait_for_worker; then
    sleep 0.1  # into the measured phase
    kill "-$1" "$worker_pid" 2>/dev/null || problem "worker $worker_pid was gone before SIG$1"
  else
    problem "repetition $2 of the $3 cell was never seen running"
  fi
}

# After a fault in repetition k (1-based) of the `faulty` scenario's cell: the repetitions
# before it ok, it `status` (and not "not run"), those after it "not run", the other cell's all
# ok, and each repetition of the two cells once.
check_fault_rows() {  # csv faulty k status reps
  local csv=$1 faulty=$2 idx=$(($3 - 1)) want=$4 scen rep st msg
  while IFS=$'\t' read -r scen rep st msg; do
    if [[ $scen == "$faulty" ]]; then
      if ((rep < idx)); then [[ $st == ok ]] || problem "$faulty repetition $rep is $st: $msg"
      elif ((rep == idx)); then [[ $st == "$want" && $msg != "not run"* ]] || problem "$faulty repetition $rep (the faulty one) is $st: $msg"
      else [[ $msg == "not run"* ]] || problem "$faulty repetition $rep, after the faulty one, is $st: $msg"
      fi
    else
      [[ $st == ok ]] || problem "$scen repetition $rep is $st: $msg"
    fi
  done < <(csv_select "$csv" scenario repetition status message 2>/dev/null)
  local wrong
  wrong=$(check_each_repetition_once "$csv" 2 "$5")
  [[ -n "$wrong" ]] && problem "$wrong"
}

case_kill_worker() {  # sub-case repetition (1-based, of 5)
  local k=$2 reps=5
  case_begin "1.$1" "kill -9 of a fork worker in repetition $k of $reps of an ipc cell"
  start_versus "$out.log" run "${ipc_then_cpu[@]}" --repetitions "$reps" --cell-timeout 30 --out "$out"
  signal_worker KILL "$k" ipc
  finish_versus
  expect_status 0 "the run"
  happened="exit $status; $(rows_per_status "$out/results.csv")"
  kept="$(rows_in "$out/results.csv") rows"
  check_fault_rows "$out/results.csv" ipc "$k" crashed "$reps"
  case_end
}

case_stop_worker() {
  local reps=3
  case_begin 2 "SIGSTOP of a fork worker in repetition 2 of $reps of a selftest cell, --cell-timeout 3"
  # Workers that sleep 500 ms: their time holds on a busy machine, far under the limit.
  start_versus "$out.log" run --scenario "selftest,cpu" --runner fork --workers 2 --set work_ms=500 \
    --set count=20000 --repetitions "$reps" --retries 0 --cell-timeout 3 --system-check 0 --quiet --out "$out"
  signal_worker STOP 2 selftest
  finish_versus
  expect_status 0 "the run"
  happened="exit $status; $(rows_per_status "$out/results.csv")"
  kept="$(rows_in "$out/results.csv") rows"
  check_fault_rows "$out/results.csv" selftest 2 timeout "$reps"
  case_end
}

# 4 cells x 3 repetitions of 400 ms workers: 12 repetition processes, about 6 s in all.
case_interrupt() {  # sub-case; at: the repetition (1..12) SIGINT comes in; where: its name; order
  local at=$2 where=$3 order=$4 cells=4 reps=3
  local extra=()
  [[ $order == interleaved ]] && extra=(--benchmark_enable_random_interleaving=true)
  case_begin "3.$1" "SIGINT to versus $where (repetition $at of 12), $order, then --resume"
  start_versus "$out.log" run --scenario selftest --runner serial,fork --workers 1,2 --set work_ms=400 \
    --repetitions "$reps" --retries 0 --cell-timeout 20 --system-check 0 --quiet --out "$out" "${extra[@]}"
  if wait_for_repetition "$at" 60; then
    sleep 0.1
    kill -INT "$versus_pid" 2>/dev/null || problem "versus was gone before SIGINT"
  else
    problem "repetition $at was never seen running"
  fi
  finish_versus
  expect_status 130 "the interrupted run"
  grep -q "interrupted by SIGINT" "$run_log" || problem "no 'interrupted by SIGINT' message"
  local csv=$out/results.csv before whole
  before=$(rows_in "$csv")
  # Only whole cells are kept when a run is stopped.
  whole=$(csv_select "$csv" cell 2>/dev/null | sort | uniq -c | awk -v r="$reps" '$1 != r { bad++ } END { print bad + 0 }')
  ((whole == 0)) || problem "$whole cells kept with fewer or more than $reps rows after the interrupt"
  local first=$status
  run_versus "$out.resume.log" run --resume "$out" --quiet
  expect_status 0 "the resume"
  happened="exit $first with $before rows, resume exit $status; $(rows_per_status "$csv")"
  kept="$(rows_in "$csv") rows"
  local wrong
  wrong=$(check_each_repetition_once "$csv" "$cells" "$reps")
  [[ -n "$wrong" ]] && problem "$wrong"
  local not_ok
  not_ok=$(csv_select "$csv" status | grep -cvx ok)
  ((not_ok == 0)) || problem "$not_ok rows not ok"
  case_end
}

# A free port on 127.0.0.1, as the kernel picks one.
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + RANDOM % 20000))
}

# Answers PONG within a second?
redis_answers() {  # port
  local reply=""
  { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  read -r -t 1 reply <&3
  exec 3>&-
  [[ $reply == +PONG* ]]
}

case_redis_killed() {
  local reps=3 redis=/usr/bin/redis-server port redis_pid i
  case_begin 4 "redis-server killed (SIGKILL) in repetition 2 of $reps of a redis cell"
  [[ -x $redis ]] || { case_skip "no $redis"; return; }
  port=$(free_port)
  # Loopback only, nothing saved, nothing appended: nothing of it outlives the case.
  "$redis" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no --loglevel warning \
    >"$out.redis.log" 2>&1 &
  redis_pid=$!
  started+=("$redis_pid")
  for ((i = 0; i < 100; i++)); do redis_answers "$port" && break; sleep 0.05; done
  if ! redis_answers "$port"; then
    kill -KILL "$redis_pid" 2>/dev/null
    wait "$redis_pid" 2>/dev/null
    forget "$redis_pid"
    case_skip "redis-server did not answer on 127.0.0.1:$port"
    return
  fi
  start_versus "$out.log" run --scenario redis,cpu --runner fork --workers 4 --set keys=1000 --set requests=60000 \
    --set server="127.0.0.1:$port" --set count=20000 --repetitions "$reps" --retries 0 --cell-timeout 30 \
    --system-check 0 --quiet --out "$out"
  if wait_for_repetition 2 60 && wait_for_worker; then
    sleep 0.3  # the workers connected and asking
  else
    problem "repetition 2 of the redis cell was never seen running"
  fi
  kill -KILL "$redis_pid" 2>/dev/null
  wait "$redis_pid" 2>/dev/null
  forget "$redis_pid"
  finish_versus
  expect_status 0 "the run"
  local csv=$out/results.csv scen rep st msg
  happened="exit $status; $(rows_per_status "$csv")"
  kept="$(rows_in "$csv") rows"
  while IFS=$'\t' read -r scen rep st msg; do
    if [[ $scen == redis ]]; then
      if ((rep == 0)); then [[ $st == ok ]] || problem "redis repetition 0, before the kill, is $st: $msg"
      elif [[ $st != failed && $st != crashed ]]; then problem "redis repetition $rep, after the kill, is $st"
      elif [[ -z $msg ]]; then problem "redis repetition $rep is $st with no reason"
      fi
    else
      [[ $st == ok ]] || problem "$scen repetition $rep is $st: $msg"
    fi
  done < <(csv_select "$csv" scenario repetition status message 2>/dev/null)
  local wrong
  wrong=$(check_each_repetition_once "$csv" 2 "$reps")
  [[ -n "$wrong" ]] && problem "$wrong"
  local reason
  reason=$(csv_select "$csv" scenario repetition message 2>/dev/null | awk -F'\t' '$1 == "redis" && $2 == 1 { print $3 }')
  [[ -n "$reason" ]] && happened="$happened (\"${reason:0:60}\")"
  if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then problem "something still listens on port $port"; fi
  case_end
}

case_fd_limit() {
  case_begin 5 "ulimit -n 64, a redis cell with 64 fork workers"
  # As root versus may raise a hard limit itself; without CAP_SYS_RESOURCE, as any user, it may not.
  local drop=()
  if ((EUID == 0)) && command -v setpriv >/dev/null; then
    drop=(setpriv --inh-caps=-sys_resource --bounding-set=-sys_resource --)
  fi
  local csv=$out/results.csv
  (
    ulimit -n 64 || exit 125
    exec env TMPDIR="$case_tmp" "$mark_var=$mark" timeout --kill-after=5 60 "${drop[@]}" "$versus" run --scenario redis \
      --runner fork --workers 64 --set keys=100 --set requests=1000 --repetitions 1 --system-check 0 --quiet --out "$out"
  ) >"$out.log" 2>&1 &
  run_pid=$!
  started+=("$run_pid")
  run_log=$out.log
  finish_versus
  if ((status == 125)); then case_skip "ulimit -n 64 refused"; return; fi
  ((status == 124 || status == 137)) && problem "versus hung (ended by timeout)"
  # README: 3 when rows were written but none is ok (nothing was measured).
  expect_status 3 "the run"
  happened="exit $status; $(rows_per_status "$csv")"
  kept="$(rows_in "$csv") rows"
  local st msg
  IFS=$'\t' read -r st msg < <(csv_select "$csv" status message 2>/dev/null)
  [[ ${st:-} == unsupported ]] || problem "the row is ${st:-missing}, expected unsupported"
  [[ ${msg:-} == *RLIMIT_NOFILE* ]] || problem "the message does not name RLIMIT_NOFILE: ${msg:-none}"
  [[ -n ${msg:-} ]] && happened="$happened (\"${msg:0:70}\")"
  ok_text="unsupported, named, no hang, nothing left"
  case_end
}

# Mounts a tmpfs of `size` at `dir`; fails (saying nothing) where mounting is refused.
mount_tmpfs() {  # dir size
  mkdir -p "$1" && mount -t tmpfs -o "size=$2,mode=0755" tmpfs "$1" 2>/dev/null || return 1
  mounted+=("$1")
}

unmount() {  # dir
  umount "$1" 2>/dev/null || umount -l "$1" 2>/dev/null
  local i
  for i in "${!mounted[@]}"; do [[ ${mounted[i]} == "$1" ]] && unset 'mounted[i]'; done
  mounted=("${mounted[@]}")
}

# Whole rows only: every row has the header's field count and the file ends with a line break.
check_whole_rows() {  # csv
  [[ -f "$1" ]] || return 0
  local shape bad
  shape=$(csv_select "$1")
  bad=$(awk '{ print $6 }' <<<"$shape")
  ((${bad:-0} == 0)) || problem "results.csv has $bad rows of another field count than the header's"
  [[ ! -s "$1" || $(tail -c 1 "$1" | od -An -c | tr -d ' ') == '\n' ]] || problem "results.csv does not end with a line break"
}

valid_json_or_absent() {  # file
  [[ -e "$1" ]] || return 0
  /usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null || problem "$(basename "$1") is not valid JSON"
}

case_full_disk() {
  case_begin 6 "--out on a full disk (a 64 KiB tmpfs), then versus report on it"
  local disk=$scratch/full
  mount_tmpfs "$disk" 64k || { case_skip "mounting a tmpfs was refused (needs root)"; return; }
  local dir=$disk/out csv=$disk/out/results.csv
  # 4 cells x 60 repetitions of a worker that does nothing: some 100 KB of rows, more than fits.
  run_versus "$out.log" run --scenario selftest --runner serial --workers 1 --set work_ms=0 \
    --set fault_worker=1,2,3,4 --repetitions 60 --retries 0 --system-check 0 --quiet --out "$dir"
  # README: 1 when results cannot be written, every whole row kept.
  expect_status 1 "the run"
  grep -q "No space left on device" "$run_log" || problem "no message naming the full disk"
  no_traceback "$run_log" "the run"
  check_whole_rows "$csv"
  valid_json_or_absent "$dir/env.json"
  valid_json_or_absent "$dir/matrix.json"
  local partial
  partial=$(find "$dir" -name '*.partial' 2>/dev/null | head -3)
  [[ -n "$partial" ]] && problem "half-written files left: $partial"
  local run_status=$status
  run_versus "$out.report.log" report "$dir"
  [[ $status == 1 || $status == 2 ]] || problem "report exited $status, expected 1 or 2"
  no_traceback "$run_log" "report"
  happened="run exit $run_status (\"$(grep -m1 -o 'No space left on device' "$out.log")\"), $(rows_per_status "$csv"); report exit $status (\"$(first_line "$run_log" 110)\")"
  kept="$(rows_in "$csv") whole rows"
  unmount "$disk"
  ok_text="failed cleanly, whole rows only, nothing left"
  case_end
}

case_read_only_report() {
  case_begin 7 "versus report into a read-only results folder"
  [[ -f "$fixture/results.csv" ]] || { problem "no fixture run to copy"; case_end; return; }
  local copy=$scratch/ro-copy view=$scratch/ro
  cp -r "$fixture" "$copy"
  rm -rf "$copy/plots" "$copy/report.html" "$copy/report.md"
  if ((EUID == 0)); then
    # chmod does not stop root: a read-only bind mount does.
    mkdir -p "$view"
    if ! mount --bind "$copy" "$view" 2>/dev/null; then case_skip "bind mount refused"; return; fi
    mounted+=("$view")
    if ! mount -o remount,bind,ro "$view" 2>/dev/null; then unmount "$view"; case_skip "read-only remount refused"; return; fi
  else
    chmod -R a-w "$copy"
    view=$copy
  fi
  local before after
  before=$(cd "$copy" && find . -printf '%p %s\n' | sort)
  run_versus "$out.log" report "$view"
  expect_status 1 "report"
  no_traceback "$run_log" "report"
  after=$(cd "$copy" && find . -printf '%p %s\n' | sort)
  [[ "$before" == "$after" ]] || problem "the folder changed: $(diff <(echo "$before") <(echo "$after") | grep '^>' | head -3 | tr '\n' ' ')"
  happened="report exit $status (\"$(first_line "$run_log" 90)\")"
  kept="the folder as it was"
  ((EUID == 0)) && unmount "$view"
  ok_text="refused with a message, nothing written"
  case_end
}

case_two_runs() {
  case_begin 8 "two runs into one --out at once"
  local csv=$out/results.csv first_pid
  # 2 cells x 4 repetitions of 200 ms: some 2 s, time for the second run to try.
  start_versus "$out.log" run --scenario selftest --runner serial,fork --workers 1 --set work_ms=200 \
    --repetitions 4 --retries 0 --cell-timeout 20 --system-check 0 --quiet --out "$out"
  first_pid=$versus_pid
  local first_run=$run_pid first_log=$run_log first_watcher=$watcher
  wait_for_repetition 2 60 || problem "the first run was never seen running"
  run_versus "$out.second.log" run --scenario cpu --runner serial --workers 1 --set count=1000 --repetitions 1 \
    --system-check 0 --quiet --out "$out"
  local second=$status
  ((second == 2)) || problem "the second run exited $second, expected 2"
  grep -q "in use by another versus run or merge (pid $first_pid" "$out.second.log" ||
    problem "the second run did not name the holder (pid $first_pid): $(first_line "$out.second.log")"
  run_pid=$first_run
  run_log=$first_log
  watcher=$first_watcher
  finish_versus
  expect_status 0 "the first run"
  happened="second exit $second (\"$(grep -o 'is in use by another versus run or merge (pid [0-9]*' "$out.second.log")\"), first exit $status; $(rows_per_status "$csv")"
  kept="$(rows_in "$csv") rows"
  check_whole_rows "$csv"
  local wrong
  wrong=$(check_each_repetition_once "$csv" 2 4)
  [[ -n "$wrong" ]] && problem "$wrong"
  # Not interleaved: each cell's rows together, and none of the second run's.
  local runs_of_cells
  runs_of_cells=$(csv_select "$csv" cell 2>/dev/null | uniq | wc -l)
  ((runs_of_cells == 2)) || problem "rows of the two cells are interleaved ($runs_of_cells runs of rows)"
  csv_select "$csv" scenario 2>/dev/null | grep -qvx selftest && problem "rows of the second run are in results.csv"
  ok_text="refused, first run whole, nothing left"
  case_end
}

# versus itself killed outright: nothing of it can remove what its repetition made. Its
# processes die with it (each dies with its parent); the message queues and the temporary folder
# of the repetition stay until the next run, which removes those of repetitions whose process
# group is gone and whose record is older than a few seconds (made so here with touch).
case_versus_killed() {
  case_begin 11 "kill -9 of versus itself in an mq ipc cell, then another run"
  start_versus "$out.log" run --scenario ipc --runner fork --workers 1 --set channel=mq --set mode=pingpong \
    --set round_trips=200000 --repetitions 3 --retries 0 --cell-timeout 30 --system-check 0 --quiet --out "$out"
  if wait_for_repetition 1 60 && wait_for_worker; then
    sleep 0.2
    kill -KILL "$versus_pid" 2>/dev/null || problem "versus $versus_pid was gone before the kill"
  else
    problem "the ipc cell's repetition was never seen running"
  fi
  finish_versus
  local killed=$status i
  for ((i = 0; i < 100; i++)); do
    [[ -z "$(marked_processes "$mark")" ]] && break
    sleep 0.05
  done
  local left_by_kill
  left_by_kill=$(comm -13 <(echo "$names_before") <(name_places | sort) | grep -c .)
  touch -h -d "1 hour ago" "$case_tmp"/versus.* 2>/dev/null
  run_versus "$out.next.log" run --scenario cpu --runner serial --workers 1 --set count=1000 --repetitions 1 \
    --system-check 0 --quiet --out "$out.next"
  expect_status 0 "the next run"
  local removed
  removed=$(grep -o "removed what [0-9]* repetition(s) of runs that ended abruptly" "$out.next.log")
  if ((left_by_kill > 0)); then
    [[ -n "$removed" ]] || problem "the next run did not say it removed the killed run's $left_by_kill names"
  fi
  happened="killed run exit $killed, left $left_by_kill names; next run exit $status (\"${removed:-nothing to remove}\")"
  kept="$(rows_in "$out/results.csv") rows of the killed run"
  ok_text="its processes died with it, the next run removed what it left"
  case_end
}

# Bad input: exit 2, a message, nothing written.
expect_refused() {  # what log [folder that must stay absent or empty]
  expect_status 2 "$1"
  no_traceback "$2" "$1"
  if [[ -n "${3:-}" && -e "$3" ]] && [[ -n "$(ls -A "$3" 2>/dev/null)" ]]; then
    problem "$3 was written: $(find "$3" -mindepth 1 -printf "%f ")"
  fi
  happened="exit $status (\"$(first_line "$2" 110)\")"
  kept="nothing"
  ok_text="refused, nothing written"
}

case_compare_bad_values() {
  case_begin 9.1 "compare: NaN and negative wall_s on ok rows"
  [[ -f "$fixture/results.csv" ]] || { problem "no fixture run"; case_end; return; }
  local bad=$out
  mkdir -p "$bad"
  cp "$fixture/env.json" "$fixture/matrix.json" "$bad/"
  # The first ok row's wall_s NaN, the second's negative; the column found by name.
  awk -F, -v OFS=, '
    NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "wall_s") w = i; if ($i == "status") s = i }; fields = NF; print; next }
    NF == fields && $s == "ok" && n < 2 { $w = (n++ == 0 ? "nan" : "-0.5") }
    { print }' "$fixture/results.csv" >"$bad/results.csv"
  run_versus "$out.log" compare "$fixture" "$bad"
  expect_refused "compare" "$run_log"
  case_end

  case_begin 9.2 "compare: two runs with no cell in common"
  run_versus "$out.log" compare "$fixture" "$fixture_other"
  expect_refused "compare" "$run_log"
  grep -q "no cell in common" "$run_log" || problem "the message does not say the runs share no cell"
  case_end
}

case_merge_bad_values() {
  case_begin 9.3 "merge: shards of different matrices"
  local shards=$runs/9.3-shards
  rm -rf "$shards"
  local matrix=(run --scenario cpu --runner "serial,fork" --workers 1 --set count=1000 --system-check 0 --quiet)
  run_versus "$out.a.log" "${matrix[@]}" --repetitions 1 --shard 1/2 --out "$shards/a"
  local a=$status
  run_versus "$out.b.log" "${matrix[@]}" --repetitions 2 --shard 2/2 --out "$shards/b"
  if ((a != 0 || status != 0)); then
    problem "the shards did not run (exit $a and $status)"
    case_end
    return
  fi
  run_versus "$out.log" merge "$shards/a" "$shards/b" -o "$out"
  expect_refused "merge" "$run_log" "$out"
  grep -q "was run with another matrix" "$run_log" || problem "the message does not say the matrices differ"
  grep -q "repetitions" "$run_log" || problem "the message does not name the difference (repetitions)"
  happened="exit $status (\"$(grep -o 'another matrix[^,]*' "$run_log" | head -1)\")"
  case_end
}

case_run_bad_values() {
  # what | arguments | what the message must name
  local -a bad_runs=(
    "--cell-timeout nan|--scenario cpu --runner serial --cell-timeout nan|'nan' is not accepted"
    "--cell-timeout inf|--scenario cpu --runner serial --cell-timeout inf|'inf' is not accepted"
    "--benchmark_filter matching nothing|--scenario cpu --runner serial --benchmark_filter=no-such-cell|selects none"
    "an unknown scenario|--scenario no-such-scenario --runner serial|unknown scenario 'no-such-scenario'"
  )
  local entry what rest args named i=4
  for entry in "${bad_runs[@]}"; do
    what=${entry%%|*}
    rest=${entry#*|}
    named=${rest#*|}
    read -r -a args <<<"${rest%%|*}"
    case_begin "9.$i" "run: $what"
    run_versus "$out.log" run "${args[@]}" --workers 1 --set count=1000 --repetitions 1 --system-check 0 --quiet \
      --out "$out"
    expect_refused "run" "$run_log" "$out"
    if grep -qF -- "$named" "$run_log"; then
      happened="exit $status (\"$(grep -m1 -F -- "$named" "$run_log" | sed 's/^ *//' | cut -c1-110)\")"
    else
      problem "the message does not say \"$named\""
    fi
    case_end
    ((i++))
  done
}

case_header_only_report() {
  case_begin 10 "versus report on a header-only results.csv"
  [[ -f "$fixture/results.csv" ]] || { problem "no fixture run"; case_end; return; }
  mkdir -p "$out"
  cp "$fixture/env.json" "$fixture/matrix.json" "$out/"
  head -n 1 "$fixture/results.csv" >"$out/results.csv"
  run_versus "$out.log" report "$out"
  expect_refused "report" "$run_log"
  case_end
}

# ---------------------------------------------------------------------------------------------

echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r); versus: $versus"
echo "runs in $runs$([[ -z "${VERSUS_OUT:-}" ]] && echo " (removed at the end)")"
start=$SECONDS

# Two small finished runs the bad-input cases start from: cpu cells, and selftest cells.
mark="$mark_prefix.0"
case_tmp=$scratch/tmp-0
groups_file=$scratch/groups-0
: >"$groups_file"
mkdir -p "$case_tmp"
fixture=$runs/fixture-cpu
fixture_other=$runs/fixture-selftest
rm -rf "$fixture" "$fixture_other"
run_versus "$runs/fixture-cpu.log" run --scenario cpu --runner serial,fork --workers 1 --set count=1000 \
  --repetitions 3 --system-check 0 --quiet --out "$fixture"
((status == 0)) || echo "fixture run failed (exit $status): see $runs/fixture-cpu.log"
run_versus "$runs/fixture-selftest.log" run --scenario selftest --runner serial --workers 1 --set work_ms=1 \
  --repetitions 2 --system-check 0 --quiet --out "$fixture_other"
((status == 0)) || echo "fixture run failed (exit $status): see $runs/fixture-selftest.log"

case_kill_worker 1 1
case_kill_worker 2 3
case_kill_worker 3 5
case_stop_worker
case_interrupt 1 1 early in-order
case_interrupt 2 6 mid-matrix in-order
case_interrupt 3 12 "in the last repetition" in-order
case_interrupt 4 1 early interleaved
case_interrupt 5 6 mid-matrix interleaved
case_interrupt 6 12 "in the last repetition" interleaved
case_redis_killed
case_fd_limit
case_full_disk
case_read_only_report
case_two_runs
case_compare_bad_values
case_merge_bad_values
case_run_bad_values
case_header_only_report
case_versus_killed

echo "tally: $passed ok, $failed FAIL, $skipped skipped, in $((SECONDS - start)) s"
((failed == 0))
