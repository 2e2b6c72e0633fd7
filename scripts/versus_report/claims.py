"""The seed notes' claims, and two that measuring them raises (C18, C19), and, one small rule each, what
this run's numbers say about them.

A rule returns a ClaimVerdict: `holds`, `does not hold`, `depends` (saying on what), or `no data`
(saying which cells would answer). Evidence quotes the numbers and the cells they come from. judge
makes it `unstable` where the rule read an unstable cell whose spread could change the verdict
(claims_base.judged).
"""

from . import claims_faults, claims_io, claims_ipc, claims_latency, claims_py
from .claims_base import (APART, TOGETHER, Claim, ClaimVerdict, _at_one_placement, _cores, _no_data,  # noqa: F401
                          _ok, _placed, judged, memory_slopes)
from .thresholds import (ASSUMED_CORES, CREATE_FAR_DEARER, CREATE_NO_DEARER, EVERY_CORE, FIBER_THREADS_SPEEDUP,
                         MEMORY_DEARER, MIN_MIB, ONE_CORE, PLATEAU, POOL_GAIN, SAME_SPEED, SLOWER)


def _cpu(cells):
    """The ok cpu cells of the primes kernel, C++ runners only: the Python runners do other work per
    prime and have their own reference (claims_py)."""
    cpu = _ok(cells, "cpu")
    if not cpu.empty:
        cpu = cpu[~cpu["runner"].isin(claims_py.PYTHON)]
    if "p_kernel" in cpu:
        cpu = cpu[cpu["p_kernel"] == "primes"]
    return cpu


def _speedups(cpu):
    """{(variant, workers): speedup over serial at 1 worker} among cells of one placement."""
    ref = cpu[(cpu["runner"] == "serial") & (cpu["workers"] == 1)]
    if ref.empty:
        return {}
    base = float(ref["wall_s"].median())
    return {(r.variant, int(r.workers)): base / r.wall_s for r in cpu.itertuples()}


def c4_cpu_processes_scale(cells, env):
    return claims_py.combine(_c4_cpp(cells, env), claims_py.c4_python(cells, env), env)


def _c4_cpp(cells, env):
    cores = _cores(env) or ASSUMED_CORES

    def at_cores(cpu):
        s = _speedups(cpu)
        w = min(cores, max((k[1] for k in s), default=0))
        need = [("fork", w), ("pthread", w), ("fiber", w)]
        return (w, [s[k] for k in need]) if w >= 2 and all(k in s for k in need) else None
    cpu = _cpu(cells)
    placement, got = _at_one_placement(cpu, APART, at_cores)
    if not got:
        return _no_data("cpu with serial at 1 worker and fork, pthread and fiber at 2 or more workers")
    w, (fork, thread, fiber) = got
    scale = EVERY_CORE * w
    text = (f"cpu (primes) at {w} workers on {cores} cores, {_placed(placement, cpu, APART)}: fork {fork:.2f}x, "
            f"pthread {thread:.2f}x, fiber on one thread {fiber:.2f}x the speed of serial with one worker")
    if fork >= scale and thread >= scale and fiber < ONE_CORE:
        return ClaimVerdict("holds", text + ". Processes use every core; so do C++ threads, which have no GIL; "
                                       "fibers on one thread, the GIL's analogue, do not.")
    if fork >= scale and fiber < ONE_CORE:
        return ClaimVerdict("depends", text + ": threads did not scale here.")
    return ClaimVerdict("does not hold", text + ".")


def _fibers(cpu):
    """(speedups of fibers on one thread at 2+ workers, of fibers on several threads), keyed by
    (variant, workers); None without the first."""
    s = _speedups(cpu)
    single = {k: v for k, v in s.items() if k[0] == "fiber" and k[1] >= 2}
    return (single, {k: v for k, v in s.items() if k[0].startswith("fiber x")}) if single else None


def _fibers_both_ways(cpu):
    got = _fibers(cpu)
    return got if got and got[1] else None


def _c15_cpu(cells):
    """(text, as claimed) from cpu: no speedup on one thread, a speedup on several."""
    cpu = _cpu(cells)
    # A placement with fibers on several threads as well as on one, where the run has such.
    placement, got = _at_one_placement(cpu, APART, _fibers_both_ways)
    if not got:
        placement, got = _at_one_placement(cpu, APART, _fibers)
    if not got:
        return None
    single, multi = got
    best_single = max(single.items(), key=lambda kv: kv[1])
    text = (f"cpu at {_placed(placement, cpu, APART)}: {len(single)} fiber cells on one thread, best speedup "
            f"{best_single[1]:.2f}x ({best_single[0][1]} workers)")
    if not multi:
        return text + "; no cells with fiber_threads > 1 to show parallelism coming back", best_single[1] < ONE_CORE
    best_multi = max(multi.items(), key=lambda kv: kv[1])
    text += f"; on several threads up to {best_multi[1]:.2f}x ({best_multi[0][0]}, {best_multi[0][1]} workers)"
    return text, best_single[1] < ONE_CORE and best_multi[1] > FIBER_THREADS_SPEEDUP


def c15_fibers_one_thread(cells, env):
    cpu = _c15_cpu(cells)
    parts = ([cpu] if cpu else []) + claims_io.redis_fiber_threads(cells)
    if not parts:
        return _no_data("cpu with fiber at 2+ workers, or redis with fiber_threads=1 and 2+ at the same workers")
    text = "; ".join(t for t, _ in parts) + " (one blocking call stalling them all is not measured)"
    if all(ok for _, ok in parts):
        return ClaimVerdict("holds", text + ": concurrency on one thread, parallelism only with more threads.")
    if not any(ok for _, ok in parts):
        return ClaimVerdict("does not hold", text + ".")
    return ClaimVerdict("depends", text + ".")


def c17_plateau_at_cores(cells, env):
    cores = _cores(env)
    if not cores:
        return _no_data("cpu cells with env.json's core count")

    def plateaus(cpu):
        s, rows = _speedups(cpu), []
        for runner in ("fork", "pthread"):
            at = s.get((runner, cores))
            past = [(w, v) for (r, w), v in s.items() if r == runner and w > cores]
            if at and past:
                w, v = max(past)
                rows.append((runner, at, w, v))
        return rows
    cpu = _cpu(cells)
    placement, rows = _at_one_placement(cpu, APART, plateaus)
    if not rows:
        return _no_data(f"cpu with fork or pthread at {cores} workers and at more than {cores}")
    text = f"cpu on {cores} cores, {_placed(placement, cpu, APART)}: " + "; ".join(
        f"{r}: {a:.2f}x at {cores} workers, {v:.2f}x at {w}" for r, a, w, v in rows)
    if all(v <= PLATEAU * a for _, a, _, v in rows):
        return ClaimVerdict("holds", f"{text}: more workers than cores add nothing.")
    return ClaimVerdict("does not hold", f"{text}.")


def _by_variant(df, value):
    return {r.variant: getattr(r, value) for r in df.itertuples()}


def _spawn(cells, *modes):
    sp = _ok(cells, "spawn")
    if "p_mode" not in sp:
        return sp.iloc[0:0]
    sp = sp[sp["p_mode"].isin(modes)]
    if "p_parent_heap_mb" in sp:
        # A runner without the parameter (the Python ones may lack it) has no heap to add.
        sp = sp[(sp["p_parent_heap_mb"] == "0") | sp["p_parent_heap_mb"].isna()]
        sp = sp.assign(p_parent_heap_mb="0")  # so that cells with and without it compare as equals
    return sp


def _create_times(create):
    """[(workers, {variant: µs per worker created, run and reaped})] where fork and pthread both ran."""
    rows = []
    for workers, g in create.groupby("workers"):
        us = {v: 1e6 / rate for v, rate in _by_variant(g, "ops_per_s").items()}
        if "fork" in us and "pthread" in us:
            rows.append((workers, us))
    return rows


def c1_process_creation(cells, env):
    create = _spawn(cells, "create")
    placement, rows = _at_one_placement(create, APART, _create_times)
    if not rows:
        return _no_data("spawn mode=create with fork and pthread at the same worker count")
    ratios = [us["fork"] / us["pthread"] for _, us in rows]
    text = "; ".join(f"{w} at once: " + ", ".join(f"{v} {t:.1f} µs" for v, t in sorted(us.items(), key=lambda kv: kv[1]))
                     for w, us in rows)
    text = (f"spawn (create, run, reap one worker) at {_placed(placement, create, APART)}: {text}; fork / pthread = "
            + ", ".join(f"{r:.1f}x" for r in ratios))
    if min(ratios) >= CREATE_FAR_DEARER:
        return ClaimVerdict("holds", text + ".")
    if max(ratios) < CREATE_NO_DEARER:
        return ClaimVerdict("does not hold", text + ".")
    return ClaimVerdict("depends", text + ": on the number made at once.")


def _handover_times(sw):
    """[(setting, {variant: ns per hand-over})] where fork, pthread and fiber ran at the same via and
    wait (and, in results from before placement, the same pin), at the fewest workers."""
    keys = ["p_via", "p_wait"] + (["p_pin"] if "p_pin" in sw and sw["p_pin"].notna().any() else [])
    rows = []
    for key, g in sw.groupby(keys):
        ns = {v: 1e9 / rate for v, rate in _by_variant(g[g["workers"] == g["workers"].min()], "ops_per_s").items()}
        if {"fork", "pthread", "fiber"} <= set(ns):
            rows.append((", ".join(f"{k[2:]}={v}" for k, v in zip(keys, key)), ns))
    return rows


def c2_switch_costs(cells, env):
    sw = _ok(cells, "switch")
    # On one CPU a hand-over is a context switch, the cost the claim names; across cores it is a wake-up.
    placement, rows = _at_one_placement(sw, TOGETHER, _handover_times)
    if not rows:
        return _no_data("switch with fork, pthread and fiber at the same via, wait and placement")
    text = f"switch, one hand-over, at {_placed(placement, sw, TOGETHER)}: " + "; ".join(
        f"{setting}: fork {ns['fork']:.0f} ns, pthread {ns['pthread']:.0f} ns, fiber {ns['fiber']:.0f} ns"
        for setting, ns in rows[:6])
    fiber_cheapest = all(ns["fiber"] < min(ns["fork"], ns["pthread"]) for _, ns in rows)
    proc_dearer = [ns["fork"] > SAME_SPEED * ns["pthread"] for _, ns in rows]
    if fiber_cheapest and all(proc_dearer):
        return ClaimVerdict("holds", f"{text}.")
    if fiber_cheapest:
        return ClaimVerdict("depends", f"{text}. Fibers are cheapest everywhere; processes cost more than threads in "
                                  f"{sum(proc_dearer)} of {len(rows)} settings: the wake-up (futex, scheduler) "
                                  "dominates, not the page tables.")
    return ClaimVerdict("does not hold", f"{text}.")


def c3_process_memory(cells, env):
    alive = _spawn(cells, "alive")
    cpp = _c3_cpp(alive[~alive["runner"].isin(claims_py.PYTHON)])
    return claims_py.combine(cpp, claims_py.c3_python(alive, env), env)


def _pss_per_worker(alive):
    """[(workers, {variant: MiB of PSS per live worker})] where fork and pthread both ran: the
    whole cell over its workers, for results with one live-worker count only."""
    rows = []
    for workers, g in alive.groupby("workers"):
        pss = {v: p / workers / 2**20 for v, p in _by_variant(g, "pss_bytes").items()}
        if "fork" in pss and "pthread" in pss:
            rows.append((workers, pss))
    return rows


def _fork_slopes(alive):
    return [(setting, lo, hi, per) for setting, lo, hi, per in memory_slopes(alive, "pthread") if "fork" in per]


def _c3_cpp(alive):
    placement, slopes = _at_one_placement(alive, APART, _fork_slopes)
    if slopes:
        text = "; ".join(f"{setting}, {lo} to {hi} alive: " + ", ".join(
            f"{v} {pss:.2f} MiB" for v, (pss, _) in sorted(per.items())) for setting, lo, hi, per in slopes)
        text = (f"PSS one more live worker adds (C++ workers doing nothing; the slope between two counts, so the "
                f"parent is not shared out) at {_placed(placement, alive, APART)}: {text}")
        ratio = min(per["fork"][0] / max(per["pthread"][0], MIN_MIB) for *_, per in slopes)
    else:
        placement, rows = _at_one_placement(alive, APART, _pss_per_worker)
        if not rows:
            return _no_data("spawn mode=alive with fork and pthread")
        text = "; ".join(f"{w} alive: " + ", ".join(f"{v} {m:.2f} MiB" for v, m in sorted(pss.items()))
                         for w, pss in rows)
        text = (f"PSS of the cell / live workers (one count of live workers only: the parent is shared out; C++ "
                f"workers doing nothing) at {_placed(placement, alive, APART)}: {text}")
        ratio = min(p["fork"] / max(p["pthread"], MIN_MIB) for _, p in rows)
    if ratio >= MEMORY_DEARER:
        return ClaimVerdict("holds", text + f": a process costs {ratio:.1f}x a thread at the least.")
    return ClaimVerdict("depends", text + ": copy-on-write shares the parent's pages, so a C++ process costs little more "
                                     "than a thread; the 25 MB is the Python interpreter's own.")


def _counters(cells):
    sy = _ok(cells, "sync")
    return sy[sy["p_mode"] == "counter"] if "p_mode" in sy else sy.iloc[0:0]


def _unlocked_and_locked(sy):
    """(cells without a lock, cells with a mutex) at 2+ workers under fork or pthread; None without both."""
    sy = sy[(sy["workers"] >= 2) & (sy["runner"].isin(["fork", "pthread"]))]
    none, locked = sy[sy["p_primitive"] == "none"], sy[sy["p_primitive"] == "mutex"]
    return None if none.empty or locked.empty else (none, locked)


def c9_lost_updates(cells, env):
    sy = _counters(cells)
    # Updates are lost only where the workers run at once: on cores of their own if the run has them.
    placement, got = _at_one_placement(sy, APART, _unlocked_and_locked)
    if not got:
        return _no_data("sync mode=counter with primitive=none and mutex at 2+ workers under fork or pthread")
    none, locked = got
    lost = none["lost_updates"].fillna(0)
    text = f"sync at {_placed(placement, sy, APART)}: " + "; ".join(
        f"{r.variant} x{r.workers}: {r.lost_updates:,.0f} updates lost without a lock" for r in none.itertuples())
    rates = []
    for r in none.itertuples():
        m = locked[(locked["variant"] == r.variant) & (locked["workers"] == r.workers)]
        if not m.empty:
            rates.append(f"{r.variant} x{r.workers}: {r.ops_per_s / m['ops_per_s'].iloc[0]:.1f}x faster without it")
    text += ("; the mutex's count is exact, and it costs: " + "; ".join(rates)) if rates else ""
    if (lost > 0).all():
        return ClaimVerdict("holds", text + ".")
    if (lost > 0).any():
        return ClaimVerdict("depends", text + ": updates are lost only when the workers really run at once.")
    return ClaimVerdict("does not hold", text + ".")


def _fork_over_pthread(sy):
    """[(primitive, workers, processes' increments/s over threads')] with the same primitive."""
    rows = []
    for (prim, workers), g in sy[sy["p_primitive"] != "none"].groupby(["p_primitive", "workers"]):
        rate = _by_variant(g, "ops_per_s")
        if "fork" in rate and "pthread" in rate:
            rows.append((prim, workers, rate["fork"] / rate["pthread"]))
    return rows


def c10_shared_sync(cells, env):
    sy = _counters(cells)
    placement, rows = _at_one_placement(sy, APART, _fork_over_pthread)
    if not rows:
        return _no_data("sync counter with the same primitive under fork and pthread")
    text = (f"sync, increments/s of processes / threads with the same primitive, at {_placed(placement, sy, APART)}: "
            + "; ".join(f"{p} x{w}: {r:.2f}" for p, w, r in rows[:8]))
    slower = sum(r < SLOWER for _, _, r in rows)
    if slower == len(rows):
        return ClaimVerdict("holds", text + ".")
    if slower == 0:
        return ClaimVerdict("does not hold", text + ": a process-shared lock in shared memory is the same futex "
                                              "underneath; the kernel is entered only on contention either way.")
    return ClaimVerdict("depends", text + ".")


def _pool_gains(spawn):
    """[(variant, workers, a pool's tasks/s over a worker made per task's)] with the same runner and workers."""
    create, pool = spawn[spawn["p_mode"] == "create"], spawn[spawn["p_mode"] == "pool"]
    rows = []
    for r in pool.itertuples():
        m = create[(create["variant"] == r.variant) & (create["workers"] == r.workers)]
        if not m.empty:
            rows.append((r.variant, r.workers, r.ops_per_s / m["ops_per_s"].iloc[0]))
    return rows


def c11_pool(cells, env):
    spawn = _spawn(cells, "create", "pool")
    placement, rows = _at_one_placement(spawn, APART, _pool_gains)
    if not rows:
        return _no_data("spawn mode=create and mode=pool with the same runner and workers")
    text = f"tasks per second, a pool of workers / a worker made per task, at {_placed(placement, spawn, APART)}: " + \
        "; ".join(f"{v} x{w}: {g:.0f}x" for v, w, g in rows)
    if all(g > POOL_GAIN for *_, g in rows):
        return ClaimVerdict("holds", text + ".")
    return ClaimVerdict("depends", text + ".")


CLAIMS = [
    Claim("C1", "Creating a process costs far more than creating a thread.", "000, 003",
          "spawn: µs per fork vs pthread_create (and fiber)", c1_process_creation),
    Claim("C2", "Switching between processes costs more than between threads; coroutine switches are cheaper still.",
          "000, 002", "switch: ns per hand-over, processes vs threads vs fibers", c2_switch_costs),
    Claim("C3", "A process costs much more memory than a thread (about 25 MB per Python process against well "
                "under 1 MB per thread).", "004", "spawn and redis: PSS/RSS per live worker", c3_process_memory),
    Claim("C4", "CPU-bound work: processes use every core; Python threads reach one core only, because of the GIL.",
          "000, 002, 003", "cpu: speedup vs workers; fiber on one thread is the GIL analogue", c4_cpu_processes_scale),
    Claim("C5", "IO-bound work: threads are the right tool; more workers finish sooner (the Redis TTL scan).", "004",
          "redis ttl_scan at 8/16/64/128 workers, pthread vs fork", claims_io.c5_ttl_scan),
    Claim("C6", "Talking between processes costs more than between threads.", "001",
          "ipc: the same channel between processes vs threads", claims_ipc.c6_processes_pay_more),
    Claim("C7", "Shared memory is the fastest IPC; a pipe is faster than a locked queue; the file system is slowest.",
          "000", "ipc: bytes/s per channel and message size", claims_ipc.c7_shm_fastest),
    Claim("C8", "Batching, sending fewer larger messages, lowers the cost of IPC.", "001",
          "ipc: throughput vs msg_size", claims_ipc.c8_batching),
    Claim("C9", "Without a lock, concurrent read-modify-write loses updates; a lock fixes it and serialises the work.",
          "000", "sync: lost updates with none; throughput of mutex vs atomic vs none", c9_lost_updates),
    Claim("C10", "Process-shared (kernel) synchronisation is slower than thread synchronisation.", "001",
          "sync: mutex under fork vs pthread", c10_shared_sync),
    Claim("C11", "Creating and destroying workers per task is costly; reuse a pool.", "001, 002",
          "spawn: per-task spawn vs reused workers", c11_pool),
    Claim("C12", "With few connections, select/epoll are no faster than threads with blocking IO; their advantage "
                 "is many connections.", "003", "redis and mux: event loops vs pthread as connections grow",
          claims_io.c12_few_connections),
    Claim("C13", "select copies and scans the whole set each call and stops at 1024 descriptors; poll scans; epoll "
                 "costs by ready descriptors only.", "003", "mux: cost per event vs fds", claims_io.c13_scan_cost),
    Claim("C14", "Thread-per-connection stops scaling at thousands of connections.", "003",
          "mux and redis: pthread at 1000+ connections", claims_io.c14_thread_per_connection),
    Claim("C15", "Coroutines give concurrency on one thread but no parallelism, and one blocking call stalls them all.",
          "002, 003", "cpu and redis: fiber on one thread vs several", c15_fibers_one_thread),
    Claim("C16", "A crashing thread takes its whole process down; a crashing process does not take its siblings.",
          "000", "selftest: a worker crash under pthread vs fork", claims_faults.c16_crash_reach),
    Claim("C17", "A pool of N workers runs N tasks at once; the N+1th waits.", "000",
          "cpu with more workers than cores: speedup plateau at core count", c17_plateau_at_cores),
    # Not a seed's: every comparison of processes against threads above rests on it.
    Claim("C18", "Where the two ends run decides IPC latency more than whether they are processes or threads.", "",
          "ipc pingpong: p50 round trip at placement same vs spread, fork vs pthread",
          claims_ipc.c18_placement_over_peers),
    # Not a seed's either: what a latency measured by a client that waits for each reply leaves out.
    Claim("C19", "A closed-loop client hides a server's stalls; a client on a schedule shows them.", "",
          "redis on a stalling embedded server, rate=0 vs an offered rate near half the peak: p99 of each",
          claims_latency.c19_closed_loop_hides_stalls),
]


def judge(cells, env):
    """[(claim, verdict)] for every claim; a verdict an unstable cell's spread could change is
    `unstable` (judged)."""
    out = []
    for claim in CLAIMS:
        if claim.rule is None:
            out.append((claim, ClaimVerdict("no data", f"not measured by this build yet; to come: {claim.test}")))
        else:
            out.append((claim, judged(claim.rule, cells, env)))
    return out
