"""The Python runners' side of the claims the seeds make about Python itself (C3, C4, C5).

The seeds measured Python: the GIL, an interpreter per process. The C++ rules answer by analogue
(fibers on one thread for the GIL, fork for a process); these answer with py-thread and py-process
cells where the run has them, and `combine` makes one verdict of the two answers.
"""

from .claims_base import APART, ClaimVerdict, _at_one_placement, _cores, _groups, _ok, _placed, memory_slopes
from .thresholds import ASSUMED_CORES, EVERY_CORE, MEMORY_DEARER, MIN_MIB, ONE_CORE, SAME_MEMORY

PYTHON = ("py-thread", "py-process", "py-asyncio")


def interpreter(env):
    """The interpreter the Python runners used, as env.json's "python" describes it."""
    py = env.get("python")
    if not isinstance(py, dict):
        return "Python"
    gil = py.get("gil")
    how = "" if gil is None else (" with the GIL" if gil else " without the GIL (free-threaded)")
    return f"Python {py.get('version', '?')}{how}"


def combine(cpp, py, env):
    """One verdict from the C++ rule's and the Python rule's. Either alone stands as it is; when
    both answered and disagree, the claim depends (on the language), and each says why."""
    if py.verdict == "no data":
        if cpp.verdict == "no data":
            return ClaimVerdict("no data", f"{cpp.evidence}; in Python, {py.evidence} would")
        return cpp
    if cpp.verdict == "no data":
        return ClaimVerdict(py.verdict, f"{interpreter(env)}: {py.evidence}")
    verdict = cpp.verdict if cpp.verdict == py.verdict else "depends"
    return ClaimVerdict(verdict, f"C++ ({cpp.verdict}): {cpp.evidence} {interpreter(env)} ({py.verdict}): {py.evidence}")


def _python(df):
    return df[df["runner"].isin(PYTHON)] if not df.empty else df


def _cores_busy(r):
    return (r.cpu_user_s + r.cpu_sys_s) / r.wall_s


def _percent(v):
    return "CPU not measured" if v != v else f"{100 * v:.0f}% CPU"


def _speedups(cpu, cores):
    """[(setting, workers, reference, py-thread's speedup, its cores busy, py-process's, its cores busy)]
    at the most workers up to the cores where both ran, against the same Python with one worker."""
    parts = []
    for label, g in _groups(cpu) if not cpu.empty else []:
        at = {(r.variant, int(r.workers)): r for r in g.itertuples()}
        # One reference for both, as serial is for the C++ runners: the same Python with one worker.
        base = at.get(("py-thread", 1)) or at.get(("py-process", 1))
        both = [w for v, w in at if v == "py-thread" and 2 <= w <= cores and ("py-process", w) in at]
        if base is None or not both:
            continue
        w = max(both)
        thread, proc = at[("py-thread", w)], at[("py-process", w)]
        parts.append((label, w, base.variant, base.wall_s / thread.wall_s, _cores_busy(thread),
                      base.wall_s / proc.wall_s, _cores_busy(proc)))
    return parts


def c4_python(cells, env):
    """py-thread and py-process against Python with one worker, on the primes kernel."""
    need = "cpu (primes) with py-thread (or py-process) at 1 worker and both at 2 or more workers"
    cpu = _python(_ok(cells, "cpu"))
    if "p_kernel" in cpu:
        cpu = cpu[cpu["p_kernel"] == "primes"]
    cores = _cores(env) or ASSUMED_CORES
    placement, parts = _at_one_placement(cpu, APART, lambda df: _speedups(df, cores))
    if not parts:
        return ClaimVerdict("no data", need)
    lines = []
    one_core, every = [], []
    for label, w, ref, ts, busy, ps, pbusy in parts:
        one_core.append(ts < ONE_CORE and not busy >= ONE_CORE)
        every.append(ps >= EVERY_CORE * w)
        where = "" if label == "defaults" else f", {label}"
        lines.append(f"cpu (primes{where}) at {w} workers on {cores} cores, {_placed(placement, cpu, APART)}, "
                     f"against {ref} with one worker: "
                     f"py-thread {ts:.2f}x keeping {_percent(busy)} busy, py-process {ps:.2f}x ({_percent(pbusy)})")
    text = "; ".join(lines) + "; the seed: threads at about 102% CPU"
    if all(one_core) and all(every):
        return ClaimVerdict("holds", text + ". Threads stay on one core, processes use them all.")
    if not any(one_core):
        py = env.get("python")
        no_gil = isinstance(py, dict) and py.get("gil") is False
        why = ": this interpreter has no GIL, and its threads run at once" if no_gil else ""
        return ClaimVerdict("does not hold", text + why + ".")
    return ClaimVerdict("depends", text + ".")


def _memory_per_worker(alive):
    """[(workers, {variant: (MiB of PSS, MiB of peak RSS) per live worker})] where py-thread and
    py-process both ran."""
    rows = []
    for workers, g in alive.groupby("workers") if not alive.empty else []:
        thread = g[g["variant"] == "py-thread"]
        procs = g[g["runner"] == "py-process"]
        if thread.empty or procs.empty:
            continue
        per = {r.variant: (r.pss_bytes / workers / 2**20, r.rss_peak_bytes / workers / 2**20)
               for r in [*thread.iloc[:1].itertuples(), *procs.itertuples()]}
        rows.append((int(workers), per))
    return rows


def _process_slopes(alive):
    return [(setting, lo, hi, per) for setting, lo, hi, per in memory_slopes(alive, "py-thread") if len(per) > 1]


def c3_python(alive, env):
    """Memory one more live worker of py-thread and py-process adds, from spawn mode=alive cells
    (`alive`) at two or more worker counts; with one count only, the cell's memory over its workers."""
    need = "spawn mode=alive with py-thread and py-process at the same workers (two counts or more: 8 and 64)"
    alive = _python(alive)
    placement, slopes = _at_one_placement(alive, APART, _process_slopes)
    if slopes:
        text = "; ".join(f"{lo} to {hi} alive: " + ", ".join(
            f"{v} {pss:.2f} MiB PSS ({rss:.2f} MiB RSS)" for v, (pss, rss) in sorted(per.items()))
            for _, lo, hi, per in slopes)
        text = (f"memory one more live worker adds (the slope of the cell's memory between two counts, so the "
                f"interpreter py-thread's threads share is not shared out) at {_placed(placement, alive, APART)}: "
                f"{text}")
        *_, per = slopes[-1]
        against = "One more worker, against py-thread's"
    else:
        placement, rows = _at_one_placement(alive, APART, _memory_per_worker)
        if not rows:
            return ClaimVerdict("no data", need)
        text = "; ".join(f"{w} alive: " + ", ".join(f"{v} {pss:.2f} MiB PSS ({rss:.2f} MiB RSS)"
                                                    for v, (pss, rss) in sorted(per.items())) for w, per in rows)
        text = ("memory of the cell / live workers (one count of live workers only: py-thread's one interpreter is "
                f"shared out over its threads; py-process counts its parent too) at "
                f"{_placed(placement, alive, APART)}: {text}")
        # At the most workers the one interpreter of py-thread is shared most thinly.
        w, per = rows[-1]
        against = f"Per worker at {w}, against py-thread"
    text += "; the seed: about 25 MB per process, well under 1 MB per thread"
    thread = per["py-thread"][0]
    ratios = {v: pss / max(thread, MIN_MIB) for v, (pss, _) in per.items() if v != "py-thread"}
    text += f". {against}: " + ", ".join(f"{v} {r:.1f}x" for v, r in sorted(ratios.items()))
    if min(ratios.values()) >= MEMORY_DEARER:
        return ClaimVerdict("holds", text + ".")
    if max(ratios.values()) < SAME_MEMORY:
        return ClaimVerdict("does not hold", text + ": a Python process here costs about what a thread does.")
    cow = "fork shares the parent's interpreter pages until they are written, spawn and forkserver start a fresh one"
    if max(ratios.values()) >= MEMORY_DEARER:
        return ClaimVerdict("depends", text + f": on the start method; {cow}.")
    return ClaimVerdict("depends", text + f": a process costs more than a thread, but less than {MEMORY_DEARER:g}x; {cow}.")
