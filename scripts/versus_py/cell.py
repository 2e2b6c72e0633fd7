"""What every Python cell shares: the outcome it reports, the measured phase, the test faults."""

import os
import signal
import time
from dataclasses import dataclass, field

import proc_measures


@dataclass
class Share:
    """One worker row: its part of the work, with the answer it found (value), the units it did
    (ops) and the first thing it found wrong."""
    value: int = 0
    ops: int = 0
    message: str = ""


@dataclass
class Outcome:
    shares: list
    measures: dict = field(default_factory=dict)


def measured(pids, body):
    """Runs body() as the measured phase of processes `pids` (workers already made) and returns
    (its result, the measures): wall time, CPU and switches of the phase, peak RSS since it began
    and PSS at its end, sampled while every worker is still alive."""
    proc_measures.reset_peak(pids)
    before = proc_measures.usage(pids)
    t0 = time.perf_counter()
    result = body()
    wall = time.perf_counter() - t0
    measures = {"wall_s": wall}
    measures.update(proc_measures.usage_delta(before, proc_measures.usage(pids)))
    measures.update(proc_measures.memory(pids))
    return result, measures


def latency_measures(latencies):
    """Percentiles (nearest rank) of per-request latencies in ns, as lat_*_us measures."""
    if not latencies:
        return {}
    s = sorted(latencies)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))] / 1e3  # noqa: E731
    return {"lat_p50_us": pick(0.5), "lat_p90_us": pick(0.9), "lat_p99_us": pick(0.99), "lat_p999_us": pick(0.999)}


def injure(fault):
    """py_fault, for tests: the task raises, or its process is killed (a thread's is the whole
    interpreter, as a crashing thread takes its process down)."""
    if fault == "raise":
        raise RuntimeError("py_fault=raise: a task raised, as the test asked")
    if fault == "kill":
        os.kill(os.getpid(), signal.SIGKILL)


def split(total, parts, i):
    """[lo, hi) of part i of `total` units in `parts` nearly equal parts (the C++ split)."""
    return total * i // parts, total * (i + 1) // parts
