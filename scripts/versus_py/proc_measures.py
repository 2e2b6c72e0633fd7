"""What a Python cell measures of its own processes, read from /proc as versus's C++ side reads
them (bench/sys/measure.cc): CPU time and context switches over the measured phase, peak RSS (VmHWM)
and PSS summed over the processes while the workers are alive."""

import os
import resource

_TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid):
    """(user_s, sys_s) of every thread of process `pid` so far, and of its children reaped."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[13])) / _TICK, (int(fields[12]) + int(fields[14])) / _TICK


def _switches(pid):
    """(voluntary, involuntary) context switches of every thread of `pid`: /proc/PID/status
    counts the main thread only, so each task is read."""
    vol = invol = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        vol += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches:"):
                        invol += int(line.split()[1])
        except FileNotFoundError:  # a thread that ended meanwhile
            pass
    return vol, invol


def usage(pids):
    """{pid: (user_s, sys_s, voluntary, involuntary)} of the processes still there. This process
    is read with getrusage, as the C++ side reads its own: it counts threads that have ended and
    children reaped, at microsecond resolution; the others from /proc."""
    out = {}
    for pid in pids:
        try:
            out[pid] = _own_usage() if pid == os.getpid() else _cpu(pid) + _switches(pid)
        except (FileNotFoundError, ProcessLookupError):
            pass
    return out


def _own_usage():
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return (me.ru_utime + children.ru_utime, me.ru_stime + children.ru_stime, me.ru_nvcsw + children.ru_nvcsw,
            me.ru_nivcsw + children.ru_nivcsw)


def usage_delta(before, after):
    """Summed CPU and switches between two usage() snapshots, over processes present in both."""
    total = [0.0, 0.0, 0, 0]
    for pid, end in after.items():
        start = before.get(pid)
        if start is None:
            continue
        for k in range(4):
            total[k] += end[k] - start[k]
    return {"cpu_user_s": total[0], "cpu_sys_s": total[1], "ctx_voluntary": total[2], "ctx_involuntary": total[3]}


def memory(pids):
    """Summed VmHWM and Pss in bytes; a process that vanished counts zero."""
    peak = pss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak += int(line.split()[1]) * 1024
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
                        break
        except (FileNotFoundError, ProcessLookupError):
            pass
    return {"rss_peak_bytes": peak, "pss_bytes": pss}


def reset_peak(pids):
    """Peak RSS restarts from the current RSS (clear_refs 5), so start-up does not count."""
    for pid in pids:
        try:
            with open(f"/proc/{pid}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            pass


def alive(pid):
    """True while `pid` runs (not gone, not a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False
