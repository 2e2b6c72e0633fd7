# The fault campaign's tools, sourced by benchmarks/faults.sh (which defines what these read:
# versus, scratch, mark_prefix, limit_s, started): reading results.csv, following the
# processes of a run, finding what a run left behind, and reporting a case in one line.
# shellcheck shell=bash
# ---------------------------------------------------------------------------------------------
# Reading results.csv: columns by the header's names, quoted fields (a message may hold commas
# or quotes) read as CSV does.

# Prints the named columns of each row, tab-separated (tabs and line breaks inside a field become
# spaces). With no column named, prints "rows R fields F bad B" instead: B rows whose field count
# is not the header's F. Exit 3 when a named column is missing.
csv_select() {  # file [column...]
  local file=$1
  shift
  awk -v want="$*" '
    function split_csv(rec, out,    n, i, c, field, quoted) {
      n = 0; field = ""; quoted = 0
      for (i = 1; i <= length(rec); i++) {
        c = substr(rec, i, 1)
        if (quoted) {
          if (c == "\"") {
            if (substr(rec, i + 1, 1) == "\"") { field = field "\""; i++ } else quoted = 0
          } else field = field c
        } else if (c == "\"") quoted = 1
        else if (c == ",") { out[++n] = field; field = "" }
        else field = field c
      }
      out[++n] = field
      return n
    }
    {
      rec = $0
      # A quoted field may span lines: read on while the quotes are unbalanced.
      while (gsub(/"/, "\"", rec) % 2 == 1 && (getline more) > 0) rec = rec "\n" more
      n = split_csv(rec, f)
      if (NR == 1) {
        header_n = n
        for (i = 1; i <= n; i++) at[f[i]] = i
        k = split(want, names, " ")
        for (i = 1; i <= k; i++) if (!(names[i] in at)) { print "no column " names[i] > "/dev/stderr"; missing = 1; exit 3 }
        next
      }
      rows++
      if (n != header_n) bad++
      if (k == 0) next
      line = ""
      for (i = 1; i <= k; i++) {
        v = f[at[names[i]]]
        gsub(/[\t\n\r]/, " ", v)
        line = line (i > 1 ? "\t" : "") v
      }
      print line
    }
    END { if (!missing && k == 0) printf "rows %d fields %d bad %d\n", rows, header_n, bad }
  ' "$file"
}

# "ipc: 1 ok, 1 crashed, 3 crashed (not run); cpu: 5 ok": rows per scenario and status, in the
# order they first appear; a row whose message says it was not run is counted apart.
rows_per_status() {  # file
  [[ -f "$1" ]] || { echo "no results.csv"; return; }
  csv_select "$1" scenario status message | awk -F'\t' '
    {
      s = $2 (index($3, "not run") == 1 ? " (not run)" : "")
      if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 }
      if (!(($1, s) in count)) { kinds[$1] = kinds[$1] SUBSEP s }
      count[$1, s]++
    }
    END {
      if (n == 0) { print "no rows"; exit }
      for (i = 1; i <= n; i++) {
        m = split(substr(kinds[order[i]], 2), ks, SUBSEP)
        line = ""
        for (j = 1; j <= m; j++) line = line (j > 1 ? ", " : "") count[order[i], ks[j]] " " ks[j]
        printf "%s%s: %s", (i > 1 ? "; " : ""), order[i], line
      }
      print ""
    }'
}

# Rows in a results.csv (0 when it is absent or empty).
rows_in() {  # file
  [[ -s "$1" ]] || { echo 0; return; }
  csv_select "$1" | awk '{ print $2 }'
}

# Checks that each cell has repetitions 0..reps-1 exactly once and that there are `cells` cells;
# prints what is wrong, nothing when all is well.
check_each_repetition_once() {  # file cells reps
  csv_select "$1" cell repetition | awk -F'\t' -v cells="$2" -v reps="$3" '
    { n[$1, $2]++; if (!($1 in seen)) { seen[$1] = 1; count++ } }
    END {
      if (count != cells) printf "%d cells, expected %d; ", count, cells
      for (c in seen) for (r = 0; r < reps; r++) {
        if (!((c, r) in n)) { printf "%s repetition %d missing; ", substr(c, 1, 40), r; bad++ }
        else if (n[c, r] > 1) { printf "%s repetition %d %d times; ", substr(c, 1, 40), r, n[c, r]; bad++ }
        if (bad > 3) exit
      }
    }' | sed 's/; $//'
}

# ---------------------------------------------------------------------------------------------
# Processes: what a run started, and what is left of it.

# Pids of live processes whose environment carries the mark (with `prefix`: any mark under it).
marked_processes() {  # mark [prefix]
  local pattern="$mark_var=${1//./\\.}"
  [[ ${2:-} == prefix ]] && pattern="$pattern\\..*"
  grep -lzx -- "$pattern" /proc/[0-9]*/environ 2>/dev/null | sed 's|/proc/\([0-9]*\)/environ|\1|'
}

# Drops a pid from those the EXIT trap ends, once it has been waited for (its number may be
# given to another process after).
forget() {  # pid
  local i
  for i in "${!started[@]}"; do [[ ${started[i]} == "$1" ]] && unset 'started[i]'; done
  started=("${started[@]}")
}

# Alive and not yet a zombie waiting to be reaped.
running() {  # pid
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

children_of() {  # pid
  cat /proc/"$1"/task/*/children 2>/dev/null
}

# The current run: its `timeout` wrapper, versus itself, its log, its exit status once ended.
run_pid=""
versus_pid=""
run_log=""
status=""
run_groups=0  # lines of groups_file before the run
watcher=""    # the background job noting the run's repetition processes in groups_file

# Starts versus in the background, under the time limit, with the case's TMPDIR and mark.
start_versus() {  # log args...
  run_log=$1
  shift
  env TMPDIR="$case_tmp" "$mark_var=$mark" timeout --kill-after=5 "$limit_s" "$versus" "$@" >"$run_log" 2>&1 &
  run_pid=$!
  started+=("$run_pid")
  versus_pid=""
  local i
  for ((i = 0; i < 500; i++)); do
    versus_pid=$(children_of "$run_pid" | awk '{ print $1 }')
    [[ -n "$versus_pid" ]] && break
    running "$run_pid" || break  # a run refused at once may end before it is seen
    sleep 0.01
  done
  run_groups=$(wc -l <"$groups_file")
  watch_repetitions "$versus_pid" "$groups_file" &
  watcher=$!
  started+=("$watcher")
}

# Waits for the current run to end; sets status.
finish_versus() {
  wait "$run_pid"
  status=$?
  forget "$run_pid"
  run_pid=""
  if [[ -n "$watcher" ]]; then
    wait "$watcher"
    forget "$watcher"
    watcher=""
  fi
}

# Runs versus in the foreground, under the time limit; sets status.
run_versus() {  # log args...
  start_versus "$@"
  finish_versus
}

# Each repetition runs in a child of versus that leads a process group of its own (the fork
# runner's workers are that child's children, in its group). Appends each one's pid to `file` as
# it starts, until versus ends: the order gives the repetition, the pids the process groups
# whose names and folders are the run's. Polled every 10 ms with builtins only, so a repetition
# much shorter than that may pass unseen.
watch_repetitions() {  # versus_pid file
  local f kid stat pgrp seen=" "
  local -a kids
  while kill -0 "$1" 2>/dev/null; do
    for f in /proc/"$1"/task/*/children; do
      kids=()
      read -r -a kids 2>/dev/null <"$f"
      for kid in "${kids[@]}"; do
        [[ $seen == *" $kid "* ]] && continue
        stat=""
        read -r stat 2>/dev/null <"/proc/$kid/stat"
        stat=${stat##*) }  # after the command name, which may hold spaces: state ppid pgrp ...
        read -r _ _ pgrp _ <<<"$stat"
        [[ $pgrp == "$kid" ]] || continue
        seen+="$kid "
        echo "$kid" >>"$2"
      done
    done
    sleep 0.01
  done
}

# Waits until the run's n-th repetition process (1-based) has started; sets rep_pid. Fails when
# the run ends first, or after `seconds`.
rep_pid=""
wait_for_repetition() {  # n seconds
  local deadline=$((SECONDS + $2))
  local -a pids
  rep_pid=""
  while :; do
    mapfile -t pids < <(tail -n +"$((run_groups + 1))" "$groups_file")
    ((${#pids[@]} >= $1)) && break
    kill -0 "$versus_pid" 2>/dev/null || return 1
    ((SECONDS < deadline)) || return 1
    sleep 0.02
  done
  rep_pid=${pids[$1 - 1]}
  kill -0 "$rep_pid" 2>/dev/null
}

# A worker of the repetition process rep_pid, once it has one; sets worker_pid.
worker_pid=""
wait_for_worker() {
  local i
  worker_pid=""
  for ((i = 0; i < 250; i++)); do
    worker_pid=$(children_of "$rep_pid" | awk '{ print $1 }')
    [[ -n "$worker_pid" ]] && return 0
    kill -0 "$rep_pid" 2>/dev/null || return 1
    sleep 0.02
  done
  return 1
}

# ---------------------------------------------------------------------------------------------
# What a case left behind: names versus makes (shared memory, queues, temporary folders) that
# were not there before the case, and processes that carry the case's mark.

name_places() {
  local places=(/dev/shm/versus.* /dev/mqueue/versus.* /tmp/versus.* "$case_tmp"/versus.*)
  local p
  for p in "${places[@]}"; do [[ -e "$p" ]] && echo "$p"; done
}

# Under the case's own TMPDIR every new name is the case's. Elsewhere (/tmp, /dev/shm,
# /dev/mqueue: the machine's, where other versus runs and test suites come and go) a new name
# is the case's when it carries the process group of one of its repetitions.
left_behind() {
  local name group found=() pid
  while read -r name; do
    [[ -z "$name" ]] && continue
    if [[ $name != "$case_tmp"/* ]]; then
      group=$(basename "$name" | cut -d. -f2)
      grep -qx -- "$group" "$groups_file" || continue
    fi
    found+=("$name")
  done < <(comm -13 <(echo "$names_before") <(name_places | sort))
  for pid in $(marked_processes "$mark"); do
    found+=("process $pid ($(cat "/proc/$pid/comm" 2>/dev/null))")
  done
  echo "${found[*]}"
}

# ---------------------------------------------------------------------------------------------
# A case: its number and title, the problems found, one line printed at its end.

passed=0
failed=0
skipped=0
case_begin() {  # number title
  case_no=$1
  case_title=$2
  problems=()
  happened=""
  kept=""
  ok_text="nothing lost, nothing left"
  mark="$mark_prefix.$case_no"
  case_tmp=$scratch/tmp-$case_no
  out=$runs/$case_no
  groups_file=$scratch/groups-$case_no
  : >"$groups_file"
  mkdir -p "$case_tmp"
  rm -rf "$out"
  names_before=$(name_places | sort)
}

problem() { problems+=("$*"); }

expect_status() {  # expected what
  [[ "$status" == "$1" ]] || problem "$2 exited $status, expected $1 ($(tail -n 1 "$run_log" 2>/dev/null | cut -c1-120))"
}

# Ends the case: looks for leftovers (and ends any left process, so the next case starts clean),
# prints its line.
case_end() {
  local left verdict pid
  sleep 0.2  # a name being removed by another program as the case ended is not a leftover
  left=$(left_behind)
  [[ -n "$left" ]] && problem "something was left behind"
  for pid in $(marked_processes "$mark"); do kill -KILL "$pid" 2>/dev/null; done
  if ((${#problems[@]} == 0)); then
    verdict="ok: $ok_text"
    ((passed++))
  else
    verdict="FAIL: $(printf '%s; ' "${problems[@]}")"
    verdict=${verdict%; }
    ((failed++))
  fi
  echo "$case_no. $case_title: $happened | kept ${kept:-nothing} | left ${left:-nothing} => $verdict"
}

case_skip() {  # why
  echo "$case_no. $case_title: skip: $1"
  ((skipped++))
}

# Output of a command that should have said why it failed: a Python traceback is no message.
no_traceback() {  # log what
  if grep -q "Traceback (most recent call last)" "$1"; then
    problem "$2 printed a Python traceback"
  elif [[ ! -s "$1" ]]; then
    problem "$2 printed no message"
  fi
}

first_line() { grep -m1 -v "warning: this machine is noisy" "$1" | cut -c1-"${2:-100}"; }
