#!/usr/bin/env bash
# scripts/cluster/full.sbatch on a real, one-node Slurm: munged, slurmctld and slurmd started here
# on loopback with a throw-away configuration, the array job submitted for a tiny preset in two
# shards, the shards merged, and the merge checked against the unsharded matrix.
#   slurm_array_test.sh VERSUS_BINARY SOURCE_DIR
# Exit 0: passed; 1: failed; 77: skipped, because Slurm cannot run here (the reason is printed).
# Needs root (slurmd runs the job as its submitter) and Debian's slurm-wlm and munge
# (scripts/setup.sh --tests). Every process it starts is stopped, and its folder removed, on exit.
set -uo pipefail

versus=${1:?usage: slurm_array_test.sh VERSUS_BINARY SOURCE_DIR}
source_dir=${2:?usage: slurm_array_test.sh VERSUS_BINARY SOURCE_DIR}
sbatch_script=$source_dir/scripts/cluster/full.sbatch
python=/usr/bin/python3
job_wait_s=300    # the whole array job, both tasks
daemon_wait_s=30  # each daemon, to answer

# Only what this test sets reaches sbatch and the tasks: not a surrounding job's SLURM_* or
# SBATCH_* (sbatch reads options from those), nor full.sbatch's VERSUS_* settings.
for variable in $(compgen -e); do
  [[ $variable == SLURM_* || $variable == SBATCH_* || $variable == SALLOC_* || $variable == VERSUS_* ]] && unset "$variable"
done

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
# The last lines of a log, indented, for a reason that must say what the daemon said.
tail_of() { [[ -s "$1" ]] && { echo "--- last lines of $1:"; tail -n "${2:-15}" "$1" | sed 's/^/    /'; }; }

for command in munged slurmctld slurmd sbatch scontrol sinfo squeue scancel ss; do
  command -v "$command" >/dev/null || skip "no $command here (Debian: scripts/setup.sh --tests installs slurm-wlm and munge)"
done
[[ -x "$python" ]] || skip "no $python to read the results"
[[ $(id -u) -eq 0 ]] || skip "slurmd must run as root to start jobs, and this test is not root"
[[ -x "$versus" ]] || fail "no versus binary at $versus"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/versus-slurm.XXXXXX") || fail "cannot create a temporary folder"
# munged refuses a socket in a folder others may write or may not enter.
chmod 711 "$tmp" || fail "cannot chmod $tmp"
# Every process this test starts carries this variable in its environment, so one that left its
# parent is still found (slurmstepd, which slurmd starts detached, is found by its files instead).
mark="VERSUS_SLURM_TEST=$tmp"
daemons=()  # "name pid", in the order started
jobid=

# Whether a process runs (a zombie does not: it only waits for a parent to reap it).
alive() {
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

# Stops one process: SIGTERM, up to 15 s to go, then SIGKILL. Reaped when it is our child.
stop_pid() {
  local pid=$1 name=$2
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 150); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
      echo "cleanup: $name (pid $pid) ignored SIGTERM for 15 s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null
      for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
    fi
  fi
  wait "$pid" 2>/dev/null
}

# The processes of this test still running, but for the shell itself: those carrying $mark, and
# those with a file open or their working folder in $tmp. slurmstepd is one of the latter: it
# rewrites its environment (as its name shows: "slurmstepd: [1.batch]") but holds slurmd's log.
leftover_pids() {
  local dir entries e pid
  {
    for dir in /proc/[0-9]*; do
      mapfile -t -d "" entries 2>/dev/null <"$dir/environ" || continue
      for e in "${entries[@]}"; do [[ $e == "$mark" ]] && { echo "${dir#/proc/}"; break; }; done
    done
    find /proc/[0-9]*/cwd /proc/[0-9]*/fd -maxdepth 1 -lname "$tmp*" 2>/dev/null | cut -d/ -f3
  } | sort -un | while read -r pid; do [[ $pid != "$$" ]] && alive "$pid" && echo "$pid"; done
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP PIPE
  # A job still queued or running (the wait timed out, or a check failed early) is cancelled
  # while slurmctld can still do it, and its processes get 10 s to end on their own.
  if [[ -n "$jobid" ]] && scontrol ping >/dev/null 2>&1; then
    scancel "$jobid" 2>/dev/null
    for _ in $(seq 100); do [[ -z $(squeue -h -j "$jobid" 2>/dev/null) ]] && break; sleep 0.2; done
  fi
  local i name pid stat daemon_pids=" "
  for entry in "${daemons[@]}"; do daemon_pids+="${entry#* } "; done
  # The job's own processes: neither a daemon nor a daemon's helper (slurmctld's slurmscriptd).
  job_pids() {
    for pid in $(leftover_pids); do
      { read -r stat <"/proc/$pid/stat"; } 2>/dev/null || continue
      stat=${stat##*) }
      read -r _ stat _ <<<"$stat"
      [[ $daemon_pids == *" $pid "* || $daemon_pids == *" $stat "* ]] || echo "$pid"
    done
  }
  for _ in $(seq 50); do [[ -z $(job_pids) ]] && break; sleep 0.2; done
  for ((i = ${#daemons[@]} - 1; i >= 0; i--)); do
    read -r name pid <<<"${daemons[i]}"
    stop_pid "$pid" "$name"
  done
  for pid in $(leftover_pids); do
    name=$(cat "/proc/$pid/cmdline" 2>/dev/null | tr '\0' ' ')
    echo "cleanup: stopping pid $pid ($name), left by the job"
    stop_pid "$pid" "$name"
  done
  [[ -z $(leftover_pids) ]] || { echo "cleanup: processes still running: $(leftover_pids)"; status=1; }
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

# Starts a daemon in the foreground of its own background job, so its pid is known exactly.
start() {
  local name=$1; shift
  env "$mark" "$@" >"$tmp/$name.out" 2>&1 &
  daemons+=("$name $!")
  started_pid=$!
}

# Runs a check until it passes, the daemon last started exits, or daemon_wait_s pass; then says
# (in $why) what kept it from passing.
wait_for() {
  for _ in $(seq $((daemon_wait_s * 5))); do
    "$@" && return 0
    alive "$started_pid" || break
    sleep 0.2
  done
  "$@" && return 0
  if alive "$started_pid"; then why="did not answer in ${daemon_wait_s} s"; else why="exited"; fi
  return 1
}

# Two ports free on 127.0.0.1 now (held together so they differ); a daemon that loses one in a
# race fails to start and the test skips, saying so.
read -r ctld_port slurmd_port < <("$python" -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))') || fail "cannot find free ports"

# --- munge, with its own key and socket.
mkdir -m 711 "$tmp/munge" && mkdir "$tmp/state" "$tmp/spool" "$tmp/work" || fail "cannot create folders in $tmp"
socket=$tmp/munge/munge.socket
if command -v mungekey >/dev/null; then
  mungekey --create --keyfile="$tmp/munge/munge.key" >"$tmp/mungekey.out" 2>&1 ||
    skip "mungekey cannot create a key: $(cat "$tmp/mungekey.out")"
else
  dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none || fail "cannot write a munge key"
fi
chmod 400 "$tmp/munge/munge.key"
start munged munged --foreground --socket="$socket" --key-file="$tmp/munge/munge.key" \
  --pid-file="$tmp/munge/munged.pid" --log-file="$tmp/munge/munged.log" --seed-file="$tmp/munge/munged.seed"
munge_answers() { [[ -S "$socket" ]] && munge --socket="$socket" -n 2>/dev/null | unmunge --socket="$socket" >/dev/null 2>&1; }
wait_for munge_answers ||
  skip "munged $why (socket $socket)
$(tail_of "$tmp/munged.out"; tail_of "$tmp/munge/munged.log")"

# --- Slurm: this machine as its only node, every file in $tmp.
# slurmd -C prints the node as slurmd sees it; configuring more CPUs or memory would drain it.
node=$(slurmd -C 2>"$tmp/slurmd-C.err" | head -n 1) || true
[[ $node == NodeName=* ]] || skip "slurmd -C does not describe this machine: $(cat "$tmp/slurmd-C.err")"
node_hardware=$(tr ' ' '\n' <<<"$node" | grep -E '^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore|RealMemory)=' | tr '\n' ' ')
: >"$tmp/plugstack.conf"  # not the host's /etc/slurm/plugstack.conf
export SLURM_CONF=$tmp/slurm.conf
cat >"$SLURM_CONF" <<EOF || fail "cannot write $SLURM_CONF"
ClusterName=versustest
# The controller and the node bind their own address, loopback, not every address (the default).
SlurmctldHost=localhost(127.0.0.1)
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
PlugStackConfig=$tmp/plugstack.conf
# No cgroups: a machine without systemd or a writable cgroup tree runs jobs too.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 $node_hardware State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

start slurmctld slurmctld -D -f "$SLURM_CONF"
controller_up() { scontrol ping 2>/dev/null | grep -q 'is UP'; }
wait_for controller_up ||
  skip "slurmctld $why (port 127.0.0.1:$ctld_port)
$(tail_of "$tmp/slurmctld.out"; tail_of "$tmp/slurmctld.log")"

start slurmd slurmd -D -N localhost -f "$SLURM_CONF"
state=
node_idle() { state=$(sinfo -h -n localhost -o %T 2>/dev/null) && [[ $state == idle ]]; }
wait_for node_idle ||
  skip "slurmd $why: the node is not idle (state '${state}'; $(scontrol show node localhost 2>/dev/null | grep -o 'Reason=.*'))
$(tail_of "$tmp/slurmd.out"; tail_of "$tmp/slurmd.log"; tail_of "$tmp/slurmctld.log" 5)"

# Who listens: the two ports, each bound to 127.0.0.1 alone, and nothing else of the daemons'.
listening=$(ss -ltnH "( sport = :$ctld_port or sport = :$slurmd_port )" | awk '{print $4}' | sort)
echo "listening: $(tr '\n' ' ' <<<"$listening")(slurmctld :$ctld_port, slurmd :$slurmd_port)"
[[ $listening == "$(printf '127.0.0.1:%s\n' "$ctld_port" "$slurmd_port" | sort)" ]] ||
  fail "slurmctld and slurmd should listen on 127.0.0.1:$ctld_port and 127.0.0.1:$slurmd_port alone; ss shows: $listening"
for entry in "${daemons[@]}"; do
  read -r name pid <<<"$entry"
  elsewhere=$(ss -ltunpH | grep "pid=$pid," | awk '$5 !~ /^127\.0\.0\.1:/ {print $1, $5}')
  [[ -z $elsewhere ]] || fail "$name (pid $pid) listens beyond 127.0.0.1: $elsewhere"
done

# --- The array job: a tiny preset in two shards.
preset=$tmp/tiny.toml
cat >"$preset" <<'EOF' || fail "cannot write the preset"
description = "four small cpu cells, for the Slurm array job test"
repetitions = 2
[[matrix]]
scenario = ["cpu"]
runner = ["serial", "fork"]
workers = [1, 2]
[matrix.set]
count = [20000]
EOF
results=$tmp/results
started=$SECONDS
(cd "$tmp/work" && env "$mark" VERSUS_PRESET="$preset" VERSUS_RESULTS="$results" VERSUS_BIN="$versus" \
  timeout "$job_wait_s" sbatch --wait --array=1-2 --output="$tmp/work/task-%a.out" "$sbatch_script") \
  >"$tmp/sbatch.out" 2>&1
sbatch_status=$?
jobid=$(grep -o 'Submitted batch job [0-9]*' "$tmp/sbatch.out" | grep -o '[0-9]*$')
task_logs() { for f in "$tmp"/work/task-*.out; do tail_of "$f"; done; tail_of "$tmp/slurmd.log" 10; }
[[ -n $jobid ]] || fail "sbatch submitted nothing: $(cat "$tmp/sbatch.out")"
[[ $sbatch_status -ne 124 ]] || fail "array job $jobid still not done after ${job_wait_s} s
$(squeue -j "$jobid" 2>&1; task_logs)"
[[ $sbatch_status -eq 0 ]] ||
  fail "array job $jobid ended with status $sbatch_status: $(cat "$tmp/sbatch.out")
$(task_logs)"
echo "array job $jobid: 2 tasks done in $((SECONDS - started)) s"

# Each task took its shard number from the array and wrote its own folder.
for k in 1 2; do
  grep -q "full.sbatch: shard $k/2 of preset $preset" "$tmp/work/task-$k.out" ||
    fail "task $k did not run shard $k/2: $(cat "$tmp/work/task-$k.out")"
  [[ -s "$results/full-$k/results.csv" ]] || fail "task $k wrote no $results/full-$k/results.csv"
done

"$versus" merge "$results"/full-*/ -o "$results/full" >"$tmp/merge.out" 2>&1 ||
  fail "versus merge failed: $(cat "$tmp/merge.out")"

# The cells each part should hold, from versus itself: the names it lists are CELL/iterations:...
list_cells() {
  "$versus" run --preset "$preset" "$@" --out "$tmp/list-$RANDOM" --benchmark_list_tests 2>/dev/null |
    grep '/iterations:' | sed 's#/iterations:.*##' | sort
}
list_cells >"$tmp/expected-all" || fail "versus cannot list the preset's cells"
list_cells --shard 1/2 >"$tmp/expected-1" && list_cells --shard 2/2 >"$tmp/expected-2" ||
  fail "versus cannot list the shards' cells"
[[ $(wc -l <"$tmp/expected-all") -eq 4 ]] || fail "the preset should have 4 cells, versus lists: $(cat "$tmp/expected-all")"

# Every row names its host: this machine, the cluster's only node.
"$python" - "$tmp" "$results" "$(uname -n)" <<'EOF' || exit 1
import csv, sys
tmp, results, host = sys.argv[1:]
def lines(path):
    with open(path) as f:
        return [l.strip() for l in f if l.strip()]
def rows(folder):
    with open(f"{results}/{folder}/results.csv", newline="") as f:
        return list(csv.DictReader(f))
problems = []
def check(folder, expected):
    got = rows(folder)
    cells = {r["cell"] for r in got}
    if cells != set(expected):
        problems.append(f"{folder}: cells {sorted(cells)}, expected {sorted(expected)}")
    hosts = {r["host"] for r in got}
    if hosts != {host}:
        problems.append(f"{folder}: rows name the hosts {sorted(hosts)}, expected only {host!r}")
    return got
check("full-1", lines(f"{tmp}/expected-1"))
check("full-2", lines(f"{tmp}/expected-2"))
merged = check("full", lines(f"{tmp}/expected-all"))
if problems:
    print("FAIL: " + "\n  ".join(problems))
    sys.exit(1)
print(f"merged: {len(merged)} rows, the {len({r['cell'] for r in merged})} cells of the unsharded matrix, "
      f"hosts {sorted({r['host'] for r in merged})}")
EOF
echo "PASS"
